"""Creating the SQLAlchemy engine, and the two kinds of connection the store uses.

SQLite (``sqlite:///PATH``, the embedded default) runs in WAL mode with
``synchronous=NORMAL``: readers never block the writer and a commit costs no fsync
of the WAL. pysqlite's own transaction handling is switched off so that a write
transaction starts with ``BEGIN IMMEDIATE``: concurrent writers then queue on the
database lock (``busy_timeout``) instead of failing half-way with "database is
locked" when a read transaction tries to upgrade.

PostgreSQL (``postgresql+psycopg2://...``) connections run in autocommit: the hot
paths send ``BEGIN; ...; COMMIT`` as one script (one round trip), and single
statements (queries, the timer move) need no transaction around them. Core code
that needs a multi-statement transaction asks for one with ``transaction()``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.sql import ClauseElement

Dialect = Literal["sqlite", "postgresql"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
_NAMED_SQLITE = sqlite.dialect(paramstyle="named")
_PG_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
# Every statement the store sends finds its rows by key, and the hot ones are prepared
# once per connection (pg_sql). PostgreSQL would plan them against the table sizes of
# the moment: on a new database, with the tables still nearly empty, it settles on
# whole-table scans and keeps them as the tables grow (each step then reads every
# row), and on a grown one it re-plans every call (planning measured at half a load's
# cost). So: one plan per statement, made with index lookups.
PG_SESSION_OPTIONS = "-c plan_cache_mode=force_generic_plan -c enable_seqscan=off"
_WRITE = "bamboo_write"  # execution option: this SQLite connection starts BEGIN IMMEDIATE


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url``; ValueError for a database kind the store does not support."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:") or (parsed.database or "").startswith("file::memory:"):
            raise ValueError("db url: an in-memory SQLite database is not durable; use sqlite:///PATH")
        engine = create_engine(parsed, pool_size=pool_size, max_overflow=pool_size * 2)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        options = " ".join(filter(None, [parsed.query.get("options"), PG_SESSION_OPTIONS]))
        return create_engine(
            parsed, isolation_level="AUTOCOMMIT", pool_size=pool_size, max_overflow=pool_size * 2,
            connect_args={"application_name": "bamboo-state-store", "options": options},
        )  # fmt: skip
    raise ValueError(f"db url: unsupported database {backend!r} (use sqlite:///PATH or postgresql+psycopg2://...)")


def dialect_of(engine: Engine) -> Dialect:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see "begin" below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """An engine plus the way this dialect runs transactions."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.engine = create_db_engine(url, pool_size=pool_size)
        self.dialect: Dialect = dialect_of(self.engine)
        # SQLite has one writer at a time anyway; queueing this process's writers on a
        # lock avoids SQLite's busy handler, which sleeps in steps of milliseconds.
        self._sqlite_writer = threading.Lock()
        self._idle: list[Any] = []  # checked-out connections kept for reuse (list ops are atomic)
        self._keep = pool_size
        self._disposed = False

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside a write transaction, committed when the block ends without error."""
        if self.dialect == "sqlite":
            with self._sqlite_writer, self.engine.connect() as conn:
                conn = conn.execution_options(**{_WRITE: True})
                with conn.begin():
                    yield conn
            return
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="READ COMMITTED")
            with conn.begin():
                yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads: a snapshot transaction on SQLite, autocommit statements on PostgreSQL."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def sqlite_write_lock(self) -> Iterator[None]:
        """Held around SQLite write transactions made outside ``transaction()``."""
        with self._sqlite_writer:
            yield

    # -- compiled statements on the raw driver ----------------------------------------------
    # SQLAlchemy's per-execution work (coercion, cache keys, result wrapping) cost ten
    # times the query itself on SQLite, so hot statements are Core constructs compiled
    # once to SQL text with named parameters, then run on the DBAPI connection.

    def compile(self, statement: ClauseElement) -> str:
        """``statement`` as SQL text with named parameters (``:name`` / ``%(name)s``)."""
        dialect = _NAMED_SQLITE if self.dialect == "sqlite" else _PG_DIALECT
        return str(statement.compile(dialect=dialect))

    def checkout(self) -> Any:
        """A pooled DBAPI connection (autocommit), from the store's own idle list when it can.

        The idle list skips SQLAlchemy's checkout/return work (tens of microseconds a
        call, a good part of a step's CPU); it keeps at most ``pool_size`` connections.
        """
        try:
            return self._idle.pop()
        except IndexError:
            return self.engine.raw_connection()

    def checkin(self, conn: Any, *, broken: bool = False) -> None:
        """Give back a connection that has no transaction open; a broken one is dropped."""
        if broken:
            conn.invalidate()
        if broken or self._disposed or len(self._idle) >= self._keep:
            conn.close()
        else:
            self._idle.append(conn)

    def is_broken(self, conn: Any) -> bool:
        dbapi = conn.dbapi_connection
        return dbapi is None or (self.dialect == "postgresql" and bool(dbapi.closed))

    @contextmanager
    def raw(self) -> Iterator[Any]:
        """A DBAPI connection (autocommit) for the block; the block must not leave a transaction open."""
        conn = self.checkout()
        broken = False
        try:
            yield conn
        except Exception:
            broken = self.is_broken(conn)
            raise
        finally:
            self.checkin(conn, broken=broken)

    def query(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        """Rows of one compiled statement (its own implicit transaction)."""
        with self.raw() as conn:
            cursor = conn.cursor()
            try:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
            finally:
                cursor.close()

    def dispose(self) -> None:
        self._disposed = True
        while self._idle:
            self._idle.pop().close()
        self.engine.dispose()
