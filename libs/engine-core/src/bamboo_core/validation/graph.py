"""Whole-graph passes: loop edges, cycles, and nodes cut off from the start or the end.

All walks are iterative (an explicit stack), so a 15,000-node chain cannot overflow
Python's recursion limit, and each pass is linear in nodes plus flows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bamboo_core.errors import ConnectionValidateError, CycleError, IsolateNodeError
from bamboo_core.validation.fields import id_preview
from bamboo_core.validation.model import Pipeline


@dataclass(frozen=True, slots=True)
class Exploration:
    """A depth-first walk in outgoing order.

    ``back_flows`` are the flows into a node still on the walk's path: the edges that
    close a loop. Without them the graph is acyclic, and ``postorder`` lists every node
    reached after all of its successors along the other ("forward") flows.
    """

    postorder: tuple[str, ...]
    back_flows: frozenset[str]
    cycle: tuple[str, ...]


def explore(pipeline: Pipeline, roots: Iterable[str]) -> Exploration:
    """Depth-first from each root in turn (already seen roots are skipped)."""
    on_path: dict[str, bool] = {}  # True while on the current path, False once finished
    postorder: list[str] = []
    back: set[str] = set()
    cycle: tuple[str, ...] = ()
    for root in roots:
        if root in on_path:
            continue
        on_path[root] = True
        path = [root]
        stack: list[Iterator[tuple[str, str]]] = [iter(pipeline.targets(root))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                done = path.pop()
                on_path[done] = False
                postorder.append(done)
                continue
            flow_id, target = step
            state = on_path.get(target)
            if state is None:
                on_path[target] = True
                path.append(target)
                stack.append(iter(pipeline.targets(target)))
            elif state:
                back.add(flow_id)
                cycle = cycle or tuple(path[path.index(target) :])
    return Exploration(tuple(postorder), frozenset(back), cycle)


def check_cycles(pipeline: Pipeline, exploration: Exploration) -> None:
    """Refuse any directed cycle, also one among nodes the start cannot reach."""
    cycle = exploration.cycle
    if not cycle and len(exploration.postorder) < len(pipeline.nodes):
        reached = set(exploration.postorder)
        cycle = explore(pipeline, (n for n in pipeline.nodes if n not in reached)).cycle
    if cycle:
        raise CycleError(
            f"pipeline graph has circle: {id_preview(cycle)} (pipeline {pipeline.id!r}; "
            "loops need cycle_tolerate)",
            cycle,
        )


def check_isolated(pipeline: Pipeline, exploration: Exploration) -> None:
    reached = set(exploration.postorder)
    lost = [node_id for node_id in pipeline.nodes if node_id not in reached]
    if lost:
        raise IsolateNodeError(f"nodes not reachable from the start event: {id_preview(lost)}", lost)


def check_reaches_end(pipeline: Pipeline) -> None:
    """Every node must have some way to the end event, or a token there loops forever.

    Only a loop can trap a token (every other node has an outgoing flow), so this only
    matters with ``cycle_tolerate``.
    """
    seen = {pipeline.end_id}
    queue = deque(seen)
    while queue:
        for _, source in pipeline.sources(queue.popleft()):
            if source not in seen:
                seen.add(source)
                queue.append(source)
    trapped = [node_id for node_id in pipeline.nodes if node_id not in seen]
    if trapped:
        raise ConnectionValidateError(trapped, "can not reach the end event (a loop without exit)")
