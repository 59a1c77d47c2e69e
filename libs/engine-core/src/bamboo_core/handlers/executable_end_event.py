"""ExecutableEndEvent: run the user's end event code, then end like an empty end event."""

from __future__ import annotations

import traceback

from bamboo_core.end_events import ExecutableEndEvent
from bamboo_core.engine.step import Decision, StepContext
from bamboo_core.handlers.base import fail
from bamboo_core.handlers.empty_end_event import leave_pipeline


def execute(ctx: StepContext) -> Decision:
    try:
        event = ExecutableEndEvent.get(ctx.node.code)()
        event.execute(
            in_subprocess=len(ctx.process.stack) > 1,
            root_pipeline_id=ctx.root_id,
            current_pipeline_id=ctx.scope_id,
        )
    except Exception:  # user code: any failure fails the end event
        return fail(ctx, traceback.format_exc())
    return leave_pipeline(ctx)
