"""SPEC §8 scenarios 67–73: loops by cycle (``cycle_tolerate=True``)."""

from __future__ import annotations

from typing import Any

from bamboo_core import api
from bamboo_core.builder import (
    ConvergeGateway,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    NodeOutput,
    ParallelGateway,
    SubProcess,
    Var,
)
from bamboo_core.errors import InvalidTreeError
from tests.scenarios.flows import LETTERS, act, assert_states, chain, context_data, splice, tree
from tests.scenarios.harness import FAILED, FINISHED, RUNNING, Harness

KEYS = {"key_1": "val_1", "key_2": "val_2"}


def loops(h: Harness, *node_ids: str) -> dict[str, int]:
    """{node: loop} for each node (every one must have a state)."""
    result = {}
    for node_id in node_ids:
        entry = h.node(node_id)
        assert entry is not None, f"{node_id} has no state"
        result[node_id] = entry["loop"]
    return result


def loop_back(eg: ExclusiveGateway, back: Any, onward: Any) -> None:
    """Branch 0 of ``eg`` goes back to ``back``, branch 1 onward."""
    eg.connect(back, onward)


def rerun_tree() -> dict[str, Any]:
    """start→A1(debug)→A2(loop_count, input_a=${input_a})→EG{a_i < c: →A1, a_i >= c: →end} (scenario 67)."""
    a1, a2 = act("A1"), act("A2", "loop_count", inputs={"input_a": splice("${input_a}")})
    eg = ExclusiveGateway(conditions={0: "${a_i} < ${c}", 1: "${a_i} >= ${c}"}, id="EG")
    start = EmptyStartEvent(id="start")
    chain(start, a1, a2, eg)
    loop_back(eg, a1, EmptyEndEvent(id="end"))
    data = context_data({
        "${a_i}": NodeOutput("A2", "_loop", type=Var.SPLICE, value=""),
        "${input_a}": splice('${l.split(",")[a_i]}'),
        "${l}": LETTERS,
        "${c}": "4",
    })
    return tree(start, data=data)


def test_s67_loop_by_cycle(harness: Harness) -> None:
    """67: "pipeline FINISHED; A1, A2, EG states loop=4; A2 final inputs {_loop:4, _inner_loop:4, input_a:"e"};
    3 histories each for A1 (loops 1..3) and A2 (input_a "b","c","d")." """
    h = harness
    h.run(rerun_tree(), cycle_tolerate=True)
    assert_states(h, {"P": FINISHED, "A1": FINISHED, "A2": FINISHED, "EG": FINISHED, "end": FINISHED})
    assert loops(h, "A1", "A2", "EG", "start", "end") == {"A1": 4, "A2": 4, "EG": 4, "start": 1, "end": 1}
    assert h.exec_data("A2")["inputs"] == {"_loop": 4, "_inner_loop": 4, "input_a": "e"}
    assert h.exec_data("A1")["inputs"] == {"_loop": 4, "_inner_loop": 4}
    a1 = h.histories("A1")
    assert [(x["loop"], x["inputs"]) for x in a1] == [(n, {"_loop": n, "_inner_loop": n}) for n in (1, 2, 3)]
    a2 = h.histories("A2")
    assert [(x["loop"], x["inputs"]) for x in a2] == [
        (n, {"_loop": n, "_inner_loop": n, "input_a": letter}) for n, letter in ((1, "b"), (2, "c"), (3, "d"))]
    assert [x["outputs"]["loop"] for x in a2] == [1, 2, 3]


def test_s67_cycle_needs_cycle_tolerate(harness: Harness) -> None:
    """67: "Without cycle_tolerate → TreeInvalidException." """
    h = harness
    result = api.run_pipeline(h.runtime, rerun_tree())
    assert not result.result and isinstance(result.exc, InvalidTreeError)
    assert h.state("P") is None


