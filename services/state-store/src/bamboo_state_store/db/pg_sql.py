"""The PostgreSQL statements of the hot paths, prepared once per connection.

Every statement a step commit or a step load sends is an ``EXECUTE`` of one of these:
PostgreSQL then neither parses nor plans on the hot path (planning measured costlier
than the commit's fsync). The builders here turn rows into ``EXECUTE`` lines with
psycopg2's ``mogrify`` (its client-side quoting, as for any query), never by string
formatting; ``pg_ops`` and ``pg_batch`` send them as scripts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql

from bamboo_core.errors import StateConflictError
from bamboo_core.ports import GuardKind
from bamboo_core.records import ExecuteItem
from bamboo_state_store.db import rows as R
from bamboo_state_store.db import schema as S

Cursor = Any  # a psycopg2 cursor
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


class Prepared(NamedTuple):
    """A statement prepared once per connection, and the ``EXECUTE`` template of one call."""

    prepare: str
    execute: str


def _prepared(name: str, params: Sequence[str], body: str) -> Prepared:
    placeholders = ", ".join(["%s"] * len(params))
    return Prepared(f"PREPARE {name}({', '.join(params)}) AS {body};", f"EXECUTE {name}({placeholders});")


def _types(table: Table, columns: Sequence[str]) -> list[str]:
    return [table.c[c].type.compile(dialect=_PG) for c in columns]


def _write(name: str, table: Table, columns: Sequence[str], key: str = "") -> Prepared:
    """One row's ``INSERT``, or with ``key`` its upsert ``INSERT ... ON CONFLICT (key) DO UPDATE``."""
    values = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    body = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values})"
    if key:
        keys = {part.strip() for part in key.split(",")}
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in keys)
        body += f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
    return _prepared(name, _types(table, columns), body)


# kind -> (table, id column, version column, the row columns a commit writes)
_GUARDED = {
    GuardKind.STATE: (S.states, "node_id", "version", R.STATE_COLUMNS),
    GuardKind.PROCESS: (S.processes, "id", "version", R.PROCESS_COLUMNS),
    GuardKind.SCHEDULE: (S.schedules, "id", "rev", R.SCHEDULE_COLUMNS),
}


def _conflict_message(kind: GuardKind, current: str, expected: str) -> str:
    """SQL for MemoryStore's message: "state 'n' is at 'v1', expected 'v0'"."""
    _, id_col, version_col, _ = _GUARDED[kind]
    shown = "quote_literal({})" if kind is GuardKind.STATE else "{}::text"
    return (f"'{kind.value} ' || quote_literal($1) || ' is at ' || COALESCE({shown.format(current)}, 'None')"
            f" || ', expected ' || COALESCE({shown.format(expected)}, 'None')")


def _guard(kind: GuardKind) -> Prepared:
    """Lock one guarded row the commit does not write; abort the script unless its version is $2."""
    table, id_col, version_col, _ = _GUARDED[kind]
    body = (f"SELECT bamboo_conflict({_conflict_message(kind, 't.v', '$2')}) FROM (SELECT (SELECT {version_col} "
            f"FROM {table.name} WHERE {id_col} = $1 FOR UPDATE) AS v) AS t WHERE t.v IS DISTINCT FROM $2")
    return _prepared(f"bamboo_guard_{kind.value}", _types(table, [id_col, version_col]), body)


def _cas(kind: GuardKind) -> Prepared:
    """Write a guarded row only if it is at version $n+1: compare-and-set, the guard and the
    write in one statement (no row lock taken ahead, no WAL record for one)."""
    table, id_col, version_col, columns = _GUARDED[kind]
    expected = f"${len(columns) + 1}"
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, 1) if c != id_col)
    current = f"(SELECT {version_col} FROM {table.name} WHERE {id_col} = $1)"
    body = (f"WITH w AS (UPDATE {table.name} SET {sets} WHERE {id_col} = $1 AND {version_col} = {expected} "
            f"RETURNING 1) SELECT bamboo_conflict({_conflict_message(kind, current, expected)}) "
            "WHERE NOT EXISTS (SELECT 1 FROM w)")
    return _prepared(f"bamboo_cas_{kind.value}", _types(table, [*columns, version_col]), body)


def _cas_new(kind: GuardKind) -> Prepared:
    """Insert a row guarded as "not there yet"; abort if it is (a concurrent insert waits, then loses)."""
    table, id_col, _, columns = _GUARDED[kind]
    values = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    current = f"(SELECT {_GUARDED[kind][2]} FROM {table.name} WHERE {id_col} = $1)"
    body = (f"WITH w AS (INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values}) "
            f"ON CONFLICT ({id_col}) DO NOTHING RETURNING 1) "
            f"SELECT bamboo_conflict({_conflict_message(kind, current, 'NULL')}) WHERE NOT EXISTS (SELECT 1 FROM w)")
    return _prepared(f"bamboo_cas_new_{kind.value}", _types(table, columns), body)


