"""The examples' ledger: in memory, or one SQLite file that several processes note calls in."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from bamboo_core.examples import ledger as ledger_module
from bamboo_core.examples.ledger import Ledger, MemoryLedger, SqliteLedger


@pytest.fixture(params=["memory", "sqlite"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Ledger:
    return MemoryLedger() if request.param == "memory" else SqliteLedger(str(tmp_path / "ledger.db"))


def test_append_returns_positions_and_keeps_order(ledger: Ledger) -> None:
    assert [ledger.append("k", entry) for entry in "abc"] == [0, 1, 2]
    assert ledger.append("other", "x") == 0
    assert ledger.entries("k") == ["a", "b", "c"]
    assert ledger.entries("missing") == []


def test_clear_one_key_or_a_prefix(ledger: Ledger) -> None:
    for key in ("hooks:A", "hooks:AB", "counts:A"):
        ledger.append(key, "x")
    ledger.clear("hooks:A")
    assert (ledger.entries("hooks:A"), ledger.entries("hooks:AB")) == ([], ["x"])
    ledger.clear_all("hooks:")
    assert (ledger.entries("hooks:AB"), ledger.entries("counts:A")) == ([], ["x"])
    ledger.clear_all()
    assert ledger.entries("counts:A") == []


def _append_many(path: str, count: int) -> None:
    ledger = SqliteLedger(path)
    for _ in range(count):
        ledger.append("shared", "x")


def test_processes_share_the_file_and_positions_stay_unique(tmp_path: Path) -> None:
    path = str(tmp_path / "ledger.db")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(path, 25)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert len(SqliteLedger(path).entries("shared")) == 75
    assert SqliteLedger(path).append("shared", "last") == 75


def test_use_swaps_the_process_ledger(tmp_path: Path) -> None:
    replacement = SqliteLedger(str(tmp_path / "ledger.db"))
    previous = ledger_module.use(replacement)
    try:
        assert ledger_module.ledger() is replacement
    finally:
        ledger_module.use(previous)
    assert ledger_module.ledger() is previous
