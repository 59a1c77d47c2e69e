"""The checked, read-only view of a pipeline tree that every validation pass works on.

``schema.parse_tree`` builds it once from the raw dict; the passes never touch the raw
dict again except to write their results back (``api._apply``). Keeping the raw node
dict on each ``Node`` lets that write-back happen only after *every* check passed, so a
rejected tree is left exactly as the caller gave it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class NodeKind(Enum):
    """What a node does for the graph; the value is bamboo's ``type`` string."""

    START = "EmptyStartEvent"
    END = "EmptyEndEvent"  # also stands for every registered custom end event type
    ACTIVITY = "ServiceActivity"
    SUBPROCESS = "SubProcess"
    PARALLEL = "ParallelGateway"
    CONDITIONAL_PARALLEL = "ConditionalParallelGateway"
    EXCLUSIVE = "ExclusiveGateway"
    CONVERGE = "ConvergeGateway"


# Gateways that fork one child process per taken branch and join them again.
FORK_KINDS = frozenset({NodeKind.PARALLEL, NodeKind.CONDITIONAL_PARALLEL})
ACTIVITY_KINDS = {kind.value: kind for kind in (NodeKind.ACTIVITY, NodeKind.SUBPROCESS)}
GATEWAY_KINDS = {
    kind.value: kind
    for kind in (
        NodeKind.PARALLEL,
        NodeKind.CONDITIONAL_PARALLEL,
        NodeKind.EXCLUSIVE,
        NodeKind.CONVERGE,
    )
}


@dataclass(frozen=True, slots=True)
class Node:
    """One node; ``incoming``/``outgoing`` are flow ids, ``outgoing`` in declared order."""

    id: str
    kind: NodeKind
    type_name: str
    incoming: tuple[str, ...]
    outgoing: tuple[str, ...]
    raw: dict[str, object] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class Pipeline:
    """One (sub)pipeline. ``nodes`` is ordered start, activities, gateways, end."""

    id: str
    nodes: dict[str, Node]
    flows: dict[str, Flow]
    start_id: str
    end_id: str
    children: tuple[Pipeline, ...]

    def targets(self, node_id: str) -> list[tuple[str, str]]:
        """``(flow_id, target_id)`` for each outgoing flow of ``node_id``, in order."""
        flows = self.flows
        return [(flow_id, flows[flow_id].target) for flow_id in self.nodes[node_id].outgoing]

    def sources(self, node_id: str) -> list[tuple[str, str]]:
        """``(flow_id, source_id)`` for each incoming flow of ``node_id``."""
        flows = self.flows
        return [(flow_id, flows[flow_id].source) for flow_id in self.nodes[node_id].incoming]

    def walk(self) -> list[Pipeline]:
        """This pipeline and all nested ones, children before their parent."""
        order: list[Pipeline] = []
        stack: list[tuple[Pipeline, bool]] = [(self, False)]
        while stack:
            pipeline, expanded = stack.pop()
            if expanded:
                order.append(pipeline)
                continue
            stack.append((pipeline, True))
            stack.extend((child, False) for child in reversed(pipeline.children))
        return order
