"""Properties over random trees: structured trees validate with the right matches, and
random damage to them yields a tree error or a consistent result, nothing else."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_validation_trees import Tree, make_tree

from bamboo_core.errors import InvalidTreeError
from bamboo_core.validation import get_allowed_start_node_ids, validate_and_process_pipeline

# item := ("act",) | ("loop",) | ("sub", block) | (gateway kind, [block, ...]);  block := [item, ...]
Item = tuple[Any, ...]

_items = st.recursive(
    st.sampled_from([("act",), ("act",), ("loop",)]),
    lambda inner: st.one_of(
        st.tuples(
            st.sampled_from(["PG", "CPG", "EG"]),
            st.lists(st.lists(inner, max_size=3), min_size=1, max_size=3),
        ),
        st.tuples(st.just("sub"), st.lists(inner, min_size=1, max_size=2)),
    ),
    max_leaves=14,
)
_blocks = st.lists(_items, min_size=1, max_size=3)


@dataclass
class _Render:
    """Turns a block into ``make_tree`` edges; records each gateway's own converge gateway."""

    prefix: str
    counter: list[int]
    edges: list[str] = field(default_factory=list)
    subs: dict[str, Tree] = field(default_factory=dict)
    expect: dict[str, str] = field(default_factory=dict)

    def name(self, kind: str) -> str:
        self.counter[0] += 1
        return f"{self.prefix}{kind}{self.counter[0]}"

    def block(self, items: list[Item], entry: str) -> str:
        current = entry
        for item in items:
            current = self.item(item, current)
        return current

    def item(self, item: Item, current: str) -> str:
        if item[0] in ("act", "loop", "sub"):
            node = self.name("a" if item[0] != "sub" else "SP")
            self.edges.append(f"{current}>{node}")
            if item[0] == "sub":
                self.subs[node] = self.pipeline(item[1], node)
            if item[0] != "loop":
                return node
            back = self.name("EG")  # loops back to ``node`` or carries on
            self.edges += [f"{node}>{back}", f"{back}>{node}"]
            return back
        kind, branches = item
        gateway, converge = self.name(kind), self.name("CG")
        self.edges.append(f"{current}>{gateway}")
        for branch in branches:
            self.edges.append(f"{self.block(branch, gateway)}>{converge}")
        self.expect[gateway] = converge
        return converge

    def pipeline(self, items: list[Item], pid: str) -> Tree:
        inner = _Render(f"{pid}.", self.counter)
        inner.edges.append(f"{inner.block(items, pid + '.start')}>{pid}.end")
        self.expect.update(inner.expect)
        self.subs.update(inner.subs)
        return make_tree("; ".join(inner.edges), pid=pid, subs=inner.subs)


def _render(items: list[Item]) -> tuple[Tree, dict[str, str]]:
    render = _Render("", [0])
    render.edges.append(f"{render.block(items, 'start')}>end")
    return make_tree("; ".join(render.edges), subs=render.subs), render.expect


def _gateways(tree: Tree) -> dict[str, Tree]:
    found = dict(tree["gateways"])
    for activity in tree["activities"].values():
        if activity["type"] == "SubProcess":
            found.update(_gateways(activity["pipeline"]))
    return found


@settings(max_examples=150, deadline=None)
@given(_blocks)
def test_structured_trees_validate_with_their_own_converges(items: list[Item]) -> None:
    tree, expect = _render(items)
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    gateways = _gateways(tree)
    for gateway, converge in expect.items():
        assert gateways[gateway]["converge_gateway_id"] == converge, gateway
    assert get_allowed_start_node_ids(tree)[0] == "start"


@settings(max_examples=150, deadline=None)
@given(_blocks, st.randoms(use_true_random=False))
def test_retargeted_flow_gives_a_tree_error_or_a_consistent_tree(items: list[Item], rnd: Any) -> None:
    tree, _ = _render(items)
    flow_id = rnd.choice(sorted(tree["flows"]))
    flow = tree["flows"][flow_id]
    nodes = {**tree["activities"], **tree["gateways"], "start": tree["start_event"], "end": tree["end_event"]}
    new_target = rnd.choice(sorted(nodes))
    old = nodes[flow["target"]]
    old["incoming"] = [f for f in old["incoming"] if f != flow_id]
    incoming = nodes[new_target]["incoming"]
    nodes[new_target]["incoming"] = [*(incoming if isinstance(incoming, list) else []), flow_id]
    flow["target"] = new_target
    before = copy.deepcopy(tree)
    try:
        validate_and_process_pipeline(tree, cycle_tolerate=True)
    except InvalidTreeError:
        assert tree == before
        return
    for gateway in _gateways(tree).values():
        if gateway["type"] in ("ParallelGateway", "ConditionalParallelGateway"):
            assert gateway["converge_gateway_id"] in _gateways(tree)
    processed = copy.deepcopy(tree)
    validate_and_process_pipeline(tree, cycle_tolerate=True)
    assert tree == processed
