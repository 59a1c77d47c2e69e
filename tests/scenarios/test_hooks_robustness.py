"""SPEC §8 scenarios 74–80: service hooks, robustness (effects land once) and tree validation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from bamboo_core import api
from bamboo_core.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    NodeOutput,
    ParallelGateway,
    Var,
)
from bamboo_core.component import OPERATOR_HOOKS
from bamboo_core.errors import ConnectionValidateError, ConvergeMatchError, InvalidTreeError
from bamboo_core.examples.hooks import clear_records, records
from tests.scenarios.components import clear_counts, counted
from tests.scenarios.flows import (
    act,
    assert_all_finished,
    assert_states,
    chain,
    context_data,
    line,
    parallel,
    tree,
)
from tests.scenarios.harness import FAILED, FINISHED, RUNNING, Harness

EXECUTE_HOOKS = ["node_enter", "pre_execute", "execute", "post_execute"]
SCHEDULE_HOOKS = ["pre_schedule", "schedule", "post_schedule"]

@pytest.fixture(autouse=True)
def fresh_counts() -> None:
    clear_counts()


# -- hooks ----------------------------------------------------------------------------


def main_hooks(node_id: str) -> list[str]:
    """What the node recorded, minus operator hooks (pre/post callback, skip …) which only observe."""
    operator = {str(kind.value) for kind in OPERATOR_HOOKS}
    return [name for name in records(node_id) if name not in operator]


def run_hooked(h: Harness, code: str, **flags: Any) -> None:
    clear_records("H")
    h.run(tree(line(act("H", code, **flags))))


def test_s74_hook_order_on_success(harness: Harness) -> None:
    """74: "Hook-enabled debug (poll) node success → recorded order: node_enter, pre_execute, execute,
    post_execute, pre_schedule, schedule, post_schedule, node_finish (each 1×)." """
    h = harness
    run_hooked(h, "hook_debug")
    assert_all_finished(h, "P", count=4)
    assert records("H") == [*EXECUTE_HOOKS, *SCHEDULE_HOOKS, "node_finish"]
    assert (h.schedule("H")["times"], h.schedule("H")["finished"]) == (1, True)


@pytest.mark.parametrize("ignorable", [False, True])
def test_s75_execute_raises(harness: Harness, ignorable: bool) -> None:
    """75: "Hook-enabled node whose execute raises: not ignorable → node_enter, pre_execute, execute,
    node_execute_exception, node_execute_fail (node FAILED); ignorable → …, node_execute_exception, node_finish
    (node FINISHED, flow continues)." """
    h = harness
    run_hooked(h, "hook_execute_raise", error_ignorable=ignorable)
    head = ["node_enter", "pre_execute", "execute", "node_execute_exception"]
    if ignorable:
        assert_all_finished(h, "P", count=4)
        assert records("H") == [*head, "node_finish"]
        state = h.node("H")
        assert state is not None and state["error_ignored"] is True
    else:
        assert_states(h, {"P": RUNNING, "H": FAILED, "end": None})
        assert records("H") == [*head, "node_execute_fail"]
    assert "hook_execute_raise: execute fails on purpose" in h.exec_data("H")["outputs"]["ex_data"]


@pytest.mark.parametrize("ignorable", [False, True])
def test_s76_schedule_raises(harness: Harness, ignorable: bool) -> None:
    """76: "Schedule raises: not ignorable → …, post_execute, pre_schedule, schedule, node_schedule_exception,
    node_schedule_fail; ignorable → … node_schedule_exception, node_finish." """
    h = harness
    run_hooked(h, "hook_schedule_raise", error_ignorable=ignorable)
    head = [*EXECUTE_HOOKS, "pre_schedule", "schedule", "node_schedule_exception"]
    if ignorable:
        assert_all_finished(h, "P", count=4)
        assert records("H") == [*head, "node_finish"]
    else:
        assert_states(h, {"P": RUNNING, "H": FAILED, "end": None})
        assert records("H") == [*head, "node_schedule_fail"]


def test_s77_callback_completion_fires_node_finish(harness: Harness) -> None:
    """77: "Hook-enabled callback node completed by callback → order ends at post_schedule (no node_finish, see
    quirk)." Decision: node_finish fires for every completion, so the order ends post_schedule, node_finish."""
    h = harness
    run_hooked(h, "hook_callback")
    assert main_hooks("H") == EXECUTE_HOOKS
    h.ok(api.callback(h.runtime, "H", h.version("H"), {}))
    h.settle()
    assert_all_finished(h, "P", count=4)
    assert main_hooks("H") == [*EXECUTE_HOOKS, *SCHEDULE_HOOKS, "node_finish"]


