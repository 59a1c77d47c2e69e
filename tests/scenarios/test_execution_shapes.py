"""SPEC §8 scenarios 1–25: execution shapes.

Series, parallel, exclusive and conditional-parallel gateways, subprocesses and
executable end events, each asserted through the harness and ``bamboo_core.api``
only: final states ("no state" = never entered), execution data and schedules.
"""

from __future__ import annotations

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
    ParallelGateway,
    SubProcess,
    build_tree,
)
from bamboo_core.builder.flow.base import Element
from bamboo_core.engine import EngineConfig
from bamboo_core.engine.config import GatewayStrategy
from bamboo_core.errors import UnknownNodeTypeError
from tests.scenarios.components import END_EVENTS, END_FAILURE_TEXT, RAISE_END, RECORD_END, EndCall
from tests.scenarios.harness import FAILED, FINISHED, RUNNING, Harness
from tests.scenarios.shapes import (
    LOOP1,
    NO_BRANCH,
    ROOT,
    chain,
    configured_harness,
    data,
    debug,
    debug_exec,
    expect,
    fan_out,
    plain,
    run_flow,
    simple_subprocess,
    splice,
    states_of,
    subprocess_ids,
)

SP_EXEC = {"inputs": {}, "outputs": dict(LOOP1)}


def gateway_flow(gateway: Element, branch_count: int) -> tuple[EmptyStartEvent, list[str]]:
    """``start → gateway → [A0..An-1] → CG → end``; returns the start and the branch ids."""
    branch_ids = [f"A{i}" for i in range(branch_count)]
    start = EmptyStartEvent(id="start")
    start.extend(gateway)
    fan_out(gateway, [debug(i) for i in branch_ids], ConvergeGateway(id="CG")).extend(EmptyEndEvent(id="end"))
    return start, branch_ids


def assert_only_branches_ran(h: Harness, branch_ids: list[str], ran: set[str]) -> None:
    assert states_of(h, branch_ids) == {i: (FINISHED if i in ran else None) for i in branch_ids}
    for branch in ran:
        assert h.exec_data(branch) == debug_exec()
        schedule = h.schedule(branch)
        assert (schedule["finished"], schedule["times"]) == (True, 1)


# -- series and parallel ---------------------------------------------------------------


def test_s01_single_activity(harness: Harness) -> None:
    """SPEC §8.1: start→A(debug)→end: start, A, end, pipeline FINISHED; A exec data inputs
    `{_loop:1, _inner_loop:1}`, outputs `{_loop:1, _inner_loop:1, _result:true}`; A's
    schedule finished with times=1; pipeline exec data `{inputs:{}, outputs:{}}`."""
    start = EmptyStartEvent(id="start")
    chain(start, debug("A"), EmptyEndEvent(id="end"))
    run_flow(harness, start)
    assert harness.states(ROOT) == expect([ROOT, "start", "A", "end"], FINISHED)
    assert harness.exec_data("A") == {"inputs": {"_loop": 1, "_inner_loop": 1},
                                      "outputs": {"_loop": 1, "_inner_loop": 1, "_result": True}}
    schedule = harness.schedule("A")
    assert (schedule["finished"], schedule["times"]) == (True, 1)
    assert harness.exec_data(ROOT) == {"inputs": {}, "outputs": {}}


def test_s02_hundred_activities_in_series(harness: Harness) -> None:
    """SPEC §8.2: 100 debug activities in series: all FINISHED; every schedule times=1."""
    ids = [f"A{i:03d}" for i in range(100)]
    start = EmptyStartEvent(id="start")
    chain(start, *[debug(i) for i in ids], EmptyEndEvent(id="end"))
    run_flow(harness, start)
    assert harness.states(ROOT) == expect([ROOT, "start", *ids, "end"], FINISHED)
    assert {i: harness.schedule(i)["times"] for i in ids} == {i: 1 for i in ids}
    assert all(harness.schedule(i)["finished"] for i in ids)


