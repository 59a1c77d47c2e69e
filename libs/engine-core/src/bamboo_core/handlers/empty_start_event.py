"""EmptyStartEvent: freezes ``pre_render_keys`` at start, then moves on."""

from __future__ import annotations

from bamboo_core.context import HydrationError, deformat
from bamboo_core.engine.step import Decision, StepContext
from bamboo_core.errors import ExpressionError
from bamboo_core.handlers.base import fail, finish


def execute(ctx: StepContext) -> Decision:
    keys = ctx.model.scopes[ctx.scope_id].pre_render_keys
    if keys:
        try:
            values = ctx.hydrator().hydrate(keys)
        except (HydrationError, ExpressionError) as exc:
            return fail(ctx, f"pre render keys hydrate failed({exc}), check node log for details.")
        stored = ctx.context_values()
        ctx.put_context(ctx.scope_id, {key: values[deformat(key)] for key in keys if key in stored})
    return finish(ctx)
