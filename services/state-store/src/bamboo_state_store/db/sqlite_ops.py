"""The SQLite hot paths: Core statements compiled once, run on the sqlite3 connection.

SQLite lives in the process, so a statement costs microseconds and there is no round
trip to save; what costs is SQLAlchemy's per-execution work, which measured ten times
the statements themselves. So the upserts (``sqlite.insert(...).on_conflict_do_update``)
and queries are built as Core constructs, compiled to SQL text at import, and executed
with ``executemany`` on the driver.

A commit runs inside ``BEGIN IMMEDIATE`` (the one writer; this process's writers also
queue on a lock, which beats SQLite's sleeping busy handler), so guards are plain
reads. A step load is a few indexed SELECTs in one read transaction, which WAL makes
a consistent snapshot (the rows of the nodes read ahead included). ``IN`` lists go as
one JSON array parameter (``json_each``), so every statement's text is fixed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, literal_column, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.sql import ClauseElement

from bamboo_core.errors import AlreadyExistsError, StateConflictError
from bamboo_core.ports import GuardKind
from bamboo_core.records import ExecuteItem
from bamboo_state_store.db import rows as R
from bamboo_state_store.db import schema as S
from bamboo_state_store.db.engine import Database

_DIALECT = sqlite.dialect(paramstyle="qmark")


def _sql(statement: ClauseElement, params: Sequence[str]) -> str:
    """Compile once; rows are then passed as tuples in ``params`` order."""
    compiled = statement.compile(dialect=_DIALECT)
    order = list(getattr(compiled, "positiontup", None) or ())
    if order != list(params):
        raise AssertionError(f"parameter order {order} != {list(params)}")
    return str(compiled)


def _upsert(table: Table, columns: Sequence[str], keys: Sequence[str] = ()) -> str:
    stmt = insert(table).values({c: bindparam(c) for c in columns})
    if keys:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                          set_={c: stmt.excluded[c] for c in columns if c not in keys})
    return _sql(stmt, columns)


def _in_json(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column IN (the values of a JSON array parameter)``."""
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(name))))


def _select(table: Table, columns: Sequence[str], where: ColumnElement[bool], params: Sequence[str]) -> str:
    return _sql(select(*(table.c[c] for c in columns)).where(where), params)


