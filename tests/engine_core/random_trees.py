"""Hypothesis strategies for random *valid* pipeline trees, with the expected run set.

A tree is generated as an abstract, immutable spec (nested blocks) first and only
then wired with the builder: hypothesis shrinks and prints the spec, which reads
far better than a built tree full of uuid flow ids. ``build`` assigns short,
deterministic node ids (``a3``, ``pg4`` ...) and records which nodes SHOULD run —
all parallel branches, conditional branches whose condition is true (or the default
when none is), the single taken exclusive branch — so properties can compare the
engine's states against an oracle that does not depend on the engine.

Shapes (SPEC §2.4, §2.6): a block is 1–3 items in sequence; an item is an activity,
a parallel / conditional-parallel / exclusive block (fork → 2–4 branch blocks → its
own converge gateway), or a subprocess whose child pipeline is itself a block.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from hypothesis import strategies as st

from bamboo_core.builder import (
    ConditionalParallelGateway,
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ParallelGateway,
    ServiceActivity,
    SubProcess,
    build_tree,
)
from bamboo_core.builder.flow.base import Element

__all__ = [
    "Activity",
    "Block",
    "Branch",
    "BuiltPipeline",
    "ConditionalParallel",
    "Exclusive",
    "FALSE",
    "Parallel",
    "ROOT_ID",
    "Sub",
    "TRUE",
    "blocks",
    "build",
    "count_nodes",
    "taken_branches",
]

TRUE = "True == True"
FALSE = "1 == 0"
ROOT_ID = "root"
ACTIVITY_CODES = ("loop_count", "debug")  # loop_count first: it is what examples shrink to


# --- the spec ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Activity:
    code: str


@dataclass(frozen=True, slots=True)
class Parallel:
    branches: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Branch:
    """One branch of a condition gateway: its literal condition and its block."""

    holds: bool
    block: Block


@dataclass(frozen=True, slots=True)
class ConditionalParallel:
    """Every branch whose condition holds runs; ``default`` only when none holds."""

    branches: tuple[Branch, ...]
    default: int | None


@dataclass(frozen=True, slots=True)
class Exclusive:
    """Exactly one condition holds, or none does and ``default`` names the branch."""

    branches: tuple[Branch, ...]
    default: int | None


@dataclass(frozen=True, slots=True)
class Sub:
    block: Block


Item: TypeAlias = "Activity | Parallel | ConditionalParallel | Exclusive | Sub"
Block: TypeAlias = "tuple[Item, ...]"


def taken_branches(item: ConditionalParallel | Exclusive) -> tuple[int, ...]:
    """The indexes of the branches the gateway must take (the oracle, not the engine)."""
    held = tuple(i for i, branch in enumerate(item.branches) if branch.holds)
    if held:
        return held
    return () if item.default is None else (item.default,)


def count_nodes(block: Block) -> int:
    """Nodes the block adds to a tree (a subprocess counts its own start and end)."""
    return sum(_item_nodes(item) for item in block)


def _item_nodes(item: Item) -> int:
    if isinstance(item, Activity):
        return 1
    if isinstance(item, Sub):
        return 3 + count_nodes(item.block)
    inner = item.branches if isinstance(item, Parallel) else tuple(b.block for b in item.branches)
    return 2 + sum(count_nodes(block) for block in inner)


# --- the strategy -------------------------------------------------------------------------

Draw: TypeAlias = Callable[[st.SearchStrategy[Any]], Any]
ACTIVITY_WEIGHT = ("activity", "activity", "activity")  # keeps sizes spread out, not always at the cap
COMPOSITE_KINDS = ("parallel", "conditional", "exclusive", "subprocess")
MIN_COMPOSITE = 4  # gateway + converge + two one-activity branches; subprocess + start + end + one


@dataclass(slots=True)
class _Budget:
    """Nodes still allowed; mutable because one draw spends it across the whole recursion."""

    left: int
    max_depth: int


def blocks(max_depth: int = 3, max_nodes: int = 60) -> st.SearchStrategy[Block]:
    """Random blocks nesting at most ``max_depth`` composites, within ``max_nodes`` nodes
    once the root start and end events are added."""

    @st.composite
    def strategy(draw: Draw) -> Block:
        return _block(draw, 0, _Budget(left=max_nodes - 2, max_depth=max_depth))

    return strategy()


def _block(draw: Draw, depth: int, budget: _Budget) -> Block:
    """1–3 items; the caller guarantees room for at least one node."""
    wanted = draw(st.integers(1, 3))
    items = [_item(draw, depth, budget)]
    while len(items) < wanted and budget.left >= 1:
        items.append(_item(draw, depth, budget))
    return tuple(items)


def _item(draw: Draw, depth: int, budget: _Budget) -> Item:
    kinds: tuple[str, ...] = ACTIVITY_WEIGHT
    if depth < budget.max_depth and budget.left >= MIN_COMPOSITE:
        kinds += COMPOSITE_KINDS
    kind = draw(st.sampled_from(kinds))
    if kind == "activity":
        budget.left -= 1
        return Activity(draw(st.sampled_from(ACTIVITY_CODES)))
    if kind == "subprocess":
        budget.left -= 3
        return Sub(_block(draw, depth + 1, budget))
    most = 3 if kind == "exclusive" else 4
    bodies = _branch_blocks(draw, depth, budget, most)
    if kind == "parallel":
        return Parallel(bodies)
    holds = _exclusive_holds(draw, len(bodies)) if kind == "exclusive" else _conditional_holds(draw, len(bodies))
    default = _default(draw, holds)
    return (Exclusive if kind == "exclusive" else ConditionalParallel)(
        tuple(Branch(h, b) for h, b in zip(holds, bodies)), default
    )


def _branch_blocks(draw: Draw, depth: int, budget: _Budget, most: int) -> tuple[Block, ...]:
    """2..most branch blocks; one node per branch is reserved before any branch is drawn."""
    budget.left -= 2  # the fork gateway and its converge gateway
    count = draw(st.integers(2, max(2, min(most, budget.left))))
    budget.left -= count
    bodies = []
    for _ in range(count):
        budget.left += 1  # release this branch's reservation
        bodies.append(_block(draw, depth + 1, budget))
    return tuple(bodies)


def _conditional_holds(draw: Draw, count: int) -> tuple[bool, ...]:
    """Any mix; "none holds" is allowed because ``_default`` then adds a default."""
    return tuple(draw(st.lists(st.booleans(), min_size=count, max_size=count)))


def _exclusive_holds(draw: Draw, count: int) -> tuple[bool, ...]:
    """Exactly one true condition, or (to exercise the default flow) none."""
    chosen = draw(st.one_of(st.integers(0, count - 1), st.none()))
    return tuple(i == chosen for i in range(count))


def _default(draw: Draw, holds: tuple[bool, ...]) -> int | None:
    """A default flow: required when no condition holds, optional (and unused) otherwise."""
    if any(holds):
        return draw(st.one_of(st.none(), st.integers(0, len(holds) - 1)))
    return draw(st.integers(0, len(holds) - 1))


# --- wiring with the builder ----------------------------------------------------------------


@dataclass(slots=True)
class BuiltPipeline:
    """A built tree plus the oracle: which node ids must (and must not) run."""

    tree: dict[str, Any]
    root_id: str
    all_nodes: set[str] = field(default_factory=set)
    expected: set[str] = field(default_factory=set)  # nodes that must get a state
    converges: set[str] = field(default_factory=set)
    subprocesses: set[str] = field(default_factory=set)
    parents: dict[str, str] = field(default_factory=dict)  # node id -> id of the pipeline holding it
    debug_activities: set[str] = field(default_factory=set)  # expected to run, poll component
    outline: list[str] = field(default_factory=list)  # indented, with ids, for failure notes

    @property
    def skipped(self) -> set[str]:
        return self.all_nodes - self.expected


@dataclass(slots=True)
class _Wiring:
    built: BuiltPipeline
    scopes: list[str]  # the pipeline being wired is last
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids)}"

    def record(self, node_id: str, runs: bool, depth: int, label: str) -> str:
        self.built.all_nodes.add(node_id)
        self.built.parents[node_id] = self.scopes[-1]
        if runs:
            self.built.expected.add(node_id)
        mark = "" if runs else "  (must not run)"
        self.built.outline.append(f"{'  ' * depth}{node_id}: {label}{mark}")
        return node_id


def build(block: Block, root_id: str = ROOT_ID) -> BuiltPipeline:
    """Wire ``block`` between a start and an end event and build the tree."""
    built = BuiltPipeline(tree={}, root_id=root_id)
    wiring = _Wiring(built, scopes=[root_id])
    start = _pipeline(wiring, block, runs=True, depth=0)
    built.tree = build_tree(start, id=root_id)
    return built


def _pipeline(wiring: _Wiring, block: Block, runs: bool, depth: int) -> Element:
    """start → block → end; returns the start element."""
    start = EmptyStartEvent(id=wiring.record(wiring.new_id("s"), runs, depth, "start"))
    head, tail = _block_elements(wiring, block, runs, depth)
    start.extend(head)
    tail.extend(EmptyEndEvent(id=wiring.record(wiring.new_id("e"), runs, depth, "end")))
    return start


def _block_elements(wiring: _Wiring, block: Block, runs: bool, depth: int) -> tuple[Element, Element]:
    """The block's items chained in order; returns (first element, last element)."""
    head, tail = _item_elements(wiring, block[0], runs, depth)
    for item in block[1:]:
        item_head, item_tail = _item_elements(wiring, item, runs, depth)
        tail.extend(item_head)
        tail = item_tail
    return head, tail


