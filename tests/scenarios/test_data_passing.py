"""SPEC §8 scenarios 26–39: data passing.

Variable types, node outputs into the context, subprocess inputs (params /
DataInput) and outputs, splice rendering and pipeline-level outputs, asserted
through execution data and the per-scope context (``harness.context``).
"""

from __future__ import annotations

from typing import Any

import pytest

from bamboo_core import api
from bamboo_core.builder import (
    EmptyEndEvent,
    EmptyStartEvent,
    NodeOutput,
    RewritableNodeOutput,
    SubProcess,
    Var,
)
from bamboo_core.builder.flow.base import Element
from tests.scenarios.components import TICK_CODE, TICKS
from tests.scenarios.harness import FAILED, FINISHED, RUNNING, Harness
from tests.scenarios.shapes import (
    LOOP1,
    ROOT,
    act,
    chain,
    data,
    data_input,
    debug,
    debug_exec,
    lazy,
    plain,
    run_flow,
    simple_subprocess,
    splice,
    states_of,
)


def typed(h: Harness, scope: str) -> dict[str, tuple[str, Any]]:
    """A scope's context as ``{key: (type, value)}``."""
    return {key: (value["type"], value["value"]) for key, value in h.context(scope).items()}


def flow(*elements: Element) -> EmptyStartEvent:
    """``start → elements... → end`` at the root; returns the start."""
    start = EmptyStartEvent(id="start")
    chain(start, *elements, EmptyEndEvent(id="end"))
    return start


def subprocess_of(sp_id: str, *elements: Element, **kwargs: Any) -> SubProcess:
    """A SubProcess ``<sp>_start → elements... → <sp>_end`` (kwargs: data, params)."""
    start = EmptyStartEvent(id=f"{sp_id}_start")
    chain(start, *elements, EmptyEndEvent(id=f"{sp_id}_end"))
    return SubProcess(start=start, id=sp_id, **kwargs)


def test_s26_all_variable_types(harness: Harness) -> None:
    """SPEC §8.26: A inputs: param_1 splice `${constant_1}` (context plain "value_1"), param_2
    lazy upper_case "abc", param_3 plain "normal var" → A exec inputs `{param_1:"value_1",
    param_2:"ABC", param_3:"normal var", _loop:1, _inner_loop:1}`; root context has exactly 2
    keys: `${constant_1}` (PLAIN "value_1") and `${param_2_<A.id>}` (COMPUTE, value "abc", code
    upper_case)."""
    a = debug("A", param_1=splice("${constant_1}"), param_2=lazy("upper_case", "abc"), param_3="normal var")
    run_flow(harness, flow(a), pipeline_data=data({"${constant_1}": plain("value_1")}))
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("A") == debug_exec(param_1="value_1", param_2="ABC", param_3="normal var")
    context = harness.context(ROOT)
    assert set(context) == {"${constant_1}", "${param_2_A}"}
    assert (context["${constant_1}"]["type"], context["${constant_1}"]["value"]) == ("plain", "value_1")
    computed = context["${param_2_A}"]
    assert (computed["type"], computed["value"], computed["code"]) == ("lazy", "abc", "upper_case")


def test_s27_node_output(harness: Harness) -> None:
    """SPEC §8.27: NodeOutput: A1 param_1 plain "output_value_1"; context `${act_1_output}` =
    NodeOutput(A1, "param_1"); A2 param_2 = splice `${act_1_output}` → A2 input
    "output_value_1"; context then holds only `${act_1_output}` PLAIN "output_value_1" (the key
    did not exist before A1 finished)."""
    timer = act("timer", "T", bk_timing=1)  # holds the flow before A1 so the context can be read
    a1 = debug("A1", param_1="output_value_1")
    a2 = debug("A2", param_2=splice("${act_1_output}"))
    context = data({"${act_1_output}": NodeOutput("A1", "param_1", type=Var.SPLICE, value="")})
    harness.run(harness.tree(flow(timer, a1, a2), id=ROOT, data=context))
    assert states_of(harness, ["T", "A1"]) == {"T": RUNNING, "A1": None}
    assert typed(harness, ROOT) == {}
    harness.finish(ROOT)
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("A2") == debug_exec(param_2="output_value_1")
    assert typed(harness, ROOT) == {"${act_1_output}": ("plain", "output_value_1")}