def test_s03_parallel_branches(harness: Harness) -> None:
    """SPEC §8.3: start→PG→10 debug branches (first 5 branches have a second debug activity)
    →CG→end: all 20 nodes + gateways FINISHED."""
    heads = [debug(f"B{i}") for i in range(10)]
    seconds = [heads[i].extend(debug(f"B{i}b")) for i in range(5)]
    start = EmptyStartEvent(id="start")
    start.extend(pg := ParallelGateway(id="PG"))
    fan_out(pg, heads, ConvergeGateway(id="CG")).extend(EmptyEndEvent(id="end"))
    run_flow(harness, start)
    ids = [ROOT, "start", "PG", *[h.id for h in heads], *[s.id for s in seconds], "CG", "end"]
    assert len(ids) == 20
    assert harness.states(ROOT) == expect(ids, FINISHED)


def test_s04_nested_parallel(harness: Harness) -> None:
    """SPEC §8.4: Nested parallel: PG1→[PG2→10 debug→CG1, 10 debug]→CG2→end: all FINISHED."""
    inner = [debug(f"D{i}") for i in range(10)]
    outer = [debug(f"E{i}") for i in range(10)]
    pg1, pg2 = ParallelGateway(id="PG1"), ParallelGateway(id="PG2")
    fan_out(pg2, inner, ConvergeGateway(id="CG1"))
    start = EmptyStartEvent(id="start")
    start.extend(pg1)
    fan_out(pg1, [pg2, *outer], ConvergeGateway(id="CG2")).extend(EmptyEndEvent(id="end"))
    run_flow(harness, start)
    ids = [ROOT, "start", "PG1", "PG2", *[d.id for d in inner], "CG1", *[e.id for e in outer], "CG2", "end"]
    assert harness.states(ROOT) == expect(ids, FINISHED)


# -- exclusive gateways ----------------------------------------------------------------


def test_s05_exclusive_gateway(harness: Harness) -> None:
    """SPEC §8.5: EG conditions {0:"True == True",1:"True == False",2:"True == False"} → A0 runs;
    A1, A2 no state; CG, end, pipeline FINISHED."""
    eg = ExclusiveGateway(id="EG", conditions={0: "True == True", 1: "True == False", 2: "True == False"})
    start, branches = gateway_flow(eg, 3)
    run_flow(harness, start)
    assert_only_branches_ran(harness, branches, {"A0"})
    assert states_of(harness, [ROOT, "start", "EG", "CG", "end"]) == expect([ROOT, "start", "EG", "CG", "end"],
                                                                           FINISHED)
    assert harness.exec_data(ROOT) == {"inputs": {}, "outputs": {}}


def test_s06_nested_exclusive_gateways(harness: Harness) -> None:
    """SPEC §8.6: Nested EG (EG1 picks EG2 branch, EG2 picks its first activity): only that
    activity runs; the others have no state; both CGs FINISHED."""
    eg1 = ExclusiveGateway(id="EG1", conditions={0: "True == True", 1: "True == False", 2: "True == False"})
    eg2 = ExclusiveGateway(id="EG2", conditions={0: "True == True", 1: "True == False"})
    fan_out(eg2, [debug("X0"), debug("X1")], ConvergeGateway(id="CG1"))
    start = EmptyStartEvent(id="start")
    start.extend(eg1)
    fan_out(eg1, [eg2, debug("Y0"), debug("Y1")], ConvergeGateway(id="CG2")).extend(EmptyEndEvent(id="end"))
    run_flow(harness, start)
    ran = [ROOT, "start", "EG1", "EG2", "X0", "CG1", "CG2", "end"]
    assert harness.states(ROOT) == expect(ran, FINISHED)
    assert states_of(harness, ["X1", "Y0", "Y1"]) == expect(["X1", "Y0", "Y1"], None)
    assert harness.exec_data("X0") == debug_exec()


