"""Shared fixtures of the state-store tests: databases and stores.

- ``pg_url``: this session's fresh PostgreSQL database (see tests/pg.py: created on
  127.0.0.1:5432 or on a throwaway server, dropped at the end; skipped with the reason
  if neither works, a failure under ``CI=true``).
- ``sqlite_url``: a SQLite file of its own per test.
- ``store``: the same contract run against every StateStore: ``MemoryStore`` (the
  reference semantics), ``SqlStore`` on SQLite and ``SqlStore`` on PostgreSQL.
- ``sql_store`` / ``sql_url``: the two SQL kinds only (outbox, timers, races).

PostgreSQL stores share the session database and the session's warm ``pg_store``:
each test starts with every data table emptied (one round trip) and the store's
caches cleared, so tests must not assume ids start at 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bamboo_core.memory_store import MemoryStore
from bamboo_state_store.db.schema import DATA_TABLES
from bamboo_state_store.sql_store import SqlStore
from tests.pg import clear_tables, pg_store, pg_url, reset_store  # noqa: F401  (session fixtures)

STORE_KINDS = ["memory", "sqlite", "postgres"]
SQL_KINDS = ["sqlite", "postgres"]
_MIGRATED: set[str] = set()


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def fresh_sql_url(kind: str, request: pytest.FixtureRequest) -> str:
    """The database URL for ``kind``, its data tables empty (PostgreSQL's are created if missing)."""
    if kind == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    url = str(request.getfixturevalue("pg_url"))
    if url not in _MIGRATED:
        SqlStore(url).close()  # migrate, so the tables exist to be emptied
        _MIGRATED.add(url)
    clear_tables(url, [table.name for table in DATA_TABLES])
    return url


@pytest.fixture(params=SQL_KINDS)
def sql_url(request: pytest.FixtureRequest) -> str:
    return fresh_sql_url(request.param, request)


def open_store(kind: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A store of ``kind`` with no data: PostgreSQL reuses the session's (emptied), SQLite gets a new file."""
    if kind == "memory":
        yield MemoryStore()
    elif kind == "postgres":
        yield reset_store(request.getfixturevalue("pg_store"), request.getfixturevalue("pg_url"))
    else:
        store = SqlStore(request.getfixturevalue("sqlite_url"))
        try:
            yield store
        finally:
            store.close()


@pytest.fixture(params=SQL_KINDS)
def sql_store(request: pytest.FixtureRequest) -> Iterator[SqlStore]:
    yield from open_store(request.param, request)


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from open_store(request.param, request)
