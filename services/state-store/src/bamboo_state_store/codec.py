"""Conversions between engine-core records and their ``bamboo.v1`` wire twins.

Every function here runs on every node step (a snapshot out, a commit in), so they
build messages with one constructor call and records positionally, and reuse one
JSON encoder/decoder instead of paying ``json.dumps``'s per-call setup.

Decoding treats its input as hostile: an enum value this code does not know (or
``*_UNSPECIFIED``), JSON that does not parse or has the wrong shape, and a missing
required sub-message raise ``ValueError`` naming the field, which the servicer turns
into ``INVALID_ARGUMENT``. JSON is strict both ways (no NaN/Infinity, which other
languages' parsers and PostgreSQL's json type reject). JSON is also lossy in the
usual ways: tuples come back as lists and non-string dict keys as strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any, TypeVar

from bamboo_core.component.service import ScheduleType
from bamboo_core.events import EventKind
from bamboo_core.model import DataInput, VarType
from bamboo_core.ports import Commit, Guard, GuardKind, NodeRows, StepSnapshot
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
    ScheduleItem,
    WorkItem,
)
from bamboo_core.states import State
from bamboo_proto.v1 import records_pb2 as pb
from bamboo_proto.v1 import state_store_pb2 as spb

_T = TypeVar("_T")
_E = TypeVar("_E", bound=Enum)

# -- JSON -----------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _encode_other(value: Any) -> Any:
    """Encode read-only mappings as objects: the domain types its values as ``Mapping``."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_encode_other)
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def to_json(value: Any, field: str) -> str:
    """``value`` as compact JSON text; ValueError naming ``field`` if it is not JSON data."""
    try:
        text = _ENCODER.encode(value)
        if not text.isascii():
            text.encode("utf-8")  # lone surrogates: protobuf strings must be valid UTF-8
        return text
    except (TypeError, ValueError, RecursionError) as exc:  # UnicodeEncodeError is a ValueError
        raise ValueError(f"{field}: value is not JSON-serialisable: {exc}") from exc


def from_json(text: str, field: str) -> Any:
    """Parse JSON text from the wire; ValueError naming ``field`` if it is empty or malformed."""
    if not text:
        raise ValueError(f"{field}: missing (empty JSON text)")
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise ValueError(f"{field}: malformed JSON: {exc}") from exc


def from_json_object(text: str, field: str) -> dict[str, Any]:
    """Like ``from_json`` for fields that must hold a JSON object (inputs, outputs, data)."""
    if text == "{}":  # the common case, without the parser
        return {}
    value = from_json(text, field)
    if not isinstance(value, dict):
        raise ValueError(f"{field}: expected a JSON object, got {type(value).__name__}")
    return value


def _mapping_json(value: Mapping[str, Any], field: str) -> str:
    return to_json(value, field) if value else "{}"


# -- enums ----------------------------------------------------------------------------


def _enum_maps(domain: type[_E], wire: Any, prefix: str) -> tuple[dict[_E, Any], dict[int, _E]]:
    """Pair each domain member with the wire value of the same name, both ways.

    Building by name fails at import if either side gains a member the other lacks,
    so the maps can never silently drift from the proto.
    """
    to_pb = {member: wire.Value(prefix + member.name) for member in domain}
    wire_names = {name for name in wire.keys() if not name.endswith("_UNSPECIFIED")}
    if wire_names != {prefix + member.name for member in domain}:
        raise ImportError(f"{wire.DESCRIPTOR.name} and {domain.__name__} differ: {sorted(wire_names)}")
    return to_pb, {number: member for member, number in to_pb.items()}


STATE_TO_PB, STATE_FROM_PB = _enum_maps(State, pb.NodeStateName, "NODE_STATE_NAME_")
PROCESS_STATUS_TO_PB, PROCESS_STATUS_FROM_PB = _enum_maps(ProcessStatus, pb.ProcessStatus, "PROCESS_STATUS_")
SCHEDULE_TYPE_TO_PB, SCHEDULE_TYPE_FROM_PB = _enum_maps(ScheduleType, pb.ScheduleType, "SCHEDULE_TYPE_")
VAR_TYPE_TO_PB, VAR_TYPE_FROM_PB = _enum_maps(VarType, pb.VarType, "VAR_TYPE_")
GUARD_KIND_TO_PB, GUARD_KIND_FROM_PB = _enum_maps(GuardKind, spb.GuardKind, "GUARD_KIND_")
EVENT_KIND_FROM_PB: dict[str, EventKind] = {kind.value: kind for kind in EventKind}