def _item_elements(wiring: _Wiring, item: Item, runs: bool, depth: int) -> tuple[Element, Element]:
    if isinstance(item, Activity):
        node_id = wiring.record(wiring.new_id("a"), runs, depth, item.code)
        act = ServiceActivity(component_code=item.code, id=node_id)
        if runs and item.code == "debug":
            wiring.built.debug_activities.add(act.id)
        return act, act
    if isinstance(item, Sub):
        sub_id = wiring.record(wiring.new_id("sub"), runs, depth, "subprocess")
        wiring.built.subprocesses.add(sub_id)
        wiring.scopes.append(sub_id)
        sub = SubProcess(start=_pipeline(wiring, item.block, runs, depth + 1), id=sub_id)
        wiring.scopes.pop()
        return sub, sub
    return _fork_elements(wiring, item, runs, depth)


def _fork_elements(
    wiring: _Wiring, item: Parallel | ConditionalParallel | Exclusive, runs: bool, depth: int
) -> tuple[Element, Element]:
    gateway: Element
    if isinstance(item, Parallel):
        gateway = ParallelGateway(id=wiring.new_id("pg"))
        bodies, taken, label = item.branches, set(range(len(item.branches))), "parallel"
    else:
        kind = ExclusiveGateway if isinstance(item, Exclusive) else ConditionalParallelGateway
        conditions = {i: TRUE if branch.holds else FALSE for i, branch in enumerate(item.branches)}
        gateway = kind(conditions=conditions, default_condition_outgoing=item.default,
                       id=wiring.new_id("xg" if kind is ExclusiveGateway else "cg"))
        bodies, taken = tuple(b.block for b in item.branches), set(taken_branches(item))
        label = f"{kind.__name__} conditions={[b.holds for b in item.branches]} default={item.default}"
    wiring.record(gateway.id, runs, depth, label)
    converge = ConvergeGateway(id=wiring.new_id("cv"))
    for index, body in enumerate(bodies):
        head, tail = _block_elements(wiring, body, runs and index in taken, depth + 1)
        gateway.extend(head)
        tail.extend(converge)
    wiring.record(converge.id, runs, depth, "converge")
    wiring.built.converges.add(converge.id)
    return gateway, converge