def test_s07_templated_exclusive_conditions(harness: Harness) -> None:
    """SPEC §8.7: EG with conditions `"${a}" == "1"`, `"${b}" == "1"`, `"${c}" == "1"`,
    `"${d}" == "1"`, `True == False`; context a="1", b="0", c="0", d undefined → only branch 0
    runs (undefined reference stays literal and compares false)."""
    conditions = {0: '"${a}" == "1"', 1: '"${b}" == "1"', 2: '"${c}" == "1"', 3: '"${d}" == "1"',
                  4: "True == False"}
    start, branches = gateway_flow(ExclusiveGateway(id="EG", conditions=conditions), 5)
    context = data({"${a}": plain("1"), "${b}": plain("0"), "${c}": plain("0")})
    run_flow(harness, start, pipeline_data=context)
    assert_only_branches_ran(harness, branches, {"A0"})
    assert harness.state(ROOT) == FINISHED


def test_s08_exclusive_no_condition_holds(harness: Harness) -> None:
    """SPEC §8.8: EG all false, no default → EG FAILED, exec outputs `{ex_data: "all conditions
    of branches are not meet"}`; start FINISHED; pipeline RUNNING; branches, CG, end no state."""
    eg = ExclusiveGateway(id="EG", conditions={i: "True == False" for i in range(5)})
    start, branches = gateway_flow(eg, 5)
    run_flow(harness, start)
    assert states_of(harness, [ROOT, "start", "EG"]) == {ROOT: RUNNING, "start": FINISHED, "EG": FAILED}
    assert harness.exec_data("EG") == {"inputs": {}, "outputs": {"ex_data": NO_BRANCH}}
    assert states_of(harness, [*branches, "CG", "end"]) == expect([*branches, "CG", "end"], None)


def test_s09_exclusive_default_flow(harness: Harness) -> None:
    """SPEC §8.9: Same with default flow = outgoing index 1 → branch 1 runs; pipeline FINISHED."""
    eg = ExclusiveGateway(id="EG", conditions={i: "True == False" for i in range(5)}, default_condition_outgoing=1)
    start, branches = gateway_flow(eg, 5)
    run_flow(harness, start)
    assert_only_branches_ran(harness, branches, {"A1"})
    assert states_of(harness, [ROOT, "EG", "CG", "end"]) == expect([ROOT, "EG", "CG", "end"], FINISHED)


@pytest.mark.parametrize(("a", "chosen"), [(2, "A0"), (0, "A1"), (-1, "A1"), (1.5, "A0"), ("2", "A0")])
def test_s10_numeric_comparisons(harness: Harness, a: Any, chosen: str) -> None:
    """SPEC §8.10: EG `${a} > 1` / `${a} <= 1` with a=2 → branch 1 only; a=0 or a=-1 → branch 2
    only. (Decisions table: numbers compare as numbers, so 1.5 > 1; a numeric string equals its
    number.)"""
    eg = ExclusiveGateway(id="EG", conditions={0: "${a} > 1", 1: "${a} <= 1"})
    start, branches = gateway_flow(eg, 2)
    run_flow(harness, start, pipeline_data=data({"${a}": plain(a)}))
    assert_only_branches_ran(harness, branches, {chosen})
    assert harness.state(ROOT) == FINISHED


TWO_TRUE = {0: "1 == 2", 1: "1 == 1", 2: "2 == 2"}


def test_s11_multiple_true_conditions_fail_under_only(harness: Harness) -> None:
    """SPEC §8.11: EG where two conditions are true (strategy ONLY) → EG FAILED, ex_data starts
    with "multiple conditions meet"."""
    start, branches = gateway_flow(ExclusiveGateway(id="EG", conditions=TWO_TRUE), 3)
    tree = run_flow(harness, start)
    assert harness.state("EG") == FAILED
    assert harness.state(ROOT) == RUNNING
    ex_data = harness.exec_data("EG")["outputs"]["ex_data"]
    assert ex_data.startswith("multiple conditions meet")
    flows = tree["gateways"]["EG"]["outgoing"]
    assert flows[1] in ex_data and flows[2] in ex_data and flows[0] not in ex_data
    assert states_of(harness, [*branches, "CG", "end"]) == expect([*branches, "CG", "end"], None)