def test_s28_subprocess_output(harness: Harness) -> None:
    """SPEC §8.28: child has A (param_1 "from_subprocess"), child context `${act_1_output}` =
    NodeOutput(A,"param_1"), child outputs ["${act_1_output}"]; parent `${subprocess_output}` =
    NodeOutput(SP, "${act_1_output}"); next parent activity renders it → "from_subprocess"; SP
    exec outputs `{"${act_1_output}": "from_subprocess", _loop:1, _inner_loop:1}`; child context
    has that key; the SP's outputs map that key."""
    child_data = data({"${act_1_output}": NodeOutput("SP_A", "param_1")}, outputs=["${act_1_output}"])
    sp = simple_subprocess("SP", inner=debug("SP_A", param_1="from_subprocess"), sp_data=child_data)
    b = debug("B", param_1=splice("${subprocess_output}"))
    root_data = data({"${subprocess_output}": NodeOutput("SP", "${act_1_output}")})
    run_flow(harness, flow(sp, b), pipeline_data=root_data)
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("B") == debug_exec(param_1="from_subprocess")
    assert harness.exec_data("SP") == {"inputs": {}, "outputs": {"${act_1_output}": "from_subprocess", **LOOP1}}
    assert typed(harness, "SP") == {"${act_1_output}": ("plain", "from_subprocess")}
    assert typed(harness, ROOT) == {"${subprocess_output}": ("plain", "from_subprocess")}
    assert harness.ok(api.get_data(harness.runtime, "SP"))["outputs"] == {"${act_1_output}": "${subprocess_output}"}


def test_s28_subprocess_output_two_levels(harness: Harness) -> None:
    """SPEC §8.28: Two nested levels propagate two keys the same way."""
    inner_data = data({"${k1}": NodeOutput("SP2_A", "param_1"), "${k2}": NodeOutput("SP2_A", "param_2")},
                      outputs=["${k1}", "${k2}"])
    inner = simple_subprocess("SP2", inner=debug("SP2_A", param_1="v1", param_2="v2"), sp_data=inner_data)
    middle_data = data({"${m1}": NodeOutput("SP2", "${k1}"), "${m2}": NodeOutput("SP2", "${k2}")},
                       outputs=["${m1}", "${m2}"])
    middle = simple_subprocess("SP1", inner=inner, sp_data=middle_data)
    root_data = data({"${r1}": NodeOutput("SP1", "${m1}"), "${r2}": NodeOutput("SP1", "${m2}")})
    reader = debug("C", p1=splice("${r1}"), p2=splice("${r2}"))
    run_flow(harness, flow(middle, reader), pipeline_data=root_data)
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("C") == debug_exec(p1="v1", p2="v2")
    assert harness.exec_data("SP2")["outputs"] == {"${k1}": "v1", "${k2}": "v2", **LOOP1}
    assert harness.exec_data("SP1")["outputs"] == {"${m1}": "v1", "${m2}": "v2", **LOOP1}
    assert typed(harness, "SP2") == {"${k1}": ("plain", "v1"), "${k2}": ("plain", "v2")}
    assert typed(harness, "SP1") == {"${m1}": ("plain", "v1"), "${m2}": ("plain", "v2")}
    assert typed(harness, ROOT) == {"${r1}": ("plain", "v1"), "${r2}": ("plain", "v2")}


