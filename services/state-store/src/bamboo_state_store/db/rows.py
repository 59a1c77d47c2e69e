"""Records <-> table rows, shared by the SQLite and the PostgreSQL paths.

A commit is encoded once, before any transaction starts, into plain tuples in the
column order below; so a value that is not JSON data fails with a ValueError naming
its field and nothing is written. Rows are decoded straight into the engine's
records (positionally: NamedTuples share the column order).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bamboo_core.component.service import ScheduleType
from bamboo_core.model import DataInput, VarType
from bamboo_core.ports import Commit, GuardKind
from bamboo_core.records import (
    ContextValue,
    Event,
    ExecuteItem,
    ExecutionData,
    History,
    NodeState,
    Process,
    ProcessStatus,
    Schedule,
    WorkItem,
)
from bamboo_core.states import State
from bamboo_proto.v1 import records_pb2 as pb
from bamboo_state_store.codec import event_to_pb, to_json, work_item_to_pb

Row = tuple[Any, ...]

STATE_COLUMNS = ("node_id", "root_id", "parent_id", "name", "version", "loop", "inner_loop", "scope_pass",
                 "retry", "skip", "error_ignored", "created_time", "started_time", "archived_time")
PROCESS_COLUMNS = ("id", "root_id", "parent_id", "stack_json", "current_node_id", "status", "version",
                   "destination_id", "suspended_by", "need_ack")
SCHEDULE_COLUMNS = ("id", "node_id", "node_version", "type", "process_id", "times", "finished", "expired",
                    "rev", "locked_until")
EXECUTION_DATA_COLUMNS = ("node_id", "inputs_json", "outputs_json")
NODE_INPUTS_COLUMNS = ("node_id", "inputs_json")
CONTEXT_COLUMNS = ("scope_id", "key", "type", "value_json", "code")
HISTORY_COLUMNS = ("node_id", "started_time", "archived_time", "loop", "retry", "skip", "version",
                   "inputs_json", "outputs_json")
TIMER_COLUMNS = ("due", "subject", "payload")
OUTBOX_COLUMNS = ("subject", "payload")

EXECUTE_SUBJECT = "bamboo.work.execute"
SCHEDULE_SUBJECT = "bamboo.work.schedule"
EVENTS_SUBJECT_PREFIX = "bamboo.events."
GUARD_ORDER = (GuardKind.STATE, GuardKind.PROCESS, GuardKind.SCHEDULE)  # the order rows are locked in

_STATES = {s.value: s for s in State}
_STATUSES = {s.value: s for s in ProcessStatus}
_SCHEDULE_TYPES = {int(t): t for t in ScheduleType}
_VAR_TYPES = {t.value: t for t in VarType}


# -- encoding -------------------------------------------------------------------------


def _mapping_json(value: Mapping[str, Any], what: str) -> str:
    return to_json(value, what) if value else "{}"


def state_row(s: NodeState) -> Row:
    return (s.node_id, s.root_id, s.parent_id, s.name.value, *s[4:])


def process_row(p: Process) -> Row:
    return (p.id, p.root_id, p.parent_id, to_json(list(p.stack), "Process.stack"), p.current_node_id,
            p.status.value, p.version, p.destination_id, p.suspended_by, p.need_ack)


def schedule_row(s: Schedule) -> Row:
    return (s.id, s.node_id, s.node_version, int(s.type), *s[4:])


def node_inputs_json(inputs: Mapping[str, DataInput], node_id: str) -> str:
    return to_json({key: {"need_render": d.need_render, "value": d.value} for key, d in inputs.items()},
                   f"node_inputs[{node_id!r}]")


def history_row(h: History) -> Row:
    return (h.node_id, h.started_time, h.archived_time, h.loop, h.retry, h.skip, h.version,
            _mapping_json(h.inputs, f"History[{h.node_id!r}].inputs"),
            _mapping_json(h.outputs, f"History[{h.node_id!r}].outputs"))


def work_message(item: WorkItem) -> tuple[str, bytes]:
    subject = EXECUTE_SUBJECT if isinstance(item, ExecuteItem) else SCHEDULE_SUBJECT
    return subject, work_item_to_pb(item).SerializeToString()


def event_messages(events: Sequence[Event]) -> list[tuple[str, bytes]]:
    """A commit's events as one ``EventBatch`` message per pipeline (in practice: one)."""
    return [(EVENTS_SUBJECT_PREFIX + root_id, pb.EventBatch(events=[event_to_pb(e) for e in group]).SerializeToString())
            for root_id, group in itertools.groupby(events, key=lambda event: event.root_id)]


@dataclass(slots=True)
class CommitRows:
    """A commit as rows, in the order the tables are written."""

    guards: dict[GuardKind, list[tuple[str, Any]]] = field(default_factory=dict)  # ids sorted
    states: list[Row] = field(default_factory=list)
    processes: list[Row] = field(default_factory=list)
    arrivals: list[str] = field(default_factory=list)
    schedules: list[Row] = field(default_factory=list)
    execution_data: list[Row] = field(default_factory=list)
    execution_outputs: list[Row] = field(default_factory=list)  # (node_id, outputs_json)
    node_inputs: list[Row] = field(default_factory=list)
    contexts: list[Row] = field(default_factory=list)
    histories: list[Row] = field(default_factory=list)
    timers: list[Row] = field(default_factory=list)
    outbox: list[Row] = field(default_factory=list)


