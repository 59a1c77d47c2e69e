"""SubProcess: render params in the parent scope, seed the child's context, enter it.

No new process: the subprocess id is pushed on the process's stack and the child's
end event pops it. Children restart ``inner_loop`` because each entry bumps the
subprocess's ``loop`` (see ``NodeState.scope_pass``).
"""

from __future__ import annotations

from bamboo_core.context import HydrationError, input_references, render_inputs
from bamboo_core.engine.step import Decision, StepContext
from bamboo_core.errors import ExpressionError
from bamboo_core.handlers.base import fail


def execute(ctx: StepContext) -> Decision:
    node = ctx.node
    inputs = ctx.snap.node_inputs if ctx.snap.node_inputs is not None else node.inputs
    raw = {key: data.value for key, data in inputs.items()}
    need_render = {key: data.need_render for key, data in inputs.items()}
    try:
        names = ctx.hydrator().hydrate(input_references(raw, need_render))
    except (HydrationError, ExpressionError) as exc:
        return fail(ctx, f"context hydrate failed({exc}), check node log for details.", outputs={})
    params = render_inputs(raw, need_render, names)
    ctx.set_execution_data(params, {})
    ctx.put_context(node.id, params)
    return Decision(next_node_id=node.start_event_id, stack=(*ctx.process.stack, node.id))