def test_s29_rewritable_node_output(harness: Harness) -> None:
    """SPEC §8.29: RewritableNodeOutput `${rw}` from [(A1,"param_1"), (A2,"param_2")], A1
    param_1 "output_value_1", A2 param_2 "output_value_2", A2 and A3 read `${rw}` → A2 sees
    "output_value_1", A3 sees "output_value_2"; final context `${rw}` = "output_value_2" (only
    key)."""
    sources = [{"source_act": "A1", "source_key": "param_1"}, {"source_act": "A2", "source_key": "param_2"}]
    a1 = debug("A1", param_1="output_value_1")
    a2 = debug("A2", param_1=splice("${rw}"), param_2="output_value_2")
    a3 = debug("A3", param_1=splice("${rw}"))
    run_flow(harness, flow(a1, a2, a3), pipeline_data=data({"${rw}": RewritableNodeOutput(sources)}))
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("A2") == debug_exec(param_1="output_value_1", param_2="output_value_2")
    assert harness.exec_data("A3") == debug_exec(param_1="output_value_2")
    assert typed(harness, ROOT) == {"${rw}": ("plain", "output_value_2")}


def param_child(sp_id: str, key: str, default: str, kind: str = Var.PLAIN, **kwargs: Any) -> SubProcess:
    """A subprocess whose activity ``<sp>_A`` reads child input ``key`` (a DataInput)."""
    child_data = data({key: data_input(default, kind)})
    return simple_subprocess(sp_id, inner=debug(f"{sp_id}_A", param_1=splice(key)), sp_data=child_data, **kwargs)


@pytest.mark.parametrize("kind", [Var.PLAIN, Var.SPLICE])
def test_s30_data_input_overridden_by_params(harness: Harness, kind: str) -> None:
    """SPEC §8.30: child `${sub_constant_1}` = DataInput plain "default_value"; parent params
    `{${sub_constant_1}: splice ${constant_1}}`, parent `${constant_1}` = "value_1" → child
    activity gets "value_1"; SP exec inputs `{"${sub_constant_1}": "value_1"}`; child context
    `${sub_constant_1}` PLAIN "value_1". Same when the DataInput is splice-typed."""
    sp = param_child("SP", "${sub_constant_1}", "default_value", kind,
                     sp_params={"${sub_constant_1}": splice("${constant_1}")})
    run_flow(harness, flow(sp), pipeline_data=data({"${constant_1}": plain("value_1")}))
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("SP_A") == debug_exec(param_1="value_1")
    assert harness.exec_data("SP") == {"inputs": {"${sub_constant_1}": "value_1"}, "outputs": dict(LOOP1)}
    assert typed(harness, "SP") == {"${sub_constant_1}": ("plain", "value_1")}
    assert typed(harness, ROOT) == {"${constant_1}": ("plain", "value_1")}


def test_s31_data_input_default(harness: Harness) -> None:
    """SPEC §8.31: Same without params → child gets "default_value"; SP exec inputs `{}`."""
    sp = param_child("SP", "${sub_constant_1}", "default_value")
    run_flow(harness, flow(sp), pipeline_data=data({"${constant_1}": plain("value_1")}))
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("SP_A") == debug_exec(param_1="default_value")
    assert harness.exec_data("SP") == {"inputs": {}, "outputs": dict(LOOP1)}
    assert typed(harness, "SP") == {"${sub_constant_1}": ("plain", "default_value")}


@pytest.mark.parametrize(("key_1", "key_2", "root_key"), [
    ("${sub_constant_1}", "${sub_constant_2}", "${constant}"),
    ("${same_key}", "${same_key}", "${same_key}"),
])
def test_s32_param_chain(harness: Harness, key_1: str, key_2: str, root_key: str) -> None:
    """SPEC §8.32: Param chain through two levels (root `${constant}`="value_3" → level-2 param →
    level-1 param) → innermost activity "value_3"; both SP exec inputs hold "value_3". Works even
    when every level uses the same key name `${same_key}`."""
    level1 = param_child("SP1", key_1, "default_value_1", sp_params={key_1: splice(key_2)})
    level2 = simple_subprocess("SP2", inner=level1, sp_data=data({key_2: data_input("default_value_2")}),
                               sp_params={key_2: splice(root_key)})
    run_flow(harness, flow(level2), pipeline_data=data({root_key: plain("value_3")}))
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("SP1_A") == debug_exec(param_1="value_3")
    assert harness.exec_data("SP1")["inputs"] == {key_1: "value_3"}
    assert harness.exec_data("SP2")["inputs"] == {key_2: "value_3"}
    assert typed(harness, "SP1") == {key_1: ("plain", "value_3")}
    assert typed(harness, "SP2") == {key_2: ("plain", "value_3")}
    assert typed(harness, ROOT) == {root_key: ("plain", "value_3")}


