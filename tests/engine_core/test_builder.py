"""bamboo_core.builder: element wiring and the exact tree shapes it emits (SPEC §2.1, §2.2)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bamboo_core.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ExecutableEndEvent,
    FancyDict,
    InitializedRewritableNodeOutput,
    NodeOutput,
    ParallelGateway,
    Params,
    RewritableNodeOutput,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_core.builder.flow.base import Element
from bamboo_core.errors import ConnectionValidateError, InvalidTreeError, TreeSchemaError

Tree = dict[str, Any]
HEX = set("0123456789abcdef")


def flow_id(tree: Tree, source: str, target: str) -> str:
    """The id of the single flow source → target."""
    found = [f["id"] for f in tree["flows"].values() if (f["source"], f["target"]) == (source, target)]
    assert len(found) == 1, found
    return found[0]


def assert_generated(value: str, prefix: str) -> None:
    assert len(value) == 33
    assert value[0] == prefix
    assert set(value[1:]) <= HEX


# --- ids ------------------------------------------------------------------------------------


def test_generated_ids_have_33_chars_and_kind_prefix() -> None:
    start, act, end = EmptyStartEvent(), ServiceActivity(component_code="c"), EmptyEndEvent()
    start.extend(act).extend(end)
    tree = build_tree(start)
    assert_generated(tree["id"], "p")
    for elem in (start, act, end):
        assert_generated(elem.id, "e")
    assert len(tree["flows"]) == 2
    for fid, flow in tree["flows"].items():
        assert_generated(fid, "f")
        assert flow["id"] == fid


def test_generated_ids_are_unique() -> None:
    assert len({ServiceActivity().id for _ in range(200)}) == 200


def test_explicit_ids_win() -> None:
    start = EmptyStartEvent(id="s", name="Start")
    end = EmptyEndEvent(id="e", name="End")
    start.extend(end)
    tree = build_tree(start, id="pipe")
    assert tree["id"] == "pipe"
    assert tree["start_event"]["id"] == "s"
    assert tree["start_event"]["name"] == "Start"
    assert tree["end_event"]["id"] == "e"


# --- exact shapes ---------------------------------------------------------------------------


def test_simple_chain_exact_tree() -> None:
    start = EmptyStartEvent(id="start")
    act = ServiceActivity(component_code="debug", id="act", name="A")
    end = EmptyEndEvent(id="end")
    start.extend(act).extend(end)
    tree = build_tree(start, id="root")
    f1, f2 = flow_id(tree, "start", "act"), flow_id(tree, "act", "end")
    assert tree == {
        "id": "root",
        "start_event": {"id": "start", "type": "EmptyStartEvent", "name": None, "incoming": "", "outgoing": f1},
        "end_event": {"id": "end", "type": "EmptyEndEvent", "name": None, "incoming": [f2], "outgoing": ""},
        "activities": {
            "act": {
                "id": "act",
                "type": "ServiceActivity",
                "name": "A",
                "incoming": [f1],
                "outgoing": f2,
                "component": {"code": "debug", "inputs": {}},
                "error_ignorable": False,
                "skippable": True,
                "retryable": True,
                "timeout": None,
                "optional": False,
            }
        },
        "gateways": {},
        "flows": {
            f1: {"id": f1, "source": "start", "target": "act", "is_default": False},
            f2: {"id": f2, "source": "act", "target": "end", "is_default": False},
        },
        "data": {"inputs": {}, "outputs": []},
    }
    assert list(tree) == ["id", "start_event", "end_event", "activities", "gateways", "flows", "data"]


def test_service_activity_options_inputs_and_version() -> None:
    act = ServiceActivity(
        component_code="comp",
        error_ignorable=True,
        timeout=30,
        skippable=False,
        retryable=False,
        id="a",
        name="n",
        loop_config={"enable": True, "loop_times": 3},
    )
    act.component.inputs.p_plain = Var(type=Var.PLAIN, value=1)
    act.component.inputs.p_splice = Var(type=Var.SPLICE, value="${x}")
    act.component.inputs["p_lazy"] = Var(Var.LAZY, "abc", "upper_case")
    act.component.inputs.raw = {"type": "plain", "value": [1], "need_render": False}
    act.component.version = "1.2"
    start, end = EmptyStartEvent(), EmptyEndEvent()
    start.extend(act).extend(end)
    node = build_tree(start)["activities"]["a"]
    assert node["component"] == {
        "code": "comp",
        "inputs": {
            "p_plain": {"type": "plain", "value": 1},
            "p_splice": {"type": "splice", "value": "${x}"},
            "p_lazy": {"type": "lazy", "value": "abc", "custom_type": "upper_case"},
            "raw": {"type": "plain", "value": [1], "need_render": False},
        },
        "version": "1.2",
    }
    assert (node["error_ignorable"], node["skippable"], node["retryable"]) == (True, False, False)
    assert (node["timeout"], node["optional"], node["name"]) == (30, False, "n")
    assert node["loop_config"] == {"enable": True, "loop_times": 3}


def test_service_activity_positional_arguments_follow_bamboo_engine() -> None:
    act = ServiceActivity("code", True, 5, False, False, "the_id", "the_name")
    assert (act.component.code, act.error_ignorable, act.timeout) == ("code", True, 5)
    assert (act.skippable, act.retryable, act.id, act.name) == (False, False, "the_id", "the_name")
    assert act.component_dict() == {"code": "code", "inputs": {}}
    assert act.loop_config is None


def test_executable_end_event_uses_its_type() -> None:
    start = EmptyStartEvent()
    act = ServiceActivity(component_code="c")
    end = ExecutableEndEvent(type="MyEndEvent", id="end", name="custom")
    start.extend(act).extend(end)
    tree = build_tree(start)
    assert tree["end_event"] == {
        "id": "end",
        "type": "MyEndEvent",
        "name": "custom",
        "incoming": [flow_id(tree, act.id, "end")],
        "outgoing": "",
    }


def test_parallel_and_converge_gateway_shapes() -> None:
    start, end = EmptyStartEvent(), EmptyEndEvent()
    pg, cg = ParallelGateway(id="pg", name="fork"), ConvergeGateway(id="cg")
    a, b = ServiceActivity(id="a"), ServiceActivity(id="b")
    start.extend(pg).connect(a, b).converge(cg).extend(end)
    tree = build_tree(start)
    outs = [flow_id(tree, "pg", "a"), flow_id(tree, "pg", "b")]
    assert tree["gateways"]["pg"] == {
        "id": "pg",
        "type": "ParallelGateway",
        "name": "fork",
        "incoming": [flow_id(tree, start.id, "pg")],
        "outgoing": outs,
    }
    assert tree["gateways"]["cg"] == {
        "id": "cg",
        "type": "ConvergeGateway",
        "name": None,
        "incoming": [flow_id(tree, "a", "cg"), flow_id(tree, "b", "cg")],
        "outgoing": flow_id(tree, "cg", end.id),
    }


@pytest.mark.parametrize("gateway_cls", [ExclusiveGateway, ConditionalParallelGateway])
def test_condition_indexes_map_to_flows_in_connect_order(gateway_cls: type[ExclusiveGateway]) -> None:
    gw = gateway_cls(
        conditions={0: "${a} == 1", 1: "${a} == 2", 2: "True == False"},
        default_condition_outgoing=1,
        id="gw",
        name="choose",
    )
    start, cg, end = EmptyStartEvent(), ConvergeGateway(id="cg"), EmptyEndEvent()
    branches = [ServiceActivity(id=f"b{i}") for i in range(3)]
    start.extend(gw).connect(*branches).converge(cg).extend(end)
    tree = build_tree(start)
    outs = [flow_id(tree, "gw", f"b{i}") for i in range(3)]
    assert tree["gateways"]["gw"] == {
        "id": "gw",
        "type": gateway_cls.__name__,
        "name": "choose",
        "incoming": [flow_id(tree, start.id, "gw")],
        "outgoing": outs,
        "conditions": {
            outs[0]: {"evaluate": "${a} == 1"},
            outs[1]: {"evaluate": "${a} == 2"},
            outs[2]: {"evaluate": "True == False"},
        },
        "default_condition": {"flow_id": outs[1]},
    }
    assert list(tree["gateways"]["gw"]["conditions"]) == outs


def test_condition_gateway_without_default_add_condition_and_extra_info() -> None:
    gw = ExclusiveGateway(id="gw", extra_info={"strategy": "FIRST"})
    gw.add_condition(1, "b")
    gw.add_condition(0, "a")
    gw.add_condition(7, "no such branch")
    x, y, end = ServiceActivity(id="x"), ServiceActivity(id="y"), EmptyEndEvent()
    start = EmptyStartEvent()
    start.extend(gw).connect(x, y)
    x.extend(end)
    y.extend(end)
    node = build_tree(start)["gateways"]["gw"]
    assert node["default_condition"] == {}
    assert [c["evaluate"] for c in node["conditions"].values()] == ["a", "b"]
    assert node["extra_info"] == {"strategy": "FIRST"}


def test_default_condition_index_out_of_range_is_rejected() -> None:
    gw = ExclusiveGateway(conditions={0: "True"}, default_condition_outgoing=3, id="gw")
    start, act, end = EmptyStartEvent(), ServiceActivity(), EmptyEndEvent()
    start.extend(gw).extend(act).extend(end)
    with pytest.raises(TreeSchemaError) as info:
        build_tree(start)
    assert info.value.node_ids == ("gw",)


def test_subprocess_tree_nests_with_node_id() -> None:
    sub_start, sub_act, sub_end = EmptyStartEvent(id="ss"), ServiceActivity(id="sa"), EmptyEndEvent(id="se")
    sub_start.extend(sub_act).extend(sub_end)
    sub_data = Data(outputs=["${out}"])
    sub_data.inputs["${k}"] = DataInput(type=Var.PLAIN, value="default")
    sub_data.inputs["${out}"] = NodeOutput(type=Var.PLAIN, source_act="sa", source_key="x")
    params = Params({"${k}": Var(type=Var.SPLICE, value="${parent}")})
    sp = SubProcess(start=sub_start, data=sub_data, params=params, id="sp", name="child")
    start, end = EmptyStartEvent(id="s"), EmptyEndEvent(id="e")
    start.extend(sp).extend(end)
    tree = build_tree(start)
    node = tree["activities"]["sp"]
    child = node.pop("pipeline")
    assert node == {
        "id": "sp",
        "type": "SubProcess",
        "name": "child",
        "incoming": [flow_id(tree, "s", "sp")],
        "outgoing": flow_id(tree, "sp", "e"),
        "params": {"${k}": {"type": "splice", "value": "${parent}"}},
    }
    assert child["id"] == "sp"
    assert child["start_event"]["id"] == "ss"
    assert set(child["activities"]) == {"sa"}
    assert child["end_event"]["incoming"] == [flow_id(child, "sa", "se")]
    assert child["data"] == {
        "inputs": {
            "${k}": {"type": "plain", "value": "default", "is_param": True},
            "${out}": {"type": "plain", "value": None, "source_act": "sa", "source_key": "x"},
        },
        "outputs": ["${out}"],
        "pre_render_keys": [],
    }
    assert not set(child["flows"]) & set(tree["flows"])


def test_subprocess_with_plain_dicts_and_defaults() -> None:
    sub_start, sub_end = EmptyStartEvent(), EmptyEndEvent()
    sub_start.extend(ServiceActivity()).extend(sub_end)
    sp = SubProcess(start=sub_start, params={"${a}": Var(Var.PLAIN, 1), "${b}": {"type": "plain", "value": 2}})
    start, end = EmptyStartEvent(), EmptyEndEvent()
    start.extend(sp).extend(end)
    node = build_tree(start)["activities"][sp.id]
    assert node["params"] == {"${a}": {"type": "plain", "value": 1}, "${b}": {"type": "plain", "value": 2}}
    assert node["pipeline"]["data"] == {"inputs": {}, "outputs": []}
    assert SubProcess(start=sub_start).params_dict() == {}


def test_subprocess_without_start_is_rejected() -> None:
    start, sp, end = EmptyStartEvent(), SubProcess(id="sp"), EmptyEndEvent()
    start.extend(sp).extend(end)
    with pytest.raises(TreeSchemaError) as info:
        build_tree(start)
    assert (info.value.node_ids, info.value.field) == (("sp",), "start")


# --- data -----------------------------------------------------------------------------------


def test_var_dict_forms() -> None:
    assert Var(Var.PLAIN, 1).to_dict() == {"type": "plain", "value": 1}
    assert Var(Var.SPLICE, "${a}", custom_type="ignored").to_dict() == {"type": "splice", "value": "${a}"}
    assert Var(Var.LAZY, "v", "code").to_dict() == {"type": "lazy", "value": "v", "custom_type": "code"}
    assert (Var.PLAIN, Var.SPLICE, Var.LAZY) == ("plain", "splice", "lazy")
    assert DataInput(Var.LAZY, "v", "code").to_dict() == {
        "type": "lazy",
        "value": "v",
        "custom_type": "code",
        "is_param": True,
    }


def test_node_output_forms_and_bamboo_argument_order() -> None:
    expected = {"type": "plain", "value": None, "source_act": "act", "source_key": "key"}
    assert NodeOutput("act", "key").to_dict() == expected
    assert NodeOutput(source_act="act", source_key="key", type=Var.PLAIN).to_dict() == expected
    assert NodeOutput("act", "key", Var.SPLICE, value="x").to_dict()["value"] == "x"


def test_rewritable_outputs() -> None:
    sources = [{"source_act": "a1", "source_key": "k1"}, {"source_act": "a2", "source_key": "k2"}]
    assert RewritableNodeOutput(source_act=sources, type=Var.PLAIN).to_dict() == {
        "type": "plain",
        "value": None,
        "source_act": sources,
    }
    assert RewritableNodeOutput(sources, Var.SPLICE).to_dict()["type"] == "splice"
    assert InitializedRewritableNodeOutput(sources, Var.PLAIN, "init").to_dict() == {
        "type": "plain",
        "value": "init",
        "source_act": sources,
        "need_initialization": True,
    }


def test_data_and_params_to_dict() -> None:
    data = Data(inputs={"${a}": Var(Var.PLAIN, 1)}, outputs=["${a}"], pre_render_keys=["${a}"])
    data.inputs["${raw}"] = {"type": "plain", "value": 2}
    assert data.to_dict() == {
        "inputs": {"${a}": {"type": "plain", "value": 1}, "${raw}": {"type": "plain", "value": 2}},
        "outputs": ["${a}"],
        "pre_render_keys": ["${a}"],
    }
    assert Data().to_dict() == {"inputs": {}, "outputs": [], "pre_render_keys": []}
    params = Params({"${p}": Var(Var.LAZY, "x", "c")})
    assert params.to_dict() == {"${p}": {"type": "lazy", "value": "x", "custom_type": "c"}}
    assert Params().to_dict() == {}


def test_build_tree_data_argument() -> None:
    start, end = EmptyStartEvent(), EmptyEndEvent()
    start.extend(end)
    data = Data(pre_render_keys=["${t}"])
    data.inputs["${t}"] = Var(Var.LAZY, "abc", "upper_case")
    assert build_tree(start, data=data)["data"] == {
        "inputs": {"${t}": {"type": "lazy", "value": "abc", "custom_type": "upper_case"}},
        "outputs": [],
        "pre_render_keys": ["${t}"],
    }
    as_dict = {"inputs": {"${x}": Var(Var.PLAIN, 1)}, "outputs": ["${x}"]}
    assert build_tree(start, data=as_dict)["data"] == {
        "inputs": {"${x}": {"type": "plain", "value": 1}},
        "outputs": ["${x}"],
    }
    assert build_tree(start, data={})["data"] == {"inputs": {}, "outputs": []}


def test_fancy_dict_attribute_access() -> None:
    d = FancyDict()
    d.key = 1
    assert d == {"key": 1}
    assert d.key == 1
    assert not hasattr(d, "missing")
    del d.key
    assert d == {}
    with pytest.raises(AttributeError):
        del d.key
    assert d.get("key") is None  # dict methods are not shadowed by keys


# --- wiring ---------------------------------------------------------------------------------


def test_wiring_return_values() -> None:
    a, b, c, d = ServiceActivity(), ServiceActivity(), ServiceActivity(), ServiceActivity()
    assert a.extend(b) is b
    assert a.connect(c, d) is a
    assert a.outgoing == [b, c, d]
    assert a.to(d) is d
    assert d.outgoing == []


def test_converge_joins_the_tail_of_every_branch() -> None:
    pg, cg = ParallelGateway(), ConvergeGateway()
    a1, a2, b1, c1 = (ServiceActivity() for _ in range(4))
    pg.connect(a1, b1, c1)
    a1.extend(a2)
    assert a1.tail() is a2
    assert pg.tail() is a2
    assert pg.converge(cg) is cg
    assert a2.outgoing == [cg]
    assert b1.outgoing == [cg]
    assert c1.outgoing == [cg]
    assert a1.outgoing == [a2]
    assert a1.tail() is cg
    assert cg.tail() is cg


def test_tail_stops_on_a_cycle() -> None:
    a, b = ServiceActivity(), ServiceActivity()
    a.extend(b).extend(a)
    assert a.tail() is b


def test_element_equality_is_by_id() -> None:
    assert ServiceActivity(id="x") == EmptyEndEvent(id="x")
    assert ServiceActivity(id="x") != ServiceActivity(id="y")
    assert len({ServiceActivity(id="x"), ServiceActivity(id="x")}) == 1
    assert ServiceActivity(id="x") != "x"
    assert repr(ServiceActivity(id="x", name="n")) == "<ServiceActivity n:x>"


# --- whole trees ----------------------------------------------------------------------------


def test_scenario_3_parallel_tree() -> None:
    start, pg, cg, end = EmptyStartEvent(), ParallelGateway(id="pg"), ConvergeGateway(id="cg"), EmptyEndEvent()
    firsts = [ServiceActivity(component_code="debug", id=f"b{i}") for i in range(10)]
    seconds = [ServiceActivity(component_code="debug", id=f"b{i}_2") for i in range(5)]
    for first, second in zip(firsts, seconds):
        first.extend(second)
    start.extend(pg).connect(*firsts).converge(cg).extend(end)
    tree = build_tree(start)
    assert len(tree["activities"]) == 15
    assert list(tree["activities"]) == [f"b{i}" for i in range(10)] + [f"b{i}_2" for i in range(5)]
    assert len(tree["flows"]) == 1 + 10 + 5 + 10 + 1
    assert len(tree["gateways"]["pg"]["outgoing"]) == 10
    tails = [f"b{i}_2" for i in range(5)] + [f"b{i}" for i in range(5, 10)]
    assert sorted(tree["gateways"]["cg"]["incoming"]) == sorted(flow_id(tree, t, "cg") for t in tails)
    assert tree["end_event"]["incoming"] == [flow_id(tree, "cg", end.id)]
    for flow in tree["flows"].values():
        assert flow["id"] in _outgoing_of(tree, flow["source"])


def _outgoing_of(tree: Tree, node_id: str) -> list[str]:
    node = _node(tree, node_id)
    out = node["outgoing"]
    return out if isinstance(out, list) else [out]


def _node(tree: Tree, node_id: str) -> dict[str, Any]:
    if tree["start_event"]["id"] == node_id:
        return tree["start_event"]
    if tree["end_event"]["id"] == node_id:
        return tree["end_event"]
    return tree["activities"].get(node_id) or tree["gateways"][node_id]


def test_node_reached_twice_is_emitted_once() -> None:
    start, eg, end = EmptyStartEvent(), ExclusiveGateway(conditions={0: "True", 1: "False"}), EmptyEndEvent()
    x, y = ServiceActivity(id="x"), ServiceActivity(id="y")
    start.extend(eg).connect(x, y)
    x.extend(end)
    y.extend(end)
    tree = build_tree(start)
    assert tree["end_event"]["incoming"] == [flow_id(tree, "x", end.id), flow_id(tree, "y", end.id)]
    assert len(tree["flows"]) == 5


def test_loop_back_edge_terminates_and_records_both_incoming() -> None:
    """Scenario 67's shape: start→A1→A2→EG{0: back to A1, 1: end}."""
    start, end = EmptyStartEvent(id="s"), EmptyEndEvent(id="e")
    a1, a2 = ServiceActivity(id="a1"), ServiceActivity(id="a2")
    eg = ExclusiveGateway(conditions={0: "${a_i} < ${c}", 1: "${a_i} >= ${c}"}, id="eg")
    start.extend(a1).extend(a2).extend(eg).connect(a1, end)
    tree = build_tree(start)
    assert tree["activities"]["a1"]["incoming"] == [flow_id(tree, "s", "a1"), flow_id(tree, "eg", "a1")]
    back, out = flow_id(tree, "eg", "a1"), flow_id(tree, "eg", "e")
    assert tree["gateways"]["eg"]["outgoing"] == [back, out]
    assert tree["gateways"]["eg"]["conditions"] == {
        back: {"evaluate": "${a_i} < ${c}"},
        out: {"evaluate": "${a_i} >= ${c}"},
    }
    assert len(tree["flows"]) == 5