_WRITES: tuple[tuple[str, str], ...] = (  # (SQL, CommitRows attribute), in MemoryStore's order
    (_upsert(S.states, R.STATE_COLUMNS, ["node_id"]), "states"),
    (_upsert(S.processes, R.PROCESS_COLUMNS, ["id"]), "processes"),
    ("", "arrivals"),
    (_upsert(S.schedules, R.SCHEDULE_COLUMNS, ["id"]), "schedules"),
    (_upsert(S.execution_data, R.EXECUTION_DATA_COLUMNS, ["node_id"]), "execution_data"),
    (_sql(insert(S.execution_data).values(node_id=bindparam("node_id"), inputs_json=literal_column("'{}'"),
                                          outputs_json=bindparam("outputs_json"))
          .on_conflict_do_update(index_elements=["node_id"],
                                 set_={"outputs_json": insert(S.execution_data).excluded.outputs_json}),
          ["node_id", "outputs_json"]), "execution_outputs"),  # outputs only: inputs stay
    (_upsert(S.node_inputs, R.NODE_INPUTS_COLUMNS, ["node_id"]), "node_inputs"),
    (_upsert(S.context_values, R.CONTEXT_COLUMNS, ["scope_id", "key"]), "contexts"),
    (_upsert(S.histories, R.HISTORY_COLUMNS), "histories"),
    (_upsert(S.timers, R.TIMER_COLUMNS), "timers"),
)
_ARRIVE = R.arrival_sql("?")
_OUTBOX = _upsert(S.outbox, R.OUTBOX_COLUMNS)
_PIPELINE = _upsert(S.pipelines, ("root_id", "tree_json", "root_data_json"))
_NODE_ROOT = _upsert(S.node_roots, ("node_id", "root_id"))
_TAKEN = _sql(select(S.node_roots.c.node_id).where(_in_json(S.node_roots.c.node_id, "ids")), ["ids"])
_GUARDS = {
    GuardKind.STATE: _sql(select(S.states.c.node_id, S.states.c.version)
                          .where(_in_json(S.states.c.node_id, "ids")), ["ids"]),
    GuardKind.PROCESS: _sql(select(S.processes.c.id, S.processes.c.version)
                            .where(_in_json(S.processes.c.id, "ids")), ["ids"]),
    GuardKind.SCHEDULE: _sql(select(S.schedules.c.id, S.schedules.c.rev)
                             .where(_in_json(S.schedules.c.id, "ids")), ["ids"]),
}
_PROCESS = _select(S.processes, R.PROCESS_COLUMNS, S.processes.c.id == bindparam("id"), ["id"])
_STATES = _select(S.states, R.STATE_COLUMNS, _in_json(S.states.c.node_id, "ids"), ["ids"])
_DATA = _select(S.execution_data, ("inputs_json", "outputs_json"), S.execution_data.c.node_id == bindparam("id"), ["id"])
_INPUTS = _select(S.node_inputs, ("inputs_json",), S.node_inputs.c.node_id == bindparam("id"), ["id"])
_CONTEXTS = _sql(select(*(S.context_values.c[c] for c in R.CONTEXT_COLUMNS))
                 .where(_in_json(S.context_values.c.scope_id, "ids"))
                 .order_by(literal_column("context_values.rowid")), ["ids"])  # first-insertion order
_SCHEDULE = _select(S.schedules, R.SCHEDULE_COLUMNS, S.schedules.c.id == bindparam("id"), ["id"])
_ROOT_DATA = _select(S.pipelines, ("root_data_json",), S.pipelines.c.root_id == bindparam("id"), ["id"])
# The nodes read ahead that have execution data or node inputs: [id, data inputs, data outputs, node inputs].
_AHEAD = """SELECT a.value, e.inputs_json, e.outputs_json, i.inputs_json FROM json_each(?) AS a
LEFT JOIN execution_data AS e ON e.node_id = a.value LEFT JOIN node_inputs AS i ON i.node_id = a.value
WHERE e.node_id IS NOT NULL OR i.node_id IS NOT NULL"""


