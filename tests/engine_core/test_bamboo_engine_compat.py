"""Drop-in compatibility with bamboo-engine's builder (SPEC §2.1, §2.2).

Every shape below is written once against a builder *module* and built twice:
with ``bamboo_engine.builder`` (the reference, installed as a test dependency)
and with ``bamboo_core.builder``. The two trees must be equal. Then the tree
bamboo-engine built is run, untouched, on Bamboo's in-memory runtime.

Only two things are normalised before comparing, each for a stated reason:

* flow ids — both builders draw them from ``uuid4`` and neither accepts an
  explicit one, so each flow is renamed to ``"<source>-><target>"`` in both trees
  (the emission *order* of flows and nodes is still compared);
* an ``ExecutableEndEvent``'s ``incoming`` — a documented Bamboo choice
  (``bamboo_core.builder`` docstring): Bamboo emits a list as for ``EmptyEndEvent``,
  bamboo-engine a bare string.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, ClassVar

import bamboo_engine.builder as engine_builder
import pytest

import bamboo_core.builder as core_builder
from bamboo_core import api
from bamboo_core.end_events import ExecutableEndEvent
from bamboo_core.examples import register_examples
from bamboo_core.runtime import InMemoryRuntime, ManualClock

register_examples()  # components `debug`, `fail_ctrl`, `loop_count`; lazy variable `upper_case`

Tree = dict[str, Any]
Shape = Callable[[ModuleType], Tree]
END_TYPE = "BambooCompatRecordingEnd"


class RecordingEndEvent(ExecutableEndEvent):
    """An executable end event that records each call (registered by defining it)."""

    type = END_TYPE
    calls: ClassVar[list[tuple[bool, str, str]]] = []

    def execute(self, in_subprocess: bool, root_pipeline_id: str, current_pipeline_id: str) -> None:
        RecordingEndEvent.calls.append((in_subprocess, root_pipeline_id, current_pipeline_id))


# -- shapes: one function, two builders --------------------------------------------------


def linear(b: ModuleType) -> Tree:
    """start → a (plain, splice and lazy inputs) → end."""
    start = b.EmptyStartEvent(id="start")
    act = b.ServiceActivity(component_code="debug", id="a", name="A")
    act.component.inputs.plain = b.Var(type=b.Var.PLAIN, value="normal var")
    act.component.inputs.spliced = b.Var(type=b.Var.SPLICE, value="${constant}-x")
    act.component.inputs.lazy = b.Var(type=b.Var.LAZY, value="abc", custom_type="upper_case")
    start.extend(act).extend(b.EmptyEndEvent(id="end"))
    data = b.Data(inputs={"${constant}": b.Var(type=b.Var.PLAIN, value="value_1")})
    return b.build_tree(start, id="P", data=data)


def parallel(b: ModuleType) -> Tree:
    """start → pg → {a, b, c} → cg → end (joined with ``converge``)."""
    start = b.EmptyStartEvent(id="start")
    pg = b.ParallelGateway(id="pg")
    branches = [b.ServiceActivity(component_code="debug", id=name) for name in ("a", "b", "c")]
    start.extend(pg).connect(*branches).converge(b.ConvergeGateway(id="cg")).extend(b.EmptyEndEvent(id="end"))
    return b.build_tree(start, id="P")


def exclusive(b: ModuleType) -> Tree:
    """start → eg → {a, b, c (default)} → cg → end; ``${x}`` = 5 matches no condition.

    bamboo-engine's builder needs a condition on *every* branch (KeyError
    otherwise), the default branch included; it is one that never holds.
    """
    start = b.EmptyStartEvent(id="start")
    eg = b.ExclusiveGateway(
        id="eg", conditions={0: "${x} == 1", 1: "${x} == 2", 2: "${x} == 99"}, default_condition_outgoing=2
    )
    branches = [b.ServiceActivity(component_code="debug", id=name) for name in ("a", "b", "c")]
    start.extend(eg).connect(*branches).converge(b.ConvergeGateway(id="cg")).extend(b.EmptyEndEvent(id="end"))
    return b.build_tree(start, id="P", data=b.Data(inputs={"${x}": b.Var(type=b.Var.PLAIN, value=5)}))


def conditional_parallel(b: ModuleType) -> Tree:
    """start → cpg → {a (x > 0), b (x > 10), c (default)} → cg → end; ``${x}`` = 5."""
    start = b.EmptyStartEvent(id="start")
    cpg = b.ConditionalParallelGateway(
        id="cpg", conditions={0: "${x} > 0", 1: "${x} > 10", 2: "${x} == 99"}, default_condition_outgoing=2
    )
    branches = [b.ServiceActivity(component_code="debug", id=name) for name in ("a", "b", "c")]
    start.extend(cpg).connect(*branches).converge(b.ConvergeGateway(id="cg")).extend(b.EmptyEndEvent(id="end"))
    return b.build_tree(start, id="P", data=b.Data(inputs={"${x}": b.Var(type=b.Var.PLAIN, value=5)}))


def nested_gateways(b: ModuleType) -> Tree:
    """start → pg → {eg → {a, b} → cg_in, c} → cg_out → end; ``${x}`` = 1 picks a."""
    start = b.EmptyStartEvent(id="start")
    pg = b.ParallelGateway(id="pg")
    eg = b.ExclusiveGateway(id="eg", conditions={0: "${x} == 1", 1: "${x} != 1"})
    act_a, act_b, act_c = (b.ServiceActivity(component_code="debug", id=name) for name in ("a", "b", "c"))
    eg.connect(act_a, act_b).converge(b.ConvergeGateway(id="cg_in"))
    start.extend(pg).connect(eg, act_c).converge(b.ConvergeGateway(id="cg_out")).extend(b.EmptyEndEvent(id="end"))
    return b.build_tree(start, id="P", data=b.Data(inputs={"${x}": b.Var(type=b.Var.PLAIN, value=1)}))


def _child(b: ModuleType) -> tuple[Any, Any]:
    """The subprocess body: c1 (reads the param) → c2 (reads ``${rw}``) → end, and its Data."""
    c_start = b.EmptyStartEvent(id="c_start")
    c1 = b.ServiceActivity(component_code="debug", id="c1")
    c1.component.inputs.param = b.Var(type=b.Var.SPLICE, value="${sub_in}")
    c1.component.inputs.val = b.Var(type=b.Var.PLAIN, value="first")
    c2 = b.ServiceActivity(component_code="debug", id="c2")
    c2.component.inputs.seen = b.Var(type=b.Var.SPLICE, value="${rw}")
    c2.component.inputs.val = b.Var(type=b.Var.PLAIN, value="second")
    c_start.extend(c1).extend(c2).extend(b.EmptyEndEvent(id="c_end"))
    rewritten_by = [{"source_act": "c1", "source_key": "val"}, {"source_act": "c2", "source_key": "val"}]
    data = b.Data(
        inputs={
            "${sub_in}": b.DataInput(type=b.Var.PLAIN, value="default_value"),
            "${child_out}": b.NodeOutput(source_act="c1", source_key="param"),
            "${rw}": b.RewritableNodeOutput(source_act=rewritten_by, type=b.Var.PLAIN),
        },
        outputs=["${child_out}", "${rw}"],
    )
    return c_start, data


def subprocess(b: ModuleType) -> Tree:
    """start → sp (params in, NodeOutputs out) → after (reads them) → end."""
    c_start, c_data = _child(b)
    params = b.Params({"${sub_in}": b.Var(type=b.Var.SPLICE, value="${parent_val}")})
    sp = b.SubProcess(start=c_start, data=c_data, params=params, id="sp")
    after = b.ServiceActivity(component_code="debug", id="after")
    after.component.inputs.got = b.Var(type=b.Var.SPLICE, value="${from_sub}")
    after.component.inputs.rw = b.Var(type=b.Var.SPLICE, value="${rw_out}")
    after.component.inputs.count = b.Var(type=b.Var.SPLICE, value="${counter}")
    start = b.EmptyStartEvent(id="start")
    start.extend(sp).extend(after).extend(b.EmptyEndEvent(id="end"))
    data = b.Data(
        inputs={
            "${parent_val}": b.Var(type=b.Var.PLAIN, value="hello"),
            "${from_sub}": b.NodeOutput(source_act="sp", source_key="${child_out}"),
            "${rw_out}": b.NodeOutput(source_act="sp", source_key="${rw}"),
            "${counter}": b.InitializedRewritableNodeOutput(
                source_act=[{"source_act": "after", "source_key": "count"}], type=b.Var.PLAIN, value="0"
            ),
        },
        outputs=["${from_sub}"],
    )
    return b.build_tree(start, id="P", data=data)


def executable_end(b: ModuleType) -> Tree:
    """start → a → an executable end event of a registered type."""
    start = b.EmptyStartEvent(id="start")
    act = b.ServiceActivity(component_code="debug", id="a")
    start.extend(act).extend(b.ExecutableEndEvent(type=END_TYPE, id="end"))
    return b.build_tree(start, id="P")


def pre_render(b: ModuleType) -> Tree:
    """start → a → end with a lazy context value frozen at start by ``pre_render_keys``."""
    start = b.EmptyStartEvent(id="start")
    act = b.ServiceActivity(component_code="debug", id="a")
    act.component.inputs.shout = b.Var(type=b.Var.SPLICE, value="${shout}")
    start.extend(act).extend(b.EmptyEndEvent(id="end"))
    data = b.Data(
        inputs={
            "${name}": b.Var(type=b.Var.PLAIN, value="bob"),
            "${shout}": b.Var(type=b.Var.LAZY, value="hi ${name}", custom_type="upper_case"),
        },
        pre_render_keys=["${shout}"],
    )
    return b.build_tree(start, id="P", data=data)


def flags(b: ModuleType) -> Tree:
    """start → a (fails, error_ignorable) → b (fails, neither skippable nor retryable) → end."""
    start = b.EmptyStartEvent(id="start")
    act_a = b.ServiceActivity(component_code="fail_ctrl", error_ignorable=True, id="a")
    act_b = b.ServiceActivity(component_code="fail_ctrl", timeout=5, skippable=False, retryable=False, id="b")
    start.extend(act_a).extend(act_b).extend(b.EmptyEndEvent(id="end"))
    return b.build_tree(start, id="P")


def cycle(b: ModuleType) -> Tree:
    """start → a1 → a2 → eg{``${a_i} < 3`` → a1, ``${a_i} >= 3`` → end} (SPEC §8 scenario 67)."""
    start = b.EmptyStartEvent(id="start")
    a1 = b.ServiceActivity(component_code="debug", id="a1")
    a2 = b.ServiceActivity(component_code="loop_count", id="a2")
    eg = b.ExclusiveGateway(id="eg", conditions={0: "${a_i} < 3", 1: "${a_i} >= 3"})
    start.extend(a1).extend(a2).extend(eg).connect(a1, b.EmptyEndEvent(id="end"))
    data = b.Data(inputs={"${a_i}": b.NodeOutput(source_act="a2", source_key="_loop")})
    return b.build_tree(start, id="P", data=data)


SHAPES: dict[str, Shape] = {
    shape.__name__: shape
    for shape in (
        linear, parallel, exclusive, conditional_parallel, nested_gateways,
        subprocess, executable_end, pre_render, flags, cycle,
    )
}


# -- normalisation -------------------------------------------------------------------------


def _pipelines(tree: Tree) -> Iterator[Tree]:
    """``tree`` and every subprocess tree inside it, depth first."""
    yield tree
    for node in tree["activities"].values():
        if node["type"] == "SubProcess":
            yield from _pipelines(node["pipeline"])


def _rename(value: Any, names: dict[str, str]) -> Any:
    """``value`` with every string (and dict key) found in ``names`` replaced."""
    if isinstance(value, dict):
        return {names.get(key, key): _rename(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_rename(item, names) for item in value]
    if isinstance(value, str):
        return names.get(value, value)
    return value


def canonical_flow_ids(tree: Tree) -> Tree:
    """A copy of ``tree`` whose random flow ids read ``"<source>-><target>"``."""
    names: dict[str, str] = {}
    for pipeline in _pipelines(tree):
        for flow_id, flow in pipeline["flows"].items():
            names[flow_id] = f"{flow['source']}->{flow['target']}"
    assert len(set(names.values())) == len(names), "two flows share source and target; names would collide"
    renamed: Tree = _rename(tree, names)
    return renamed


def engine_end_incoming_as_list(tree: Tree) -> Tree:
    """Documented Bamboo choice: an executable end event's ``incoming`` is a list.

    bamboo-engine only lists ``incoming`` for the types it names, so a custom end
    event type gets the bare flow id; SPEC §2.1 reads both forms as the same list.
    """
    result = copy.deepcopy(tree)
    for pipeline in _pipelines(result):
        end = pipeline["end_event"]
        if end["type"] != "EmptyEndEvent" and isinstance(end["incoming"], str):
            end["incoming"] = [end["incoming"]]
    return result


def emission_order(tree: Tree) -> list[tuple[str, list[str]]]:
    """Per pipeline: the key order of its activities, gateways and flows."""
    return [
        (f"{pipeline['id']}.{section}", list(pipeline[section]))
        for pipeline in _pipelines(tree)
        for section in ("activities", "gateways", "flows")
    ]


# -- the builders agree ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_bamboo_builder_emits_the_bamboo_engine_tree(name: str) -> None:
    engine_tree = canonical_flow_ids(engine_end_incoming_as_list(SHAPES[name](engine_builder)))
    core_tree = canonical_flow_ids(SHAPES[name](core_builder))
    assert core_tree == engine_tree
    assert emission_order(core_tree) == emission_order(engine_tree)


def test_only_the_documented_end_event_difference_is_normalised() -> None:
    """Guard the normalisation: without it the executable end event shape differs, and only there."""
    engine_tree = canonical_flow_ids(executable_end(engine_builder))
    core_tree = canonical_flow_ids(executable_end(core_builder))
    assert engine_tree["end_event"]["incoming"] == "a->end"
    assert core_tree["end_event"]["incoming"] == ["a->end"]
    core_tree["end_event"]["incoming"] = "a->end"
    assert core_tree == engine_tree


# -- Bamboo runs the bamboo-engine trees ---------------------------------------------------------


@contextmanager
def ran(tree: Tree, **options: Any) -> Iterator[InMemoryRuntime]:
    """A runtime that has run ``tree`` (exactly as given) until nothing is left to do."""
    runtime = InMemoryRuntime(clock=ManualClock())
    try:
        result = api.run_pipeline(runtime, tree, **options)
        assert result.result, result.exc_trace
        assert runtime.wait_idle(timeout=10), "runtime did not become idle"
        assert not runtime.errors, runtime.errors
        yield runtime
    finally:
        runtime.close()


def states(runtime: InMemoryRuntime) -> dict[str, str]:
    """``{id: state}`` for pipeline ``P`` and every node that ran (subprocess contents included)."""
    result = api.get_pipeline_states(runtime, "P")
    assert result.result, result.exc_trace
    root = result.data["P"]
    return {"P": root["state"], **{node_id: entry["state"] for node_id, entry in root["children"].items()}}


def node_state(runtime: InMemoryRuntime, node_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = api.get_pipeline_states(runtime, "P").data["P"]["children"][node_id]
    return entry


def inputs(runtime: InMemoryRuntime, node_id: str) -> dict[str, Any]:
    result = api.get_execution_data_inputs(runtime, node_id)
    assert result.result, result.exc_trace
    data: dict[str, Any] = result.data
    return data


def outputs(runtime: InMemoryRuntime, node_id: str) -> dict[str, Any]:
    result = api.get_execution_data_outputs(runtime, node_id)
    assert result.result, result.exc_trace
    data: dict[str, Any] = result.data
    return data


def finished(*node_ids: str) -> dict[str, str]:
    return {node_id: "FINISHED" for node_id in ("P", "start", *node_ids, "end")}


def test_linear_tree_renders_plain_splice_and_lazy_inputs() -> None:
    with ran(linear(engine_builder)) as runtime:
        assert states(runtime) == finished("a")
        assert inputs(runtime, "a") == {
            "plain": "normal var", "spliced": "value_1-x", "lazy": "ABC", "_loop": 1, "_inner_loop": 1,
        }


def test_parallel_tree_runs_every_branch() -> None:
    with ran(parallel(engine_builder)) as runtime:
        assert states(runtime) == finished("pg", "a", "b", "c", "cg")


def test_exclusive_tree_takes_the_default_branch_when_no_condition_holds() -> None:
    with ran(exclusive(engine_builder)) as runtime:
        assert states(runtime) == finished("eg", "c", "cg")


def test_conditional_parallel_tree_runs_only_the_matching_branches() -> None:
    with ran(conditional_parallel(engine_builder)) as runtime:
        assert states(runtime) == finished("cpg", "a", "cg")


def test_nested_gateway_tree_joins_inner_then_outer() -> None:
    with ran(nested_gateways(engine_builder)) as runtime:
        assert states(runtime) == finished("pg", "eg", "a", "cg_in", "c", "cg_out")


def test_subprocess_tree_passes_params_in_and_node_outputs_out() -> None:
    with ran(subprocess(engine_builder)) as runtime:
        assert states(runtime) == finished("sp", "c_start", "c1", "c2", "c_end", "after")
        assert inputs(runtime, "sp") == {"${sub_in}": "hello"}  # Params rendered in the parent
        assert inputs(runtime, "c1")["param"] == "hello"  # ... overriding the DataInput default
        assert inputs(runtime, "c2")["seen"] == "first"  # RewritableNodeOutput after c1 only
        assert outputs(runtime, "sp")["${child_out}"] == "hello"
        after = inputs(runtime, "after")
        assert (after["got"], after["rw"], after["count"]) == ("hello", "second", "0")


def test_executable_end_event_tree_runs_the_registered_end_code() -> None:
    RecordingEndEvent.calls.clear()
    with ran(executable_end(engine_builder)) as runtime:
        assert states(runtime) == finished("a")
    assert RecordingEndEvent.calls == [(False, "P", "P")]


def test_pre_render_keys_tree_freezes_the_lazy_value_at_start() -> None:
    with ran(pre_render(engine_builder)) as runtime:
        assert states(runtime) == finished("a")
        assert inputs(runtime, "a")["shout"] == "HI BOB"


def test_flag_tree_ignores_a_and_refuses_to_skip_or_retry_b() -> None:
    with ran(flags(engine_builder)) as runtime:
        assert states(runtime) == {"P": "RUNNING", "start": "FINISHED", "a": "FINISHED", "b": "FAILED"}
        assert node_state(runtime, "a")["error_ignored"] is True
        assert not api.skip_node(runtime, "b").result  # skippable=False
        assert not api.retry_node(runtime, "b").result  # retryable=False
        assert runtime.wait_idle(timeout=10)
        assert states(runtime)["b"] == "FAILED"


def test_cycle_tree_loops_until_the_gateway_exits() -> None:
    with ran(cycle(engine_builder), cycle_tolerate=True) as runtime:
        assert states(runtime) == finished("a1", "a2", "eg")
        assert [node_state(runtime, node_id)["loop"] for node_id in ("a1", "a2", "eg")] == [3, 3, 3]
        assert outputs(runtime, "a2")["loop"] == 3


def test_cycle_tree_is_refused_without_cycle_tolerate() -> None:
    with InMemoryRuntime(clock=ManualClock()) as runtime:
        assert not api.run_pipeline(runtime, cycle(engine_builder)).result
