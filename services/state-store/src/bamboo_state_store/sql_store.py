"""``SqlStore``: the engine's ``StateStore`` on SQLite or PostgreSQL, with a transactional outbox.

Semantics are MemoryStore's, row for row (guards, join arrivals, outputs that keep
inputs, context upserts, history ids, the schedule-by-attempt index, ``on_commit``).
What it adds is durability and the outbox: every commit writes its work items and
events as ``outbox`` rows (serialized ``bamboo.v1`` messages) and its timers as
``timers`` rows, in the same transaction as the state they belong to, for the relay
to publish (``pending_outbox`` / ``delete_outbox``) and the timer pump to release
(``fire_due_timers``).

Reads of things that never change once written (a run's model and root data, which
run an id belongs to) are cached in process; everything else is read from the
database, so several stores (replicas, or a restarted one) can share it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Table, and_, bindparam, delete, func, insert, literal_column, select, text

from bamboo_core.errors import NotFoundError
from bamboo_core.model import DataInput, PipelineModel, build_model
from bamboo_core.ports import Commit, NodeRows, StepSnapshot
from bamboo_core.records import ContextValue, ExecuteItem, ExecutionData, History, NodeState, Process, Schedule
from bamboo_state_store.codec import to_json
from bamboo_state_store.db import rows as R
from bamboo_state_store.db import schema as S
from bamboo_state_store.db.engine import Database
from bamboo_state_store.db.migrations import migrate
from bamboo_state_store.db.pg_ops import PgOps
from bamboo_state_store.db.sqlite_ops import SqliteOps

log = logging.getLogger(__name__)

OnCommit = Callable[[Commit], None]
_QUERIES: dict[str, dict[str, str]] = {}  # per dialect: compiling costs milliseconds
_K = TypeVar("_K")
_V = TypeVar("_V")

_FIRE_DUE_PG = text("""
WITH due AS (SELECT id FROM timers WHERE due <= :now ORDER BY due, id LIMIT :limit FOR UPDATE SKIP LOCKED),
     moved AS (DELETE FROM timers AS t USING due WHERE t.id = due.id RETURNING t.id, t.due, t.subject, t.payload)
INSERT INTO outbox (subject, payload) SELECT subject, payload FROM moved ORDER BY due, id
""")


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A committed message waiting for the relay; ``id`` ascends in commit order."""

    id: int
    subject: str
    payload: bytes


