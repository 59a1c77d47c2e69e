"""ConditionalParallelGateway: forks the branches whose condition holds."""

from __future__ import annotations

from bamboo_core.engine.step import Decision, StepContext
from bamboo_core.handlers.base import fail
from bamboo_core.handlers.gateway_conditions import NO_BRANCH, ConditionFailure, true_conditions
from bamboo_core.handlers.parallel_gateway import fork
from bamboo_core.states import State


def execute(ctx: StepContext) -> Decision:
    try:
        held = true_conditions(ctx)
    except ConditionFailure as exc:
        return fail(ctx, str(exc))
    targets = tuple(c.target_id for c in held)
    if not targets and ctx.node.default_flow is not None:
        targets = (ctx.node.default_flow[1],)
    if not targets:
        return fail(ctx, NO_BRANCH)
    ctx.set_state(State.FINISHED)
    return fork(ctx, targets, ctx.node.converge_gateway_id)
