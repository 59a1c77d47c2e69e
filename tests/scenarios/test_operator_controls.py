"""SPEC §8 scenarios 40–60: operator controls (start position, retry, skip, callbacks, forced fail)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bamboo_core import api
from bamboo_core.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ExecutableEndEvent,
    NodeOutput,
)
from bamboo_core.errors import InvalidOperationError, StartPositionInvalidError
from tests.scenarios.components import S48RaisingEnd
from tests.scenarios.flows import (
    act,
    assert_all_finished,
    assert_states,
    chain,
    context_data,
    flow_between,
    fork,
    line,
    parallel,
    raising_subprocess,
    subprocess,
    timer,
    tree,
    wait_until,
)
from tests.scenarios.harness import FAILED, FINISHED, RUNNING, Harness

LOOP1 = {"_loop": 1, "_inner_loop": 1}
NEVER = "True == False"


def refused(result: api.EngineAPIResult, exc_type: type[BaseException] = InvalidOperationError) -> None:
    assert not result.result, "the operation should have been refused"
    assert isinstance(result.exc, exc_type), result.exc_trace


# -- start position -------------------------------------------------------------------


def test_s40_run_from_a_later_node(harness: Harness) -> None:
    """40: "run_pipeline(start_node_id=A) with start→A(callback)→end → start event has no state;
    A RUNNING; callback(A, A.version, {}) → A, pipeline FINISHED." """
    h = harness
    h.run(tree(line(act("A", "callback"))), start_node_id="A")
    assert_states(h, {"P": RUNNING, "start": None, "A": RUNNING, "end": None})
    h.ok(api.callback(h.runtime, "A", h.version("A"), {}))
    h.settle()
    assert_states(h, {"P": FINISHED, "start": None, "A": FINISHED, "end": FINISHED})


def test_s41_invalid_start_positions(harness: Harness) -> None:
    """41: "run_pipeline(start_node_id=end event / node inside a parallel block / converge gateway /
    subprocess node) → result false, StartPositionInvalidException." """
    h = harness
    pipeline = tree(line(subprocess("SP", act("S1")), act("A1"), parallel("PG", "CG", act("A2"), act("A3"))))
    for node_id in ("end", "A2", "CG", "SP"):
        refused(api.run_pipeline(h.runtime, pipeline, start_node_id=node_id), StartPositionInvalidError)
        assert h.state("P") is None, f"a refused start at {node_id} must not start the pipeline"
    h.run(pipeline, start_node_id="A1")
    assert_states(h, {"P": FINISHED, "start": None, "SP": None, "A1": FINISHED, "A2": FINISHED, "end": FINISHED})


def test_s41_allowed_start_lists(harness: Harness) -> None:
    """41: "Allowed-start lists: start→A1→PG→[A2,A3]→CG→end ⇒ [start, A1, PG]; start→A1→EG→[A2,A3]→end
    ⇒ [start, A1, EG, A2, A3]; skipped-before(EG) = {start, A1}; skipped-before(A2) = {start, A1, EG}." """
    from bamboo_core.validation import get_allowed_start_node_ids, get_skipped_execute_node_ids

    parallel_tree = tree(line(act("A1"), parallel("PG", "CG", act("A2"), act("A3"))))
    assert sorted(get_allowed_start_node_ids(copy.deepcopy(parallel_tree))) == sorted(["start", "A1", "PG"])
    eg = ExclusiveGateway(conditions={0: "True == True", 1: NEVER}, id="EG")
    end = EmptyEndEvent(id="end")
    start = EmptyStartEvent(id="start")
    chain(start, act("A1"), eg).connect(act("A2"), act("A3"))
    for branch in eg.outgoing:
        branch.extend(end)
    eg_tree = tree(start, "Q")
    assert sorted(get_allowed_start_node_ids(copy.deepcopy(eg_tree))) == sorted(["start", "A1", "EG", "A2", "A3"])
    assert set(get_skipped_execute_node_ids(copy.deepcopy(eg_tree), "EG")) == {"start", "A1"}
    assert set(get_skipped_execute_node_ids(copy.deepcopy(eg_tree), "A2")) == {"start", "A1", "EG"}
    h = harness
    h.run(eg_tree, start_node_id="A2")
    assert_states(h, {"Q": FINISHED, "start": None, "A1": None, "EG": None, "A2": FINISHED, "A3": None})


# -- retry ----------------------------------------------------------------------------


