"""ServiceActivity: render inputs, run the component's ``execute``, then finish, fail,
or park the process until its schedule (poll / callback) completes it (SPEC §6.3).

The schedule half lives in ``bamboo_core.engine.schedule``; both share the helpers here.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any

from bamboo_core.component import DataObject, ScheduleType, Service
from bamboo_core.context import HydrationError, input_references, render_inputs
from bamboo_core.engine.step import SLEEP, Decision, StepContext, new_id
from bamboo_core.errors import EngineError, ExpressionError
from bamboo_core.events import EventKind
from bamboo_core.records import Schedule, ScheduleItem, evolve
from bamboo_core.states import State

log = logging.getLogger(__name__)


def execute(ctx: StepContext) -> Decision:
    node = ctx.node
    loop_keys = {"_loop": ctx.loop, "_inner_loop": ctx.inner_loop}
    inputs = ctx.snap.node_inputs if ctx.snap.node_inputs is not None else node.inputs
    raw = {key: data.value for key, data in inputs.items()}
    need_render = {key: data.need_render for key, data in inputs.items()}
    try:
        names = ctx.hydrator().hydrate(input_references(raw, need_render))
        rendered = {**render_inputs(raw, need_render, names), **loop_keys}
        service = load_service(ctx)
    except (HydrationError, ExpressionError, EngineError) as exc:
        plain = {key: value for key, value in raw.items() if not need_render[key]}
        ex_data = f"inputs hydrate failed({exc}), check node log for details"
        ctx.set_execution_data(plain, {"ex_data": ex_data, "_result": False, **loop_keys})
        ctx.set_state(State.FAILED)
        return SLEEP
    # The state must read RUNNING (and be force-failable) while the component runs
    # (its execute, and the first poll of its schedule, which runs in the same step).
    with ctx.component_running():
        data = DataObject(rendered, {})
        parent_data = DataObject(dict(ctx.snap.root_data), {})
        ok = run_execute(ctx, service, data, parent_data)
        outputs = {**data.outputs, "_result": ok, **loop_keys}
        ctx.set_execution_data(rendered, outputs)
        if ok and service.need_schedule():
            return wait_for_schedule(ctx, service, DataObject(rendered, dict(outputs)), parent_data)
        return complete(ctx, service, ok, outputs, data, parent_data, hook_fail="node_execute_fail")


def load_service(ctx: StepContext) -> Service:
    node = ctx.node
    service = ctx.engine.components.get_service(node.code, node.version)
    assert ctx.state is not None
    service.setup_runtime_attributes(
        id=node.id, version=ctx.state.version, top_pipeline_id=ctx.scope_id, root_pipeline_id=ctx.root_id,
        loop=ctx.loop, inner_loop=ctx.inner_loop, idempotency_key=f"{node.id}:{ctx.state.version}",
        clock=ctx.engine.clock.now,
    )
    return service


def hook(ctx: StepContext, service: Service, name: str, data: DataObject, parent: DataObject,
         callback_data: Any = None) -> None:
    if ctx.engine.emit_events:
        ctx.event(EventKind(name), ctx.node.id)
    if service.need_run_hook():
        service.hook_dispatch(name, data, parent, callback_data)


def hook_after_commit(ctx: StepContext, service: Service, name: str, data: DataObject, parent: DataObject,
                      callback_data: Any = None) -> None:
    """Completion hooks report what landed, so they wait for the step's commit."""
    if ctx.engine.emit_events:
        ctx.event(EventKind(name), ctx.node.id)
    if service.need_run_hook():
        ctx.after_commit.append(lambda: service.hook_dispatch(name, data, parent, callback_data))


def run_execute(ctx: StepContext, service: Service, data: DataObject, parent: DataObject) -> bool:
    hook(ctx, service, "node_enter", data, parent)
    hook(ctx, service, "pre_execute", data, parent)
    try:
        ok = service.execute(data, parent) is not False
    except Exception:  # user code: any exception fails the node
        data.outputs["ex_data"] = traceback.format_exc()
        hook(ctx, service, "node_execute_exception", data, parent)
        return False
    if ok:
        hook(ctx, service, "post_execute", data, parent)
    return ok


