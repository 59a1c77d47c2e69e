"""The runtime under test for scenarios: the embedded runtime with a manual clock.

Every scenario runs three times, over each StateStore: ``MemoryStore`` and
``SqlStore`` on SQLite and on PostgreSQL (the session's database from tests/pg.py;
skipped with the reason if no PostgreSQL can be had, a failure under ``CI=true``).
A later cluster suite binds the same scenarios to the SDK client instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bamboo_core.clock import ManualClock
from bamboo_core.examples import register_examples
from bamboo_core.memory_store import MemoryStore
from bamboo_core.runtime import InMemoryRuntime
from bamboo_state_store.sql_store import SqlStore
from tests.pg import pg_store, pg_url, reset_store  # noqa: F401  (session fixtures)
from tests.scenarios.harness import Harness

register_examples()  # the SPEC §8 test components and lazy variables

STORE_KINDS = ["memory", "sqlite", "postgres"]

def _open_store(kind: str, request: pytest.FixtureRequest) -> Any:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SqlStore(f"sqlite:///{request.getfixturevalue('tmp_path') / 'store.db'}")
    # The session's store, emptied: scenarios reuse node ids ("A", "EG" ...).
    return reset_store(request.getfixturevalue("pg_store"), request.getfixturevalue("pg_url"))


@pytest.fixture(params=STORE_KINDS)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    store = _open_store(request.param, request)
    runtime = InMemoryRuntime(clock=ManualClock(), workers=4, store=store)
    try:
        yield Harness(runtime)
    finally:
        runtime.close()
        if request.param == "sqlite":
            store.close()