def test_s77_multi_callback_hooks(harness: Harness) -> None:
    """77: "Multi-callback ×5 → pre_schedule/schedule/post_schedule repeated 5 times." """
    h = harness
    run_hooked(h, "hook_multi_callback")
    version = h.version("H")
    for _ in range(5):
        h.ok(api.callback(h.runtime, "H", version, {"bit": 1}))
        h.settle()
    assert_all_finished(h, "P", count=4)
    assert main_hooks("H") == [*EXECUTE_HOOKS, *SCHEDULE_HOOKS * 5, "node_finish"]


def test_s77_callback_failure_then_skip(harness: Harness) -> None:
    """77: "Callback failure then skip → order ends with node_schedule_fail." """
    h = harness
    run_hooked(h, "hook_callback")
    h.ok(api.callback(h.runtime, "H", h.version("H"), {"bit": 0}))
    h.settle()
    assert h.state("H") == FAILED
    h.ok(api.skip_node(h.runtime, "H"))
    h.settle()
    assert_all_finished(h, "P", count=4)
    assert main_hooks("H") == [*EXECUTE_HOOKS, "pre_schedule", "schedule", "node_schedule_fail"]


# -- robustness -----------------------------------------------------------------------


def one_node() -> tuple[dict[str, Any], list[str]]:
    """Scenario 1's shape: start→A→end."""
    return tree(line(act("A", "s78_counting_poll"))), ["A"]


def ten_branches() -> tuple[dict[str, Any], list[str]]:
    """Scenario 3's shape: PG→10 branches (the first 5 with a second activity)→CG."""
    branches = [(act(f"B{i}", "s78_counting_poll"), act(f"C{i}", "s78_counting_poll")) if i < 5
                else act(f"B{i}", "s78_counting_poll") for i in range(10)]
    return tree(line(parallel("PG", "CG", *branches))), [f"B{i}" for i in range(10)] + [f"C{i}" for i in range(5)]


@pytest.mark.parametrize("shape", [one_node, ten_branches], ids=["one_node", "ten_branches"])
def test_s78_effects_land_once(harness: Harness, shape: Callable[[], tuple[dict[str, Any], list[str]]]) -> None:
    """78: "… yields the same end state as an undisturbed run, and the plugin ran exactly once
    (execute_count:1, schedule_count:1, schedule times=1)." Bamboo: a step that loses a race or is redelivered
    changes nothing, so each node's plugin effect lands once."""
    h = harness
    pipeline, activities = shape()
    h.run(pipeline)
    assert_all_finished(h, "P")
    for node_id in activities:
        assert (counted(node_id, "execute"), counted(node_id, "schedule")) == (1, 1), node_id
        schedule = h.schedule(node_id)
        assert (schedule["times"], schedule["finished"], schedule["expired"]) == (1, True, False), node_id
        assert h.histories(node_id) == [], node_id


def test_s79_concurrent_callbacks(harness: Harness) -> None:
    """79: "Two concurrent callbacks to a CALLBACK node → one schedule wins the lock, the other is dropped;
    node completes once." """
    h = harness
    h.run(tree(line(act("A", "s79_slow_callback"))))
    version = h.version("A")
    barrier = threading.Barrier(2)
    results: list[api.EngineAPIResult] = []

    def send() -> None:
        barrier.wait()
        results.append(api.callback(h.runtime, "A", version, {}))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    h.settle()
    assert any(result.result for result in results)
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    schedule = h.schedule("A", version)
    assert (schedule["times"], schedule["finished"]) == (1, True)
    assert (counted("A", "execute"), counted("A", "schedule"), counted("A", "node_finish")) == (1, 1, 1)
    end = h.node("end")
    assert h.histories("A") == [] and end is not None and end["loop"] == 1


# -- validation -----------------------------------------------------------------------


def refused_tree(h: Harness, pipeline: dict[str, Any], error: type[BaseException], **options: Any) -> None:
    result = api.run_pipeline(h.runtime, pipeline, **options)
    assert not result.result, "the tree should have been refused"
    assert isinstance(result.exc, error), result.exc_trace
    assert h.state(pipeline["id"]) is None


def two_converge_gateways() -> dict[str, Any]:
    pg, end = ParallelGateway(id="PG"), EmptyEndEvent(id="end")
    pg.extend(act("A")).extend(ConvergeGateway(id="CG1")).extend(end)
    pg.extend(act("B")).extend(ConvergeGateway(id="CG2")).extend(end)
    start = EmptyStartEvent(id="start")
    start.extend(pg)
    return tree(start)