def test_s42_retry_with_new_data(harness: Harness) -> None:
    """42: "A FAILED, exec outputs {_result:false,_loop:1,_inner_loop:1}; retry_node(A, {"bit":1}) → A, end,
    pipeline FINISHED; A inputs {bit:1, _loop:1, _inner_loop:1}, outputs _result:true; A.version changed;
    state.retry = 1; one history: loop 1, retry 0, skip false, started/archived set, inputs/outputs of the
    failed attempt, version = old version." """
    h = harness
    h.run(tree(line(act("A", "fail_ctrl"))))
    assert_states(h, {"P": RUNNING, "start": FINISHED, "A": FAILED, "end": None})
    failed = h.exec_data("A")
    assert failed == {"inputs": LOOP1, "outputs": {"_result": False, **LOOP1}}
    old = h.node("A")
    assert old is not None and old["retry"] == 0
    h.ok(api.retry_node(h.runtime, "A", {"bit": 1}))
    h.settle()
    assert_states(h, {"P": FINISHED, "start": FINISHED, "A": FINISHED, "end": FINISHED})
    assert h.exec_data("A") == {"inputs": {"bit": 1, **LOOP1}, "outputs": {"_result": True, **LOOP1}}
    now = h.node("A")
    assert now is not None and now["version"] != old["version"] and now["retry"] == 1
    [history] = h.histories("A")
    assert (history["loop"], history["retry"], history["skip"]) == (1, 0, False)
    assert history["started_time"] is not None and history["archived_time"] is not None
    assert (history["inputs"], history["outputs"]) == (failed["inputs"], failed["outputs"])
    assert history["version"] == old["version"]


def test_s43_retry_data_replaces_inputs(harness: Harness) -> None:
    """43: "retry_node(A, {}) on a node whose tree inputs were key_1/key_2 → the retried attempt has no
    key_1/key_2 (data replaced wholesale)." """
    h = harness
    h.run(tree(line(act("A", "fail_ctrl", inputs={"key_1": "val_1", "key_2": "val_2"}))))
    assert h.exec_data("A")["inputs"] == {"key_1": "val_1", "key_2": "val_2", **LOOP1}
    h.ok(api.retry_node(h.runtime, "A", {}))
    h.settle()
    assert h.state("A") == FAILED  # bit now defaults to 0 again
    assert h.exec_data("A")["inputs"] == LOOP1
    assert h.ok(api.get_data(h.runtime, "A"))["inputs"] == {}
    [history] = h.histories("A")
    assert history["inputs"] == {"key_1": "val_1", "key_2": "val_2", **LOOP1}


def test_s44_retry_escape_render_keys(harness: Harness) -> None:
    """44: "retry with {"v": "${x}", "_escape_render_keys": ["v"]} → input v is the literal ${x} (not rendered)." """
    h = harness
    h.run(tree(line(act("A", "fail_ctrl")), data=context_data({"${x}": "rendered"})))
    data = {"bit": 1, "v": "${x}", "w": "${x}", "_escape_render_keys": ["v"]}
    h.ok(api.retry_node(h.runtime, "A", data))
    h.settle()
    assert h.state("A") == FINISHED
    assert h.exec_data("A")["inputs"] == {"bit": 1, "v": "${x}", "w": "rendered", **LOOP1}
    stored = h.ok(api.get_data(h.runtime, "A"))["inputs"]
    assert stored["v"] == {"need_render": False, "value": "${x}"}
    assert stored["w"] == {"need_render": True, "value": "${x}"}


def test_s45_retry_refused(harness: Harness) -> None:
    """45: "retry_node on a RUNNING or FINISHED node → result false (not FAILED); on a non-retryable
    activity → result false." """
    h = harness
    branches = (act("R", "callback"), act("F"), act("N", "fail_ctrl", retryable=False))
    h.run(tree(line(parallel("PG", "CG", *branches))))
    before = {node_id: h.node(node_id) for node_id in ("R", "F", "N")}
    assert {node_id: entry["state"] for node_id, entry in before.items() if entry} == {
        "R": RUNNING, "F": FINISHED, "N": FAILED}
    for node_id in ("R", "F", "N"):
        refused(api.retry_node(h.runtime, node_id, {"bit": 1}))
    h.settle()
    assert {node_id: h.node(node_id) for node_id in ("R", "F", "N")} == before
    assert h.histories("N") == []