def _member(table: Mapping[Any, _T], value: Any, field: str) -> _T:
    try:
        return table[value]
    except KeyError:
        raise ValueError(f"{field}: unknown or unspecified value {value!r}") from None


def _decode_all(field: str, decode: Callable[[Any], _T], items: Iterable[Any]) -> list[_T]:
    """Decode a repeated field, prefixing any error with the field's name."""
    try:
        return [decode(item) for item in items]
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from exc


def _in_stack_order(states: dict[str, NodeState], stack: tuple[str, ...]) -> dict[str, NodeState]:
    """Protobuf maps have no order; a snapshot's pipeline states follow the process stack."""
    ordered = {pipeline_id: states[pipeline_id] for pipeline_id in stack if pipeline_id in states}
    ordered.update(states)
    return ordered


def _decode_map(field: str, decode: Callable[[Any], _T], items: Mapping[str, Any]) -> dict[str, _T]:
    try:
        return {key: decode(value) for key, value in items.items()}
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from exc


def _optional(message: Any, name: str) -> float | None:
    return getattr(message, name) if message.HasField(name) else None


# -- records --------------------------------------------------------------------------


def state_to_pb(state: NodeState) -> pb.NodeState:
    return pb.NodeState(
        node_id=state.node_id, root_id=state.root_id, parent_id=state.parent_id,
        name=STATE_TO_PB[state.name], version=state.version, loop=state.loop,
        inner_loop=state.inner_loop, scope_pass=state.scope_pass, retry=state.retry,
        skip=state.skip, error_ignored=state.error_ignored, created_time=state.created_time,
        started_time=state.started_time, archived_time=state.archived_time,
    )  # fmt: skip


def state_from_pb(m: pb.NodeState) -> NodeState:
    return NodeState(
        m.node_id, m.root_id, m.parent_id, _member(STATE_FROM_PB, m.name, "NodeState.name"),
        m.version, m.loop, m.inner_loop, m.scope_pass, m.retry, m.skip, m.error_ignored,
        m.created_time, _optional(m, "started_time"), _optional(m, "archived_time"),
    )  # fmt: skip


def process_to_pb(process: Process) -> pb.Process:
    return pb.Process(
        id=process.id, root_id=process.root_id, parent_id=process.parent_id, stack=process.stack,
        current_node_id=process.current_node_id, status=PROCESS_STATUS_TO_PB[process.status],
        version=process.version, destination_id=process.destination_id,
        suspended_by=process.suspended_by, need_ack=process.need_ack,
    )  # fmt: skip


def process_from_pb(m: pb.Process) -> Process:
    return Process(
        m.id, m.root_id, m.parent_id, tuple(m.stack), m.current_node_id,
        _member(PROCESS_STATUS_FROM_PB, m.status, "Process.status"),
        m.version, m.destination_id, m.suspended_by, m.need_ack,
    )  # fmt: skip


def schedule_to_pb(schedule: Schedule) -> pb.Schedule:
    return pb.Schedule(
        id=schedule.id, node_id=schedule.node_id, node_version=schedule.node_version,
        type=SCHEDULE_TYPE_TO_PB[schedule.type], process_id=schedule.process_id,
        times=schedule.times, finished=schedule.finished, expired=schedule.expired,
        rev=schedule.rev, locked_until=schedule.locked_until,
    )  # fmt: skip


def schedule_from_pb(m: pb.Schedule) -> Schedule:
    return Schedule(
        m.id, m.node_id, m.node_version, _member(SCHEDULE_TYPE_FROM_PB, m.type, "Schedule.type"),
        m.process_id, m.times, m.finished, m.expired, m.rev, m.locked_until,
    )  # fmt: skip