def test_s11_global_first_strategy() -> None:
    """SPEC §8.11: with global strategy FIRST (2) → the first true branch in outgoing order runs."""
    with configured_harness(EngineConfig(exclusive_gateway_strategy=GatewayStrategy.FIRST)) as h:
        start, branches = gateway_flow(ExclusiveGateway(id="EG", conditions=TWO_TRUE), 3)
        run_flow(h, start)
        assert_only_branches_ran(h, branches, {"A1"})
        assert h.state(ROOT) == FINISHED


def test_s11_per_gateway_strategy_first(harness: Harness) -> None:
    """SPEC decisions table: per-gateway strategy (ONLY / FIRST) works and overrides the global
    default — `extra_info.strategy = "FIRST"` under the global ONLY picks the first true branch."""
    eg = ExclusiveGateway(id="EG", conditions=TWO_TRUE, extra_info={"strategy": "FIRST"})
    start, branches = gateway_flow(eg, 3)
    run_flow(harness, start)
    assert_only_branches_ran(harness, branches, {"A1"})
    assert harness.state(ROOT) == FINISHED


def test_s11_per_gateway_strategy_only_overrides_global_first() -> None:
    """SPEC decisions table: a gateway's own ONLY overrides a global FIRST."""
    with configured_harness(EngineConfig(exclusive_gateway_strategy=GatewayStrategy.FIRST)) as h:
        eg = ExclusiveGateway(id="EG", conditions=TWO_TRUE, extra_info={"strategy": "ONLY"})
        start, branches = gateway_flow(eg, 3)
        run_flow(h, start)
        assert h.state("EG") == FAILED
        assert h.exec_data("EG")["outputs"]["ex_data"].startswith("multiple conditions meet")
        assert states_of(h, branches) == expect(branches, None)


def test_s12_condition_over_rendered_list_fails(harness: Harness) -> None:
    """SPEC §8.12: EG condition `${a} in ${l}` with l=[1,2] (renders a Python list) → EG FAILED
    with the boolrule parse message."""
    condition = "${a} in ${l}"
    start, branches = gateway_flow(ExclusiveGateway(id="EG", conditions={0: condition, 1: "True == False"}), 2)
    run_flow(harness, start, pipeline_data=data({"${a}": plain(1), "${l}": plain([1, 2])}))
    assert states_of(harness, [ROOT, "EG"]) == {ROOT: RUNNING, "EG": FAILED}
    ex_data = harness.exec_data("EG")["outputs"]["ex_data"]
    assert ex_data.startswith(f"evaluate[{condition}] fail with data[")
    assert "please check if some variable not exists or the expression is unsupported" in ex_data
    assert states_of(harness, [*branches, "CG", "end"]) == expect([*branches, "CG", "end"], None)


def test_s12_in_tuple_literal(harness: Harness) -> None:
    """SPEC §8.12: `${a} in (1,2,3)` with a=2 → true."""
    eg = ExclusiveGateway(id="EG", conditions={0: "${a} in (1,2,3)", 1: "${a} notin (1,2,3)"})
    start, branches = gateway_flow(eg, 2)
    run_flow(harness, start, pipeline_data=data({"${a}": plain(2)}))
    assert_only_branches_ran(harness, branches, {"A0"})
    assert harness.state(ROOT) == FINISHED


# -- conditional parallel gateways -----------------------------------------------------

TTTFF = {0: "True == True", 1: "True == True", 2: "True == True", 3: "True == False", 4: "True == False"}


def test_s13_conditional_parallel(harness: Harness) -> None:
    """SPEC §8.13: CPG conditions {T,T,T,F,F} → A0..A2 run, A3, A4 no state; CG runs once;
    pipeline FINISHED."""
    start, branches = gateway_flow(ConditionalParallelGateway(id="CPG", conditions=TTTFF), 5)
    run_flow(harness, start)
    assert_only_branches_ran(harness, branches, {"A0", "A1", "A2"})
    assert states_of(harness, [ROOT, "CPG", "CG", "end"]) == expect([ROOT, "CPG", "CG", "end"], FINISHED)
    cg = harness.node("CG")
    assert cg is not None and cg["loop"] == 1
    assert harness.histories("CG") == []


