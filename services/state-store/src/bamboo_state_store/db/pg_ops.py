"""The PostgreSQL hot paths: a step commit and a step load, each one round trip.

A commit is sent as one script, ``BEGIN; <guards and writes>; COMMIT``, on a
connection in autocommit mode; every statement in it is an ``EXECUTE`` of a statement
prepared once per connection (pg_sql.py). A guard on a row the commit writes is
checked by the write itself: ``UPDATE ... WHERE id = $1 AND version = $expected`` (or
``INSERT ... ON CONFLICT DO NOTHING`` for "no row yet"), and ``bamboo_conflict()``
aborts the script when no row was written. Under READ COMMITTED a concurrent writer of
that row makes the statement wait and then re-check the row's new version, so
exactly one of two racing commits wins. Guards on rows the commit does not write lock
those rows (``SELECT ... FOR UPDATE``; an advisory lock for "no row yet") before any
write. On a failed guard the store rolls back and raises StateConflictError; a
deadlock between writers is retried. Join arrivals need the decremented counter
back, so a commit with arrivals reads each ``UPDATE ... RETURNING`` and then sends
the resumed parents' outbox rows with ``COMMIT``.

A step load is one prepared SELECT (one statement: one consistent snapshot, no
transaction): the process row, with the other rows it needs gathered as JSON.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg2
import psycopg2.errors
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from bamboo_core.errors import AlreadyExistsError, StateConflictError
from bamboo_core.records import ExecuteItem
from bamboo_state_store.db import pg_sql as Q
from bamboo_state_store.db import rows as R
from bamboo_state_store.db.engine import Database
from bamboo_state_store.db.migrations import CONFLICT_SQLSTATE
from bamboo_state_store.db.pg_batch import Outcome, apply_batch
from bamboo_state_store.db.pg_sql import Cursor

_T = TypeVar("_T")
_RETRY_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure
_MAX_ATTEMPTS = 5


class PgOps:
    """Commit and load_step for PostgreSQL, on ``db``'s autocommit connections."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- running scripts ----------------------------------------------------------------

    def _with_cursor(self, work: Callable[[Cursor], _T]) -> _T:
        """Run ``work`` on a connection with the statements prepared: retry deadlocks, map a
        failed guard, never hand back a connection with a transaction open."""
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            conn = self._db.checkout()
            broken = False
            try:
                with conn.cursor() as cur:
                    if not conn.info.get(Q.PREPARED_KEY):
                        cur.execute(Q.PREPARE_ALL)
                        conn.info[Q.PREPARED_KEY] = True
                    return work(cur)
            except psycopg2.Error as exc:
                broken = self._db.is_broken(conn)
                if broken:
                    raise
                _end_transaction(conn.dbapi_connection)
                if exc.pgcode in _RETRY_SQLSTATES and attempt < _MAX_ATTEMPTS:
                    time.sleep(0.001 * attempt)
                    continue
                if exc.pgcode == CONFLICT_SQLSTATE:
                    raise StateConflictError(exc.diag.message_primary or "a guard did not hold") from None
                raise
            except BaseException:
                broken = self._db.is_broken(conn)
                if not broken:
                    _end_transaction(conn.dbapi_connection)
                raise
            finally:
                self._db.checkin(conn, broken=broken)
        raise AssertionError("unreachable")

    # -- commit -------------------------------------------------------------------------

    def commit(self, rows: R.CommitRows) -> list[ExecuteItem]:
        """Apply ``rows`` atomically; the parents its join arrivals resumed."""
        Q.check_guard_types(rows.guards)

        def work(cur: Cursor) -> list[ExecuteItem]:
            script = Q.Script("BEGIN;")
            Q.add_commit(script, rows)
            return _finish(cur, script, rows.arrivals)

        return self._with_cursor(work)

    def commit_many(self, batch: Sequence[R.CommitRows]) -> list[Outcome]:
        """Apply each commit that holds, in one transaction (see pg_batch)."""
        return self._with_cursor(lambda cur: apply_batch(cur, batch))

    def create(self, root_id: str, tree_json: str, root_data_json: str, node_ids: Sequence[str],
               rows: R.CommitRows) -> list[ExecuteItem]:
        """Store a new run and apply its first commit; AlreadyExistsError if any id is taken."""

        def work(cur: Cursor) -> list[ExecuteItem]:
            script = Q.Script("BEGIN;")
            script.add(Q.PIPELINES.execute, (root_id, tree_json, root_data_json))
            script.add_rows(Q.NODE_ROOTS, [(node_id, root_id) for node_id in node_ids])
            Q.add_commit(script, rows)
            try:
                return _finish(cur, script, rows.arrivals)
            except psycopg2.errors.UniqueViolation:
                _end_transaction(cur.connection)
                cur.execute("SELECT node_id FROM node_roots WHERE node_id = ANY(%s) ORDER BY node_id LIMIT 5",
                            (list(node_ids),))
                taken = [row[0] for row in cur.fetchall()] or [root_id]
                raise AlreadyExistsError(f"ids already used by another pipeline: {taken}") from None

        return self._with_cursor(work)

    # -- load_step ------------------------------------------------------------------------

    def load_step(self, process_id: str, node_id: str, schedule_id: str, want_root: bool,
                  ahead: Sequence[str] = ()) -> tuple[Any, ...] | None:
        """The process row's columns followed by: states (the stack's, the node's and those of
        ``ahead``), execution data, node inputs, contexts, schedule (each decoded JSON or None),
        the root data JSON text (if ``want_root``) and, for the nodes of ``ahead`` that have any,
        ``[node id, data inputs, data outputs, node inputs]`` rows (JSON texts or None), or None."""

        def work(cur: Cursor) -> tuple[Any, ...] | None:
            cur.execute(Q.LOAD_STEP.execute, (process_id, node_id, schedule_id, want_root, list(ahead)))
            row = cur.fetchone()
            return tuple(row) if row is not None else None

        return self._with_cursor(work)


def _end_transaction(dbapi_connection: Any) -> None:
    """Roll back a script's transaction left open by an error (autocommit never does it for us)."""
    if dbapi_connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
        with dbapi_connection.cursor() as cur:
            cur.execute("ROLLBACK")


def _finish(cur: Cursor, script: Q.Script, child_ids: Sequence[str]) -> list[ExecuteItem]:
    """Send the script and commit; with arrivals, the resumed parents' work goes to the outbox first."""
    resumed: list[ExecuteItem] = []
    if child_ids:
        resumed, script = Q.send_arrivals(cur, script, child_ids)
    script.add("COMMIT;")
    script.send(cur)
    return resumed
