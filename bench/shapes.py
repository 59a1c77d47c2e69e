"""The benchmark flow shapes of SPEC §9, built with the bamboo-engine compatible builder.

``big`` and ``multi_flow`` are bamboo-engine's two published cases (the anchor's
``bench.py`` builds the same shapes for bamboo-pipeline); ``chain`` and ``big(100, 100)``
are the issue's latency-bound and 10,000-activity cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bamboo_core.builder import (
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ParallelGateway,
    Params,
    ServiceActivity,
    SubProcess,
    Var,
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
    node = start.extend(ServiceActivity(component_code=code))
    for _ in range(length - 1):
        node = node.extend(ServiceActivity(component_code=code))
    node.extend(EmptyEndEvent())
    return build_tree(start)


def _spliced(code: str) -> ServiceActivity:
    activity = ServiceActivity(component_code=code)
    activity.component.inputs.in_x = Var(type=Var.SPLICE, value="${x}")
    activity.component.inputs.in_y = Var(type=Var.SPLICE, value="${y}")
    return activity


def multi_flow(code: str = "debug") -> dict[str, Any]:
    """The 17-executed-node flow of the "100 flows" case (18 nodes; A7's branch is not taken)::

        start → A1 → A2 → SubProcess[start → S1 → S2 → end] → ParallelGateway → (A3 | A4 | A5)
        → Converge → ExclusiveGateway (branch 1 true, branch 2 false) → (A6 | A7) → Converge → end

    with two pipeline variables and SPLICE inputs on every activity, as the anchor builds it.
    """
    sub_start, sub_end = EmptyStartEvent(), EmptyEndEvent()
    sub_start.extend(_spliced(code)).extend(_spliced(code)).extend(sub_end)
    sub_data = Data()
    sub_data.inputs["${x}"] = DataInput(type=Var.PLAIN, value="sub_default")
    sub_data.inputs["${y}"] = DataInput(type=Var.PLAIN, value="sub_default")
    sub = SubProcess(start=sub_start, data=sub_data, params=Params(
        {"${x}": Var(type=Var.SPLICE, value="${x}"), "${y}": Var(type=Var.SPLICE, value="${y}")}))

    start, end = EmptyStartEvent(), EmptyEndEvent()
    a1, a2, a3, a4, a5, a6, a7 = (_spliced(code) for _ in range(7))
    exclusive = ExclusiveGateway(conditions={0: '"${x}" == "x_value"', 1: "1 == 0"})
    (start.extend(a1).extend(a2).extend(sub).extend(ParallelGateway()).connect(a3, a4, a5)
     .converge(ConvergeGateway()).extend(exclusive).connect(a6, a7).converge(ConvergeGateway()).extend(end))
    data = Data()
    data.inputs["${x}"] = Var(type=Var.PLAIN, value="x_value")
    data.inputs["${y}"] = Var(type=Var.PLAIN, value="y_value")
    return build_tree(start, data=data)


# The cases: name -> the flows one run starts together.
CASES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "big": lambda: [big()],
    "multi": lambda: [multi_flow() for _ in range(100)],
    "chain": lambda: [chain()],
    "huge": lambda: [big(100, 100)],
}