STATES = _write("bamboo_up_states", S.states, R.STATE_COLUMNS, "node_id")
PROCESSES = _write("bamboo_up_processes", S.processes, R.PROCESS_COLUMNS, "id")
SCHEDULES = _write("bamboo_up_schedules", S.schedules, R.SCHEDULE_COLUMNS, "id")
EXECUTION_DATA = _write("bamboo_up_execution_data", S.execution_data, R.EXECUTION_DATA_COLUMNS, "node_id")
# Outputs only: a new row gets empty inputs, an existing row keeps its inputs.
EXECUTION_OUTPUTS = _prepared(
    "bamboo_up_execution_outputs", _types(S.execution_data, ["node_id", "outputs_json"]),
    "INSERT INTO execution_data (node_id, inputs_json, outputs_json) VALUES ($1, '{}', $2) "
    "ON CONFLICT (node_id) DO UPDATE SET outputs_json = EXCLUDED.outputs_json")
NODE_INPUTS = _write("bamboo_up_node_inputs", S.node_inputs, R.NODE_INPUTS_COLUMNS, "node_id")
CONTEXTS = _write("bamboo_up_contexts", S.context_values, R.CONTEXT_COLUMNS, "scope_id, key")
HISTORIES = _write("bamboo_add_history", S.histories, R.HISTORY_COLUMNS)
TIMERS = _write("bamboo_add_timer", S.timers, R.TIMER_COLUMNS)
OUTBOX = _write("bamboo_add_outbox", S.outbox, R.OUTBOX_COLUMNS)
PIPELINES = _write("bamboo_add_pipeline", S.pipelines, ("root_id", "tree_json", "root_data_json"))
NODE_ROOTS = _write("bamboo_add_node_root", S.node_roots, ("node_id", "root_id"))
GUARDS = {kind: _guard(kind) for kind in R.GUARD_ORDER}
CAS = {kind: _cas(kind) for kind in R.GUARD_ORDER}
CAS_NEW = {kind: _cas_new(kind) for kind in R.GUARD_ORDER}
ARRIVE = _prepared("bamboo_arrive", ["varchar"], R.arrival_sql("$1"))

_STATE_JSON = "json_build_array(" + ", ".join(f"s.{c}" for c in R.STATE_COLUMNS) + ")"
_SCHEDULE_JSON = "json_build_array(" + ", ".join(f"d.{c}" for c in R.SCHEDULE_COLUMNS) + ")"
# $1 process id, $2 node id, $3 schedule id ('' for none), $4 whether to read the root data,
# $5 the ids of the nodes read ahead ('{}' for none). Their states come with the stack's and
# the node's, the contexts of those that are subprocesses with the stack's; the last column has [id, data inputs, data outputs, node inputs] for each of
# them with execution data or node inputs stored (an empty $5 unnests to nothing: no scan).
LOAD_STEP = _prepared("bamboo_load_step", ["varchar", "varchar", "varchar", "boolean", "varchar[]"], f"""
SELECT {', '.join('p.' + c for c in R.PROCESS_COLUMNS)},
    (SELECT json_agg({_STATE_JSON}) FROM states AS s WHERE s.node_id = ANY(array_append(k.stack, $2) || $5)),
    (SELECT json_build_array(e.inputs_json, e.outputs_json) FROM execution_data AS e WHERE e.node_id = $2),
    (SELECT i.inputs_json FROM node_inputs AS i WHERE i.node_id = $2),
    (SELECT json_agg(json_build_array(c.scope_id, c.key, c.type, c.value_json, c.code) ORDER BY c.seq)
       FROM context_values AS c WHERE c.scope_id = ANY(k.stack || $5)),
    (SELECT {_SCHEDULE_JSON} FROM schedules AS d WHERE d.id = $3),
    (SELECT r.root_data_json FROM pipelines AS r WHERE r.root_id = p.root_id AND $4),
    (SELECT json_agg(json_build_array(a.id, e.inputs_json, e.outputs_json, i.inputs_json))
       FROM unnest($5) AS a(id)
       LEFT JOIN execution_data AS e ON e.node_id = a.id
       LEFT JOIN node_inputs AS i ON i.node_id = a.id
      WHERE e.node_id IS NOT NULL OR i.node_id IS NOT NULL)
FROM processes AS p
CROSS JOIN LATERAL (SELECT ARRAY(SELECT json_array_elements_text(p.stack_json::json))::varchar[] AS stack) AS k
WHERE p.id = $1""")

_ALL_PREPARED = (STATES, PROCESSES, SCHEDULES, EXECUTION_DATA, EXECUTION_OUTPUTS, NODE_INPUTS, CONTEXTS,
                 HISTORIES, TIMERS, OUTBOX, PIPELINES, NODE_ROOTS, *GUARDS.values(), *CAS.values(),
                 *CAS_NEW.values(), ARRIVE, LOAD_STEP)
PREPARE_ALL = "\n".join(p.prepare for p in _ALL_PREPARED)
PREPARED_KEY = "bamboo_prepared"


