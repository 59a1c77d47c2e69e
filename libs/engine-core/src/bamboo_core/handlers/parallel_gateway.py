"""ParallelGateway: one child process per outgoing branch, joined at the converge gateway."""

from __future__ import annotations

from bamboo_core.engine.step import Decision, StepContext
from bamboo_core.states import State


def execute(ctx: StepContext) -> Decision:
    ctx.set_state(State.FINISHED)
    return fork(ctx, tuple(target for _, target in ctx.node.targets), ctx.node.converge_gateway_id)


def fork(ctx: StepContext, targets: tuple[str, ...], converge_gateway_id: str) -> Decision:
    return Decision(forks=targets, join_node_id=converge_gateway_id)
