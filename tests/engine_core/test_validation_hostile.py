"""bamboo_core.validation on hostile input: schema errors, size bounds, fuzzing, speed."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_validation_trees import Tree, flow, make_tree, parallel_block

from bamboo_core.errors import (
    InvalidTreeError,
    StartPositionInvalidError,
    TreeSchemaError,
    UnknownNodeTypeError,
)
from bamboo_core.validation import (
    MAX_SUBPROCESS_DEPTH,
    get_allowed_start_node_ids,
    get_skipped_execute_node_ids,
    validate_and_process_pipeline,
)

SAMPLE = "start>A>PG; PG>B>CG; PG>EG; EG>x>CGe; EG>y>CGe; CGe>CG; CG>end"


def schema_error(tree: object) -> TreeSchemaError:
    with pytest.raises(TreeSchemaError) as caught:
        validate_and_process_pipeline(tree)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize("tree", [None, [], "tree", 42, {"id": 5}, {"id": ""}])
def test_not_a_tree(tree: object) -> None:
    error = schema_error(tree)
    assert error.field in ("pipeline", "id")


@pytest.mark.parametrize("key", ["id", "start_event", "end_event", "activities", "gateways", "flows"])
def test_missing_top_level_key(key: str) -> None:
    tree = make_tree(SAMPLE)
    del tree[key]
    assert schema_error(tree).field == key


@pytest.mark.parametrize("key", ["start_event", "end_event", "activities", "gateways", "flows"])
def test_wrong_top_level_type(key: str) -> None:
    tree = make_tree(SAMPLE)
    tree[key] = ["not", "a", "dict"]
    error = schema_error(tree)
    assert (error.field, error.node_ids) == (key, ("root",))


def _edit(tree: Tree, path: str, value: object) -> None:
    *parents, last = path.split("/")
    target: Any = tree
    for part in parents:
        target = target[part]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value


_DELETE = object()
SCHEMA_CASES: list[tuple[str, object, tuple[str, ...], str]] = [
    ("flows/root:A>PG/target", "ghost", ("root:A>PG",), "target"),
    ("flows/root:A>PG/source", 7, ("root:A>PG",), "source"),
    ("activities/A/outgoing", "nowhere", ("A",), "outgoing"),
    ("activities/A/outgoing", "root:PG>B", ("A",), "outgoing"),
    ("activities/A/outgoing", ["root:A>PG"], ("A",), "outgoing"),
    ("activities/B/incoming", ["root:PG>B", "ghost"], ("B",), "incoming"),
    ("activities/B/incoming", [3], ("B",), "incoming"),
    ("activities/B/incoming", ["root:PG>B", "root:PG>B"], ("B",), "incoming"),
    ("activities/B/incoming", [], ("B",), "incoming"),
    ("activities/B/incoming", None, ("B",), "incoming"),
    ("activities/B/id", "C", ("B",), "id"),
    ("activities/B/type", None, ("B",), "type"),
    ("activities/B/component", _DELETE, ("B",), "component"),
    ("activities/B/component", {"code": 5}, ("B",), "code"),
    ("activities/B/skippable", "yes", ("B",), "skippable"),
    ("activities/B", "B", ("B",), "activities"),
    ("gateways/PG/outgoing", "root:PG>B", ("PG",), "outgoing"),
    ("gateways/CG/outgoing", ["root:CG>end"], ("CG",), "outgoing"),
    ("gateways/EG/conditions", _DELETE, ("EG",), "conditions"),
    ("gateways/EG/conditions", {"root:PG>B": {"evaluate": "1 == 1"}}, ("EG",), "conditions"),
    ("gateways/EG/conditions", {"root:EG>x": "1 == 1"}, ("EG",), "conditions"),
    ("gateways/EG/default_condition", {"flow_id": "root:PG>B"}, ("EG",), "default_condition"),
    ("start_event/outgoing", None, ("start",), "outgoing"),
    ("end_event/incoming", {"a": 1}, ("end",), "incoming"),
    ("flows/root:A>PG/id", "other", ("root:A>PG",), "id"),
    ("flows/root:A>PG/is_default", "no", ("root:A>PG",), "is_default"),
]


@pytest.mark.parametrize(("path", "value", "node_ids", "field"), SCHEMA_CASES)
def test_schema_errors_name_node_and_field(path: str, value: object, node_ids: tuple[str, ...], field: str) -> None:
    tree = make_tree(SAMPLE)
    _edit(tree, path, value)
    error = schema_error(tree)
    assert (error.node_ids, error.field) == (node_ids, field)


def test_flow_missing_from_its_source_outgoing() -> None:
    tree = make_tree(SAMPLE)
    tree["flows"]["extra"] = {"id": "extra", "source": "EG", "target": "B", "is_default": False}
    tree["activities"]["B"]["incoming"].append("extra")
    error = schema_error(tree)
    assert (error.node_ids, error.field) == (("EG",), "outgoing")
    assert "extra" in str(error)


@pytest.mark.parametrize(
    ("section", "type_name"),
    [("activities", "SubCanvas"), ("gateways", "InclusiveGateway"), ("start_event", "TimerStartEvent")],
)
def test_unknown_node_types(section: str, type_name: str) -> None:
    tree = make_tree(SAMPLE)
    node = tree[section] if section == "start_event" else tree[section]["A" if section == "activities" else "PG"]
    node["type"] = type_name
    with pytest.raises(UnknownNodeTypeError) as caught:
        validate_and_process_pipeline(tree)
    assert caught.value.node_ids == (node["id"],)


def test_ids_must_be_unique_across_subprocesses() -> None:
    sub = make_tree("SP.start>A>SP.end", pid="SP")  # "A" also lives in the parent
    error = schema_error(make_tree("start>A>SP>end", subs={"SP": sub}))
    assert (error.node_ids, error.field) == (("A",), "id")


def test_flow_id_may_not_reuse_a_node_id() -> None:
    tree = make_tree("start>A>end")
    old = flow(tree, "A", "end")
    tree["flows"]["A"] = tree["flows"].pop(old) | {"id": "A"}
    tree["activities"]["A"]["outgoing"] = "A"
    tree["end_event"]["incoming"] = ["A"]
    assert schema_error(tree).node_ids == ("A",)


def test_subprocess_tree_id_must_equal_node_id() -> None:
    sub = make_tree("SP.start>SP.A>SP.end", pid="other")
    error = schema_error(make_tree("start>SP>end", subs={"SP": sub}))
    assert (error.node_ids, error.field) == (("SP",), "pipeline")


@pytest.mark.parametrize("pipeline", [None, [], "tree"])
def test_subprocess_pipeline_must_be_a_tree(pipeline: object) -> None:
    tree = make_tree("start>SP>end", subs={"SP": {}})
    tree["activities"]["SP"]["pipeline"] = pipeline
    assert schema_error(tree).node_ids == ("SP",)


def test_self_referencing_subprocess() -> None:
    tree = make_tree("start>SP>end", pid="SP", subs={"SP": {}})
    tree["id"] = "root"
    tree["activities"]["SP"]["pipeline"] = tree
    schema_error(tree)


def test_bad_ids() -> None:
    tree = make_tree(SAMPLE)
    tree["activities"][1] = tree["activities"].pop("B")
    assert schema_error(tree).field == "activities"
    tree = make_tree("start>A>end")
    tree["id"] = "p" * 129
    assert schema_error(tree).field == "id"


def test_incoming_list_longer_than_the_flows() -> None:
    tree = make_tree("start>A>end")
    tree["activities"]["A"]["incoming"] = ["root:start>A"] * 10_000_000
    error = schema_error(tree)
    assert "lists 10000000 flows" in str(error)


# ---------------------------------------------------------------- size and depth bounds


def _nested(depth: int) -> Tree:
    """A chain of ``depth`` subprocesses, built without recursion."""
    tree = make_tree(f"s{depth}.start>s{depth}.A>s{depth}.end", pid=f"SP{depth}")
    for level in reversed(range(depth)):
        name = f"SP{level + 1}"
        pid = f"SP{level}" if level else "root"
        tree = make_tree(f"s{level}.start>{name}>s{level}.end", pid=pid, subs={name: tree})
    return tree


def test_subprocess_nesting_limit() -> None:
    validate_and_process_pipeline(_nested(MAX_SUBPROCESS_DEPTH))
    error = schema_error(_nested(MAX_SUBPROCESS_DEPTH + 1))
    assert error.field == "pipeline"


def test_absurd_nesting_is_no_recursion_error() -> None:
    error = schema_error(_nested(5_000))
    assert "deeper than" in str(error)


def test_twenty_thousand_nodes_are_refused_fast() -> None:
    tree = make_tree(">".join(["start", *(f"a{i}" for i in range(20_000)), "end"]))
    started = time.perf_counter()
    error = schema_error(tree)
    assert time.perf_counter() - started < 0.5
    assert "15000 nodes" in str(error)


def test_node_budget_counts_subprocesses() -> None:
    subs = {
        f"SP{k}": make_tree(">".join([f"s{k}.start", *(f"s{k}.a{i}" for i in range(6_000)), f"s{k}.end"]), f"SP{k}")
        for k in range(3)
    }
    error = schema_error(make_tree("start>SP0>SP1>SP2>end", subs=subs))
    assert error.node_ids == ("SP2",)


def test_long_chain_validates_without_recursion() -> None:
    tree = make_tree(">".join(["start", *(f"a{i}" for i in range(14_000)), "end"]))
    validate_and_process_pipeline(tree)
    assert tree["end_event"]["incoming"] == ["root:a13999>end"]


def test_ten_thousand_activities_validate_within_two_seconds() -> None:
    tree = make_tree(parallel_block(100, 100))
    started = time.perf_counter()
    validate_and_process_pipeline(tree)
    get_allowed_start_node_ids(tree)
    assert time.perf_counter() - started < 2.0
    assert tree["gateways"]["PG"]["converge_gateway_id"] == "CG"


# ---------------------------------------------------------------- fuzzing

_JUNK = st.one_of(
    st.none(),
    st.integers(-2, 2),
    st.sampled_from(["", "ghost", "A", "PG", "CG", "root:A>PG", "EmptyEndEvent", "ServiceActivity"]),
    st.lists(st.sampled_from(["", "ghost", "root:PG>B", "root:A>PG", 1]), max_size=3),
    st.just({}),
    st.just({"id": "x"}),
)


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


_BASE = make_tree(
    "start>A>PG; PG>B>CG; PG>EG; EG>x>CGe; EG>y>CGe; CGe>CG; CG>CPG; CPG>SP>CG2; CPG>C>CG2; CG2>end",
    subs={"SP": make_tree("SP.start>SP.A>SP.end", pid="SP")},
)
_BASE_PATHS = _paths(_BASE)


def _mutate(tree: Tree, path: tuple[Any, ...], junk: object, delete: bool) -> None:
    target: Any = tree
    for part in path[:-1]:
        target = target[part]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = junk


def _only_tree_errors(call: Callable[[], object]) -> None:
    try:
        call()
    except (InvalidTreeError, StartPositionInvalidError):
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.sampled_from(_BASE_PATHS), _JUNK, st.booleans()), min_size=1, max_size=3),
    start=st.sampled_from(["start", "A", "PG", "B", "CG", "ghost"]),
)
def test_mutated_trees_raise_only_tree_errors(edits: list[tuple[tuple[Any, ...], object, bool]], start: str) -> None:
    tree = copy.deepcopy(_BASE)
    for path, junk, delete in edits:
        try:
            _mutate(tree, path, junk, delete)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced the parent
    for tolerate in (False, True):
        _only_tree_errors(lambda: validate_and_process_pipeline(copy.deepcopy(tree), cycle_tolerate=tolerate))
    _only_tree_errors(lambda: get_skipped_execute_node_ids(tree, start))


@settings(max_examples=200, deadline=None)
@given(edges=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=14))
def test_random_graphs_raise_only_tree_errors(edges: list[tuple[int, int]]) -> None:
    kinds = ["start", "A", "B", "PG", "EG", "CPG", "CG", "end"]
    single = {"start": "A", "B": "end"}  # one-outgoing kinds keep their first random target
    multi: list[str] = []
    for source, target in ((kinds[s], kinds[t]) for s, t in edges):
        if source in ("PG", "EG", "CPG"):
            multi.append(f"{source}>{target}")
        else:
            single.setdefault(source, target)
    tree = make_tree("; ".join([*multi, *(f"{s}>{t}" for s, t in single.items())]))
    for tolerate in (False, True):
        _only_tree_errors(lambda: validate_and_process_pipeline(copy.deepcopy(tree), cycle_tolerate=tolerate))
    _only_tree_errors(lambda: get_allowed_start_node_ids(tree))
