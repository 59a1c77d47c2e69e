"""bamboo_core.validation: valid shapes and every graph rule (SPEC §2.6, §8 scenarios)."""

from __future__ import annotations

import copy

import pytest
from test_validation_trees import Tree, flow, make_tree

from bamboo_core.errors import (
    ConnectionValidateError,
    ConvergeMatchError,
    CycleError,
    InvalidTreeError,
    IsolateNodeError,
    StreamValidateError,
    UnknownNodeTypeError,
)
from bamboo_core.validation import validate_and_process_pipeline


def converge_ids(tree: Tree) -> dict[str, str]:
    return {
        gid: g["converge_gateway_id"]
        for gid, g in tree["gateways"].items()
        if "converge_gateway_id" in g
    }


def chains(prefix: str, names: list[str], suffix: str) -> str:
    return "; ".join(f"{prefix}>{name}>{suffix}" for name in names)


# ---------------------------------------------------------------- valid shapes


def test_linear_tree_is_normalised() -> None:
    tree = make_tree("start>A>end")
    tree["activities"]["A"]["incoming"] = "root:start>A"  # bamboo accepts a lone string
    validate_and_process_pipeline(tree)
    assert tree["start_event"]["incoming"] == []
    assert tree["activities"]["A"]["incoming"] == ["root:start>A"]
    assert tree["end_event"]["incoming"] == ["root:A>end"]
    assert converge_ids(tree) == {}


def test_scenario_3_parallel_branches_of_different_length() -> None:
    branches = "; ".join(f"PG>a{i}" + (f">b{i}" if i < 5 else "") + ">CG" for i in range(10))
    tree = make_tree(f"start>PG; {branches}; CG>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG": "CG"}


def test_scenario_4_nested_parallel() -> None:
    inner = chains("PG2", [f"x{i}" for i in range(10)], "CG1")
    outer = chains("PG1", [f"y{i}" for i in range(10)], "CG2")
    tree = make_tree(f"start>PG1>PG2; {inner}; CG1>CG2; {outer}; CG2>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG1": "CG2", "PG2": "CG1"}