def test_s33_params_from_parent_node_output(harness: Harness) -> None:
    """SPEC §8.33: Params referencing a parent NodeOutput produced before the subprocess → child
    sees the produced value."""
    a1 = debug("A1", param_1="output_value_1")
    sp = param_child("SP", "${sub_constant_1}", "value_1",
                     sp_params={"${sub_constant_1}": splice("${act_1_output}")})
    root_data = data({"${act_1_output}": NodeOutput("A1", "param_1", type=Var.SPLICE, value="")})
    run_flow(harness, flow(a1, sp), pipeline_data=root_data)
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("SP_A") == debug_exec(param_1="output_value_1")
    assert harness.exec_data("SP") == {"inputs": {"${sub_constant_1}": "output_value_1"}, "outputs": dict(LOOP1)}
    assert typed(harness, ROOT) == {"${act_1_output}": ("plain", "output_value_1")}
    assert typed(harness, "SP") == {"${sub_constant_1}": ("plain", "output_value_1")}


def test_s34_splice_of_child_node_output(harness: Harness) -> None:
    """SPEC §8.34: Inside a child: `${sub_act_1_outputs}` = NodeOutput(sub A1,"param_2"), `${ref}`
    = splice `${sub_act_1_outputs}`; sub A2 param = `${ref}` → "sub_var2"; child context ends with
    3 keys, `${ref}` still SPLICE with raw value."""
    sub_a1 = debug("SP_A1", param_1=splice("${sub_constant_1}"), param_2="sub_var2")
    sub_a2 = debug("SP_A2", param_1=splice("${ref}"))
    child_data = data({
        "${sub_constant_1}": data_input("value_1"),
        "${sub_act_1_outputs}": NodeOutput("SP_A1", "param_2", type=Var.SPLICE, value=""),
        "${ref}": splice("${sub_act_1_outputs}"),
    })
    sp = subprocess_of("SP", sub_a1, sub_a2, data=child_data,
                       params={"${sub_constant_1}": splice("${act_1_output}")})
    root_data = data({"${act_1_output}": NodeOutput("A1", "param_1", type=Var.SPLICE, value="")})
    run_flow(harness, flow(debug("A1", param_1="output_value_1"), sp), pipeline_data=root_data)
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("SP_A1") == debug_exec(param_1="output_value_1", param_2="sub_var2")
    assert harness.exec_data("SP_A2") == debug_exec(param_1="sub_var2")
    assert typed(harness, "SP") == {
        "${sub_constant_1}": ("plain", "output_value_1"),
        "${sub_act_1_outputs}": ("plain", "sub_var2"),
        "${ref}": ("splice", "${sub_act_1_outputs}"),
    }
    assert typed(harness, ROOT) == {"${act_1_output}": ("plain", "output_value_1")}


def test_s35_splice_chains(harness: Harness) -> None:
    """SPEC §8.35: `${c1}`="value_1_${c2}", `${c2}`="value_2_${c3}", `${c3}`="value_3", input
    `${c1}` → "value_1_value_2_value_3"; input `${c1}__${c2}` with plain c1/c2 →
    "value_1__value_2"."""
    context = data({
        "${c1}": splice("value_1_${c2}"), "${c2}": splice("value_2_${c3}"), "${c3}": plain("value_3"),
        "${p1}": plain("value_1"), "${p2}": plain("value_2"),
    })
    a1 = debug("A1", v=splice("${c1}"))
    a2 = debug("A2", v=splice("${p1}__${p2}"))
    run_flow(harness, flow(a1, a2), pipeline_data=context)
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("A1") == debug_exec(v="value_1_value_2_value_3")
    assert harness.exec_data("A2") == debug_exec(v="value_1__value_2")


