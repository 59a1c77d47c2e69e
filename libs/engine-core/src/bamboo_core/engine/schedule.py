"""One schedule call of a service activity: a poll tick or a callback (SPEC §6.4).

No lock: the commit is guarded by the node version and the schedule's rev, so of two
racing calls one lands. A callback that lost re-reads and tries again (its data
must not be lost); a poll tick that lost is dropped (the winner already polled).
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bamboo_core.component import DataObject, ScheduleType, Service
from bamboo_core.engine.execute import apply
from bamboo_core.engine.step import SLEEP, Decision, StepContext
from bamboo_core.errors import EngineError, StateConflictError
from bamboo_core.handlers.service_activity import complete, hook, load_service
from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import ExecuteItem, Schedule, ScheduleItem
from bamboo_core.states import State

if TYPE_CHECKING:
    from bamboo_core.engine.engine import Engine

log = logging.getLogger(__name__)

CALLBACK_RETRIES = 5


def run_schedule(engine: Engine, item: ScheduleItem) -> None:
    model = engine.model(item.root_id)
    for _ in range(CALLBACK_RETRIES if item.is_callback else 1):
        snap = engine.store.load_step(item.process_id, item.node_id, item.schedule_id)
        if snap is None or snap.schedule is None or snap.schedule.finished or snap.schedule.expired:
            return
        if snap.state is None or snap.state.version != snap.schedule.node_version or snap.state.name is not State.RUNNING:
            _expire(engine, item.root_id, snap.schedule)
            return
        ctx = StepContext(engine, model, model.node(item.node_id), snap)
        try:
            decision = _schedule_step(ctx, snap.schedule, item)
            if decision.next_node_id:
                apply(ctx, decision)
                process = ctx.process
                ctx.commit.work.append(ExecuteItem(process.root_id, process.id, process.current_node_id,
                                                   process.version))
            engine.store.commit(ctx.commit)
            return
        except StateConflictError as exc:
            log.debug("schedule of %s lost a race: %s", item.node_id, exc)


def _expire(engine: Engine, root_id: str, schedule: Schedule) -> None:
    commit = Commit(root_id=root_id, guards=[Guard(GuardKind.SCHEDULE, schedule.id, schedule.rev)],
                    schedules=[replace(schedule, expired=True, rev=schedule.rev + 1)])
    try:
        engine.store.commit(commit)
    except StateConflictError:
        pass  # someone else moved the schedule on; nothing left to expire


def _schedule_step(ctx: StepContext, schedule: Schedule, item: ScheduleItem) -> Decision:
    ctx.commit.guards.append(Guard(GuardKind.SCHEDULE, schedule.id, schedule.rev))
    previous = ctx.snap.execution_data
    data = DataObject(dict(previous.inputs) if previous else {}, dict(previous.outputs) if previous else {})
    parent = DataObject(dict(ctx.snap.root_data), {})
    try:
        service = load_service(ctx)
    except EngineError as exc:
        data.outputs["ex_data"] = str(exc)
        ctx.set_execution_data(data.inputs, data.outputs)
        ctx.set_state(State.FAILED)
        return SLEEP
    ok = _call(ctx, service, data, parent, item.callback_data)
    kind = ScheduleType(schedule.type)
    done = ok and (kind is ScheduleType.CALLBACK or service.is_schedule_done())
    outputs = {**data.outputs, "_result": ok, "_loop": ctx.loop, "_inner_loop": ctx.inner_loop}
    ctx.set_execution_data(data.inputs, outputs)
    times = schedule.times + 1
    if ok and not done:
        ctx.commit.schedules.append(replace(schedule, times=times, rev=schedule.rev + 1))
        if kind is ScheduleType.POLL:
            delay = service.schedule_after(times) or 0.0
            ctx.commit.timers.append((ctx.now + delay, replace(item, callback_data=None, is_callback=False)))
        return SLEEP
    finished = ok or ctx.node.error_ignorable
    ctx.commit.schedules.append(replace(schedule, times=times, finished=finished, rev=schedule.rev + 1))
    return complete(ctx, service, ok, outputs, data, parent, hook_fail="node_schedule_fail",
                    callback_data=item.callback_data)


def _call(ctx: StepContext, service: Service, data: DataObject, parent: DataObject, callback_data: Any) -> bool:
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
