"""Shared handler helpers: finishing and failing a node."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bamboo_core.engine.step import SLEEP, Decision, StepContext
from bamboo_core.states import State


def finish(ctx: StepContext, next_node_id: str | None = None) -> Decision:
    ctx.set_state(State.FINISHED)
    return Decision(next_node_id=next_node_id if next_node_id is not None else ctx.node.next_id)


def fail(ctx: StepContext, ex_data: str | None = None, outputs: Mapping[str, Any] | None = None) -> Decision:
    """FAILED, with ``ex_data`` in the execution outputs; the process parks here."""
    if ex_data is not None or outputs is not None:
        data = dict(outputs or {})
        if ex_data is not None:
            data["ex_data"] = ex_data
        ctx.set_execution_data({}, data)
    ctx.set_state(State.FAILED)
    return SLEEP
