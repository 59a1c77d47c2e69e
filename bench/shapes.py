"""The benchmark flow shapes of SPEC §9, built with the bamboo-engine compatible builder."""

from __future__ import annotations

from typing import Any

from bamboo_core.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    ServiceActivity,
    build_tree,
)


def big(branches: int = 100, per_branch: int = 10, code: str = "debug") -> dict[str, Any]:
    """start → parallel gateway → ``branches`` × ``per_branch`` activities → converge → end."""
    start, pg, cg, end = EmptyStartEvent(), ParallelGateway(), ConvergeGateway(), EmptyEndEvent()
    start.extend(pg)
    for _ in range(branches):
        node = pg.extend(ServiceActivity(component_code=code))
        for _ in range(per_branch - 1):
            node = node.extend(ServiceActivity(component_code=code))
        node.extend(cg)
    cg.extend(end)
    return build_tree(start)


def chain(length: int = 1000, code: str = "debug") -> dict[str, Any]:
    """start → ``length`` activities in a line → end."""
    start = EmptyStartEvent()
    node = start
    for _ in range(length):
        node = node.extend(ServiceActivity(component_code=code))
    node.extend(EmptyEndEvent())
    return build_tree(start)


def node_steps(tree: dict[str, Any], schedules_per_activity: int = 1) -> int:
    """Steps a run commits: one per node, plus one per schedule call of each activity."""
    activities = len(tree["activities"])
    return activities * (1 + schedules_per_activity) + len(tree["gateways"]) + 2