@pytest.mark.parametrize("operation", ["retry", "skip"])
def test_s46_recover_failures_in_nested_parallel_subprocess(harness: Harness, operation: str) -> None:
    """46: "Subprocess containing nested parallel groups of 5 fail_ctrl nodes each → all 10 FAILED, pipeline
    and subprocess RUNNING, CGs/ends no state; retry_node each with bit=1 → everything FINISHED. Same with
    skip_node each → everything FINISHED." """
    h = harness
    failing = [f"F{i}" for i in range(10)]
    inner = parallel("PGi", "CGi", *[act(f, "fail_ctrl") for f in failing[:5]])
    outer = parallel("PGo", "CGo", inner, *[act(f, "fail_ctrl") for f in failing[5:]])
    h.run(tree(line(subprocess("SP", outer))))
    assert_states(h, {f: FAILED for f in failing})
    assert_states(h, {"P": RUNNING, "SP": RUNNING, "PGo": FINISHED, "PGi": FINISHED,
                      "CGi": None, "CGo": None, "SP_end": None, "end": None})
    for node_id in failing:
        if operation == "retry":
            h.ok(api.retry_node(h.runtime, node_id, {"bit": 1}))
        else:
            h.ok(api.skip_node(h.runtime, node_id))
    h.settle()
    assert_all_finished(h, "P", count=20)


# -- skip -----------------------------------------------------------------------------


def test_s47_skip_failed_node(harness: Harness) -> None:
    """47: "skip_node(A failed) → A FINISHED, skip=true, new version, exec data unchanged (not re-run, outputs
    not extracted), one history (skip false); end runs." """
    h = harness
    data = context_data({"${out}": NodeOutput("A", "_result")})
    h.run(tree(line(act("A", "fail_ctrl")), data=data))
    before, old = h.exec_data("A"), h.version("A")
    h.ok(api.skip_node(h.runtime, "A"))
    h.settle()
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    state = h.node("A")
    assert state is not None and state["skip"] is True and state["version"] != old
    assert h.exec_data("A") == before
    [history] = h.histories("A")
    assert (history["skip"], history["version"], history["outputs"]) == (False, old, before["outputs"])
    assert h.context("P")["${out}"]["value"] is False  # only the failed attempt's own extraction


def test_s48_skip_refused_for_non_activities(harness: Harness) -> None:
    """48: "skip_node on a gateway / end event / subprocess / non-skippable activity → result false." """
    h = harness
    eg_start = EmptyStartEvent(id="a_start")
    eg_end = EmptyEndEvent(id="a_end")
    eg = ExclusiveGateway(conditions={0: NEVER, 1: NEVER}, id="EG")
    chain(eg_start, act("a0"), eg).connect(act("a1"), act("a2"))
    for branch in eg.outgoing:
        branch.extend(eg_end)
    end_start = EmptyStartEvent(id="b_start")
    chain(end_start, act("b0"), ExecutableEndEvent(type=S48RaisingEnd.type, id="b_end"))
    pipelines = [
        tree(eg_start, "PA"),
        tree(end_start, "PB"),
        tree(line(raising_subprocess("SPc"), start_id="c_start", end_id="c_end"), "PC"),
        tree(line(act("Dn", "fail_ctrl", skippable=False), start_id="d_start", end_id="d_end"), "PD"),
    ]
    for pipeline in pipelines:
        h.run(pipeline)
    targets = ("EG", "b_end", "SPc", "Dn")
    assert_states(h, {node_id: FAILED for node_id in targets})
    for node_id in targets:
        refused(api.skip_node(h.runtime, node_id))
    h.settle()
    assert_states(h, {node_id: FAILED for node_id in targets})
    assert_states(h, {"PA": RUNNING, "PB": RUNNING, "PC": RUNNING, "PD": RUNNING})


def _gateway_flow(gateway: ExclusiveGateway | ConditionalParallelGateway) -> dict[str, Any]:
    """start→B→gateway{F,F}→[X1→X2, Y]→CG→end (scenarios 49, 50)."""
    block = fork(gateway, ConvergeGateway(id="CG"), (act("X1"), act("X2")), act("Y"))
    return tree(line(act("B"), block))