def test_self_loop_and_edge_into_start_stay_visible() -> None:
    start, act, end = EmptyStartEvent(id="s"), ServiceActivity(id="a"), EmptyEndEvent()
    eg = ExclusiveGateway(conditions={0: "1 == 1", 1: "1 == 0", 2: "1 == 0"}, id="eg")
    start.extend(act).extend(eg).connect(act, start, end)
    tree = build_tree(start)
    assert tree["start_event"]["incoming"] == flow_id(tree, "eg", "s")
    assert tree["activities"]["a"]["incoming"] == [flow_id(tree, "s", "a"), flow_id(tree, "eg", "a")]


def test_dangling_node_gets_empty_outgoing() -> None:
    start, act = EmptyStartEvent(), ServiceActivity(id="a")
    start.extend(act)
    tree = build_tree(start)
    assert tree["activities"]["a"]["outgoing"] == ""
    assert tree["end_event"] is None
    assert build_tree(EmptyStartEvent())["start_event"]["outgoing"] == ""


@pytest.mark.parametrize("cls", [ServiceActivity, ConvergeGateway, EmptyStartEvent])
def test_non_forking_node_with_two_successors_is_rejected(cls: type[Element]) -> None:
    node = cls(id="n")
    x, y = ServiceActivity(), ServiceActivity()
    head: Element = node if cls is EmptyStartEvent else EmptyStartEvent()
    if head is not node:
        head.extend(node)
    node.connect(x, y)
    with pytest.raises(ConnectionValidateError) as info:
        build_tree(head)
    assert info.value.failed_nodes == ("n",)