class _Cache(Generic[_K, _V]):
    """A bounded map of immutable facts; dropping everything when full is good enough."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: dict[_K, _V] = {}

    def get(self, key: _K) -> _V | None:
        return self._items.get(key)

    def clear(self) -> None:
        self._items.clear()

    def put(self, key: _K, value: _V) -> None:
        if len(self._items) >= self._size:
            self._items.clear()
        self._items[key] = value


class SqlStore:
    """A ``StateStore`` over ``url`` (``sqlite:///PATH`` or ``postgresql+psycopg2://...``).

    Opening applies pending migrations. Thread-safe: each call uses its own pooled connection.
    """

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self._db = Database(url, pool_size=pool_size)
        try:
            migrate(self._db)
            with self._db.reading() as conn:
                self._store_id = str(conn.scalar(select(S.store_meta.c.value).where(S.store_meta.c.key == "store_id")))
        except BaseException:
            self._db.dispose()
            raise
        self._ops: PgOps | SqliteOps = (PgOps(self._db) if self._db.dialect == "postgresql"
                                        else SqliteOps(self._db))
        self._on_commit: OnCommit | None = None
        self._models: _Cache[str, PipelineModel] = _Cache(256)
        self._root_data: _Cache[str, Mapping[str, Any]] = _Cache(4096)
        self._root_of: _Cache[str, str] = _Cache(100_000)
        self._process_root: _Cache[str, str] = _Cache(100_000)
        self._sql = _QUERIES.get(self._db.dialect) or _QUERIES.setdefault(self._db.dialect, _queries(self._db))

    @property
    def store_id(self) -> str:
        """Random, made by the first migration: the relay's message ids are ``f"{store_id}:{outbox id}"``."""
        return self._store_id

    @property
    def dialect(self) -> str:
        return self._db.dialect

    def set_on_commit(self, on_commit: OnCommit | None) -> None:
        """Called after each successful commit that has work, timers or events (as MemoryStore)."""
        self._on_commit = on_commit

    def clear_caches(self) -> None:
        """Forget what this store cached; for tests that empty the database under a live store."""
        for cache in (self._models, self._root_data, self._root_of, self._process_root):
            cache.clear()

    def close(self) -> None:
        self._db.dispose()

    # -- writes ---------------------------------------------------------------------

    def create_pipeline(self, model: PipelineModel, root_data: Mapping[str, Any], commit: Commit) -> None:
        tree_json = to_json(model.tree, "tree")
        root_data_json = to_json(dict(root_data), "root_data")
        rows = R.encode_commit(commit)
        rows.guards = {}  # the first commit of a run applies unguarded, as in MemoryStore
        resumed = self._ops.create(model.root_id, tree_json, root_data_json, [model.root_id, *model.nodes], rows)
        self._models.put(model.root_id, model)
        self._root_data.put(model.root_id, json.loads(root_data_json))
        self._done(commit, resumed)

    def commit(self, commit: Commit) -> None:
        self._done(commit, self._ops.commit(R.encode_commit(commit)))

    def commit_many(self, commits: Sequence[Commit]) -> list[BaseException | None]:
        """Apply several commits in one transaction (group commit); each holds or fails alone.

        Returns one outcome per commit: None if it was applied, else its error
        (StateConflictError, ValueError for a value that is not JSON data ...). The
        commits apply in order, as if committed one after another; ``on_commit`` runs
        for each applied one after the transaction. An error of the transaction itself
        (the database went away) is raised: then none was applied.
        """
        outcomes: list[BaseException | None] = [None] * len(commits)
        encoded: list[tuple[int, R.CommitRows]] = []
        for index, commit in enumerate(commits):
            try:
                encoded.append((index, R.encode_commit(commit)))
            except ValueError as exc:
                outcomes[index] = exc
        applied = self._ops.commit_many([rows for _, rows in encoded]) if encoded else []
        for (index, _), result in zip(encoded, applied):
            if isinstance(result, BaseException):
                outcomes[index] = result
                continue
            try:
                self._done(commits[index], result)
            except Exception:  # the commit did land: its outcome must say so
                log.exception("on_commit failed after a group commit")
        return outcomes

    def _done(self, commit: Commit, resumed: list[ExecuteItem]) -> None:
        commit.work.extend(resumed)  # MemoryStore hands resumed parents' work to on_commit too
        if self._on_commit is not None and (commit.work or commit.timers or commit.events):
            self._on_commit(commit)

    # -- the step read ----------------------------------------------------------------

    def load_step(self, process_id: str, node_id: str, schedule_id: str = "",
                  ahead: Sequence[str] = ()) -> StepSnapshot | None:
        """The step's rows, and those of each node in ``ahead`` (``StepSnapshot.ahead``), in one read."""
        root_id = self._process_root.get(process_id)
        root_data = self._root_data.get(root_id) if root_id is not None else None
        row = self._ops.load_step(process_id, node_id, schedule_id, root_data is None, ahead)
        if row is None:
            return None
        process = R.process_from_row(row)
        states_rows, data, inputs, context_rows, schedule, root_json, ahead_rows = row[10:17]
        states = {s[0]: R.state_from_row(s) for s in states_rows or ()}
        contexts: dict[str, dict[str, ContextValue]] = {scope: {} for scope in process.stack}
        for scope_id, key, type_, value_json, code in context_rows or ():
            contexts.setdefault(scope_id, {})[key] = R.context_value_from_row(key, type_, value_json, code)
        if root_data is None:
            root_data = {}
            if root_json is not None:  # (no pipeline row: only a store fed commits by hand)
                root_data = json.loads(root_json)
                self._root_data.put(process.root_id, root_data)
                self._process_root.put(process_id, process.root_id)
        return StepSnapshot(
            process=process,
            pipeline_states={p: states[p] for p in process.stack if p in states},
            state=states.get(node_id),
            execution_data=R.execution_data_from_row(*data) if data is not None else None,
            node_inputs=R.node_inputs_from_json(inputs) if inputs is not None else None,
            contexts=contexts,
            root_data=root_data,
            schedule=R.schedule_from_row(schedule) if schedule is not None else None,
            ahead=_rows_ahead(ahead, states, ahead_rows) if ahead else {},
        )

    # -- queries --------------------------------------------------------------------

    def model(self, root_id: str) -> PipelineModel:
        model = self._models.get(root_id)
        if model is None:
            tree_json = self._one("tree", root_id)
            if tree_json is None:
                raise NotFoundError(f"pipeline {root_id!r} does not exist")
            model = build_model(json.loads(tree_json[0]))
            self._models.put(root_id, model)
        return model

    def root_of(self, node_id: str) -> str | None:
        root_id = self._root_of.get(node_id)
        if root_id is None:
            row = self._one("root_of", node_id)
            if row is not None:
                root_id = row[0]
                self._root_of.put(node_id, root_id)
        return root_id

    def get_state(self, node_id: str) -> NodeState | None:
        row = self._one("state", node_id)
        return R.state_from_row(row) if row is not None else None

    def get_states(self, root_id: str) -> Sequence[NodeState]:
        return [R.state_from_row(row) for row in self._db.query(self._sql["states"], {"id": root_id})]

    def get_execution_data(self, node_id: str) -> ExecutionData | None:
        row = self._one("execution_data", node_id)
        return R.execution_data_from_row(*row) if row is not None else None

    def get_node_inputs(self, node_id: str) -> Mapping[str, DataInput] | None:
        row = self._one("node_inputs", node_id)
        return R.node_inputs_from_json(row[0]) if row is not None else None

    def get_histories(self, node_id: str) -> Sequence[History]:
        return [R.history_from_row(row[0], row[1:]) for row in self._db.query(self._sql["histories"], {"id": node_id})]

    def get_context(self, scope_id: str) -> Mapping[str, ContextValue]:
        rows = self._db.query(self._sql["context"], {"id": scope_id})
        return {row[0]: R.context_value_from_row(*row) for row in rows}

    def get_processes(self, root_id: str) -> Sequence[Process]:
        return [R.process_from_row(row) for row in self._db.query(self._sql["processes"], {"id": root_id})]

    def get_schedule(self, node_id: str, node_version: str) -> Schedule | None:
        rows = self._db.query(self._sql["schedule"], {"id": node_id, "version": node_version})
        return R.schedule_from_row(rows[0]) if rows else None

    def get_root_data(self, root_id: str) -> Mapping[str, Any]:
        root_data = self._root_data.get(root_id)
        if root_data is None:
            row = self._one("root_data", root_id)
            if row is None:
                return {}
            root_data = json.loads(row[0])
            self._root_data.put(root_id, root_data)
        return root_data

    def _one(self, query: str, key: str) -> Any:
        rows = self._db.query(self._sql[query], {"id": key})
        return rows[0] if rows else None

    # -- outbox and timers ------------------------------------------------------------

    def pending_outbox(self, limit: int) -> list[OutboxRow]:
        """The oldest ``limit`` unpublished messages, ascending ``id``."""
        rows = self._db.query(self._sql["outbox"], {"limit": limit})
        return [OutboxRow(row[0], row[1], bytes(row[2])) for row in rows]

    def delete_outbox(self, ids: Sequence[int]) -> None:
        """Forget published messages (ids not present are ignored)."""
        if not ids:
            return
        if self._db.dialect == "postgresql":
            # One statement on the raw driver, autocommit: the relay deletes after every
            # publish, and SQLAlchemy's per-transaction set-up cost more than the delete.
            with self._db.raw() as conn:
                cursor = conn.cursor()
                try:
                    cursor.execute("DELETE FROM outbox WHERE id = ANY(%(ids)s)", {"ids": list(ids)})
                finally:
                    cursor.close()
            return
        with self._db.transaction() as conn:
            for start in range(0, len(ids), 500):
                conn.execute(delete(S.outbox).where(S.outbox.c.id.in_(list(ids[start:start + 500]))))

    def next_timer_due(self) -> float | None:
        due = self._db.query(self._sql["next_due"], {})[0][0]
        return float(due) if due is not None else None

    def fire_due_timers(self, now: float, limit: int) -> int:
        """Move up to ``limit`` timers due at ``now`` into the outbox (earliest first); how many moved.

        Atomic, and each timer moves once even with several callers (PostgreSQL skips
        rows another caller holds; SQLite has one writer at a time).
        """
        if limit <= 0:
            return 0
        if self._db.dialect == "postgresql":
            with self._db.reading() as conn:  # autocommit: the one statement is its own transaction
                return int(conn.execute(_FIRE_DUE_PG, {"now": now, "limit": limit}).rowcount)
        t = S.timers
        with self._db.transaction() as conn:
            due = conn.execute(select(t.c.id, t.c.subject, t.c.payload).where(t.c.due <= now)
                               .order_by(t.c.due, t.c.id).limit(limit)).all()
            if due:
                conn.execute(insert(S.outbox), [{"subject": subject, "payload": payload} for _, subject, payload in due])
                conn.execute(delete(t).where(t.c.id.in_([row[0] for row in due])))
            return len(due)


def _rows_ahead(ahead: Sequence[str], states: Mapping[str, NodeState],
                rows: Sequence[Sequence[Any]] | None) -> dict[str, NodeRows]:
    """An entry for each node of ``ahead``: its state, and its ``[id, data inputs, data outputs,
    node inputs]`` row if it has one (a node with nothing stored gets an empty ``NodeRows``)."""
    found = {row[0]: row for row in rows or ()}
    result: dict[str, NodeRows] = {}
    for node_id in ahead:
        row = found.get(node_id)
        if row is None:
            result[node_id] = NodeRows(state=states.get(node_id))
            continue
        _, data_inputs, data_outputs, inputs = row
        result[node_id] = NodeRows(
            state=states.get(node_id),
            execution_data=R.execution_data_from_row(data_inputs, data_outputs) if data_inputs is not None else None,
            node_inputs=R.node_inputs_from_json(inputs) if inputs is not None else None,
        )
    return result


def _columns(table: Table, names: Sequence[str]) -> list[Any]:
    return [table.c[name] for name in names]


def _queries(db: Database) -> dict[str, str]:
    """Every read, compiled once for this dialect (parameters ``id`` / ``version`` / ``limit``)."""
    key: Any = bindparam("id")

    def rows_of(table: Table, columns: Sequence[str], where: Any, order: Any = None) -> str:
        query = select(*_columns(table, columns)).where(where)
        return db.compile(query.order_by(order) if order is not None else query)

    def first_inserted(table: Table) -> Any:  # see schema.py on ``seq``
        return literal_column(f"{table.name}.rowid") if db.dialect == "sqlite" else table.c.seq

    st, pr, cv, hi, sc = S.states, S.processes, S.context_values, S.histories, S.schedules
    limit = ":limit" if db.dialect == "sqlite" else "%(limit)s"
    return {
        "tree": rows_of(S.pipelines, ["tree_json"], S.pipelines.c.root_id == key),
        "root_data": rows_of(S.pipelines, ["root_data_json"], S.pipelines.c.root_id == key),
        "root_of": rows_of(S.node_roots, ["root_id"], S.node_roots.c.node_id == key),
        "state": rows_of(st, R.STATE_COLUMNS, st.c.node_id == key),
        "states": rows_of(st, R.STATE_COLUMNS, st.c.root_id == key, first_inserted(st)),
        "execution_data": rows_of(S.execution_data, ["inputs_json", "outputs_json"], S.execution_data.c.node_id == key),
        "node_inputs": rows_of(S.node_inputs, ["inputs_json"], S.node_inputs.c.node_id == key),
        "histories": rows_of(hi, ["id", *R.HISTORY_COLUMNS], hi.c.node_id == key, hi.c.id),
        "context": rows_of(cv, ["key", "type", "value_json", "code"], cv.c.scope_id == key, first_inserted(cv)),
        "processes": rows_of(pr, R.PROCESS_COLUMNS, pr.c.root_id == key, first_inserted(pr)),
        "schedule": rows_of(sc, R.SCHEDULE_COLUMNS, and_(sc.c.node_id == key, sc.c.node_version == bindparam("version"))),
        # (SQLAlchemy's SQLite LIMIT adds an OFFSET parameter; this one is simpler written out.)
        "outbox": f"SELECT id, subject, payload FROM outbox ORDER BY id LIMIT {limit}",
        "next_due": db.compile(select(func.min(S.timers.c.due))),
    }
