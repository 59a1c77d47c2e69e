"""First-meet matching (SPEC §2.6.3): the converge gateway a gateway's branches meet first.

Rule (bamboo-engine's): following each forward branch of a gateway, the first converge
gateway reached must be the same for all branches; branches that run to the end event
or only loop back do not count (whether they may run to the end at all is the stream
check's question). An exclusive gateway's common converge gateway is its match,
written to the tree as ``converge_gateway_id``. For a parallel gateway the rule
catches branches that stop at converge gateways of their own; which converge gateway
joins it, and that no branch leaves its block, is decided by ``streams``.

"Following a branch" passes over nested blocks. Walks are computed once per node, in
postorder on the forward (loop-free) graph, so each node's walk reuses its successor's:

* a nested parallel gateway's own converge gateway (its first meet) is passed over;
* a nested exclusive gateway's is passed over when the gateway *owns* it: it
  dominates it (every flow into it comes from the gateway's own block, so a converge
  gateway shared with an enclosing parallel gateway, bamboo issue #162, is not owned)
  and the gateway really splits (two or more forward branches, or a single flow out:
  an exclusive gateway whose other branches only loop back owns nothing);
* a converge gateway with one forward flow in plus loop flows only marks where a loop
  restarts and is walked through.

The dominator tree comes from one sweep in reverse postorder: a node's immediate
dominator is the lowest common ancestor of its predecessors in the tree built so far.
Binary lifting keeps each query at O(log n), so no input shape makes this quadratic.
"""

from __future__ import annotations

from dataclasses import dataclass

from bamboo_core.errors import ConvergeMatchError
from bamboo_core.validation.graph import Exploration
from bamboo_core.validation.model import FORK_KINDS, NodeKind, Pipeline

_SPLITS = FORK_KINDS | {NodeKind.EXCLUSIVE}
_NONE = -1  # "meets no converge gateway": runs to the end event or only loops


@dataclass(frozen=True, slots=True)
class Meets:
    """Gateway id -> the converge gateway all its counted branches meet first."""

    exclusive: dict[str, str]
    forks: dict[str, str]


def match_gateways(pipeline: Pipeline, exploration: Exploration) -> Meets:
    """Check first-meet for every gateway and report where each one's branches meet."""
    order = exploration.postorder
    walk = _Walk(pipeline, exploration)
    for position in range(len(order)):
        meets = walk.add(position)
        if len(meets) > 1:
            raise _different_meets(order[position], walk.kinds[position], sorted(order[m] for m in meets))
    exclusive = {order[g]: order[c] for g, c in walk.meet.items() if walk.kinds[g] is NodeKind.EXCLUSIVE}
    forks = {order[g]: order[c] for g, c in walk.meet.items() if walk.kinds[g] in FORK_KINDS}
    return Meets(exclusive, forks)


def _different_meets(gateway: str, kind: NodeKind, names: list[str]) -> ConvergeMatchError:
    if kind is NodeKind.EXCLUSIVE:
        rule = "they must meet at one converge gateway, run to the end event or loop back"
    else:
        rule = "all branches of a parallel gateway must converge into one converge gateway"
    return ConvergeMatchError(
        f"the branches of {kind.value} {gateway!r} first meet different converge gateways {names}; {rule}",
        gateway,
    )


class _Walk:
    """Nodes are numbered in postorder; ``first[n]`` is the first meet walking on from ``n``."""

    def __init__(self, pipeline: Pipeline, exploration: Exploration) -> None:
        order = exploration.postorder
        index = {node_id: position for position, node_id in enumerate(order)}
        back = exploration.back_flows
        self.kinds = [pipeline.nodes[node_id].kind for node_id in order]
        self.out_degree = [len(pipeline.nodes[node_id].outgoing) for node_id in order]
        self.successors = [[index[t] for f, t in pipeline.targets(n) if f not in back] for n in order]
        self.loop_targets = {index[pipeline.flows[flow_id].target] for flow_id in back}
        self.forward_in = [0] * len(order)
        predecessors: list[set[int]] = [set() for _ in order]
        for source, targets in enumerate(self.successors):
            for target in targets:
                self.forward_in[target] += 1
                predecessors[target].add(source)
        self.dominators = _LiftedTree(len(order))
        for position in reversed(range(len(order))):  # every predecessor comes first
            self.dominators.add(position, predecessors[position])
        self.first = [_NONE] * len(order)
        self.meet: dict[int, int] = {}

    def add(self, position: int) -> list[int]:
        """Add a node (after its successors); the distinct first meets of a gateway's branches."""
        kind = self.kinds[position]
        meets: list[int] = []
        if kind in _SPLITS:
            meets = sorted({self.first[s] for s in self.successors[position]} - {_NONE})
            if len(meets) == 1:
                self.meet[position] = meets[0]
        self.first[position] = self._walk_on(position, kind)
        return meets

    def _walk_on(self, position: int, kind: NodeKind) -> int:
        if kind is NodeKind.CONVERGE and not self._is_loop_head(position):
            return position
        if kind in _SPLITS:
            meet = self.meet.get(position)
            if meet is None or (kind is NodeKind.EXCLUSIVE and not self._owns(position, meet)):
                return _NONE if meet is None else meet
            return self._after(meet)  # a nested gateway's own converge gateway is passed over
        return self._after(position)

    def _after(self, position: int) -> int:
        """The walk past a one-way node (activity, event, converge gateway)."""
        following = self.successors[position]
        return self.first[following[0]] if following else _NONE

    def _owns(self, gateway: int, converge: int) -> bool:
        splits = len(self.successors[gateway]) > 1 or self.out_degree[gateway] == 1
        return splits and self.dominators.is_ancestor(gateway, converge)

    def _is_loop_head(self, position: int) -> bool:
        return self.forward_in[position] == 1 and position in self.loop_targets


class _LiftedTree:
    """A tree over nodes ``0..n-1`` under a virtual root ``n``, grown leaf by leaf.

    A node's parent is the lowest common ancestor of the given nodes (already added),
    or the root when there are none.
    """

    def __init__(self, size: int) -> None:
        self.root = size
        self.levels = max(1, (size + 1).bit_length())
        self.up = [[size] * (size + 1) for _ in range(self.levels)]
        self.depth = [0] * (size + 1)

    def add(self, node: int, joined: set[int]) -> None:
        parent = self.root
        if joined:
            members = iter(joined)
            parent = next(members)
            for other in members:
                parent = self._lca(parent, other)
        self.depth[node] = self.depth[parent] + 1
        self.up[0][node] = parent
        for level in range(1, self.levels):
            self.up[level][node] = self.up[level - 1][self.up[level - 1][node]]

    def parent(self, node: int) -> int:
        return self.up[0][node]

    def is_ancestor(self, ancestor: int, node: int) -> bool:
        """``ancestor`` is ``node`` or above it."""
        climb = self.depth[node] - self.depth[ancestor]
        return climb >= 0 and self._lift(node, climb) == ancestor

    def _lift(self, node: int, climb: int) -> int:
        level = 0
        while climb:
            if climb & 1:
                node = self.up[level][node]
            climb >>= 1
            level += 1
        return node

    def _lca(self, a: int, b: int) -> int:
        if self.depth[a] < self.depth[b]:
            a, b = b, a
        a = self._lift(a, self.depth[a] - self.depth[b])
        if a == b:
            return a
        for level in reversed(range(self.levels)):
            if self.up[level][a] != self.up[level][b]:
                a, b = self.up[level][a], self.up[level][b]
        return self.up[0][a]