def test_s14_nested_conditional_parallel(harness: Harness) -> None:
    """SPEC §8.14: outer CPG {T,T,T,F,F} over [inner CPG, G1a, G1b, G1c, G1d]; inner CPG
    {T,F,F,F,F} over [G2a..G2e] → inner CPG, G1a, G1b and G2a run; G1c, G1d, G2b..G2e have no
    state; both CGs, end and pipeline FINISHED."""
    inner = ConditionalParallelGateway(id="CPG2", conditions={0: "True == True", **{i: "True == False"
                                                                                     for i in range(1, 5)}})
    fan_out(inner, [debug(f"G2{c}") for c in "abcde"], ConvergeGateway(id="CG2"))
    outer = ConditionalParallelGateway(id="CPG1", conditions=TTTFF)
    start = EmptyStartEvent(id="start")
    start.extend(outer)
    fan_out(outer, [inner, *[debug(f"G1{c}") for c in "abcd"]], ConvergeGateway(id="CG1")).extend(
        EmptyEndEvent(id="end"))
    run_flow(harness, start)
    ran = [ROOT, "start", "CPG1", "CPG2", "G1a", "G1b", "G2a", "CG2", "CG1", "end"]
    assert harness.states(ROOT) == expect(ran, FINISHED)
    skipped = ["G1c", "G1d", "G2b", "G2c", "G2d", "G2e"]
    assert states_of(harness, skipped) == expect(skipped, None)


def test_s15_templated_conditional_parallel(harness: Harness) -> None:
    """SPEC §8.15: CPG with templated conditions a="1", b="1", c="0" → branches 0 and 1 run."""
    conditions = {0: '"${a}" == "1"', 1: '"${b}" == "1"', 2: '"${c}" == "1"'}
    start, branches = gateway_flow(ConditionalParallelGateway(id="CPG", conditions=conditions), 3)
    context = data({"${a}": plain("1"), "${b}": plain("1"), "${c}": plain("0")})
    run_flow(harness, start, pipeline_data=context)
    assert_only_branches_ran(harness, branches, {"A0", "A1"})
    assert harness.state(ROOT) == FINISHED


def test_s16_conditional_parallel_no_condition_holds(harness: Harness) -> None:
    """SPEC §8.16: CPG all false, no default → CPG FAILED "all conditions of branches are not
    meet"; pipeline RUNNING; nothing downstream."""
    cpg = ConditionalParallelGateway(id="CPG", conditions={i: "True == False" for i in range(5)})
    start, branches = gateway_flow(cpg, 5)
    run_flow(harness, start)
    assert states_of(harness, [ROOT, "start", "CPG"]) == {ROOT: RUNNING, "start": FINISHED, "CPG": FAILED}
    assert harness.exec_data("CPG")["outputs"]["ex_data"] == NO_BRANCH
    assert states_of(harness, [*branches, "CG", "end"]) == expect([*branches, "CG", "end"], None)


def test_s17_conditional_parallel_default_flow(harness: Harness) -> None:
    """SPEC §8.17: CPG all false with default index 1 → only branch 1 runs; pipeline FINISHED."""
    cpg = ConditionalParallelGateway(id="CPG", conditions={i: "True == False" for i in range(5)},
                                     default_condition_outgoing=1)
    start, branches = gateway_flow(cpg, 5)
    run_flow(harness, start)
    assert_only_branches_ran(harness, branches, {"A1"})
    assert states_of(harness, [ROOT, "CPG", "CG", "end"]) == expect([ROOT, "CPG", "CG", "end"], FINISHED)


# -- subprocesses ----------------------------------------------------------------------