def execution_data_to_pb(data: ExecutionData) -> pb.ExecutionData:
    return pb.ExecutionData(
        inputs_json=_mapping_json(data.inputs, "ExecutionData.inputs"),
        outputs_json=_mapping_json(data.outputs, "ExecutionData.outputs"),
    )


def execution_data_from_pb(m: pb.ExecutionData) -> ExecutionData:
    return ExecutionData(
        from_json_object(m.inputs_json, "ExecutionData.inputs_json"),
        from_json_object(m.outputs_json, "ExecutionData.outputs_json"),
    )


def history_to_pb(history: History) -> pb.History:
    return pb.History(
        id=history.id, node_id=history.node_id, started_time=history.started_time,
        archived_time=history.archived_time, loop=history.loop, retry=history.retry,
        skip=history.skip, version=history.version,
        inputs_json=_mapping_json(history.inputs, "History.inputs"),
        outputs_json=_mapping_json(history.outputs, "History.outputs"),
    )  # fmt: skip


def history_from_pb(m: pb.History) -> History:
    return History(
        m.node_id, _optional(m, "started_time"), _optional(m, "archived_time"), m.loop, m.retry,
        m.skip, m.version, from_json_object(m.inputs_json, "History.inputs_json"),
        from_json_object(m.outputs_json, "History.outputs_json"), m.id,
    )  # fmt: skip


def context_value_to_pb(value: ContextValue) -> pb.ContextValue:
    return pb.ContextValue(
        key=value.key, type=VAR_TYPE_TO_PB[value.type],
        value_json=to_json(value.value, "ContextValue.value"), code=value.code,
    )  # fmt: skip


def context_value_from_pb(m: pb.ContextValue) -> ContextValue:
    return ContextValue(
        m.key, _member(VAR_TYPE_FROM_PB, m.type, "ContextValue.type"),
        from_json(m.value_json, "ContextValue.value_json"), m.code,
    )  # fmt: skip


def context_values_to_pb(values: Mapping[str, ContextValue]) -> pb.ContextValues:
    return pb.ContextValues(values=[context_value_to_pb(value) for value in values.values()])


def context_values_from_pb(m: pb.ContextValues) -> dict[str, ContextValue]:
    """A scope's values keyed by their own ``key`` (the domain keeps them that way)."""
    return {value.key: value for value in map(context_value_from_pb, m.values)}


def data_input_to_pb(data_input: DataInput) -> pb.DataInput:
    return pb.DataInput(need_render=data_input.need_render, value_json=to_json(data_input.value, "DataInput.value"))


def data_input_from_pb(m: pb.DataInput) -> DataInput:
    return DataInput(m.need_render, from_json(m.value_json, "DataInput.value_json"))


def node_inputs_to_pb(inputs: Mapping[str, DataInput]) -> pb.NodeInputs:
    return pb.NodeInputs(inputs={key: data_input_to_pb(value) for key, value in inputs.items()})


def node_inputs_from_pb(m: pb.NodeInputs) -> dict[str, DataInput]:
    return _decode_map("NodeInputs.inputs", data_input_from_pb, m.inputs)


# -- work, timers, events -------------------------------------------------------------


def work_item_to_pb(item: WorkItem) -> pb.WorkItem:
    if isinstance(item, ExecuteItem):
        return pb.WorkItem(execute=pb.ExecuteItem(
            root_id=item.root_id, process_id=item.process_id, node_id=item.node_id,
            process_version=item.process_version,
        ))  # fmt: skip
    return pb.WorkItem(schedule=pb.ScheduleItem(
        root_id=item.root_id, process_id=item.process_id, node_id=item.node_id,
        schedule_id=item.schedule_id, is_callback=item.is_callback,
        callback_data_json=to_json(item.callback_data, "ScheduleItem.callback_data"),
    ))  # fmt: skip


def work_item_from_pb(m: pb.WorkItem) -> WorkItem:
    kind = m.WhichOneof("item")
    if kind == "execute":
        e = m.execute
        return ExecuteItem(e.root_id, e.process_id, e.node_id, e.process_version)
    if kind == "schedule":
        s = m.schedule
        data = from_json(s.callback_data_json, "ScheduleItem.callback_data_json")
        return ScheduleItem(s.root_id, s.process_id, s.node_id, s.schedule_id, data, s.is_callback)
    raise ValueError("WorkItem.item: missing (neither execute nor schedule is set)")


