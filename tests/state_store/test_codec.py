"""The codec: every record survives the wire, and hostile messages fail naming the field."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import pytest
from google.protobuf.message import DecodeError, Message
from hypothesis import given, settings
from hypothesis import strategies as st

from bamboo_core.clock import ManualClock
from bamboo_core.component.service import ScheduleType
from bamboo_core.events import EventKind
from bamboo_core.examples import register_examples
from bamboo_core.memory_store import MemoryStore
from bamboo_core.model import DataInput, PipelineModel, VarType
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
)
from bamboo_core.runtime import InMemoryRuntime
from bamboo_core.states import State
from bamboo_proto.v1 import records_pb2 as pb
from bamboo_proto.v1 import state_store_pb2 as spb
from bamboo_state_store import codec
from tests.scenarios import (
    test_data_passing,
    test_execution_shapes,
    test_hooks_robustness,
    test_loops,
    test_operator_controls,
    test_pause_revoke,
)
from tests.scenarios.harness import Harness

FAST = settings(max_examples=40, deadline=None)
SCENARIO_MODULES = (
    test_data_passing,
    test_execution_shapes,
    test_hooks_robustness,
    test_loops,
    test_operator_controls,
    test_pause_revoke,
)

# -- strategies -----------------------------------------------------------------------

ids = st.text(max_size=10)
int32 = st.integers(-(2**31), 2**31 - 1)
int64 = st.integers(-(2**63), 2**63 - 1)
doubles = st.floats(allow_nan=False)
optional_doubles = st.none() | doubles
json_values = st.recursive(
    st.none() | st.booleans() | int64 | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(st.text(max_size=6), json_values, max_size=3)

states = st.builds(
    NodeState, node_id=ids, root_id=ids, parent_id=ids, name=st.sampled_from(State), version=ids,
    loop=int32, inner_loop=int32, scope_pass=int32, retry=int32, skip=st.booleans(),
    error_ignored=st.booleans(), created_time=doubles, started_time=optional_doubles,
    archived_time=optional_doubles,
)  # fmt: skip
processes = st.builds(
    Process, id=ids, root_id=ids, parent_id=ids, stack=st.lists(ids, max_size=3).map(tuple),
    current_node_id=ids, status=st.sampled_from(ProcessStatus), version=int64, destination_id=ids,
    suspended_by=ids, need_ack=int32,
)  # fmt: skip
schedules = st.builds(
    Schedule, id=ids, node_id=ids, node_version=ids, type=st.sampled_from(ScheduleType), process_id=ids,
    times=int32, finished=st.booleans(), expired=st.booleans(), rev=int64, locked_until=doubles,
)  # fmt: skip
execution_data = st.builds(ExecutionData, inputs=json_objects, outputs=json_objects)
histories = st.builds(
    History, node_id=ids, started_time=optional_doubles, archived_time=optional_doubles, loop=int32,
    retry=int32, skip=st.booleans(), version=ids, inputs=json_objects, outputs=json_objects, id=int64,
)  # fmt: skip
context_values = st.builds(ContextValue, key=ids, type=st.sampled_from(VarType), value=json_values, code=ids)
scopes = st.lists(context_values, max_size=3).map(lambda values: {value.key: value for value in values})
node_inputs = st.dictionaries(ids, st.builds(DataInput, need_render=st.booleans(), value=json_values), max_size=3)
work_items = st.builds(ExecuteItem, ids, ids, ids, int64) | st.builds(
    ScheduleItem, ids, ids, ids, ids, callback_data=json_values, is_callback=st.booleans()
)
events = st.builds(Event, st.sampled_from(EventKind), ids, ids, json_objects, doubles)
guards = st.builds(Guard, st.just(GuardKind.STATE), ids, st.none() | ids) | st.builds(
    Guard, st.sampled_from([GuardKind.PROCESS, GuardKind.SCHEDULE]), ids, st.none() | int64
)


def few(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(strategy, max_size=2)


def keyed(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(ids, strategy, max_size=2)


commits = st.builds(
    Commit, root_id=ids, guards=few(guards), states=few(states), processes=few(processes),
    join_arrivals=few(ids), schedules=few(schedules), execution_data=keyed(execution_data),
    execution_outputs=keyed(json_objects), node_inputs=keyed(node_inputs), contexts=keyed(scopes),
    histories=few(histories), work=few(work_items), timers=few(st.tuples(doubles, work_items)),
    events=few(events),
)  # fmt: skip
node_rows = st.builds(
    NodeRows, state=st.none() | states, execution_data=st.none() | execution_data,
    node_inputs=st.none() | node_inputs,
)  # fmt: skip
snapshots = st.builds(
    StepSnapshot, process=processes, pipeline_states=keyed(states), state=st.none() | states,
    execution_data=st.none() | execution_data, node_inputs=st.none() | node_inputs,
    contexts=keyed(scopes), root_data=json_objects, schedule=st.none() | schedules,
    ahead=keyed(node_rows),
)  # fmt: skip


def over_the_wire(message: Message) -> Message:
    """The message as the other side sees it: serialised and parsed again."""
    return type(message).FromString(message.SerializeToString())


# -- round trips ----------------------------------------------------------------------

ROUND_TRIPS: list[tuple[str, st.SearchStrategy[Any], Callable[[Any], Message], Callable[[Any], Any]]] = [
    ("state", states, codec.state_to_pb, codec.state_from_pb),
    ("process", processes, codec.process_to_pb, codec.process_from_pb),
    ("schedule", schedules, codec.schedule_to_pb, codec.schedule_from_pb),
    ("execution_data", execution_data, codec.execution_data_to_pb, codec.execution_data_from_pb),
    ("history", histories, codec.history_to_pb, codec.history_from_pb),
    ("context_value", context_values, codec.context_value_to_pb, codec.context_value_from_pb),
    ("context_values", scopes, codec.context_values_to_pb, codec.context_values_from_pb),
    ("node_inputs", node_inputs, codec.node_inputs_to_pb, codec.node_inputs_from_pb),
    ("work_item", work_items, codec.work_item_to_pb, codec.work_item_from_pb),
    ("event", events, codec.event_to_pb, codec.event_from_pb),
    ("guard", guards, codec.guard_to_pb, codec.guard_from_pb),
    ("commit", commits, codec.commit_to_pb, codec.commit_from_pb),
    ("snapshot", snapshots, codec.snapshot_to_pb, codec.snapshot_from_pb),
]


@pytest.mark.parametrize(
    ("strategy", "encode", "decode"), [case[1:] for case in ROUND_TRIPS], ids=[case[0] for case in ROUND_TRIPS]
)
def test_round_trip(
    strategy: st.SearchStrategy[Any], encode: Callable[[Any], Message], decode: Callable[[Any], Any]
) -> None:
    @FAST
    @given(strategy)
    def check(value: Any) -> None:
        assert decode(over_the_wire(encode(value))) == value

    check()


@FAST
@given(st.tuples(doubles, work_items))
def test_timer_round_trip(timer: tuple[float, Any]) -> None:
    assert codec.timer_from_pb(over_the_wire(codec.timer_to_pb(*timer))) == timer


def test_decoded_records_carry_domain_enums_not_strings_or_ints() -> None:
    state = NodeState("n", "r", "r", State.FAILED, "v")
    process = Process("p", "r", "", ("r",), "n", ProcessStatus.JOINING)
    schedule = Schedule("s", "n", "v", ScheduleType.POLL, "p")
    value = ContextValue("${x}", VarType.LAZY, 1)
    event = Event(EventKind.NODE_FINISH, "r", "n")
    assert codec.state_from_pb(codec.state_to_pb(state)).name is State.FAILED
    assert codec.process_from_pb(codec.process_to_pb(process)).status is ProcessStatus.JOINING
    assert codec.schedule_from_pb(codec.schedule_to_pb(schedule)).type is ScheduleType.POLL
    assert codec.context_value_from_pb(codec.context_value_to_pb(value)).type is VarType.LAZY
    assert codec.event_from_pb(codec.event_to_pb(event)).kind is EventKind.NODE_FINISH
    assert codec.event_to_pb(event).kind == "node_finish"  # the wire names kinds by their value


def test_optional_times_keep_none_apart_from_zero() -> None:
    started_at_zero = NodeState("n", "r", "r", State.RUNNING, "v", started_time=0.0)
    message = codec.state_to_pb(started_at_zero)
    assert message.HasField("started_time") and not message.HasField("archived_time")
    decoded = codec.state_from_pb(over_the_wire(message))
    assert decoded.started_time == 0.0 and decoded.archived_time is None


def test_guard_expected_uses_the_oneof() -> None:
    assert codec.guard_to_pb(Guard(GuardKind.STATE, "n", None)).WhichOneof("expected") is None
    assert codec.guard_to_pb(Guard(GuardKind.STATE, "n", "v1")).version == "v1"
    assert codec.guard_to_pb(Guard(GuardKind.PROCESS, "p", 0)).WhichOneof("expected") == "number"
    assert codec.guard_from_pb(spb.Guard(kind=spb.GUARD_KIND_SCHEDULE, id="s", number=0)).expected == 0


@pytest.mark.parametrize(
    ("domain", "to_pb", "from_pb"),
    [
        (State, codec.STATE_TO_PB, codec.STATE_FROM_PB),
        (ProcessStatus, codec.PROCESS_STATUS_TO_PB, codec.PROCESS_STATUS_FROM_PB),
        (ScheduleType, codec.SCHEDULE_TYPE_TO_PB, codec.SCHEDULE_TYPE_FROM_PB),
        (VarType, codec.VAR_TYPE_TO_PB, codec.VAR_TYPE_FROM_PB),
        (GuardKind, codec.GUARD_KIND_TO_PB, codec.GUARD_KIND_FROM_PB),
    ],
)
def test_enum_maps_are_inverse_and_never_use_unspecified(
    domain: Any, to_pb: dict[Any, int], from_pb: dict[int, Any]
) -> None:
    assert set(to_pb) == set(domain)
    assert 0 not in from_pb  # *_UNSPECIFIED is never a domain value
    assert {from_pb[number]: number for number in to_pb.values()} == to_pb


def test_read_only_mappings_encode_as_objects() -> None:
    frozen = MappingProxyType({"a": MappingProxyType({"b": 1})})
    assert codec.to_json(frozen, "f") == '{"a":{"b":1}}'


def test_json_is_compact_and_keeps_unicode() -> None:
    assert codec.to_json({"a": [1, 2], "名": "é"}, "f") == '{"a":[1,2],"名":"é"}'
    assert codec.from_json('{"名":"é"}', "f") == {"名": "é"}


@pytest.mark.parametrize("value", [object(), {1, 2}, math.nan, math.inf, {(1, 2): 3}, b"bytes", "lone \ud800"])
def test_to_json_names_the_field_of_unserialisable_values(value: Any) -> None:
    with pytest.raises(ValueError, match=r"^ExecutionData\.outputs: value is not JSON-serialisable"):
        codec.execution_data_to_pb(ExecutionData(outputs={"x": value}))


def test_to_json_rejects_circular_values() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="^Event.data: "):
        codec.event_to_pb(Event(EventKind.POST_CALLBACK, "r", data={"loop": loop}))


def test_commit_with_an_unserialisable_value_names_the_field() -> None:
    commit = Commit("r", work=[ScheduleItem("r", "p", "n", "s", callback_data=object())])
    with pytest.raises(ValueError, match=r"ScheduleItem\.callback_data"):
        codec.commit_to_pb(commit)


# -- hostile messages -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "missing"), ("{", "malformed JSON"), ('{"a":1} x', "malformed JSON"), ("NaN", "malformed JSON"),
     ('{"a":Infinity}', "malformed JSON"), ("[" * 100_000, "malformed JSON"), ("[1]", "expected a JSON object"),
     ('"text"', "expected a JSON object")],
)  # fmt: skip
def test_malformed_json_names_the_field(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=rf"^ExecutionData\.inputs_json: {reason}"):
        codec.execution_data_from_pb(pb.ExecutionData(inputs_json=text, outputs_json="{}"))


@pytest.mark.parametrize(
    ("decode", "message", "field"),
    [
        (codec.state_from_pb, pb.NodeState(name=pb.NODE_STATE_NAME_UNSPECIFIED), "NodeState.name"),
        (codec.state_from_pb, pb.NodeState(name=99), "NodeState.name"),  # type: ignore[arg-type]
        (codec.process_from_pb, pb.Process(), "Process.status"),
        (codec.schedule_from_pb, pb.Schedule(type=42), "Schedule.type"),  # type: ignore[arg-type]
        (codec.context_value_from_pb, pb.ContextValue(value_json="1"), "ContextValue.type"),
        (
            codec.context_value_from_pb,
            pb.ContextValue(type=pb.VAR_TYPE_LAZY, value_json="{"),
            "ContextValue.value_json",
        ),
        (codec.guard_from_pb, spb.Guard(id="x"), "Guard.kind"),
        (codec.guard_from_pb, spb.Guard(kind=spb.GUARD_KIND_STATE, id="n", number=3), "Guard.expected"),
        (codec.guard_from_pb, spb.Guard(kind=spb.GUARD_KIND_PROCESS, id="p", version="3"), "Guard.expected"),
        (codec.event_from_pb, pb.Event(kind="", data_json="{}"), "Event.kind"),
        (codec.event_from_pb, pb.Event(kind="rm -rf", data_json="{}"), "Event.kind"),
        (codec.event_from_pb, pb.Event(kind="node_finish", data_json="[]"), "Event.data_json"),
        (codec.work_item_from_pb, pb.WorkItem(), "WorkItem.item"),
        (codec.work_item_from_pb, pb.WorkItem(schedule=pb.ScheduleItem()), "ScheduleItem.callback_data_json"),
        (codec.timer_from_pb, pb.Timer(due=1.0), "Timer.item"),
        (codec.data_input_from_pb, pb.DataInput(value_json="nope"), "DataInput.value_json"),
        (codec.node_inputs_from_pb, pb.NodeInputs(inputs={"k": pb.DataInput()}), "NodeInputs.inputs"),
        (codec.history_from_pb, pb.History(inputs_json="{}", outputs_json="1"), "History.outputs_json"),
    ],
)
def test_hostile_record_names_the_field(decode: Callable[[Any], Any], message: Message, field: str) -> None:
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        decode(over_the_wire(message))


def valid_snapshot() -> spb.StepSnapshot:
    process = Process("p", "r", "", ("r",), "n", ProcessStatus.RUNNING)
    return codec.snapshot_to_pb(StepSnapshot(process, {}, None, None, None, {"r": {}}, {}))


def test_snapshot_without_a_process_names_the_field() -> None:
    message = valid_snapshot()
    message.ClearField("process")
    with pytest.raises(ValueError, match=r"^StepSnapshot\.process: missing"):
        codec.snapshot_from_pb(over_the_wire(message))


def test_snapshot_without_root_data_names_the_field() -> None:
    message = valid_snapshot()
    message.ClearField("root_data_json")
    with pytest.raises(ValueError, match=r"^StepSnapshot\.root_data_json: missing"):
        codec.snapshot_from_pb(over_the_wire(message))


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda m: m.process.ClearField("status"), r"^StepSnapshot\.process: Process\.status"),
        (lambda m: m.state.CopyFrom(pb.NodeState()), r"^StepSnapshot\.state: NodeState\.name"),
        (lambda m: m.pipeline_states["r"].CopyFrom(pb.NodeState()), r"^StepSnapshot\.pipeline_states: NodeState\.name"),
        (lambda m: m.schedule.CopyFrom(pb.Schedule()), r"^StepSnapshot\.schedule: Schedule\.type"),
        (lambda m: m.execution_data.CopyFrom(pb.ExecutionData()), r"^StepSnapshot\.execution_data: ExecutionData"),
        (lambda m: m.contexts["r"].values.add(key="k"), r"^StepSnapshot\.contexts: ContextValue\.type"),
        (
            lambda m: m.ahead.add(node_id="a", state=pb.NodeState()),
            r"^StepSnapshot\.ahead\[0\]: state: NodeState\.name",
        ),
        (
            lambda m: m.ahead.add(node_id="a", execution_data=pb.ExecutionData()),
            r"^StepSnapshot\.ahead\[0\]: execution_data: ExecutionData",
        ),
        (
            lambda m: m.ahead.add(node_id="a", node_inputs=pb.NodeInputs(inputs={"k": pb.DataInput()})),
            r"^StepSnapshot\.ahead\[0\]: NodeInputs\.inputs",
        ),
    ],
)
def test_hostile_snapshot_names_the_path(mutate: Callable[[spb.StepSnapshot], None], path: str) -> None:
    message = valid_snapshot()
    mutate(message)
    with pytest.raises(ValueError, match=path):
        codec.snapshot_from_pb(over_the_wire(message))


@pytest.mark.parametrize(
    ("message", "path"),
    [
        (spb.Commit(states=[pb.NodeState()]), r"^Commit\.states: NodeState\.name"),
        (spb.Commit(guards=[spb.Guard(id="g")]), r"^Commit\.guards: Guard\.kind"),
        (spb.Commit(work=[pb.WorkItem()]), r"^Commit\.work: WorkItem\.item"),
        (spb.Commit(timers=[pb.Timer()]), r"^Commit\.timers: Timer\.item"),
        (spb.Commit(execution_outputs_json={"n": "[]"}), r"^Commit\.execution_outputs_json: value: expected a JSON"),
        (spb.Commit(events=[pb.Event(kind="x", data_json="{}")]), r"^Commit\.events: Event\.kind"),
        (
            spb.Commit(contexts={"s": pb.ContextValues(values=[pb.ContextValue(type=pb.VAR_TYPE_PLAIN)])}),
            r"^Commit\.contexts: ContextValue\.value_json",
        ),
    ],
)
def test_hostile_commit_names_the_path(message: spb.Commit, path: str) -> None:
    with pytest.raises(ValueError, match=path):
        codec.commit_from_pb(over_the_wire(message))


@FAST
@given(commits, st.data())
def test_corrupted_commits_decode_or_fail_with_value_error(commit: Commit, data: st.DataObject) -> None:
    """A valid commit with bytes overwritten either decodes or raises ValueError, never anything else."""
    wire = bytearray(codec.commit_to_pb(commit).SerializeToString())
    for _ in range(data.draw(st.integers(1, 4)) if wire else 0):
        wire[data.draw(st.integers(0, len(wire) - 1))] = data.draw(st.integers(0, 255))
    try:
        message = spb.Commit.FromString(bytes(wire))
    except DecodeError:
        return
    try:
        codec.commit_from_pb(message)
    except ValueError:
        pass


# -- what the engine really commits ---------------------------------------------------


class WireStore(MemoryStore):
    """A MemoryStore that puts every commit and snapshot through the wire first.

    The engine then runs on decoded data only, as it does against a remote store, and
    any record the codec does not reproduce exactly is kept in ``mismatches``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.mismatches: list[tuple[Any, Any]] = []

    def _through(self, value: Any, encode: Callable[[Any], Message], decode: Callable[[Any], Any]) -> Any:
        decoded = decode(over_the_wire(encode(value)))
        if decoded != value:
            self.mismatches.append((value, decoded))
        return decoded

    def create_pipeline(self, model: PipelineModel, root_data: Mapping[str, Any], commit: Commit) -> None:
        root_data = codec.from_json_object(codec.to_json(root_data, "root_data"), "root_data_json")
        super().create_pipeline(model, root_data, self._through(commit, codec.commit_to_pb, codec.commit_from_pb))

    def commit(self, commit: Commit) -> None:
        super().commit(self._through(commit, codec.commit_to_pb, codec.commit_from_pb))

    def load_step(self, process_id: str, node_id: str, schedule_id: str = "",
                  ahead: Sequence[str] = ()) -> StepSnapshot | None:
        snapshot = super().load_step(process_id, node_id, schedule_id, ahead)
        return None if snapshot is None else self._through(snapshot, codec.snapshot_to_pb, codec.snapshot_from_pb)


def engine_scenarios() -> list[Any]:
    """Every SPEC §8 scenario that takes only the harness (parametrized ones are left out)."""
    cases = []
    for module in SCENARIO_MODULES:
        for name, function in vars(module).items():
            if name.startswith("test_") and list(inspect.signature(function).parameters) == ["harness"]:
                if not hasattr(function, "pytestmark"):
                    cases.append(pytest.param(function, id=f"{module.__name__.rsplit('.', 1)[-1]}::{name}"))
    return cases


@pytest.mark.parametrize("scenario", engine_scenarios())
def test_engine_scenarios_run_on_wire_decoded_records(scenario: Callable[[Harness], None]) -> None:
    register_examples()
    store = WireStore()
    runtime = InMemoryRuntime(clock=ManualClock(), workers=4, store=store)
    try:
        scenario(Harness(runtime))
    finally:
        runtime.close()
    assert store.mismatches == []
