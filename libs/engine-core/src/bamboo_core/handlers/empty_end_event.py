"""EmptyEndEvent: publish the pipeline's outputs and leave the pipeline.

At the root the process dies and the pipeline finishes; in a subprocess the stack
pops, the subprocess node finishes and its outputs flow into the parent context.
"""

from __future__ import annotations

from bamboo_core.context import HydrationError
from bamboo_core.engine.step import Decision, StepContext
from bamboo_core.errors import ExpressionError
from bamboo_core.events import EventKind
from bamboo_core.handlers.base import fail
from bamboo_core.states import State


def execute(ctx: StepContext) -> Decision:
    return leave_pipeline(ctx)


def leave_pipeline(ctx: StepContext) -> Decision:
    scope = ctx.model.scopes[ctx.scope_id]
    stored = ctx.context_values()
    try:
        values = ctx.hydrator().hydrate([key for key in scope.outputs if key in stored])
    except (HydrationError, ExpressionError):
        return fail(ctx)
    # Bamboo decision: a declared output missing from the context is left out.
    outputs = {key: values[key[2:-1] if key.startswith("${") and key.endswith("}") else key]
               for key in scope.outputs if key in stored}
    ctx.set_state(State.FINISHED)
    if scope.parent_id == "":
        ctx.commit.execution_outputs[scope.id] = outputs
        ctx.put_pipeline_state(scope.id, State.FINISHED)
        ctx.event(EventKind.PIPELINE_FINISH, scope.id)
        return Decision(die=True)
    subprocess_state = ctx.snap.pipeline_states[scope.id]
    offset = ctx.engine.config.rerun_index_offset
    outputs["_loop"] = subprocess_state.loop + offset
    outputs["_inner_loop"] = subprocess_state.inner_loop + offset
    ctx.commit.execution_outputs[scope.id] = outputs
    ctx.put_pipeline_state(scope.id, State.FINISHED)
    subprocess_node = ctx.model.node(scope.id)
    ctx.extract_outputs(outputs, subprocess_node)
    ctx.event(EventKind.NODE_FINISH, scope.id)
    return Decision(next_node_id=subprocess_node.next_id, stack=ctx.process.stack[:-1])