def test_s49_skip_exclusive_gateway(harness: Harness) -> None:
    """49: "start→B→EG{F,F}→[X1→X2, Y]→CG→end: EG FAILED; skip_exclusive_gateway(EG, flow EG→X1) → EG FINISHED
    (skip), X1, X2, CG, end, pipeline FINISHED; Y no state." """
    h = harness
    pipeline = h.run(_gateway_flow(ExclusiveGateway(conditions={0: NEVER, 1: NEVER}, id="EG")))
    assert_states(h, {"P": RUNNING, "B": FINISHED, "EG": FAILED, "X1": None, "Y": None, "CG": None})
    h.ok(api.skip_exclusive_gateway(h.runtime, "EG", flow_between(pipeline, "EG", "X1")))
    h.settle()
    assert_states(h, {"P": FINISHED, "EG": FINISHED, "X1": FINISHED, "X2": FINISHED, "CG": FINISHED,
                      "end": FINISHED, "Y": None})
    state = h.node("EG")
    assert state is not None and state["skip"] is True
    assert len(h.histories("EG")) == 1


def test_s50_skip_conditional_parallel_gateway(harness: Harness) -> None:
    """50: "Same with a CPG → skip_conditional_parallel_gateway(CPG, [flow→X1], CG) → X1, X2, CG, end run;
    Y no state." """
    h = harness
    pipeline = h.run(_gateway_flow(ConditionalParallelGateway(conditions={0: NEVER, 1: NEVER}, id="CPG")))
    assert_states(h, {"P": RUNNING, "B": FINISHED, "CPG": FAILED, "X1": None, "Y": None, "CG": None})
    h.ok(api.skip_conditional_parallel_gateway(h.runtime, "CPG", [flow_between(pipeline, "CPG", "X1")], "CG"))
    h.settle()
    assert_states(h, {"P": FINISHED, "CPG": FINISHED, "X1": FINISHED, "X2": FINISHED, "CG": FINISHED,
                      "end": FINISHED, "Y": None})
    state = h.node("CPG")
    assert state is not None and state["skip"] is True


def test_s51_retry_subprocess_with_raising_params(harness: Harness) -> None:
    """51: "Subprocess whose params contain a lazy raise_variable → SP FAILED with exec outputs containing only
    ex_data; retry_subprocess → FAILED again with a new version; one history with inputs {} and outputs {ex_data}." """
    h = harness
    h.run(tree(line(raising_subprocess("SP"))))
    assert_states(h, {"P": RUNNING, "SP": FAILED, "SP_start": None, "end": None})
    failed = h.exec_data("SP")
    assert failed["inputs"] == {} and set(failed["outputs"]) == {"ex_data"}
    old = h.version("SP")
    h.ok(api.retry_subprocess(h.runtime, "SP"))
    h.settle()
    assert_states(h, {"P": RUNNING, "SP": FAILED, "SP_start": None})
    assert h.version("SP") != old
    [history] = h.histories("SP")
    assert history["inputs"] == {} and set(history["outputs"]) == {"ex_data"}


# -- callbacks ------------------------------------------------------------------------


def test_s52_callback_completes_node(harness: Harness) -> None:
    """52: "Callback node: after execute A RUNNING; callback(A, version, {}) → A FINISHED; schedule finished,
    times=1." """
    h = harness
    h.run(tree(line(act("A", "callback"))))
    version = h.version("A")
    assert h.state("A") == RUNNING
    assert (h.schedule("A")["times"], h.schedule("A")["finished"]) == (0, False)
    h.ok(api.callback(h.runtime, "A", version, {}))
    h.settle()
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    schedule = h.schedule("A", version)
    assert (schedule["finished"], schedule["times"]) == (True, 1)


def test_s53_multi_callback(harness: Harness) -> None:
    """53: "Multi-callback node: 3 callbacks (bit 1) → still RUNNING, schedule not finished, times=3, lock free;
    2 more → FINISHED, times=5." """
    h = harness
    h.run(tree(line(act("A", "multi_callback"))))
    version = h.version("A")
    for _ in range(3):
        h.ok(api.callback(h.runtime, "A", version, {"bit": 1}))
    h.advance(10)  # a multi-callback that found the schedule busy is retried a little later
    assert h.state("A") == RUNNING
    assert (h.schedule("A", version)["finished"], h.schedule("A", version)["times"]) == (False, 3)
    for _ in range(2):
        h.ok(api.callback(h.runtime, "A", version, {"bit": 1}))
    h.advance(10)  # a multi-callback that found the schedule busy is retried a little later
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    assert (h.schedule("A", version)["finished"], h.schedule("A", version)["times"]) == (True, 5)
    assert h.exec_data("A")["outputs"]["count"] == 5