def parallel_to_end() -> dict[str, Any]:
    pg, end = ParallelGateway(id="PG"), EmptyEndEvent(id="end")
    pg.extend(act("A")).extend(end)
    pg.extend(act("B")).extend(end)
    start = EmptyStartEvent(id="start")
    start.extend(pg)
    return tree(start)


def exclusive_to_end_inside_parallel() -> dict[str, Any]:
    pg, cg, end = ParallelGateway(id="PG"), ConvergeGateway(id="CG"), EmptyEndEvent(id="end")
    eg = ExclusiveGateway(conditions={0: "True == True", 1: "True == False"}, id="EG")
    pg.extend(act("A")).extend(eg).connect(act("X"), end)
    eg.outgoing[0].extend(cg)
    pg.extend(act("B")).extend(cg)
    start = EmptyStartEvent(id="start")
    start.extend(pg)
    cg.extend(end)
    return tree(start)


@pytest.mark.parametrize("build", [two_converge_gateways, parallel_to_end, exclusive_to_end_inside_parallel])
def test_s80_converge_mismatch(harness: Harness, build: Callable[[], dict[str, Any]]) -> None:
    """80: "Parallel branches that converge into two different converge gateways, parallel branches that run
    straight to the end event (no converge gateway), or an exclusive gateway inside a parallel block routing to
    the end event → ConvergeMatchError (run_pipeline result false)." """
    refused_tree(harness, build(), ConvergeMatchError)


def test_s80_exclusive_gateway_to_end_is_valid(harness: Harness) -> None:
    """80: "An exclusive gateway outside parallel blocks whose branches all end at the end event is valid." """
    h = harness
    eg, end = ExclusiveGateway(conditions={0: "True == False", 1: "True == True"}, id="EG"), EmptyEndEvent(id="end")
    start = EmptyStartEvent(id="start")
    chain(start, act("A"), eg).connect(act("X"), act("Y"))
    for branch in eg.outgoing:
        branch.extend(end)
    h.run(tree(start))
    assert_states(h, {"P": FINISHED, "EG": FINISHED, "X": None, "Y": FINISHED, "end": FINISHED})


def start_to_end() -> dict[str, Any]:
    start = EmptyStartEvent(id="start")
    start.extend(EmptyEndEvent(id="end"))
    return tree(start)


def node_without_incoming() -> dict[str, Any]:
    pipeline = tree(line(act("A")))
    orphan = {**pipeline["activities"]["A"], "id": "X", "incoming": [], "outgoing": "fX"}
    pipeline["activities"]["X"] = orphan
    pipeline["flows"]["fX"] = {"id": "fX", "source": "X", "target": "end", "is_default": False}
    pipeline["end_event"]["incoming"].append("fX")
    return pipeline


def edge_into_start() -> dict[str, Any]:
    start = EmptyStartEvent(id="start")
    eg = ExclusiveGateway(conditions={0: "True == True", 1: "True == False"}, id="EG")
    chain(start, act("A"), eg).connect(EmptyEndEvent(id="end"), start)
    return tree(start)


@pytest.mark.parametrize("build", [start_to_end, node_without_incoming, edge_into_start])
def test_s80_connection_errors(harness: Harness, build: Callable[[], dict[str, Any]]) -> None:
    """80: "start→end directly, a node with no incoming edge, or any edge into the start event →
    ConnectionValidateError." """
    refused_tree(harness, build(), ConnectionValidateError, cycle_tolerate=True)


def test_s80_cycle_needs_cycle_tolerate(harness: Harness) -> None:
    """80: "A cycle without cycle_tolerate → TreeInvalidException; the same tree with cycle_tolerate=True
    validates." """
    h = harness
    a = act("A", "loop_count")
    eg = ExclusiveGateway(conditions={0: "${a_i} < 2", 1: "${a_i} >= 2"}, id="EG")
    start = EmptyStartEvent(id="start")
    chain(start, a, eg).connect(a, EmptyEndEvent(id="end"))
    data = context_data({"${a_i}": NodeOutput("A", "_loop", type=Var.SPLICE, value="")})
    pipeline = tree(start, data=data)
    refused_tree(h, pipeline, InvalidTreeError)
    h.run(pipeline, cycle_tolerate=True)
    assert_states(h, {"P": FINISHED, "A": FINISHED, "EG": FINISHED, "end": FINISHED})
