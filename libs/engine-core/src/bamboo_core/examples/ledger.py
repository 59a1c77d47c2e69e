"""Where example and test components note what they were called with, for a test to read back.

A component's calls are the evidence several scenarios check ("the end event ran once,
with these ids", "each hook fired in this order"). Embedded, the components run in the
test's own process and a dict is enough. In a cluster they run in executor and scheduler
processes, so the notes must live where every process can reach them: set
``BAMBOO_EXAMPLES_LEDGER`` to a file path in every process (the test's included) and the
ledger is that SQLite file instead, which serialises writers across processes.

A ledger holds, per key, an ordered list of strings. A counter is a list whose length is
the count, so "append and tell me the position" is the one atomic write there is.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Protocol

LEDGER_ENV = "BAMBOO_EXAMPLES_LEDGER"


class Ledger(Protocol):
    def append(self, key: str, entry: str) -> int:
        """Add ``entry`` at the end of ``key``'s list; its position (0 for the first)."""

    def entries(self, key: str) -> list[str]:
        """``key``'s list, oldest first (empty if nothing was noted)."""

    def clear(self, key: str) -> None:
        """Forget ``key``'s list."""

    def clear_all(self, prefix: str = "") -> None:
        """Forget every key starting with ``prefix`` (all keys by default)."""


class MemoryLedger:
    def __init__(self) -> None:
        self._lists: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def append(self, key: str, entry: str) -> int:
        with self._lock:
            items = self._lists.setdefault(key, [])
            items.append(entry)
            return len(items) - 1

    def entries(self, key: str) -> list[str]:
        with self._lock:
            return list(self._lists.get(key, ()))

    def clear(self, key: str) -> None:
        with self._lock:
            self._lists.pop(key, None)

    def clear_all(self, prefix: str = "") -> None:
        with self._lock:
            for key in [key for key in self._lists if key.startswith(prefix)]:
                del self._lists[key]


class SqliteLedger:
    """The ledger in a SQLite file, one short transaction per call (tests only: not fast)."""

    def __init__(self, path: str) -> None:
        self.path = path
        with self._transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS entries "
                         "(seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, entry TEXT NOT NULL)")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so "append, then count" is atomic
        # across processes; the timeout lets a writer wait for another instead of failing.
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def append(self, key: str, entry: str) -> int:
        with self._transaction() as conn:
            conn.execute("INSERT INTO entries (key, entry) VALUES (?, ?)", (key, entry))
            (count,) = conn.execute("SELECT COUNT(*) FROM entries WHERE key = ?", (key,)).fetchone()
            return int(count) - 1

    def entries(self, key: str) -> list[str]:
        with self._transaction() as conn:
            rows = conn.execute("SELECT entry FROM entries WHERE key = ? ORDER BY seq", (key,)).fetchall()
        return [str(entry) for (entry,) in rows]

    def clear(self, key: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM entries WHERE key = ?", (key,))

    def clear_all(self, prefix: str = "") -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM entries WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))


_ledger: Ledger | None = None
_ledger_lock = threading.Lock()


def ledger() -> Ledger:
    """This process's ledger: the file named by ``BAMBOO_EXAMPLES_LEDGER``, else memory."""
    global _ledger
    with _ledger_lock:
        if _ledger is None:
            path = os.environ.get(LEDGER_ENV, "").strip()
            _ledger = SqliteLedger(path) if path else MemoryLedger()
        return _ledger


def use(new: Ledger) -> Ledger:
    """Make ``new`` this process's ledger and return the one it replaces.

    For a test process that drives a cluster after running embedded tests: it switches
    to the cluster's shared file for as long as the cluster runs, then switches back.
    """
    global _ledger
    with _ledger_lock:
        previous = _ledger if _ledger is not None else MemoryLedger()
        _ledger = new
        return previous
