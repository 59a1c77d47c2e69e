"""The push loop: advance one process node by node (SPEC §1.3, §4.3).

Each node is one step: read a snapshot, decide, stage a commit. Nodes that need no
waiting run back to back in the same call, their commits written together
(``engine.chain``), and so do the branches of a fork until the chain writes; the loop
stops when no process it runs can move on, or a write loses a race.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bamboo_core.engine.chain import ChainRun
from bamboo_core.engine.step import SLEEP, Decision, StepContext, new_id
from bamboo_core.errors import StateConflictError
from bamboo_core.handlers import HANDLERS
from bamboo_core.model import NodeType
from bamboo_core.ports import Guard, GuardKind
from bamboo_core.records import ExecuteItem, ExecutionData, History, NodeState, Process, ProcessStatus, evolve
from bamboo_core.states import ENTERABLE_STATES, State

if TYPE_CHECKING:
    from bamboo_core.engine.engine import Engine

log = logging.getLogger(__name__)

# A chain that lost a race to an operator (pause, resume) is re-read and re-decided.
CONFLICT_RETRIES = 3


def run_execute(engine: Engine, item: ExecuteItem) -> None:
    model = engine.model(item.root_id)
    chain = ChainRun(engine, model)
    where = (item.process_id, item.node_id, item.process_version)
    for _ in range(CONFLICT_RETRIES):
        try:
            following = _run_chain(engine, chain, *where)
        except StateConflictError as exc:
            log.debug("chain of %s from %s lost a race: %s", where[0], where[1], exc)
            where = chain.base or where
            chain.discard()  # re-read: the race changed what we read
            continue
        if following is not None:  # a long chain yields: the rest continues as a new work item
            engine.dispatch(ExecuteItem(item.root_id, *following))
        return
    # Still losing after every retry (the pipeline kept moving under us): queue the step
    # again rather than lose it; if the process moved on meanwhile, the copy is dropped.
    engine.dispatch(ExecuteItem(item.root_id, *where))


def _run_chain(engine: Engine, chain: ChainRun, process_id: str, node_id: str,
               version: int) -> tuple[str, str, int] | None:
    """Run steps from ``node_id`` until no process of the chain can move on or
    ``max_chain`` steps ran; the (process, node, version) to continue from when it
    yielded, else None."""
    process: Process | None = None
    for _ in range(engine.config.max_chain):
        snap = chain.snapshot(process_id, node_id, process)
        if snap is None or snap.process.version != version or snap.process.status is not ProcessStatus.RUNNING:
            chain.write()
            return None  # stale or duplicate work: its effect already landed
        ctx = StepContext(engine, chain.model, chain.model.node(node_id), snap, chain)
        if chain.base is None:
            chain.base = (process_id, node_id, version)
        apply(ctx, step(ctx))
        chain.stage(ctx.commit, ctx.after_commit)
        process = ctx.process
        if process.status is not ProcessStatus.RUNNING:
            process = _next_process(chain, ctx)
            if process is None:
                chain.write()
                return None
        process_id, node_id, version = process.id, process.current_node_id, process.version
        if chain.due():
            process = None  # read the next step together with the write
    chain.write()
    return process_id, node_id, version


def _next_process(chain: ChainRun, ctx: StepContext) -> Process | None:
    """After a step that stopped its process: the process the chain runs next, if any —
    the parent its branches all joined here, or a branch of a fork it holds."""
    stopped = ctx.process
    if chain.due():
        return None  # the write comes first: it hands the branches held to other workers
    if stopped.status is ProcessStatus.JOINING:
        chain.hold_branches(stopped, ctx.commit)
    elif stopped.id in ctx.commit.join_arrivals:
        resumed = chain.arrived(stopped)
        if resumed is not None:
            return resumed
    return chain.next_branch()


def step(ctx: StepContext) -> Decision:
    """Decide what happens at the process's current node."""
    process, node = ctx.process, ctx.node
    if process.destination_id == node.id:
        return _arrive(ctx)
    root_state = ctx.snap.pipeline_states.get(process.root_id)
    if root_state is None or root_state.name is State.REVOKED:
        return Decision(die=True)
    for pipeline_id in process.stack:
        state = ctx.snap.pipeline_states.get(pipeline_id)
        if state is not None and state.name is State.SUSPENDED:
            return _suspend(ctx, pipeline_id, state.version)
    state = ctx.state
    if state is not None and state.name is State.SUSPENDED:
        return _suspend(ctx, node.id, state.version)
    if (state is not None and state.name is State.FINISHED and node.type is not NodeType.SUBPROCESS
            and state.loop >= ctx.engine.config.rerun_limit):
        limit = ctx.engine.config.rerun_limit
        ctx.set_execution_data({}, {"ex_data": f"node execution exceed rerun limit {limit}"})
        ctx.set_state(State.FAILED)
        return SLEEP
    if (state is not None and state.name is State.RUNNING and node.type is NodeType.SERVICE_ACTIVITY
            and process.current_node_id == node.id):
        # An execute cut off between its checkpoint and its result (the worker running
        # it died): run it again as the same attempt — same version, so the component
        # gets the same idempotency key and can tell it is a replay.
        return HANDLERS[node.type](ctx)
    if state is not None and state.name not in ENTERABLE_STATES:
        return SLEEP
    _enter(ctx)
    return HANDLERS[node.type](ctx)


