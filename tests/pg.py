"""A PostgreSQL database for the whole test session, shared by every conftest that needs one.

The session creates a fresh database ``bamboo_test_<hex>`` on the server at
127.0.0.1:5432 (user postgres, trust auth) and drops it at the end. If nothing
listens there, it starts a throwaway server from Debian's binaries
(``/usr/lib/postgresql/*/bin``, ``initdb`` into a temporary directory) on a free
port. Only if that fails too are the PostgreSQL tests skipped, with the reason —
and with ``CI=true`` that is a failure instead, so CI can never go green without
PostgreSQL.

Conftests expose it with::

    from tests.pg import pg_store, pg_url  # noqa: F401  (session fixtures)

``pg_store`` is one SqlStore on that database for the whole session (connecting
costs milliseconds per connection); ``reset_store`` empties it between tests.

Several conftests importing the fixture each get their own fixture instance; the
module-level refcount below makes them share one database.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from bamboo_state_store.db.schema import DATA_TABLES
from bamboo_state_store.sql_store import SqlStore

HOST = "127.0.0.1"
PORT = 5432
USER = "postgres"


def _connect(port: int, dbname: str = "postgres") -> psycopg2.extensions.connection:
    conn = psycopg2.connect(host=HOST, port=port, user=USER, dbname=dbname, connect_timeout=3)
    conn.autocommit = True
    return conn


def _reachable(port: int) -> bool:
    try:
        _connect(port).close()
        return True
    except psycopg2.Error:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class _ThrowawayServer:
    """initdb + pg_ctl into a temporary directory; as root, run as the ``postgres`` user."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not binaries:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self._bin = Path(binaries[-1]).parent
        self.port = _free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="bamboo-pg-"))
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self._dir, user="postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        data = self._dir / "data"
        self._run(str(self._bin / "initdb"), "-D", str(data), "--auth=trust", "-U", USER)
        options = f"-c listen_addresses={HOST} -p {self.port} -k {self._dir} -c fsync=off"
        self._run(str(self._bin / "pg_ctl"), "-D", str(data), "-w", "-l", str(self._dir / "log"), "-o", options, "start")
        self._data = data

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        try:
            self._run(str(self._bin / "pg_ctl"), "-D", str(self._data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)


class _Session:
    """One database per test session, created on first use and dropped by the last release."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._url: str | None = None
        self._port = PORT
        self._dbname = ""
        self._server: _ThrowawayServer | None = None
        self._failure = ""

    def acquire(self) -> str:
        with self._lock:
            if self._failure:
                _unavailable(self._failure)
            if self._url is None:
                self._url = self._create()
            self._users += 1
            return self._url

    @property
    def port(self) -> int:
        return self._port

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._url is not None:
                self._url = None
                self._drop()

    def _create(self) -> str:
        if not _reachable(PORT):
            try:
                self._server = _ThrowawayServer()
                self._port = self._server.port
            except Exception as exc:  # noqa: BLE001 - the reason is what the skip reports
                self._failure = f"no PostgreSQL at {HOST}:{PORT} and a throwaway server did not start: {exc!r}"
                _unavailable(self._failure)
        self._dbname = f"bamboo_test_{uuid.uuid4().hex[:12]}"
        conn = _connect(self._port)
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE {self._dbname}")
        finally:
            conn.close()
        return f"postgresql+psycopg2://{USER}@{HOST}:{self._port}/{self._dbname}"

    def _drop(self) -> None:
        for conn in _CLEANERS.values():
            conn.close()
        _CLEANERS.clear()
        try:
            conn = _connect(self._port)
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {self._dbname} WITH (FORCE)")
            conn.close()
        finally:
            if self._server is not None:
                self._server.stop()
                self._server = None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(reason)


_SESSION = _Session()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """SQLAlchemy URL of this session's fresh PostgreSQL database."""
    url = _SESSION.acquire()
    try:
        yield url
    finally:
        _SESSION.release()


@contextlib.contextmanager
def dedicated_database() -> Iterator[str]:
    """A fresh database of its own on the session's server, dropped afterwards.

    For tests that run long-lived services (a whole cluster) on PostgreSQL: they
    must not share the session database, whose outbox other tests inspect.
    """
    _SESSION.acquire()  # the server (a throwaway one if need be) stays up meanwhile
    dbname = f"bamboo_test_{uuid.uuid4().hex[:12]}"
    port = _SESSION.port
    try:
        conn = _connect(port)
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE {dbname}")
        finally:
            conn.close()
        yield f"postgresql+psycopg2://{USER}@{HOST}:{port}/{dbname}"
    finally:
        conn = _connect(port)
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        finally:
            conn.close()
        _SESSION.release()


_CLEANERS: dict[str, psycopg2.extensions.connection] = {}


def clear_tables(url: str, tables: list[str]) -> None:
    """Empty ``tables`` in one round trip on a kept connection (DELETE beats TRUNCATE on tiny tables)."""
    conn = _CLEANERS.get(url)
    if conn is None or conn.closed:
        dbname = url.rsplit("/", 1)[1]
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        conn = _CLEANERS[url] = _connect(port, dbname)
    with conn.cursor() as cur:
        cur.execute("".join(f"DELETE FROM {table};" for table in tables))


@pytest.fixture(scope="session")
def pg_store(pg_url: str) -> Iterator[SqlStore]:
    """One SqlStore on the session database, kept warm (its pool) across tests; see ``reset_store``."""
    store = SqlStore(pg_url)
    try:
        yield store
    finally:
        store.close()


def reset_store(store: SqlStore, url: str) -> SqlStore:
    """``store`` as good as new: every data table empty, nothing cached, no on_commit hook."""
    clear_tables(url, [table.name for table in DATA_TABLES])
    store.clear_caches()
    store.set_on_commit(None)
    return store