def test_s18_subprocess(harness: Harness) -> None:
    """SPEC §8.18: start→SP(start→A→end)→end: all 7 nodes + pipeline FINISHED; SP exec data
    `{inputs:{}, outputs:{_loop:1, _inner_loop:1}}`."""
    start = EmptyStartEvent(id="start")
    chain(start, simple_subprocess("SP"), EmptyEndEvent(id="end"))
    run_flow(harness, start)
    assert harness.states(ROOT) == expect([ROOT, "start", "end", *subprocess_ids("SP")], FINISHED)
    assert harness.exec_data("SP") == SP_EXEC
    assert harness.exec_data("SP_A") == debug_exec()


def test_s19_parallel_subprocesses(harness: Harness) -> None:
    """SPEC §8.19: PG over 5 subprocesses, the first followed by a 6th subprocess in the same
    branch → 29 states (pipeline included) all FINISHED; each SP exec outputs
    `{_loop:1, _inner_loop:1}`."""
    sps = [simple_subprocess(f"SP{i}") for i in range(5)]
    sps[0].extend(sixth := simple_subprocess("SP5"))
    start = EmptyStartEvent(id="start")
    start.extend(pg := ParallelGateway(id="PG"))
    fan_out(pg, sps, ConvergeGateway(id="CG")).extend(EmptyEndEvent(id="end"))
    run_flow(harness, start)
    all_sps = [*[sp.id for sp in sps], sixth.id]
    ids = [ROOT, "start", "PG", "CG", "end", *[i for sp in all_sps for i in subprocess_ids(sp)]]
    assert len(ids) == 29
    assert harness.states(ROOT) == expect(ids, FINISHED)
    assert {sp: harness.exec_data(sp) for sp in all_sps} == {sp: SP_EXEC for sp in all_sps}


def test_s20_three_nested_subprocesses(harness: Harness) -> None:
    """SPEC §8.20: Three nesting levels of subprocess → all FINISHED; each SP outputs
    `{_loop:1, _inner_loop:1}`."""
    level3 = simple_subprocess("SP3")
    level2 = simple_subprocess("SP2", inner=level3)
    level1 = simple_subprocess("SP1", inner=level2)
    start = EmptyStartEvent(id="start")
    chain(start, level1, EmptyEndEvent(id="end"))
    run_flow(harness, start)
    ids = [ROOT, "start", "end", *subprocess_ids("SP3"),
           "SP2", "SP2_start", "SP2_end", "SP1", "SP1_start", "SP1_end"]
    assert harness.states(ROOT) == expect(ids, FINISHED)
    assert {sp: harness.exec_data(sp) for sp in ("SP1", "SP2", "SP3")} == {sp: SP_EXEC for sp in ("SP1", "SP2", "SP3")}


def test_s21_subprocess_context(harness: Harness) -> None:
    """SPEC §8.21: run with `subprocess_context={"${user}":"user00","${password}":"password"}` and
    an activity with inputs u=`${user}`, p=`${password}` inside a 1st-level and a 2nd-level
    subprocess → both activities get inputs u="user00", p="password"."""
    def reader(node_id: str) -> Element:
        return debug(node_id, u=splice("${user}"), p=splice("${password}"))

    level2 = simple_subprocess("SP2", inner=reader("A2"))
    level1_start = EmptyStartEvent(id="SP1_start")
    chain(level1_start, reader("A1"), level2, EmptyEndEvent(id="SP1_end"))
    start = EmptyStartEvent(id="start")
    chain(start, SubProcess(start=level1_start, id="SP1"), EmptyEndEvent(id="end"))
    run_flow(harness, start, subprocess_context={"${user}": "user00", "${password}": "password"})
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("A1") == debug_exec(u="user00", p="password")
    assert harness.exec_data("A2") == debug_exec(u="user00", p="password")
    # §3.2: the values land as PLAIN in every subprocess scope, not in the root's.
    for scope in ("SP1", "SP2"):
        context = harness.context(scope)
        assert {k: (context[k]["type"], context[k]["value"]) for k in ("${user}", "${password}")} == {
            "${user}": ("plain", "user00"), "${password}": ("plain", "password")}
    assert harness.context(ROOT) == {}