def _arrive(ctx: StepContext) -> Decision:
    ctx.commit.join_arrivals.append(ctx.process.id)
    return Decision(die=True)


def _suspend(ctx: StepContext, blocked_by: str, blocked_version: str) -> Decision:
    # Guard what we read: a resume that lands first must make us re-read, or we would
    # sleep forever behind a pipeline that is running again.
    ctx.commit.guards.append(Guard(GuardKind.STATE, blocked_by, blocked_version))
    return Decision(suspended_by=blocked_by)


def _enter(ctx: StepContext) -> None:
    """Set the node RUNNING, counting loops and recording the previous attempt on re-entry."""
    node, state = ctx.node, ctx.state
    scope_state = ctx.snap.pipeline_states.get(node.scope_id)
    scope_pass = scope_state.loop if scope_state is not None and node.scope_id != ctx.root_id else 1
    if state is None:
        state = NodeState(node_id=node.id, root_id=ctx.root_id, parent_id=node.scope_id, name=State.RUNNING,
                          version=step_version(ctx.process), created_time=ctx.now)
        inner = 1
    elif state.name is State.FINISHED:
        ctx.commit.histories.append(history_of(state, ctx.snap.execution_data))
        inner = state.inner_loop + 1 if state.scope_pass == scope_pass else 1
        state = evolve(state, version=step_version(ctx.process), loop=state.loop + 1, retry=0, skip=False,
                       error_ignored=False)
    else:  # READY / LOOP_READY: the operation that readied it issued the version
        inner = state.inner_loop if state.scope_pass == scope_pass else 1
    entered = evolve(state, name=State.RUNNING, root_id=ctx.root_id, parent_id=node.scope_id, started_time=ctx.now,
                     archived_time=None, scope_pass=scope_pass, inner_loop=inner)
    ctx.state = entered
    ctx.put_state(entered)


def step_version(process: Process) -> str:
    """The version of the node a step enters: derived from the process version the step
    read, so a step replayed after a crash (its write never landed) issues the same one,
    and its component gets the same idempotency key. Each step bumps the process
    version, so no two steps issue the same."""
    return f"v{process.id}.{process.version}"


def history_of(state: NodeState, data: ExecutionData | None) -> History:
    return History(
        node_id=state.node_id, started_time=state.started_time, archived_time=state.archived_time,
        loop=state.loop, retry=state.retry, skip=state.skip, version=state.version,
        inputs=dict(data.inputs) if data else {}, outputs=dict(data.outputs) if data else {},
    )


def apply(ctx: StepContext, decision: Decision) -> None:
    """Turn the decision into the process's next record (and children, for a fork)."""
    process = ctx.process
    changes: dict[str, object] = {"version": process.version + 1}
    if decision.suspended_by:
        changes.update(status=ProcessStatus.SUSPENDED, suspended_by=decision.suspended_by)
    elif decision.die:
        changes.update(status=ProcessStatus.DEAD)
    elif decision.sleep:
        changes.update(status=ProcessStatus.SLEEPING, current_node_id=ctx.node.id)
    elif decision.forks:
        changes.update(status=ProcessStatus.JOINING, current_node_id=decision.join_node_id,
                       need_ack=len(decision.forks))
        fork(ctx, decision.forks, decision.join_node_id)
    else:
        changes.update(status=ProcessStatus.RUNNING, current_node_id=decision.next_node_id, suspended_by="")
    if decision.stack is not None:
        changes["stack"] = decision.stack
    ctx.process = evolve(process, **changes)
    ctx.commit.processes.append(ctx.process)


def fork(ctx: StepContext, targets: tuple[str, ...], destination: str) -> None:
    parent = ctx.process
    for target in targets:
        child = Process(id=new_id("c"), root_id=parent.root_id, parent_id=parent.id, stack=parent.stack,
                        current_node_id=target, status=ProcessStatus.RUNNING, destination_id=destination)
        ctx.commit.processes.append(child)
        ctx.commit.work.append(ExecuteItem(child.root_id, child.id, target, child.version))