def timer_to_pb(due: float, item: WorkItem) -> pb.Timer:
    return pb.Timer(due=due, item=work_item_to_pb(item))


def timer_from_pb(m: pb.Timer) -> tuple[float, WorkItem]:
    if not m.HasField("item"):
        raise ValueError("Timer.item: missing")
    return m.due, work_item_from_pb(m.item)


def event_to_pb(event: Event) -> pb.Event:
    return pb.Event(
        kind=event.kind.value, root_id=event.root_id, node_id=event.node_id,
        data_json=_mapping_json(event.data, "Event.data"), time=event.time,
    )  # fmt: skip


def event_from_pb(m: pb.Event) -> Event:
    return Event(
        _member(EVENT_KIND_FROM_PB, m.kind, "Event.kind"), m.root_id, m.node_id,
        from_json_object(m.data_json, "Event.data_json"), m.time,
    )  # fmt: skip


# -- guards, commits, snapshots -------------------------------------------------------


def guard_to_pb(guard: Guard) -> spb.Guard:
    kind = GUARD_KIND_TO_PB[guard.kind]
    expected = guard.expected
    if expected is None:
        return spb.Guard(kind=kind, id=guard.id)
    if isinstance(expected, str):
        return spb.Guard(kind=kind, id=guard.id, version=expected)
    return spb.Guard(kind=kind, id=guard.id, number=expected)


def guard_from_pb(m: spb.Guard) -> Guard:
    """A guard; a state guard compares a version string, the others a number."""
    kind = _member(GUARD_KIND_FROM_PB, m.kind, "Guard.kind")
    which = m.WhichOneof("expected")
    if which is None:
        return Guard(kind, m.id, None)
    if (which == "version") != (kind is GuardKind.STATE):
        wanted = "version" if kind is GuardKind.STATE else "number"
        raise ValueError(f"Guard.expected: a {kind.value} guard compares a {wanted}, got {which}")
    return Guard(kind, m.id, m.version if which == "version" else m.number)


def commit_to_pb(commit: Commit) -> spb.Commit:
    return spb.Commit(
        root_id=commit.root_id,
        guards=[guard_to_pb(guard) for guard in commit.guards],
        states=[state_to_pb(state) for state in commit.states],
        processes=[process_to_pb(process) for process in commit.processes],
        join_arrivals=commit.join_arrivals,
        schedules=[schedule_to_pb(schedule) for schedule in commit.schedules],
        execution_data={key: execution_data_to_pb(data) for key, data in commit.execution_data.items()},
        execution_outputs_json={
            key: _mapping_json(outputs, "Commit.execution_outputs") for key, outputs in commit.execution_outputs.items()
        },
        node_inputs={key: node_inputs_to_pb(inputs) for key, inputs in commit.node_inputs.items()},
        contexts={key: context_values_to_pb(values) for key, values in commit.contexts.items()},
        histories=[history_to_pb(history) for history in commit.histories],
        work=[work_item_to_pb(item) for item in commit.work],
        timers=[timer_to_pb(due, item) for due, item in commit.timers],
        events=[event_to_pb(event) for event in commit.events],
    )


def _outputs_from_json(text: str) -> dict[str, Any]:
    return from_json_object(text, "value")


def commit_from_pb(m: spb.Commit) -> Commit:
    return Commit(
        root_id=m.root_id,
        guards=_decode_all("Commit.guards", guard_from_pb, m.guards),
        states=_decode_all("Commit.states", state_from_pb, m.states),
        processes=_decode_all("Commit.processes", process_from_pb, m.processes),
        join_arrivals=list(m.join_arrivals),
        schedules=_decode_all("Commit.schedules", schedule_from_pb, m.schedules),
        execution_data=_decode_map("Commit.execution_data", execution_data_from_pb, m.execution_data),
        execution_outputs=_decode_map("Commit.execution_outputs_json", _outputs_from_json, m.execution_outputs_json),
        node_inputs=_decode_map("Commit.node_inputs", node_inputs_from_pb, m.node_inputs),
        contexts=_decode_map("Commit.contexts", context_values_from_pb, m.contexts),
        histories=_decode_all("Commit.histories", history_from_pb, m.histories),
        work=_decode_all("Commit.work", work_item_from_pb, m.work),
        timers=_decode_all("Commit.timers", timer_from_pb, m.timers),
        events=_decode_all("Commit.events", event_from_pb, m.events),
    )