def advisory_key(kind: GuardKind, record_id: str) -> int:
    """A stable signed 64-bit key for "the row of this kind and id", for pg_advisory_xact_lock."""
    digest = hashlib.blake2b(f"{kind.value}:{record_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def check_guard_types(guards: dict[GuardKind, list[tuple[str, Any]]]) -> None:
    """A guard whose expected value has the wrong type can never hold (as in MemoryStore's ``!=``)."""
    for kind, entries in guards.items():
        wanted: type = str if kind is GuardKind.STATE else int
        for record_id, expected in entries:
            if expected is not None and not isinstance(expected, wanted):
                raise StateConflictError(f"{kind.value} {record_id!r}: expected {expected!r} is not a {wanted.__name__}")


class Script:
    """Statements to send in one round trip, quoted by a single ``mogrify`` when sent.

    (One C call for the whole script rather than one per statement: the per-call cost
    showed in profiles.) No static part of a script contains a literal ``%``.
    """

    __slots__ = ("_sql", "_params")

    def __init__(self, *sql: str) -> None:
        self._sql: list[str] = list(sql)
        self._params: list[Any] = []

    def add(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._sql.append(sql)
        self._params += params

    def add_rows(self, statement: Prepared, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self._sql.append(statement.execute)
            self._params += row

    def send(self, cur: Cursor) -> None:
        text = "\n".join(self._sql)
        cur.execute(cur.mogrify(text, self._params) if self._params else text.encode())


_UNGUARDED = object()


def add_commit(script: Script, rows: R.CommitRows) -> None:
    """One commit's guards and writes.

    A guarded row the commit also writes is written by compare-and-set (``CAS``), which
    checks its guard as it writes. Guards on rows it does not write lock and check those
    rows first: advisory locks for "no row yet" guards, then each kind's rows in id order
    (rows.guards is sorted), one global order, so those never deadlock. Writes that
    cross other commits' in another order may deadlock; PgOps retries those.
    """
    written = {GuardKind.STATE: rows.states, GuardKind.PROCESS: rows.processes, GuardKind.SCHEDULE: rows.schedules}
    cas: dict[GuardKind, dict[str, Any]] = {kind: {} for kind in R.GUARD_ORDER}
    only: dict[GuardKind, list[tuple[str, Any]]] = {}
    for kind, entries in rows.guards.items():
        ids = {row[0] for row in written[kind]}
        for record_id, expected in entries:
            if record_id in ids and record_id not in cas[kind]:
                cas[kind][record_id] = expected
            else:
                only.setdefault(kind, []).append((record_id, expected))
    _add_guards(script, only)
    for kind, statement in ((GuardKind.STATE, STATES), (GuardKind.PROCESS, PROCESSES), (GuardKind.SCHEDULE, SCHEDULES)):
        _add_guarded_writes(script, statement, kind, written[kind], cas[kind])
    for statement, values in ((EXECUTION_DATA, rows.execution_data), (EXECUTION_OUTPUTS, rows.execution_outputs),
                              (NODE_INPUTS, rows.node_inputs), (CONTEXTS, rows.contexts),
                              (HISTORIES, rows.histories), (TIMERS, rows.timers), (OUTBOX, rows.outbox)):
        if values:
            script.add_rows(statement, values)


def _add_guards(script: Script, guards: dict[GuardKind, list[tuple[str, Any]]]) -> None:
    absent = sorted(advisory_key(kind, record_id) for kind, entries in guards.items()
                    for record_id, expected in entries if expected is None)
    for key in absent:
        script.add("SELECT pg_advisory_xact_lock(%s);", (key,))
    for kind in R.GUARD_ORDER:
        script.add_rows(GUARDS[kind], guards.get(kind, ()))


def _add_guarded_writes(script: Script, upsert: Prepared, kind: GuardKind, values: Sequence[R.Row],
                        expected_by_id: dict[str, Any]) -> None:
    for row in values:
        expected = expected_by_id.get(row[0], _UNGUARDED)
        if expected is _UNGUARDED:
            script.add(upsert.execute, row)
        elif expected is None:
            script.add(CAS_NEW[kind].execute, row)
        else:
            script.add(CAS[kind].execute, (*row, expected))


def send_arrivals(cur: Cursor, script: Script, child_ids: Sequence[str]) -> tuple[list[ExecuteItem], Script]:
    """Send ``script`` with each arrival (one round trip each, to read the counter back);
    the parents resumed, and a script that puts their work in the outbox."""
    resumed: list[ExecuteItem] = []
    for child_id in child_ids:
        script.add(ARRIVE.execute, (child_id,))
        script.send(cur)
        script = Script()
        resumed += [ExecuteItem(root_id, process_id, node_id, version)
                    for process_id, root_id, node_id, version, need_ack in cur.fetchall() if need_ack == 0]
    script.add_rows(OUTBOX, [R.work_message(item) for item in resumed])
    return resumed, script
