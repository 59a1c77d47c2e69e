"""Start-position helpers (SPEC §2.6 "Start-position helpers", scenario 41)."""

from __future__ import annotations

import copy

import pytest
from test_validation_trees import make_tree

from bamboo_core.errors import ConvergeMatchError, StartPositionInvalidError, TreeSchemaError
from bamboo_core.validation import (
    get_allowed_start_node_ids,
    get_skipped_execute_node_ids,
    validate_and_process_pipeline,
    validate_pipeline_start_node,
)

PARALLEL_41 = "start>A1>PG; PG>A2>CG; PG>A3>CG; CG>end"
EXCLUSIVE_41 = "start>A1>EG; EG>A2>end; EG>A3>end"


def test_scenario_41_parallel_allowed_list() -> None:
    assert get_allowed_start_node_ids(make_tree(PARALLEL_41)) == ["start", "A1", "PG"]


def test_scenario_41_exclusive_allowed_list() -> None:
    assert get_allowed_start_node_ids(make_tree(EXCLUSIVE_41)) == ["start", "A1", "EG", "A2", "A3"]


def test_scenario_41_skipped_sets() -> None:
    tree = make_tree(EXCLUSIVE_41)
    assert get_skipped_execute_node_ids(tree, "EG") == {"start", "A1"}
    assert get_skipped_execute_node_ids(tree, "A2") == {"start", "A1", "EG"}
    assert get_skipped_execute_node_ids(tree, "start") == set()


@pytest.mark.parametrize("node_id", ["end", "A2", "CG"])
def test_scenario_41_invalid_start_positions(node_id: str) -> None:
    with pytest.raises(StartPositionInvalidError) as caught:
        validate_pipeline_start_node(make_tree(PARALLEL_41), node_id)
    assert caught.value.node_id == node_id


def test_subprocess_node_is_never_a_start_but_nodes_after_it_are() -> None:
    sub = make_tree("SP.start>SP.A>SP.end", pid="SP")
    tree = make_tree("start>SP>B>end", subs={"SP": sub})
    assert get_allowed_start_node_ids(tree) == ["start", "B"]
    with pytest.raises(StartPositionInvalidError, match="SubProcess"):
        validate_pipeline_start_node(tree, "SP")
    with pytest.raises(StartPositionInvalidError, match="inside subprocesses"):
        validate_pipeline_start_node(tree, "SP.A")
    assert get_skipped_execute_node_ids(tree, "B") == {"start", "SP"}


def test_allowed_start_passes() -> None:
    tree = make_tree(PARALLEL_41)
    for node_id in ("start", "A1", "PG"):
        validate_pipeline_start_node(tree, node_id)


def test_same_answer_before_and_after_processing() -> None:
    tree = make_tree("start>EG; EG>PG; PG>a>CGp; PG>b>CGp; CGp>z>CG; EG>w>CG; CG>y>end")
    pristine = copy.deepcopy(tree)
    before = get_allowed_start_node_ids(tree)
    assert tree == pristine  # the helpers never write into the tree
    validate_and_process_pipeline(tree)
    # depth first along outgoing order: the first branch is followed to its end first
    assert get_allowed_start_node_ids(tree) == before == ["start", "EG", "PG", "z", "y", "w"]


def test_skipped_nodes_include_a_whole_parallel_block_before_the_start() -> None:
    tree = make_tree("start>A1>PG; PG>A2>CG; PG>A3>CG; CG>B>end")
    assert get_skipped_execute_node_ids(tree, "B") == {"start", "A1", "PG", "A2", "A3", "CG"}


def test_skipped_ignores_loop_flows() -> None:
    tree = make_tree("start>A1>A2>EG; EG>A1; EG>end")
    assert get_allowed_start_node_ids(tree) == ["start", "A1", "A2", "EG"]
    assert get_skipped_execute_node_ids(tree, "A2") == {"start", "A1"}


def test_skipped_rejects_a_bad_start() -> None:
    with pytest.raises(StartPositionInvalidError):
        get_skipped_execute_node_ids(make_tree(PARALLEL_41), "A2")
    with pytest.raises(StartPositionInvalidError, match="no such node"):
        get_skipped_execute_node_ids(make_tree(PARALLEL_41), "ghost")


def test_helpers_reject_an_invalid_tree() -> None:
    with pytest.raises(ConvergeMatchError):
        get_allowed_start_node_ids(make_tree("start>PG; PG>A>end; PG>B>end"))
    with pytest.raises(TreeSchemaError):
        validate_pipeline_start_node({"id": "p"}, "start")