def snapshot_to_pb(snapshot: StepSnapshot) -> spb.StepSnapshot:
    data, inputs = snapshot.execution_data, snapshot.node_inputs
    state, schedule = snapshot.state, snapshot.schedule
    return spb.StepSnapshot(
        process=process_to_pb(snapshot.process),
        pipeline_states={key: state_to_pb(value) for key, value in snapshot.pipeline_states.items()},
        state=None if state is None else state_to_pb(state),
        execution_data=None if data is None else execution_data_to_pb(data),
        node_inputs=None if inputs is None else node_inputs_to_pb(inputs),
        contexts={key: context_values_to_pb(values) for key, values in snapshot.contexts.items()},
        root_data_json=to_json(snapshot.root_data, "StepSnapshot.root_data"),
        schedule=None if schedule is None else schedule_to_pb(schedule),
        ahead=[node_rows_to_pb(node_id, rows) for node_id, rows in snapshot.ahead.items()],
    )


def node_rows_to_pb(node_id: str, rows: NodeRows) -> spb.NodeRows:
    state, data, inputs = rows.state, rows.execution_data, rows.node_inputs
    return spb.NodeRows(
        node_id=node_id,
        state=None if state is None else state_to_pb(state),
        execution_data=None if data is None else execution_data_to_pb(data),
        node_inputs=None if inputs is None else node_inputs_to_pb(inputs),
    )


def node_rows_from_pb(m: spb.NodeRows) -> NodeRows:
    return NodeRows(
        state=_decode_field("state", state_from_pb, m.state) if m.HasField("state") else None,
        execution_data=(
            _decode_field("execution_data", execution_data_from_pb, m.execution_data)
            if m.HasField("execution_data") else None
        ),
        node_inputs=node_inputs_from_pb(m.node_inputs) if m.HasField("node_inputs") else None,
    )  # fmt: skip


def _ahead_from_pb(items: Iterable[spb.NodeRows]) -> dict[str, NodeRows]:
    ahead: dict[str, NodeRows] = {}
    for index, item in enumerate(items):
        ahead[item.node_id] = _decode_field(f"StepSnapshot.ahead[{index}]", node_rows_from_pb, item)
    return ahead


def snapshot_from_pb(m: spb.StepSnapshot) -> StepSnapshot:
    if not m.HasField("process"):
        raise ValueError("StepSnapshot.process: missing")
    process = _decode_field("StepSnapshot.process", process_from_pb, m.process)
    return StepSnapshot(
        process=process,
        pipeline_states=_in_stack_order(
            _decode_map("StepSnapshot.pipeline_states", state_from_pb, m.pipeline_states), process.stack
        ),
        state=_decode_field("StepSnapshot.state", state_from_pb, m.state) if m.HasField("state") else None,
        execution_data=(
            _decode_field("StepSnapshot.execution_data", execution_data_from_pb, m.execution_data)
            if m.HasField("execution_data") else None
        ),
        node_inputs=node_inputs_from_pb(m.node_inputs) if m.HasField("node_inputs") else None,
        contexts=_decode_map("StepSnapshot.contexts", context_values_from_pb, m.contexts),
        root_data=from_json_object(m.root_data_json, "StepSnapshot.root_data_json"),
        schedule=(
            _decode_field("StepSnapshot.schedule", schedule_from_pb, m.schedule) if m.HasField("schedule") else None
        ),
        ahead=_ahead_from_pb(m.ahead) if m.ahead else {},
    )  # fmt: skip


def _decode_field(field: str, decode: Callable[[Any], _T], message: Any) -> _T:
    try:
        return decode(message)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from exc
