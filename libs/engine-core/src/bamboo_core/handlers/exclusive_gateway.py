"""ExclusiveGateway: exactly one branch (ONLY) or the first true one (FIRST)."""

from __future__ import annotations

from bamboo_core.engine.config import GatewayStrategy
from bamboo_core.engine.step import Decision, StepContext
from bamboo_core.handlers.base import fail, finish
from bamboo_core.handlers.gateway_conditions import NO_BRANCH, ConditionFailure, true_conditions


def strategy(ctx: StepContext) -> GatewayStrategy:
    """A gateway's own ``extra_info.strategy`` (name or value) overrides the global default."""
    own = ctx.node.extra_info.get("strategy")
    if isinstance(own, str) and own.upper() in GatewayStrategy.__members__:
        return GatewayStrategy[own.upper()]
    if own in (1, 2):
        return GatewayStrategy(own)
    return ctx.engine.config.exclusive_gateway_strategy


def execute(ctx: StepContext) -> Decision:
    first_only = strategy(ctx) is GatewayStrategy.FIRST
    try:
        held = true_conditions(ctx, first_only=first_only)
    except ConditionFailure as exc:
        return fail(ctx, str(exc))
    if len(held) > 1:
        return fail(ctx, f"multiple conditions meet: {[c.flow_id for c in held]}")
    if held:
        return finish(ctx, held[0].target_id)
    if ctx.node.default_flow is not None:
        return finish(ctx, ctx.node.default_flow[1])
    return fail(ctx, NO_BRANCH)