def test_scenario_5_exclusive_gateway_gets_its_converge() -> None:
    tree = make_tree("start>EG; EG>A0>CG; EG>A1>CG; EG>A2>CG; CG>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"EG": "CG"}


def test_scenario_6_nested_exclusive() -> None:
    tree = make_tree("start>EG1>EG2; EG2>a>CG2; EG2>b>CG2; CG2>CG1; EG1>c>CG1; CG1>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"EG1": "CG1", "EG2": "CG2"}


def test_scenario_13_conditional_parallel() -> None:
    tree = make_tree("start>CPG; " + chains("CPG", [f"A{i}" for i in range(5)], "CG") + "; CG>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"CPG": "CG"}


def test_scenario_14_conditional_parallel_in_conditional_parallel() -> None:
    inner = chains("CPG2", [f"G2{c}" for c in "abcde"], "CG2")
    outer = chains("CPG1", [f"G1{c}" for c in "abcd"], "CG1")
    tree = make_tree(f"start>CPG1>CPG2; {inner}; CG2>CG1; {outer}; CG1>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"CPG1": "CG1", "CPG2": "CG2"}


def test_scenario_19_subprocesses_in_parallel_branches() -> None:
    subs = {f"SP{i}": make_tree(f"SP{i}.start>SP{i}.A>SP{i}.end", pid=f"SP{i}") for i in range(1, 7)}
    subs["SP1"] = make_tree("SP1.start>SP1.PG; SP1.PG>SP1.a>SP1.CG; SP1.PG>SP1.b>SP1.CG; SP1.CG>SP1.end", "SP1")
    spec = "start>PG; PG>SP1>SP6>CG; " + chains("PG", [f"SP{i}" for i in range(2, 6)], "CG") + "; CG>end"
    tree = make_tree(spec, subs=subs)
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG": "CG"}
    sub = tree["activities"]["SP1"]["pipeline"]
    assert sub["gateways"]["SP1.PG"]["converge_gateway_id"] == "SP1.CG"
    assert sub["activities"]["SP1.a"]["incoming"] == ["SP1:SP1.PG>SP1.a"]


def test_scenario_46_subprocess_with_nested_parallel_groups() -> None:
    inner = chains("SP.PG2", [f"SP.a{i}" for i in range(5)], "SP.CG2")
    outer = chains("SP.PG1", [f"SP.b{i}" for i in range(5)], "SP.CG1")
    sub = make_tree(f"SP.start>SP.PG1>SP.PG2; {inner}; SP.CG2>SP.CG1; {outer}; SP.CG1>SP.end", pid="SP")
    tree = make_tree("start>SP>end", subs={"SP": sub})
    validate_and_process_pipeline(tree)
    assert converge_ids(sub) == {"SP.PG1": "SP.CG1", "SP.PG2": "SP.CG2"}


@pytest.mark.parametrize("gateway", ["EG", "CPG"])
def test_scenarios_49_50_uneven_branches(gateway: str) -> None:
    tree = make_tree(f"start>B>{gateway}; {gateway}>X1>X2>CG; {gateway}>Y>CG; CG>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {gateway: "CG"}


def test_scenarios_62_to_66_nested_parallel_timer_branches() -> None:
    spec = "start>PG1; PG1>t1>d1>CG1; PG1>PG2; PG2>t2>d2>CG2; PG2>t3>d3>CG2; CG2>CG1; CG1>end"
    tree = make_tree(spec)
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG1": "CG1", "PG2": "CG2"}


def test_exclusive_branches_may_all_run_to_the_end_outside_parallel_blocks() -> None:
    tree = make_tree("start>EG; EG>A>end; EG>B>end; EG>end")
    validate_and_process_pipeline(tree)
    assert "converge_gateway_id" not in tree["gateways"]["EG"]


def test_exclusive_branch_to_end_and_branch_to_converge_outside_parallel() -> None:
    tree = make_tree("start>EG; EG>A>end; EG>B>CG; EG>C>CG; CG>D>end")
    validate_and_process_pipeline(tree)


def test_exclusive_inside_parallel_branch_with_its_own_converge() -> None:
    tree = make_tree("start>PG; PG>EG; EG>a>CGe; EG>b>CGe; CGe>CG; PG>c>CG; CG>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG": "CG", "EG": "CGe"}


def test_exclusive_may_share_the_parallel_converge_issue_162() -> None:
    tree = make_tree("start>PG; PG>q>EG; EG>CG; EG>r>CG; PG>p>CG; CG>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG": "CG", "EG": "CG"}


def test_parallel_inside_exclusive_branch() -> None:
    tree = make_tree("start>EG; EG>PG; PG>a>CGp; PG>b>CGp; CGp>z>CG; EG>w>CG; CG>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG": "CGp", "EG": "CG"}


def test_empty_parallel_branch_and_one_branch_fork() -> None:
    tree = make_tree("start>PG; PG>A>CG; PG>CG; CG>PG1>B>CG1>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG": "CG", "PG1": "CG1"}


def test_deeply_nested_parallel_blocks_need_no_recursion() -> None:
    depth = 1500
    parts = [f"PG{i}>PG{i + 1}; PG{i}>x{i}>CG{i}; CG{i + 1}>CG{i}" for i in range(depth)]
    parts.append(f"PG{depth}>leaf>CG{depth}")
    tree = make_tree("start>PG0; " + "; ".join(parts) + "; CG0>end")
    validate_and_process_pipeline(tree)
    assert tree["gateways"]["PG0"]["converge_gateway_id"] == "CG0"
    assert tree["gateways"][f"PG{depth}"]["converge_gateway_id"] == f"CG{depth}"


def test_validation_is_idempotent() -> None:
    tree = make_tree("start>PG; PG>a>CG; PG>b>CG; CG>end")
    validate_and_process_pipeline(tree)
    once = copy.deepcopy(tree)
    validate_and_process_pipeline(tree)
    assert tree == once


# ---------------------------------------------------------------- loops


SCENARIO_67 = "start>A1>A2>EG; EG>A1; EG>end"
SCENARIO_69 = "start>PG; PG>L1>CG; PG>L2>CG; PG>L3>CG; CG>EG; EG>PG; EG>end"
SCENARIO_70 = "start>PG; PG>A>EG1; EG1>A; EG1>CG; PG>B>EG2; EG2>B; EG2>CG; CG>end"


@pytest.mark.parametrize("spec", [SCENARIO_67, SCENARIO_69, SCENARIO_70, "start>EG; EG>EG; EG>end"])
def test_loops_need_cycle_tolerate(spec: str) -> None:
    with pytest.raises(CycleError, match="pipeline graph has circle") as caught:
        validate_and_process_pipeline(make_tree(spec))
    assert caught.value.node_ids
    validate_and_process_pipeline(make_tree(spec), cycle_tolerate=True)


def test_cycle_error_names_the_cycle() -> None:
    with pytest.raises(CycleError) as caught:
        validate_and_process_pipeline(make_tree(SCENARIO_67))
    assert caught.value.node_ids == ("A1", "A2", "EG")


def test_loop_around_parallel_block_keeps_the_converge() -> None:
    tree = make_tree(SCENARIO_69)
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert converge_ids(tree) == {"PG": "CG"}
    assert tree["gateways"]["PG"]["incoming"] == ["root:start>PG", "root:EG>PG"]


def test_loop_inside_branch_headed_by_a_converge_gateway() -> None:
    spec = "start>PG; PG>CGl>a>EG; EG>CGl; EG>CG; PG>b>CG; CG>end"
    tree = make_tree(spec)
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert converge_ids(tree)["PG"] == "CG"


def test_loop_in_a_subprocess_needs_cycle_tolerate_too() -> None:
    sub = make_tree("SP.start>SP.A>SP.EG; SP.EG>SP.A; SP.EG>SP.end", pid="SP")
    with pytest.raises(CycleError):
        validate_and_process_pipeline(make_tree("start>SP>end", subs={"SP": sub}))
    validate_and_process_pipeline(make_tree("start>SP>end", subs={"SP": sub}), cycle_tolerate=True)


def test_scenario_68_loop_around_a_subprocess() -> None:
    sub = make_tree("SP.start>SP.A>SP.end", pid="SP")
    tree = make_tree("start>SP>EG; EG>SP; EG>end", subs={"SP": sub})
    with pytest.raises(CycleError):
        validate_and_process_pipeline(copy.deepcopy(tree))
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert tree["activities"]["SP"]["incoming"] == ["root:start>SP", "root:EG>SP"]


def test_activity_looping_onto_itself() -> None:
    tree = make_tree("start>EG; EG>A>A; EG>end")
    with pytest.raises(CycleError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.node_ids == ("A",)
    with pytest.raises(ConnectionValidateError) as trapped:
        validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert trapped.value.failed_nodes == ("A",)


def test_unreachable_loop_is_isolated() -> None:
    tree = make_tree("start>A>end; X>Y>X")
    with pytest.raises(CycleError):
        validate_and_process_pipeline(tree)
    with pytest.raises(IsolateNodeError) as caught:
        validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert set(caught.value.node_ids) == {"X", "Y"}


def test_loop_without_exit_is_refused() -> None:
    tree = make_tree("start>EG; EG>A>B>A; EG>end")
    with pytest.raises(ConnectionValidateError) as caught:
        validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert caught.value.failed_nodes == ("A", "B")


def test_loop_escaping_a_parallel_branch() -> None:
    tree = make_tree("start>A>PG; PG>B>EG; EG>A; EG>CG; PG>C>CG; CG>end")
    with pytest.raises(StreamValidateError) as caught:
        validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert set(caught.value.node_ids) == {"EG", "A"}


def test_loop_jumping_into_a_parallel_branch() -> None:
    tree = make_tree("start>PG; PG>B>CG; PG>C>CG; CG>EG; EG>B; EG>end")
    with pytest.raises(StreamValidateError) as caught:
        validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert set(caught.value.node_ids) == {"EG", "B"}


def test_parallel_branch_looping_back() -> None:
    tree = make_tree("start>A>PG; PG>A; PG>B>CG>end")
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert caught.value.gateway_id == "PG"


# ---------------------------------------------------------------- end event types


def test_unregistered_end_event_type_scenario_25() -> None:
    with pytest.raises(UnknownNodeTypeError) as caught:
        validate_and_process_pipeline(make_tree("start>A>end", end_type="MyEnd"))
    assert caught.value.node_ids == ("end",)


@pytest.mark.parametrize("registered", [["MyEnd"], {"MyEnd", "Other"}, "MyEnd"])
def test_registered_end_event_type(registered: list[str] | set[str] | str) -> None:
    sub = make_tree("SP.start>SP.A>SP.end", pid="SP", end_type="MyEnd")
    tree = make_tree("start>SP>end", subs={"SP": sub}, end_type="MyEnd")
    validate_and_process_pipeline(tree, end_event_types=registered)


def test_lone_string_is_not_a_set_of_letters() -> None:
    with pytest.raises(UnknownNodeTypeError):
        validate_and_process_pipeline(make_tree("start>A>end", end_type="End"), end_event_types="MyEndEvent")


def test_subprocess_end_type_is_checked() -> None:
    sub = make_tree("SP.start>SP.A>SP.end", pid="SP", end_type="MyEnd")
    with pytest.raises(UnknownNodeTypeError) as caught:
        validate_and_process_pipeline(make_tree("start>SP>end", subs={"SP": sub}))
    assert caught.value.node_ids == ("SP.end",)


# ---------------------------------------------------------------- connection rules


def test_start_straight_to_end_scenario_80() -> None:
    with pytest.raises(ConnectionValidateError) as caught:
        validate_and_process_pipeline(make_tree("start>end"))
    assert caught.value.failed_nodes == ("start",)
    assert "end event" in caught.value.detail


def test_node_without_incoming_scenario_80() -> None:
    with pytest.raises(ConnectionValidateError) as caught:
        validate_and_process_pipeline(make_tree("start>A>end; X>A"))
    assert caught.value.failed_nodes == ("X",)


def test_edge_into_start_scenario_80() -> None:
    with pytest.raises(ConnectionValidateError) as caught:
        validate_and_process_pipeline(make_tree("start>A>EG; EG>start; EG>end"), cycle_tolerate=True)
    assert set(caught.value.failed_nodes) == {"start", "EG"}


def test_every_broken_node_is_reported() -> None:
    tree = make_tree("start>EG; EG>A>end; EG>B; EG>PG")
    with pytest.raises(ConnectionValidateError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.failed_nodes == ("B", "PG")


def test_end_event_with_outgoing_flow() -> None:
    tree = make_tree("start>A>end>B")
    with pytest.raises(ConnectionValidateError) as caught:
        validate_and_process_pipeline(tree)
    assert set(caught.value.failed_nodes) == {"B", "end"}


def test_out_degree_above_1000() -> None:
    tree = make_tree("start>EG; " + chains("EG", [f"x{i}" for i in range(1001)], "CG") + "; CG>end")
    with pytest.raises(ConnectionValidateError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.failed_nodes == ("EG", "CG")


# ---------------------------------------------------------------- gateway matching


def test_parallel_branches_into_two_converge_gateways_scenario_80() -> None:
    tree = make_tree("start>PG; PG>A>CG1; PG>B>CG1; PG>C>CG2; CG1>CG2; CG2>end")
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.gateway_id == "PG"
    assert "['CG1', 'CG2']" in str(caught.value)


def test_parallel_branch_alone_at_a_converge_gateway() -> None:
    tree = make_tree("start>PG; PG>A>CG1>end; PG>B>CG2>end")
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.gateway_id == "PG"


def test_parallel_branches_straight_to_end_scenario_80() -> None:
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(make_tree("start>PG; PG>A>end; PG>B>end"))
    assert caught.value.gateway_id == "PG"
    assert "end event" in str(caught.value)


def test_exclusive_inside_parallel_to_end_scenario_80() -> None:
    tree = make_tree("start>PG; PG>A>EG; EG>CG; EG>end; PG>B>CG; CG>end")
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.gateway_id == "PG"


def test_converge_gateway_shared_by_nested_parallel_gateways() -> None:
    tree = make_tree("start>PG1>PG2; PG2>a>CG; PG2>b>CG; PG1>c>CG; CG>end")
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.gateway_id == "PG2"


def test_exclusive_path_may_bypass_a_parallel_block_into_its_converge() -> None:
    # the stream's single token either forks at PG or bypasses it: never both
    tree = make_tree("start>EG; EG>PG; PG>a>CG; PG>b>CG; EG>CG; CG>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG": "CG", "EG": "CG"}


def test_flow_from_an_enclosing_branch_into_a_nested_join() -> None:
    tree = make_tree("start>PG1; PG1>PG2; PG2>a>CG2; PG2>b>CG2; PG1>c>CG2; CG2>CG1; PG1>d>CG1; CG1>end")
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.gateway_id == "PG1"  # its branches first meet CG2 and CG1


def test_exclusive_branches_first_meeting_different_converges() -> None:
    tree = make_tree("start>EG; EG>a>CG1; EG>b>CG1; EG>c>CG2; EG>d>CG2; CG1>end; CG2>end")
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.gateway_id == "EG"


def test_nested_exclusive_converge_is_skipped_when_matching_the_outer() -> None:
    tree = make_tree("start>EG1; EG1>EG2; EG2>a>CG2; EG2>b>CG2; CG2>x>CG1; EG1>c>CG1; CG1>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"EG1": "CG1", "EG2": "CG2"}


def test_loop_gateway_owns_no_converge() -> None:
    # EG only loops or goes on: it splits nothing, so CGe is the branch's own stop (as in
    # bamboo-engine); route EG straight to CG instead
    tree = make_tree("start>PG; PG>a>EG; EG>a; EG>CGe>CG; PG>b>CG; CG>end")
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert caught.value.gateway_id == "PG"
    tree = make_tree("start>PG; PG>a>EG; EG>a; EG>CG; PG>b>CG; CG>end")
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert converge_ids(tree) == {"PG": "CG", "EG": "CG"}


def test_one_branch_fork_around_a_loop() -> None:
    tree = make_tree("start>PG; PG>a>EG; EG>a; EG>CG; CG>end")
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert converge_ids(tree) == {"PG": "CG", "EG": "CG"}


def test_one_branch_fork_around_an_exclusive_block() -> None:
    tree = make_tree("start>PG; PG>EG; EG>a>CGe; EG>b>CGe; CGe>CG; CG>end")
    validate_and_process_pipeline(tree)
    assert converge_ids(tree) == {"PG": "CG", "EG": "CGe"}


def test_scenario_70_nested_in_another_parallel_block() -> None:
    inner = "PG2>A>EG1; EG1>A; EG1>CG2; PG2>B>EG2; EG2>B; EG2>CG2"
    tree = make_tree(f"start>PG1>PG2; {inner}; CG2>CG1; PG1>C>CG1; CG1>end")
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert converge_ids(tree) == {"PG1": "CG1", "PG2": "CG2", "EG1": "CG2", "EG2": "CG2"}


def test_parallel_branches_meeting_converges_in_turn() -> None:
    tree = make_tree("start>PG; PG>A>CG1; PG>B>CG2; CG1>CG2; CG2>end")
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.gateway_id == "PG"


def test_branches_cross_at_an_activity() -> None:
    tree = make_tree("start>PG; PG>A>X; PG>B>X; X>CG>end")
    with pytest.raises(StreamValidateError) as caught:
        validate_and_process_pipeline(tree)
    assert set(caught.value.node_ids) == {"X", "B"}


def test_exclusive_branch_crosses_into_another_parallel_branch() -> None:
    tree = make_tree("start>PG; PG>A>EG; EG>CG; EG>B; PG>B>CG; CG>end")
    with pytest.raises(StreamValidateError) as caught:
        validate_and_process_pipeline(tree)
    assert set(caught.value.node_ids) == {"B", "EG"}


def test_same_target_twice_from_a_parallel_gateway() -> None:
    tree = make_tree("start>PG; PG>A>CG; PG>A; CG>end")
    with pytest.raises(StreamValidateError):
        validate_and_process_pipeline(tree)


def test_subprocess_errors_come_first_and_name_inner_nodes() -> None:
    sub = make_tree("SP.start>SP.PG; SP.PG>SP.a>SP.end; SP.PG>SP.b>SP.end", pid="SP")
    tree = make_tree("start>SP>end; X>SP", subs={"SP": sub})  # the parent is broken too
    with pytest.raises(ConvergeMatchError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.gateway_id == "SP.PG"


# ---------------------------------------------------------------- no partial writes


def test_rejected_tree_is_left_untouched() -> None:
    sub = make_tree("SP.start>SP.PG; SP.PG>SP.a>SP.CG; SP.PG>SP.b>SP.CG; SP.CG>SP.end", pid="SP")
    tree = make_tree("start>SP>PG; PG>A>end; PG>B>end", subs={"SP": sub})
    tree["activities"]["A"]["incoming"] = flow(tree, "PG", "A")
    before = copy.deepcopy(tree)
    with pytest.raises(InvalidTreeError):
        validate_and_process_pipeline(tree)
    assert tree == before
