"""One schedule call of a service activity: a poll tick or a callback (SPEC §6.4).

Every commit is guarded by the node version and the schedule's rev. A callback first
claims the schedule (a guarded write with an expiry), so two callbacks never run the
component at once: a CALLBACK that finds it claimed is dropped (the other completes
the node), a MULTIPLE_CALLBACK one is retried shortly after (its data must count).
A poll tick needs no claim: only one timer exists per schedule.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

from bamboo_core.component import DataObject, ScheduleType
from bamboo_core.engine.execute import apply
from bamboo_core.engine.step import SLEEP, Decision, StepContext
from bamboo_core.errors import EngineError, StateConflictError
from bamboo_core.handlers.service_activity import load_service, schedule_call
from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import ExecuteItem, Schedule, ScheduleItem, evolve
from bamboo_core.states import State

if TYPE_CHECKING:
    from bamboo_core.engine.engine import Engine

log = logging.getLogger(__name__)

CALLBACK_RETRIES = 5
CLAIM_SECONDS = 300.0  # longer than any schedule call should take
BUSY_RETRY_SECONDS = (0.05, 0.5)  # a multi-callback that found the schedule claimed waits this long


def run_schedule(engine: Engine, item: ScheduleItem) -> None:
    model = engine.model(item.root_id)
    for _ in range(CALLBACK_RETRIES if item.is_callback else 1):
        snap = engine.store.load_step(item.process_id, item.node_id, item.schedule_id)
        if snap is None or snap.schedule is None or snap.schedule.finished or snap.schedule.expired:
            return
        state = snap.state
        if state is None or state.version != snap.schedule.node_version or state.name is not State.RUNNING:
            _expire(engine, item.root_id, snap.schedule)
            return
        ctx = StepContext(engine, model, model.node(item.node_id), snap)
        try:
            schedule = snap.schedule
            if item.is_callback:
                claimed = _claim(ctx, schedule, item)
                if claimed is None:
                    return
                schedule = claimed
            decision = _schedule_step(ctx, schedule, item)
            if decision.next_node_id:
                apply(ctx, decision)
                process = ctx.process
                ctx.commit.work.append(ExecuteItem(process.root_id, process.id, process.current_node_id,
                                                   process.version))
            engine.store.commit(ctx.commit)
            ctx.run_after_commit()
            return
        except StateConflictError as exc:
            log.debug("schedule of %s lost a race: %s", item.node_id, exc)
    if item.is_callback:
        # A callback's data must count: after repeated races, try again a little later.
        retry_at = engine.clock.now() + random.uniform(*BUSY_RETRY_SECONDS)
        engine.store.commit(Commit(root_id=item.root_id, timers=[(retry_at, item)]))


def _claim(ctx: StepContext, schedule: Schedule, item: ScheduleItem) -> Schedule | None:
    """Take the schedule for this callback; None when another callback holds it."""
    if schedule.locked_until > ctx.now:
        if schedule.type is ScheduleType.MULTIPLE_CALLBACK:
            delay = random.uniform(*BUSY_RETRY_SECONDS)
            ctx.engine.store.commit(Commit(root_id=ctx.root_id, timers=[(ctx.now + delay, item)]))
        return None
    claimed = evolve(schedule, locked_until=ctx.now + CLAIM_SECONDS, rev=schedule.rev + 1)
    ctx.engine.store.commit(Commit(root_id=ctx.root_id, guards=[Guard(GuardKind.SCHEDULE, schedule.id, schedule.rev)],
                                   schedules=[claimed]))
    return claimed


def _expire(engine: Engine, root_id: str, schedule: Schedule) -> None:
    commit = Commit(root_id=root_id, guards=[Guard(GuardKind.SCHEDULE, schedule.id, schedule.rev)],
                    schedules=[evolve(schedule, expired=True, rev=schedule.rev + 1)])
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
    return schedule_call(ctx, service, schedule, item, data, parent)
