"""Which converge gateway an exclusive gateway's branches meet at (informational).

bamboo-engine writes ``converge_gateway_id`` on an exclusive gateway when its branches
meet again. Bamboo defines that precisely: it is the gateway's immediate
post-dominator on the forward (loop-free) graph — the first node every path from it
must pass — when that node is a converge gateway. Branches that run to the end event
or only loop back therefore leave the gateway unmatched.

Post-dominators of a DAG are computed in one sweep in postorder (successors first):
a node's immediate post-dominator is the lowest common ancestor of its successors in
the post-dominator tree built so far. Binary lifting keeps each ancestor query at
O(log n), so hostile shapes cannot make this quadratic.
"""

from __future__ import annotations

from bamboo_core.validation.graph import Exploration
from bamboo_core.validation.model import NodeKind, Pipeline


def exclusive_converges(pipeline: Pipeline, exploration: Exploration) -> dict[str, str]:
    order = exploration.postorder
    index = {node_id: position for position, node_id in enumerate(order)}
    tree = _LiftedTree(len(order))
    for position, node_id in enumerate(order):
        successors = {
            index[target]
            for flow_id, target in pipeline.targets(node_id)
            if flow_id not in exploration.back_flows
        }
        tree.add(position, successors)
    matched: dict[str, str] = {}
    for node_id in order:
        node = pipeline.nodes[node_id]
        if node.kind is NodeKind.EXCLUSIVE:
            parent = tree.parent(index[node_id])
            if parent != tree.root and pipeline.nodes[order[parent]].kind is NodeKind.CONVERGE:
                matched[node_id] = order[parent]
    return matched


class _LiftedTree:
    """The post-dominator tree over nodes ``0..n-1``; ``n`` is a virtual exit (the root).

    Nodes must be added after all their successors, so every ancestor is known.
    """

    def __init__(self, size: int) -> None:
        self.root = size
        self.levels = max(1, (size + 1).bit_length())
        self.up = [[size] * (size + 1) for _ in range(self.levels)]
        self.depth = [0] * (size + 1)

    def add(self, node: int, successors: set[int]) -> None:
        parent = self.root
        if successors:
            members = iter(successors)
            parent = next(members)
            for other in members:
                parent = self._lca(parent, other)
        self.depth[node] = self.depth[parent] + 1
        self.up[0][node] = parent
        for level in range(1, self.levels):
            self.up[level][node] = self.up[level - 1][self.up[level - 1][node]]

    def parent(self, node: int) -> int:
        return self.up[0][node]

    def _lca(self, a: int, b: int) -> int:
        if self.depth[a] < self.depth[b]:
            a, b = b, a
        climb, level = self.depth[a] - self.depth[b], 0
        while climb:
            if climb & 1:
                a = self.up[level][a]
            climb >>= 1
            level += 1
        if a == b:
            return a
        for level in reversed(range(self.levels)):
            if self.up[level][a] != self.up[level][b]:
                a, b = self.up[level][a], self.up[level][b]
        return self.up[0][a]