def encode_commit(commit: Commit) -> CommitRows:
    """Every row a commit writes; ValueError (naming the field) if a value is not JSON data."""
    rows = CommitRows(arrivals=list(commit.join_arrivals))
    for guard in commit.guards:
        rows.guards.setdefault(guard.kind, []).append((guard.id, guard.expected))
    for entries in rows.guards.values():
        entries.sort(key=lambda entry: entry[0])
    rows.states = _last_wins([state_row(s) for s in commit.states])
    rows.processes = _last_wins([process_row(p) for p in commit.processes])
    rows.schedules = _last_wins([schedule_row(s) for s in commit.schedules])
    rows.execution_data = [
        (node_id, _mapping_json(d.inputs, f"execution_data[{node_id!r}].inputs"),
         _mapping_json(d.outputs, f"execution_data[{node_id!r}].outputs"))
        for node_id, d in commit.execution_data.items()
    ]  # fmt: skip
    rows.execution_outputs = [(node_id, _mapping_json(outputs, f"execution_outputs[{node_id!r}]"))
                              for node_id, outputs in commit.execution_outputs.items()]
    rows.node_inputs = [(node_id, node_inputs_json(inputs, node_id)) for node_id, inputs in commit.node_inputs.items()]
    rows.contexts = [
        (scope_id, key, value.type.value, to_json(value.value, f"contexts[{scope_id!r}][{key!r}]"), value.code)
        for scope_id, values in commit.contexts.items() for key, value in values.items()
    ]  # fmt: skip
    rows.histories = [history_row(h) for h in commit.histories]
    rows.timers = [(due, *work_message(item)) for due, item in commit.timers]
    rows.outbox = [work_message(item) for item in commit.work] + event_messages(commit.events)
    return rows


def _last_wins(rows: list[Row]) -> list[Row]:
    """One row per key (the first column), the last one written winning, as in a dict.

    A multi-row upsert may not touch one key twice (PostgreSQL refuses it).
    """
    if len(rows) < 2:
        return rows
    return list({row[0]: row for row in rows}.values())


def arrival_sql(child_param: str) -> str:
    """Count one child against its parent; the last arrival resumes the parent (as MemoryStore).

    One statement on both dialects: the decrement is atomic, and RETURNING tells the
    caller whether this arrival was the last (need_ack 0).
    """
    last = "need_ack <= 1"
    return (f"UPDATE processes SET need_ack = CASE WHEN {last} THEN 0 ELSE need_ack - 1 END, "
            f"status = CASE WHEN {last} THEN '{ProcessStatus.RUNNING.value}' ELSE status END, "
            f"version = CASE WHEN {last} THEN version + 1 ELSE version END "
            f"WHERE id = (SELECT parent_id FROM processes WHERE id = {child_param}) "
            "RETURNING id, root_id, current_node_id, version, need_ack")


# -- decoding -------------------------------------------------------------------------


def loads_object(text: str) -> dict[str, Any]:
    if text == "{}":
        return {}
    value: dict[str, Any] = json.loads(text)
    return value


def _float(value: Any) -> float | None:
    """PostgreSQL's JSON prints 1.0 as 1: floats come back as floats whatever the path."""
    return None if value is None else float(value)


def state_from_row(r: Sequence[Any]) -> NodeState:
    return NodeState(r[0], r[1], r[2], _STATES[r[3]], r[4], r[5], r[6], r[7], r[8], bool(r[9]), bool(r[10]),
                     float(r[11]), _float(r[12]), _float(r[13]))


def process_from_row(r: Sequence[Any]) -> Process:
    return Process(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], _STATUSES[r[5]], r[6], r[7], r[8], r[9])


def schedule_from_row(r: Sequence[Any]) -> Schedule:
    return Schedule(r[0], r[1], r[2], _SCHEDULE_TYPES[r[3]], r[4], r[5], bool(r[6]), bool(r[7]), r[8], float(r[9]))


def execution_data_from_row(inputs_json: str, outputs_json: str) -> ExecutionData:
    return ExecutionData(loads_object(inputs_json), loads_object(outputs_json))


def node_inputs_from_json(text: str) -> dict[str, DataInput]:
    return {key: DataInput(d["need_render"], d["value"]) for key, d in json.loads(text).items()}


def context_value_from_row(key: str, type_: str, value_json: str, code: str) -> ContextValue:
    return ContextValue(key, _VAR_TYPES[type_], json.loads(value_json), code)


def history_from_row(history_id: int, r: Sequence[Any]) -> History:
    """``r`` in HISTORY_COLUMNS order."""
    return History(r[0], _float(r[1]), _float(r[2]), r[3], r[4], bool(r[5]), r[6], loads_object(r[7]),
                   loads_object(r[8]), history_id)