# -- executable end events -------------------------------------------------------------


def test_s22_executable_end_event(harness: Harness) -> None:
    """SPEC §8.22: Executable end event (registered type) at root → all FINISHED; the custom
    code is called once with in_subprocess=false, root id, current pipeline id = root."""
    END_EVENTS.reset()
    start = EmptyStartEvent(id="start")
    chain(start, debug("A"), ExecutableEndEvent(type=RECORD_END, id="end"))
    run_flow(harness, start)
    assert harness.states(ROOT) == expect([ROOT, "start", "A", "end"], FINISHED)
    assert END_EVENTS.calls == [EndCall(RECORD_END, False, ROOT, ROOT)]
    assert harness.exec_data(ROOT) == {"inputs": {}, "outputs": {}}


def test_s23_executable_end_event_raises(harness: Harness) -> None:
    """SPEC §8.23: Executable end event that raises → end FAILED; start and A FINISHED;
    pipeline RUNNING."""
    END_EVENTS.reset(failures=1)
    start = EmptyStartEvent(id="start")
    chain(start, debug("A"), ExecutableEndEvent(type=RAISE_END, id="end"))
    run_flow(harness, start)
    assert harness.states(ROOT) == {ROOT: RUNNING, "start": FINISHED, "A": FINISHED, "end": FAILED}
    assert END_FAILURE_TEXT in harness.exec_data("end")["outputs"]["ex_data"]
    assert harness.exec_data("A") == debug_exec()


def test_s24_executable_end_event_raises_in_subprocess(harness: Harness) -> None:
    """SPEC §8.24: Executable end event inside a subprocess that raises → sub end FAILED;
    subprocess node and pipeline RUNNING; retry_node(sub end) re-runs it."""
    END_EVENTS.reset(failures=2)
    sub_start = EmptyStartEvent(id="SP_start")
    chain(sub_start, debug("SP_A"), ExecutableEndEvent(type=RAISE_END, id="SP_end"))
    start = EmptyStartEvent(id="start")
    chain(start, SubProcess(start=sub_start, id="SP"), ExecutableEndEvent(type=RECORD_END, id="end"))
    run_flow(harness, start)
    assert states_of(harness, [ROOT, "SP", "SP_start", "SP_A", "SP_end", "end"]) == {
        ROOT: RUNNING, "SP": RUNNING, "SP_start": FINISHED, "SP_A": FINISHED, "SP_end": FAILED, "end": None}
    failed_version = harness.version("SP_end")

    harness.ok(api.retry_node(harness.runtime, "SP_end"))  # raises once more
    harness.finish(ROOT)
    assert states_of(harness, [ROOT, "SP", "SP_end"]) == {ROOT: RUNNING, "SP": RUNNING, "SP_end": FAILED}
    assert harness.version("SP_end") != failed_version

    harness.ok(api.retry_node(harness.runtime, "SP_end"))
    harness.finish(ROOT)
    assert harness.states(ROOT) == expect([ROOT, "start", "end", *subprocess_ids("SP")], FINISHED)
    in_sub = EndCall(RAISE_END, True, ROOT, "SP")
    assert END_EVENTS.calls == [in_sub, in_sub, in_sub, EndCall(RECORD_END, False, ROOT, ROOT)]


def test_s25_unregistered_end_event_type(harness: Harness) -> None:
    """SPEC §8.25: Unregistered end event type → run_pipeline returns result=false (validation
    KeyError; Bamboo raises UnknownNodeTypeError)."""
    start = EmptyStartEvent(id="start")
    chain(start, debug("A"), ExecutableEndEvent(type="ScenarioNeverRegisteredEnd", id="end"))
    result = api.run_pipeline(harness.runtime, build_tree(start, id=ROOT))
    assert result.result is False
    assert isinstance(result.exc, UnknownNodeTypeError)
    assert harness.state(ROOT) is None