def test_s54_multi_callback_fail_then_retry(harness: Harness) -> None:
    """54: "two callbacks with bit 0 → A FAILED; schedule expired, times=1 (the 2nd callback was dropped because
    the node was no longer RUNNING); retry_node(A) → new version; 5 callbacks (bit 1) on the new version →
    FINISHED; the new version's schedule finished with times=5." """
    h = harness
    h.run(tree(line(act("A", "multi_callback"))))
    old = h.version("A")
    for _ in range(2):
        api.callback(h.runtime, "A", old, {"bit": 0})  # the second may already be refused: A FAILED
    h.advance(10)  # a multi-callback that found the schedule busy is retried a little later
    assert h.state("A") == FAILED
    schedule = h.schedule("A", old)
    assert (schedule["expired"], schedule["finished"], schedule["times"]) == (True, False, 1)
    h.ok(api.retry_node(h.runtime, "A"))
    h.settle()
    new = h.version("A")
    assert new != old and h.state("A") == RUNNING
    for _ in range(5):
        h.ok(api.callback(h.runtime, "A", new, {"bit": 1}))
    h.advance(10)  # a multi-callback that found the schedule busy is retried a little later
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    assert (h.schedule("A", new)["finished"], h.schedule("A", new)["times"]) == (True, 5)


def test_s55_callback_fail_then_retry(harness: Harness) -> None:
    """55: "Callback node: callback bit 0 → FAILED, schedule not finished, times=1; retry → callback {} → FINISHED
    (new version's schedule times=1)." """
    h = harness
    h.run(tree(line(act("A", "callback"))))
    old = h.version("A")
    h.ok(api.callback(h.runtime, "A", old, {"bit": 0}))
    h.settle()
    assert h.state("A") == FAILED
    assert (h.schedule("A", old)["finished"], h.schedule("A", old)["times"]) == (False, 1)
    h.ok(api.retry_node(h.runtime, "A"))
    h.settle()
    new = h.version("A")
    h.ok(api.callback(h.runtime, "A", new, {}))
    h.settle()
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    assert (h.schedule("A", new)["finished"], h.schedule("A", new)["times"]) == (True, 1)


def test_s55_callback_fail_then_skip(harness: Harness) -> None:
    """55: "Alternatively skip_node after the failure → FINISHED, schedule still unfinished, times=1." """
    h = harness
    h.run(tree(line(act("A", "callback"))))
    old = h.version("A")
    h.ok(api.callback(h.runtime, "A", old, {"bit": 0}))
    h.settle()
    assert h.state("A") == FAILED
    h.ok(api.skip_node(h.runtime, "A"))
    h.settle()
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    assert (h.schedule("A", old)["finished"], h.schedule("A", old)["times"]) == (False, 1)


def test_s56_stale_callback(harness: Harness) -> None:
    """56: "callback with a stale version → result false; if a schedule exists for that stale version it is
    marked expired; the node is unchanged." """
    h = harness
    h.run(tree(line(act("A", "callback"))))
    old = h.version("A")
    h.ok(api.callback(h.runtime, "A", old, {"bit": 0}))
    h.settle()
    h.ok(api.retry_node(h.runtime, "A"))
    h.settle()
    current = h.node("A")
    assert current is not None and current["state"] == RUNNING and current["version"] != old
    assert h.schedule("A", old)["expired"] is False
    refused(api.callback(h.runtime, "A", old, {}), Exception)
    refused(api.callback(h.runtime, "A", "no-such-version", {}), Exception)
    h.settle()
    assert h.schedule("A", old)["expired"] is True
    assert h.node("A") == current
    fresh = h.schedule("A", current["version"])
    assert (fresh["times"], fresh["finished"], fresh["expired"]) == (0, False, False)
    h.ok(api.callback(h.runtime, "A", current["version"], {}))
    h.settle()
    assert h.state("P") == FINISHED


# -- forced fail ----------------------------------------------------------------------