def test_s36_template_typing(harness: Harness) -> None:
    """SPEC §8.36: input exactly `${l}` with l a list → list object; `x-${a}-${b}` with a=2,b="3"
    → "x-2-3"; `${int(n)+1}` with n="5" → "6"; `${missing}` → literal `${missing}`;
    `${"p{}".format(k)}` → literal (blocked on master)."""
    blocked = '${"p{}".format(k)}'
    context = data({"${l}": plain([1, 2, 3]), "${a}": plain(2), "${b}": plain("3"), "${n}": plain("5"),
                    "${k}": plain("v")})
    a = debug("A", whole=splice("${l}"), mixed=splice("x-${a}-${b}"), arith=splice("${int(n)+1}"),
              missing=splice("${missing}"), fmt=splice(blocked))
    run_flow(harness, flow(a), pipeline_data=context)
    assert harness.state(ROOT) == FINISHED
    inputs = harness.exec_data("A")["inputs"]
    assert inputs == {**LOOP1, "whole": [1, 2, 3], "mixed": "x-2-3", "arith": "6", "missing": "${missing}",
                      "fmt": blocked}
    assert isinstance(inputs["whole"], list)


def test_s37_circular_splice_references(harness: Harness) -> None:
    """SPEC §8.37: Circular splice references used by an activity → activity FAILED with ex_data
    starting "inputs hydrate failed"."""
    context = data({"${x}": splice("x-${y}"), "${y}": splice("y-${x}")})
    run_flow(harness, flow(debug("A", p=splice("${x}"), q="raw")), pipeline_data=context)
    assert states_of(harness, [ROOT, "start", "A", "end"]) == {
        ROOT: RUNNING, "start": FINISHED, "A": FAILED, "end": None}
    exec_data = harness.exec_data("A")
    assert exec_data["inputs"] == {"q": "raw"}  # §6.3: the raw plain inputs
    outputs = exec_data["outputs"]
    assert outputs["ex_data"].startswith("inputs hydrate failed")
    assert {k: v for k, v in outputs.items() if k != "ex_data"} == {"_result": False, **LOOP1}


def test_s38_root_outputs(harness: Harness) -> None:
    """SPEC §8.38: Root outputs `["${o}"]` → after finish, execution outputs of the root id =
    `{"${o}": <value>}`. Decisions table: a declared output key missing from the context is left
    out (bamboo-engine yields the key string)."""
    root_data = data({"${o}": NodeOutput("A", "param_1"), "${c}": plain("const")},
                     outputs=["${o}", "${c}", "${missing}"])
    run_flow(harness, flow(debug("A", param_1="result")), pipeline_data=root_data)
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data(ROOT) == {"inputs": {}, "outputs": {"${o}": "result", "${c}": "const"}}


def test_s39_pre_render_keys_freeze_lazy_value(harness: Harness) -> None:
    """SPEC §8.39: `pre_render_keys=["${t}"]` with a lazy `${t}` → `${t}` is computed once at
    start and stored PLAIN; later readers see that frozen value."""
    TICKS.reset()
    context = data({"${t}": lazy(TICK_CODE, "tick")}, pre_render_keys=["${t}"])
    run_flow(harness, flow(debug("A1", p=splice("${t}")), debug("A2", p=splice("${t}"))), pipeline_data=context)
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("A1") == debug_exec(p="tick-1")
    assert harness.exec_data("A2") == debug_exec(p="tick-1")
    assert typed(harness, ROOT) == {"${t}": ("plain", "tick-1")}
    assert TICKS.count == 1


def test_s39_without_pre_render_each_reader_computes(harness: Harness) -> None:
    """SPEC §8.39 (contrast) and §3.3: without pre_render_keys the lazy `${t}` is computed for
    every reader and stays a lazy context value."""
    TICKS.reset()
    context = data({"${t}": lazy(TICK_CODE, "tick")})
    run_flow(harness, flow(debug("A1", p=splice("${t}")), debug("A2", p=splice("${t}"))), pipeline_data=context)
    assert harness.state(ROOT) == FINISHED
    assert harness.exec_data("A1") == debug_exec(p="tick-1")
    assert harness.exec_data("A2") == debug_exec(p="tick-2")
    assert typed(harness, ROOT) == {"${t}": ("lazy", "tick")}