class SqliteOps:
    """Commit and load_step for SQLite (the same contract as ``PgOps``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def commit(self, rows: R.CommitRows) -> list[ExecuteItem]:
        with self._db.sqlite_write_lock(), self._db.raw() as conn:
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                _check_guards(cur, rows.guards)
                resumed = _write(cur, rows)
                cur.execute("COMMIT")
                return resumed
            except BaseException:
                _rollback(conn)
                raise

    def commit_many(self, batch: Sequence[R.CommitRows]) -> list[list[ExecuteItem] | BaseException]:
        """Apply each commit that holds, in one transaction, each in its own savepoint."""
        outcomes: list[list[ExecuteItem] | BaseException] = []
        with self._db.sqlite_write_lock(), self._db.raw() as conn:
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for rows in batch:
                    cur.execute("SAVEPOINT bamboo_commit")
                    try:
                        _check_guards(cur, rows.guards)
                        outcomes.append(_write(cur, rows))
                    except (StateConflictError, sqlite3.IntegrityError, sqlite3.DataError) as exc:
                        cur.execute("ROLLBACK TO SAVEPOINT bamboo_commit")
                        outcomes.append(exc)
                    cur.execute("RELEASE SAVEPOINT bamboo_commit")
                cur.execute("COMMIT")
                return outcomes
            except BaseException:
                _rollback(conn)
                raise

    def create(self, root_id: str, tree_json: str, root_data_json: str, node_ids: Sequence[str],
               rows: R.CommitRows) -> list[ExecuteItem]:
        with self._db.sqlite_write_lock(), self._db.raw() as conn:
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                taken = sorted(row[0] for row in cur.execute(_TAKEN, (json.dumps(list(node_ids)),)))
                if taken:
                    raise AlreadyExistsError(f"ids already used by another pipeline: {taken[:5]}")
                cur.execute(_PIPELINE, (root_id, tree_json, root_data_json))
                cur.executemany(_NODE_ROOT, [(node_id, root_id) for node_id in node_ids])
                resumed = _write(cur, rows)
                cur.execute("COMMIT")
                return resumed
            except BaseException:
                _rollback(conn)
                raise

    def load_step(self, process_id: str, node_id: str, schedule_id: str, want_root: bool,
                  ahead: Sequence[str] = ()) -> tuple[Any, ...] | None:
        """The same shape as ``PgOps.load_step``."""
        with self._db.raw() as conn:
            cur = conn.cursor()
            cur.execute("BEGIN")  # one snapshot for all the reads
            try:
                return _load(cur, process_id, node_id, schedule_id, want_root, ahead)
            finally:
                _rollback(conn)  # nothing was written: ending the read transaction is all


def _rollback(conn: Any) -> None:
    if conn.dbapi_connection is not None and conn.dbapi_connection.in_transaction:
        conn.dbapi_connection.execute("ROLLBACK")


def _load(cur: Any, process_id: str, node_id: str, schedule_id: str, want_root: bool,
          ahead: Sequence[str]) -> tuple[Any, ...] | None:
    process = cur.execute(_PROCESS, (process_id,)).fetchone()
    if process is None:
        return None
    stack = json.loads(process[3])
    states = cur.execute(_STATES, (json.dumps([*stack, node_id, *ahead]),)).fetchall()
    data = cur.execute(_DATA, (node_id,)).fetchone()
    inputs = cur.execute(_INPUTS, (node_id,)).fetchone()
    contexts = cur.execute(_CONTEXTS, (json.dumps([*stack, *ahead]),)).fetchall()  # subprocesses ahead too
    schedule = cur.execute(_SCHEDULE, (schedule_id,)).fetchone() if schedule_id else None
    root = cur.execute(_ROOT_DATA, (process[1],)).fetchone() if want_root else None
    rows_ahead = cur.execute(_AHEAD, (json.dumps(list(ahead)),)).fetchall() if ahead else None
    return (*process, states or None, data, inputs[0] if inputs else None, contexts or None, schedule,
            root[0] if root else None, rows_ahead or None)


def _check_guards(cur: Any, guards: dict[GuardKind, list[tuple[str, Any]]]) -> None:
    for kind in R.GUARD_ORDER:
        entries = guards.get(kind)
        if not entries:
            continue
        current = dict(cur.execute(_GUARDS[kind], (json.dumps([i for i, _ in entries]),)).fetchall())
        for record_id, expected in entries:
            if current.get(record_id) != expected:
                raise StateConflictError(
                    f"{kind.value} {record_id!r} is at {current.get(record_id)!r}, expected {expected!r}")


def _write(cur: Any, rows: R.CommitRows) -> list[ExecuteItem]:
    resumed: list[ExecuteItem] = []
    for sql, attr in _WRITES:
        if attr == "arrivals":
            for child_id in rows.arrivals:
                for process_id, root_id, node_id, version, need_ack in cur.execute(_ARRIVE, (child_id,)).fetchall():
                    if need_ack == 0:
                        resumed.append(ExecuteItem(root_id, process_id, node_id, version))
            continue
        values = getattr(rows, attr)
        if values:
            cur.executemany(sql, values)
    outbox = [*rows.outbox, *(R.work_message(item) for item in resumed)]
    if outbox:
        cur.executemany(_OUTBOX, outbox)
    return resumed