def test_s68_loop_around_subprocess(harness: Harness) -> None:
    """68: "Same pattern around a subprocess node whose param ${a_i} = ${s_i} (NodeOutput of SP._loop) and whose
    child renders ${l.split(",")[a_i]} → SP and child nodes loop=4; child activity _inner_loop is 1 every pass;
    SP exec inputs {"${a_i}": 4}, outputs {"${output_a}":"e", _loop:4, _inner_loop:4}; SP histories inputs a_i
    1,2,3." """
    h = harness
    child_start = EmptyStartEvent(id="SP_start")
    chain(child_start, act("CA", inputs={"input_a": splice("${input_a}")}), EmptyEndEvent(id="SP_end"))
    child_data = context_data({
        "${input_a}": splice('${l.split(",")[a_i]}'),
        "${a_i}": DataInput(type=Var.PLAIN, value=""),
        "${l}": LETTERS,
        "${output_a}": NodeOutput("CA", "input_a", type=Var.SPLICE),
    }, outputs=["${output_a}"])
    sp = SubProcess(start=child_start, data=child_data, params={"${a_i}": splice("${s_i}")}, id="SP")
    eg = ExclusiveGateway(conditions={0: "${s_i} < 4", 1: "${s_i} >= 4"}, id="EG")
    start = EmptyStartEvent(id="start")
    chain(start, act("A1"), sp, eg)
    loop_back(eg, sp, EmptyEndEvent(id="end"))
    data = context_data({"${s_i}": NodeOutput("SP", "_loop", type=Var.SPLICE, value="")})
    h.run(tree(start, data=data), cycle_tolerate=True)
    assert h.state("P") == FINISHED
    assert loops(h, "SP", "SP_start", "CA", "SP_end", "EG", "A1") == {
        "SP": 4, "SP_start": 4, "CA": 4, "SP_end": 4, "EG": 4, "A1": 1}
    assert h.exec_data("CA")["inputs"] == {"_loop": 4, "_inner_loop": 1, "input_a": "e"}
    assert h.exec_data("SP") == {"inputs": {"${a_i}": 4},
                                 "outputs": {"${output_a}": "e", "_loop": 4, "_inner_loop": 4}}
    ca = h.histories("CA")
    assert [(x["loop"], x["inputs"]) for x in ca] == [
        (n, {"_loop": n, "_inner_loop": 1, "input_a": letter}) for n, letter in ((1, "b"), (2, "c"), (3, "d"))]
    sp_histories = h.histories("SP")
    assert [x["inputs"] for x in sp_histories] == [{"${a_i}": n} for n in (1, 2, 3)]
    assert [x["outputs"] for x in sp_histories] == [
        {"${output_a}": letter, "_loop": n, "_inner_loop": n} for n, letter in ((1, "b"), (2, "c"), (3, "d"))]


def test_s69_loop_around_parallel_gateway(harness: Harness) -> None:
    """69: "Loop around a PG with three branches (two loop_count, one loop_count_s) and an EG using all three
    _loop outputs, c="3" → every node loop=3; 2 histories each." """
    h = harness
    pg, cg = ParallelGateway(id="PG"), ConvergeGateway(id="CG")
    branches = {"B1": "loop_count", "B2": "loop_count", "B3": "loop_count_s"}
    for node_id, code in branches.items():
        pg.extend(act(node_id, code, inputs={"input_a": splice(f"${{input_{node_id}}}")})).extend(cg)
    below = " and ".join(f"${{i_{b}}} < ${{c}}" for b in branches)
    reached = " and ".join(f"${{i_{b}}} >= ${{c}}" for b in branches)
    eg = ExclusiveGateway(conditions={0: below, 1: reached}, id="EG")
    start = EmptyStartEvent(id="start")
    a1 = act("A1")
    chain(start, a1, pg)
    chain(cg, eg)
    loop_back(eg, a1, EmptyEndEvent(id="end"))
    values: dict[str, Any] = {"${l}": LETTERS, "${c}": "3"}
    for b in branches:
        values[f"${{i_{b}}}"] = NodeOutput(b, "_loop", type=Var.SPLICE, value="")
        values[f"${{input_{b}}}"] = splice(f'${{l.split(",")[i_{b}]}}')
    h.run(tree(start, data=context_data(values)), cycle_tolerate=True)
    assert h.finish("P") == FINISHED
    looped = ["A1", "PG", *branches, "CG", "EG"]
    assert loops(h, *looped) == {node_id: 3 for node_id in looped}
    for node_id in looped:
        assert [x["loop"] for x in h.histories(node_id)] == [1, 2], node_id
    for node_id in branches:
        assert h.exec_data(node_id)["inputs"] == {"_loop": 3, "_inner_loop": 3, "input_a": "d"}
    assert h.exec_data("B3")["outputs"]["count"] == 2


def test_s70_self_loops_in_parallel_branches(harness: Harness) -> None:
    """70: "Self-loops inside parallel branches (EG back to the same activity while _loop < 2) → those nodes
    loop=2; pipeline FINISHED." """
    h = harness
    pg, cg = ParallelGateway(id="PG"), ConvergeGateway(id="CG")
    looping = {"A": "${l_a}", "B": "${l_b}"}
    values = {}
    for node_id, ref in looping.items():
        node = act(node_id, "loop_count")
        eg = ExclusiveGateway(conditions={0: f"{ref} < 2", 1: f"{ref} >= 2"}, id=f"EG_{node_id}")
        pg.extend(node).extend(eg)
        loop_back(eg, node, cg)
        values[ref] = NodeOutput(node_id, "_loop", type=Var.SPLICE, value="")
    pg.extend(act("C", "loop_count")).extend(cg)
    start = EmptyStartEvent(id="start")
    chain(start, pg)
    chain(cg, EmptyEndEvent(id="end"))
    h.run(tree(start, data=context_data(values)), cycle_tolerate=True)
    assert_states(h, {"P": FINISHED, "CG": FINISHED, "end": FINISHED})
    assert loops(h, "A", "EG_A", "B", "EG_B", "C", "CG") == {"A": 2, "EG_A": 2, "B": 2, "EG_B": 2, "C": 1, "CG": 1}