def test_end_event_with_successor_is_rejected() -> None:
    start, end = EmptyStartEvent(), EmptyEndEvent(id="end")
    start.extend(end).extend(ServiceActivity())
    with pytest.raises(ConnectionValidateError):
        build_tree(start)


def test_two_end_events_are_rejected() -> None:
    pg, e1, e2 = ParallelGateway(), EmptyEndEvent(id="e1"), EmptyEndEvent(id="e2")
    start = EmptyStartEvent()
    start.extend(pg).connect(e1, e2)
    with pytest.raises(TreeSchemaError) as info:
        build_tree(start)
    assert info.value.node_ids == ("e1", "e2")


def test_unknown_element_type_is_rejected() -> None:
    class Odd(Element):
        def type(self) -> str:
            return "Odd"

    start = EmptyStartEvent()
    start.extend(Odd(id="odd"))
    with pytest.raises(InvalidTreeError):
        build_tree(start)
    with pytest.raises(NotImplementedError):
        Element().type()


def test_star_import_exposes_builder_module(tmp_path: Path) -> None:
    script = tmp_path / "readme_example.py"
    script.write_text(
        "from bamboo_core.builder import *\n"
        "start = EmptyStartEvent()\n"
        'act = ServiceActivity(component_code="example_component")\n'
        "end = EmptyEndEvent()\n"
        "start.extend(act).extend(end)\n"
        "pipeline = builder.build_tree(start)\n"
    )
    namespace = runpy.run_path(str(script))
    pipeline = namespace["pipeline"]
    assert set(pipeline["activities"]) == {namespace["act"].id}
    for name in (
        "EmptyStartEvent ServiceActivity SubProcess ParallelGateway ExclusiveGateway ConvergeGateway "
        "ConditionalParallelGateway ExecutableEndEvent EmptyEndEvent Data Var DataInput NodeOutput "
        "RewritableNodeOutput InitializedRewritableNodeOutput Params build_tree"
    ).split():
        assert name in namespace, name


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=6))
def test_parallel_branches_of_any_length(lengths: list[int]) -> None:
    """A PG with one branch per entry (entry = extra activities after the first) converges fully."""
    start, pg, cg, end = EmptyStartEvent(), ParallelGateway(), ConvergeGateway(), EmptyEndEvent()
    start.extend(pg)
    for extra in lengths:
        node: Element = pg.extend(ServiceActivity())
        for _ in range(extra):
            node = node.extend(ServiceActivity())
    pg.converge(cg).extend(end)
    tree = build_tree(start)
    n_acts = sum(1 + extra for extra in lengths)
    assert len(tree["activities"]) == n_acts
    assert len(tree["flows"]) == n_acts + len(lengths) + 2
    assert len(tree["gateways"][cg.id]["incoming"]) == len(lengths)
    targets = [flow["target"] for flow in tree["flows"].values()]
    assert sorted(targets) == sorted(
        [pg.id, end.id] + [cg.id] * len(lengths) + list(tree["activities"])
    )