def test_s57_forced_fail_polling_timer(harness: Harness) -> None:
    """57: "forced_fail_activity on a running timer(5) node 2 s after start → exec inputs
    {_loop:1,_inner_loop:1,bk_timing:5}, outputs 8 keys incl. ex_data "forced fail by test", _forced_failed:true,
    eta "5", type "countdown", timing_time, _result:true; later node FAILED and schedule expired; skip_node →
    pipeline FINISHED; history has the same data." """
    h = harness
    h.run(tree(line(timer("A", 5))))
    h.advance(2)
    old = h.version("A")
    h.ok(api.forced_fail_activity(h.runtime, "A", "forced fail by test"))
    data = h.exec_data("A")
    assert data["inputs"] == {"bk_timing": 5, **LOOP1}
    outputs = data["outputs"]
    assert set(outputs) == {"ex_data", "_forced_failed", "eta", "type", "timing_time", "_result", "_loop",
                            "_inner_loop"}
    assert (outputs["ex_data"], outputs["_forced_failed"], outputs["eta"], outputs["type"]) == (
        "forced fail by test", True, "5", "countdown")
    assert outputs["timing_time"] and outputs["_result"] is True
    assert (outputs["_loop"], outputs["_inner_loop"]) == (1, 1)
    h.finish("P")
    assert h.state("A") == FAILED
    assert (h.schedule("A", old)["expired"], h.schedule("A", old)["finished"]) == (True, False)
    assert h.exec_data("A") == data
    h.ok(api.skip_node(h.runtime, "A"))
    h.settle()
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    [history] = h.histories("A")
    assert (history["inputs"], history["outputs"]) == (data["inputs"], data["outputs"])


def test_s58_forced_fail_during_execute(harness: Harness) -> None:
    """58: "forced_fail_activity on a sleep_exec(5) node while execute is still running → exec data
    {inputs:{}, outputs:{ex_data, _forced_failed:true}}; after the sleep the node stays FAILED and data is not
    overwritten; skip_node → pipeline FINISHED." """
    h = harness
    h.run(tree(line(act("A", "sleep_exec", inputs={"time": 0.5}))), settle=False)
    wait_until(lambda: h.state("A") == RUNNING, what="A RUNNING")
    h.ok(api.forced_fail_activity(h.runtime, "A", "forced fail by test"))
    expected = {"inputs": {}, "outputs": {"ex_data": "forced fail by test", "_forced_failed": True}}
    assert h.exec_data("A") == expected
    h.settle()  # the sleep ends; its late result must not land
    assert_states(h, {"P": RUNNING, "A": FAILED, "end": None})
    assert h.exec_data("A") == expected
    h.ok(api.skip_node(h.runtime, "A"))
    h.settle()
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    [history] = h.histories("A")
    assert (history["inputs"], history["outputs"]) == (expected["inputs"], expected["outputs"])


def test_s59_forced_fail_callback_node(harness: Harness) -> None:
    """59: "forced_fail_activity on a callback node before any callback → outputs {ex_data, _forced_failed,
    _result:true, _loop:1, _inner_loop:1}; schedule times=0, unfinished; skip → FINISHED." """
    h = harness
    h.run(tree(line(act("A", "callback"))))
    old = h.version("A")
    h.ok(api.forced_fail_activity(h.runtime, "A", "forced fail by test"))
    h.settle()
    assert h.state("A") == FAILED
    expected = {"inputs": LOOP1, "outputs": {"ex_data": "forced fail by test", "_forced_failed": True,
                                            "_result": True, **LOOP1}}
    assert h.exec_data("A") == expected
    assert (h.schedule("A", old)["times"], h.schedule("A", old)["finished"]) == (0, False)
    h.ok(api.skip_node(h.runtime, "A"))
    h.settle()
    assert_states(h, {"P": FINISHED, "A": FINISHED, "end": FINISHED})
    assert h.exec_data("A") == expected


def test_s60_forced_fail_refused(harness: Harness) -> None:
    """60: "forced_fail_activity on a non-RUNNING node or non-ServiceActivity → result false." """
    h = harness
    branches = (act("F"), act("N", "fail_ctrl"), subprocess("SP", act("W", "callback")))
    h.run(tree(line(parallel("PG", "CG", *branches))))
    targets = ("F", "N", "SP", "PG")
    before = {node_id: h.node(node_id) for node_id in targets}
    assert_states(h, {"F": FINISHED, "N": FAILED, "SP": RUNNING, "PG": FINISHED, "W": RUNNING})
    for node_id in targets:
        refused(api.forced_fail_activity(h.runtime, node_id, "forced fail by test"))
    h.settle()
    assert {node_id: h.node(node_id) for node_id in targets} == before
    h.ok(api.forced_fail_activity(h.runtime, "W", "forced fail by test"))  # a RUNNING activity is accepted
    assert h.state("W") == FAILED