def fail_at_second_loop() -> dict[str, Any]:
    """start→A(fail_at_second, key_1/key_2)→EG{a_i < 4: →A, a_i >= 4: →end} (scenarios 71, 72)."""
    a = act("A", "fail_at_second", inputs=KEYS)
    eg = ExclusiveGateway(conditions={0: "${a_i} < ${c}", 1: "${a_i} >= ${c}"}, id="EG")
    start = EmptyStartEvent(id="start")
    chain(start, a, eg)
    loop_back(eg, a, EmptyEndEvent(id="end"))
    data = context_data({"${a_i}": NodeOutput("A", "_loop", type=Var.SPLICE, value=""), "${c}": "4"})
    return tree(start, data=data)


def test_s71_retry_inside_loop(harness: Harness) -> None:
    """71: "fail_at_second A in a loop: run → A FAILED; retry_node(A, {}) → FAILED again; retry_node(A,
    {"can_go": true}) → completes the loop, A loop=4; 5 histories: (loop 1, retry 0, inputs with key_1/key_2),
    (loop 1, retry 1, inputs without them), (loop 1, retry 2, can_go), (loop 2), (loop 3)." """
    h = harness
    h.run(fail_at_second_loop(), cycle_tolerate=True)
    assert h.state("A") == FAILED
    h.ok(api.retry_node(h.runtime, "A", {}))
    h.settle()
    assert h.state("A") == FAILED
    h.ok(api.retry_node(h.runtime, "A", {"can_go": True}))
    h.settle()
    assert_states(h, {"P": FINISHED, "A": FINISHED, "EG": FINISHED, "end": FINISHED})
    assert loops(h, "A", "EG") == {"A": 4, "EG": 4}
    assert h.exec_data("A")["inputs"] == {"_loop": 4, "_inner_loop": 4, "can_go": True}
    histories = h.histories("A")
    assert [(x["loop"], x["retry"]) for x in histories] == [(1, 0), (1, 1), (1, 2), (2, 0), (3, 0)]
    assert [x["inputs"] for x in histories] == [
        {"_loop": 1, "_inner_loop": 1, **KEYS},
        {"_loop": 1, "_inner_loop": 1},
        {"_loop": 1, "_inner_loop": 1, "can_go": True},
        {"_loop": 2, "_inner_loop": 2, "can_go": True},
        {"_loop": 3, "_inner_loop": 3, "can_go": True},
    ]
    assert [x["outputs"]["_result"] for x in histories] == [False, False, True, True, True]


def test_s72_skip_inside_loop(harness: Harness) -> None:
    """72: "Same but skip_node after the first failure → A loop=4; 4 histories, the 2nd with skip=true and both
    first entries with _result:false." """
    h = harness
    h.run(fail_at_second_loop(), cycle_tolerate=True)
    assert h.state("A") == FAILED
    h.ok(api.skip_node(h.runtime, "A"))
    h.settle()
    assert_states(h, {"P": FINISHED, "A": FINISHED, "EG": FINISHED, "end": FINISHED})
    assert loops(h, "A", "EG") == {"A": 4, "EG": 4}
    histories = h.histories("A")
    assert [(x["loop"], x["skip"]) for x in histories] == [(1, False), (1, True), (2, False), (3, False)]
    assert [x["outputs"]["_result"] for x in histories] == [False, False, True, True]
    assert histories[0]["outputs"] == histories[1]["outputs"] == {"_result": False, "_loop": 1, "_inner_loop": 1}
    assert [x["inputs"]["_loop"] for x in histories] == [1, 1, 2, 3]
    assert all(KEYS.items() <= x["inputs"].items() for x in histories)


def test_s73_rerun_limit(harness: Harness) -> None:
    """73: "Re-entering a node more than node_rerun_limit times → node FAILED with ex_data "node execution exceed
    rerun limit <N>"." Decision: a node runs at most rerun_limit (default 100) times."""
    limit = 100
    h = harness
    a = act("A", "loop_count")
    eg = ExclusiveGateway(conditions={0: "${a_i} < 1000", 1: "${a_i} >= 1000"}, id="EG")
    start = EmptyStartEvent(id="start")
    chain(start, a, eg)
    loop_back(eg, a, EmptyEndEvent(id="end"))
    data = context_data({"${a_i}": NodeOutput("A", "_loop", type=Var.SPLICE, value="")})
    h.run(tree(start, data=data), cycle_tolerate=True)
    assert_states(h, {"P": RUNNING, "A": FAILED, "EG": FINISHED, "end": None})
    assert h.exec_data("A")["outputs"]["ex_data"] == f"node execution exceed rerun limit {limit}"
    assert loops(h, "A", "EG") == {"A": limit, "EG": limit}
    histories = h.histories("A")  # runs 1..99; the 100th run is the current attempt
    assert [x["loop"] for x in histories] == list(range(1, limit))
    assert all(x["outputs"]["_result"] is True for x in histories)
    assert h.context("P")["${a_i}"]["value"] == limit
