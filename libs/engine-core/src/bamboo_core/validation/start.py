"""Where a run may start (``run_pipeline(start_node_id=...)``) and what it then skips.

A run may start on the *main line* only: the start event, activities, exclusive
gateways and the nodes of their branches, and parallel / conditional-parallel gateways
themselves. Nodes inside a parallel block are not allowed (a token started there
would never be joined), nor are converge gateways, subprocess nodes and end events.

The helpers re-derive the gateway matching from the tree rather than trusting
``converge_gateway_id`` fields, so they give the same answer on a tree before and
after ``validate_and_process_pipeline``; loops are tolerated.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from bamboo_core.errors import StartPositionInvalidError
from bamboo_core.validation.analysis import Analysis, analyse
from bamboo_core.validation.model import FORK_KINDS, NodeKind, Pipeline
from bamboo_core.validation.schema import parse_tree

_ALLOWED_KINDS = frozenset(
    {NodeKind.START, NodeKind.ACTIVITY, NodeKind.EXCLUSIVE, *FORK_KINDS}
)


def get_allowed_start_node_ids(tree: dict[str, object]) -> list[str]:
    """Allowed start nodes, in depth-first order along outgoing flows from the start."""
    pipeline, analysis = _load(tree)
    return _main_line(pipeline, analysis)


def validate_pipeline_start_node(tree: dict[str, object], node_id: str) -> None:
    pipeline, analysis = _load(tree)
    if node_id not in _main_line(pipeline, analysis):
        raise StartPositionInvalidError(
            f"node {node_id!r} can not be a start position: {_reason(pipeline, node_id)}", str(node_id)
        )


def get_skipped_execute_node_ids(tree: dict[str, object], start_node_id: str) -> set[str]:
    """Nodes that will not run when the run starts at ``start_node_id``.

    These are the nodes on some forward path from the start event to it: behind an
    exclusive gateway only the chosen branch counts, and a loop flow back to an
    earlier node does not make the later nodes "skipped".
    """
    pipeline, analysis = _load(tree)
    if start_node_id not in _main_line(pipeline, analysis):
        raise StartPositionInvalidError(
            f"node {start_node_id!r} can not be a start position: {_reason(pipeline, start_node_id)}",
            str(start_node_id),
        )
    back = analysis.exploration.back_flows
    skipped: set[str] = set()
    queue = deque([start_node_id])
    while queue:
        for flow_id, source in pipeline.sources(queue.popleft()):
            if flow_id not in back and source not in skipped:
                skipped.add(source)
                queue.append(source)
    return skipped


def _load(tree: dict[str, object]) -> tuple[Pipeline, Analysis]:
    pipeline = parse_tree(tree)
    return pipeline, analyse(pipeline, cycle_tolerate=True, end_event_types=None)


def _main_line(pipeline: Pipeline, analysis: Analysis) -> list[str]:
    """Depth-first along outgoing flows (as bamboo-engine orders them), over parallel blocks."""
    allowed: list[str] = []
    visited: set[str] = set()
    stack: list[Iterator[str]] = [iter([pipeline.start_id])]
    while stack:
        node_id = next(stack[-1], None)
        if node_id is None:
            stack.pop()
            continue
        if node_id in visited:
            continue
        visited.add(node_id)
        if pipeline.nodes[node_id].kind in _ALLOWED_KINDS:
            allowed.append(node_id)
        stack.append(iter(_next_on_main_line(pipeline, analysis, node_id)))
    return allowed


def _next_on_main_line(pipeline: Pipeline, analysis: Analysis, node_id: str) -> list[str]:
    if pipeline.nodes[node_id].kind in FORK_KINDS:
        return [analysis.converge[node_id]]  # jump over the parallel block
    return [target for _, target in pipeline.targets(node_id)]


def _reason(pipeline: Pipeline, node_id: object) -> str:
    node = pipeline.nodes.get(node_id) if isinstance(node_id, str) else None
    if node is None:
        return "no such node in the pipeline (nodes inside subprocesses can not be start positions)"
    if node.kind not in _ALLOWED_KINDS:
        return f"a {node.type_name} is never an allowed start position"
    return "it lies inside a parallel block"