def wait_for_schedule(ctx: StepContext, service: Service, data: DataObject, parent: DataObject) -> Decision:
    """Open the node's schedule. The first poll runs at once (as in bamboo-engine), so it
    runs right here, in the same step: a poll that is done at once costs no extra hop."""
    assert ctx.state is not None
    kind = service.schedule_type() or ScheduleType.CALLBACK
    schedule = Schedule(id=new_id("s"), node_id=ctx.node.id, node_version=ctx.state.version,
                        type=kind, process_id=ctx.process.id)
    if kind is not ScheduleType.POLL:
        ctx.commit.schedules.append(schedule)
        return SLEEP
    first_poll = ScheduleItem(ctx.root_id, ctx.process.id, ctx.node.id, schedule.id)
    return schedule_call(ctx, service, schedule, first_poll, data, parent)


def schedule_call(ctx: StepContext, service: Service, schedule: Schedule, item: ScheduleItem, data: DataObject,
                  parent: DataObject) -> Decision:
    """Run one ``schedule`` of the component and decide: wait, poll again, finish or fail."""
    ok = _call_schedule(ctx, service, data, parent, item.callback_data)
    kind = schedule.type
    done = ok and (kind is ScheduleType.CALLBACK or service.is_schedule_done())
    outputs = {**data.outputs, "_result": ok, "_loop": ctx.loop, "_inner_loop": ctx.inner_loop}
    ctx.set_execution_data(data.inputs, outputs)
    times = schedule.times + 1
    if ok and not done:
        ctx.commit.schedules.append(evolve(schedule, times=times, rev=schedule.rev + 1, locked_until=0.0))
        if kind is ScheduleType.POLL:
            delay = service.schedule_after(times) or 0.0
            next_poll = ScheduleItem(item.root_id, item.process_id, item.node_id, item.schedule_id)
            ctx.commit.timers.append((ctx.now + delay, next_poll))
        return SLEEP
    finished = ok or ctx.node.error_ignorable
    ctx.commit.schedules.append(evolve(schedule, times=times, finished=finished, rev=schedule.rev + 1,
                                        locked_until=0.0))
    return complete(ctx, service, ok, outputs, data, parent, hook_fail="node_schedule_fail",
                    callback_data=item.callback_data)


def _call_schedule(ctx: StepContext, service: Service, data: DataObject, parent: DataObject,
                   callback_data: Any) -> bool:
    hook(ctx, service, "pre_schedule", data, parent, callback_data)
    try:
        ok = service.schedule(data, parent, callback_data) is not False
    except Exception:  # user code: any exception fails the node
        data.outputs["ex_data"] = traceback.format_exc()
        hook(ctx, service, "node_schedule_exception", data, parent, callback_data)
        return False
    if ok:
        hook(ctx, service, "post_schedule", data, parent, callback_data)
    return ok


def complete(ctx: StepContext, service: Service, ok: bool, outputs: Mapping[str, Any], data: DataObject,
             parent: DataObject, hook_fail: str, callback_data: Any = None) -> Decision:
    """Finish, finish ignoring the error, or fail — after execute or a final schedule."""
    ctx.extract_outputs(outputs)
    if ok or ctx.node.error_ignorable:
        ctx.set_state(State.FINISHED, error_ignored=not ok)
        hook_after_commit(ctx, service, "node_finish", data, parent, callback_data)
        return finish_decision(ctx)
    hook_after_commit(ctx, service, hook_fail, data, parent, callback_data)
    ctx.set_state(State.FAILED)
    return SLEEP


def finish_decision(ctx: StepContext) -> Decision:
    return Decision(next_node_id=ctx.node.next_id)

