"""Group commit on PostgreSQL: several steps' commits in one transaction, each all-or-nothing.

One transaction (one fsync) for the commits that arrive together is what lets a
state-store take many clients' steps per second. Each commit runs inside its own
savepoint, so a guard that fails aborts only that commit: the script stops at the
error, ``ROLLBACK TO SAVEPOINT`` undoes just that commit, and the rest are sent
again. Which commit failed is read back from a transaction-local setting each commit
sets before its savepoint (a rollback to the savepoint keeps it).

Commits apply in order, so a later commit in the batch sees an earlier one's writes
(its guards too), exactly as if they had been committed one after another.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg2

from bamboo_core.errors import StateConflictError
from bamboo_core.records import ExecuteItem
from bamboo_state_store.db import pg_sql as Q
from bamboo_state_store.db import rows as R
from bamboo_state_store.db.migrations import CONFLICT_SQLSTATE
from bamboo_state_store.db.pg_sql import Cursor

Outcome = list[ExecuteItem] | BaseException  # the resumed parents, or why the commit was not applied

_MARK = "SELECT set_config('bamboo.batch', %s, true);"
_SAVEPOINT = "SAVEPOINT bamboo_commit;"
_RELEASE = "RELEASE SAVEPOINT bamboo_commit;"
_RECOVER = ("ROLLBACK TO SAVEPOINT bamboo_commit; RELEASE SAVEPOINT bamboo_commit; "
            "SELECT current_setting('bamboo.batch');")
# Errors that are one commit's own fault (a guard, bad data, a violated constraint);
# anything else (deadlock, lost connection) fails the whole batch.
_OWN_FAULT_CLASSES = ("22", "23")


def apply_batch(cur: Cursor, batch: Sequence[R.CommitRows]) -> list[Outcome]:
    """Apply each commit of ``batch`` that holds, in one transaction; one outcome per commit."""
    outcomes: list[Outcome] = [[] for _ in batch]
    script, start = Q.Script("BEGIN;"), 0
    while True:
        try:
            script = _send_from(cur, batch, start, script, outcomes)
            script.add("COMMIT;")
            script.send(cur)
            return outcomes
        except psycopg2.Error as exc:
            if not _own_fault(exc):
                raise
            cur.execute(_RECOVER)
            failed = int(cur.fetchone()[0])
            outcomes[failed] = _as_domain_error(exc)
            script, start = Q.Script(), failed + 1


def _send_from(cur: Cursor, batch: Sequence[R.CommitRows], start: int, script: Q.Script,
               outcomes: list[Outcome]) -> Q.Script:
    """Queue commits ``start``.. in ``script``; a commit with join arrivals sends what is queued."""
    for index in range(start, len(batch)):
        rows = batch[index]
        try:
            Q.check_guard_types(rows.guards)
        except StateConflictError as exc:
            outcomes[index] = exc
            continue
        script.add(_MARK, (str(index),))
        script.add(_SAVEPOINT)
        Q.add_commit(script, rows)
        outcomes[index] = []
        if rows.arrivals:
            outcomes[index], script = Q.send_arrivals(cur, script, rows.arrivals)
        script.add(_RELEASE)
    return script


def _own_fault(exc: psycopg2.Error) -> bool:
    code = exc.pgcode or ""
    return code == CONFLICT_SQLSTATE or code[:2] in _OWN_FAULT_CLASSES


def _as_domain_error(exc: psycopg2.Error) -> BaseException:
    error: BaseException = exc
    if exc.pgcode == CONFLICT_SQLSTATE:
        error = StateConflictError(exc.diag.message_primary or "a guard did not hold")
    return error
