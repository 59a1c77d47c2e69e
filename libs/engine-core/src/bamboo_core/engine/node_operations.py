"""Operations on one node: appointed pause/resume, retry, skip, forced fail, callback.

Each reads what it needs, checks its precondition (a clear InvalidOperationError
otherwise), and writes one guarded commit — so a refused operation changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bamboo_core.component import DataObject
from bamboo_core.engine.execute import history_of
from bamboo_core.engine.pipeline_operations import wake_processes, wake_stragglers
from bamboo_core.engine.step import new_id, new_version
from bamboo_core.errors import InvalidOperationError, NotFoundError
from bamboo_core.events import EventKind
from bamboo_core.model import DataInput, NodeDef, NodeType, PipelineModel
from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import (
    Event,
    ExecuteItem,
    ExecutionData,
    NodeState,
    Process,
    ProcessStatus,
    ScheduleItem,
    evolve,
)
from bamboo_core.states import State, can_transit

if TYPE_CHECKING:
    from bamboo_core.engine.engine import Engine

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NodeView:
    model: PipelineModel
    node: NodeDef
    state: NodeState | None
    process: Process | None  # the live process whose current node this is


def view(engine: Engine, node_id: str) -> NodeView:
    root_id = engine.store.root_of(node_id)
    if root_id is None:
        raise NotFoundError(f"node {node_id!r} does not exist")
    model = engine.model(root_id)
    if node_id not in model.nodes:
        raise InvalidOperationError(f"{node_id!r} is a pipeline, not a node")
    live = [p for p in engine.store.get_processes(root_id)
            if p.current_node_id == node_id and p.status is not ProcessStatus.DEAD]
    return NodeView(model, model.node(node_id), engine.store.get_state(node_id), live[0] if live else None)


def _require_failed_and_parked(v: NodeView) -> tuple[NodeState, Process]:
    if v.state is None or v.state.name is not State.FAILED:
        current = v.state.name.value if v.state else "not started"
        raise InvalidOperationError(f"node {v.node.id!r} is {current}, not FAILED")
    if v.process is None or v.process.status is not ProcessStatus.SLEEPING:
        raise InvalidOperationError(f"can not find a sleeping process at node {v.node.id!r}")
    return v.state, v.process


def _guarded(v: NodeView, state: NodeState | None, process: Process | None) -> Commit:
    commit = Commit(root_id=v.model.root_id)
    commit.guards.append(Guard(GuardKind.STATE, v.node.id, state.version if state else None))
    if process is not None:
        commit.guards.append(Guard(GuardKind.PROCESS, process.id, process.version))
    return commit


def _continue(commit: Commit, process: Process, node_id: str) -> None:
    moved = evolve(process, status=ProcessStatus.RUNNING, current_node_id=node_id, version=process.version + 1)
    commit.processes.append(moved)
    commit.work.append(ExecuteItem(moved.root_id, moved.id, node_id, moved.version))


def _put(engine: Engine, commit: Commit, state: NodeState) -> None:
    commit.states.append(state)
    commit.events.append(Event(EventKind.POST_SET_STATE, state.root_id, state.node_id,
                               {"state": state.name.value, "version": state.version}, engine.clock.now()))


def _op_event(engine: Engine, commit: Commit, kind: EventKind, node_id: str, **data: Any) -> None:
    commit.events.append(Event(kind, commit.root_id, node_id, data, engine.clock.now()))


def _service_hooks(engine: Engine, v: NodeView, operation: str) -> Callable[[str], None]:
    """``fire("pre")`` / ``fire("post")`` run a hook-enabled component's operator hooks.

    Operator hooks are read-only and never fail an operation (SPEC §6.6).
    """
    if v.node.type is not NodeType.SERVICE_ACTIVITY:
        return lambda phase: None
    try:
        service = engine.components.get_service(v.node.code, v.node.version)
    except Exception:  # an unknown component cannot have hooks; the op itself decides
        return lambda phase: None
    if not service.need_run_hook():
        return lambda phase: None
    state = v.state
    service.setup_runtime_attributes(
        id=v.node.id, version=state.version if state else "", top_pipeline_id=v.node.scope_id,
        root_pipeline_id=v.model.root_id, loop=state.loop if state else 1,
        inner_loop=state.inner_loop if state else 1, clock=engine.clock.now,
    )
    data = engine.store.get_execution_data(v.node.id)
    root_data = engine.store.get_root_data(v.model.root_id)

    def fire(phase: str) -> None:
        service.hook_dispatch(f"{phase}_{operation}", DataObject(dict(data.inputs) if data else {},
                                                                 dict(data.outputs) if data else {}),
                              DataObject(dict(root_data), {}))

    return fire


def _commit_with_hooks(engine: Engine, v: NodeView, operation: str, commit: Commit) -> None:
    fire = _service_hooks(engine, v, operation)
    fire("pre")
    engine.store.commit(commit)
    fire("post")


def pause_node_appoint(engine: Engine, node_id: str) -> None:
    v = view(engine, node_id)
    if v.node.type is NodeType.SUBPROCESS:
        raise InvalidOperationError(f"node {node_id!r} is a SubProcess: pause the subprocess pipeline instead")
    if v.state is not None and not can_transit(v.state.name, State.SUSPENDED):
        raise InvalidOperationError(f"node {node_id!r} is {v.state.name.value} and cannot be paused")
    commit = _guarded(v, v.state, None)
    now = engine.clock.now()
    # A new version, so a step that read the state before this pause cannot overwrite it.
    suspended = (evolve(v.state, name=State.SUSPENDED, version=new_version()) if v.state else
                 NodeState(node_id=node_id, root_id=v.model.root_id, parent_id=v.node.scope_id,
                           name=State.SUSPENDED, version=new_version(), created_time=now))
    _put(engine, commit, suspended)
    _op_event(engine, commit, EventKind.POST_PAUSE_NODE, node_id)
    if v.process is not None:  # hooks only reach a node a process is at
        _commit_with_hooks(engine, v, "pause_node", commit)
    else:
        engine.store.commit(commit)


def resume_node_appoint(engine: Engine, node_id: str) -> None:
    v = view(engine, node_id)
    if v.node.type is NodeType.SUBPROCESS:
        raise InvalidOperationError(f"node {node_id!r} is a SubProcess: resume the subprocess pipeline instead")
    if v.state is None or v.state.name is not State.SUSPENDED:
        current = v.state.name.value if v.state else "not started"
        raise InvalidOperationError(f"node {node_id!r} is {current}, not SUSPENDED")
    commit = _guarded(v, v.state, None)
    _put(engine, commit, evolve(v.state, name=State.READY, version=new_version()))
    wake_processes(engine, commit, v.model.root_id, node_id)
    _op_event(engine, commit, EventKind.POST_RESUME_NODE, node_id)
    if v.process is not None:  # hooks only reach a node a process is at
        _commit_with_hooks(engine, v, "resume_node", commit)
    else:
        engine.store.commit(commit)
    wake_stragglers(engine, v.model.root_id, node_id)


def retry_node(engine: Engine, node_id: str, data: Mapping[str, Any] | None = None) -> None:
    """Run a FAILED node again; ``data`` replaces its inputs wholesale (SPEC §5)."""
    v = view(engine, node_id)
    if not v.node.can_retry:
        raise InvalidOperationError(f"node {node_id!r} is not retryable")
    if v.node.type is NodeType.SUBPROCESS:
        return retry_subprocess(engine, node_id)
    state, process = _require_failed_and_parked(v)
    commit = _guarded(v, state, process)
    commit.histories.append(history_of(state, engine.store.get_execution_data(node_id)))
    if data is not None:
        commit.node_inputs[node_id] = _retry_inputs(data)
    _put(engine, commit, evolve(state, name=State.READY, version=new_version(), retry=state.retry + 1,
                                 started_time=None, archived_time=None))
    _continue(commit, process, node_id)
    _op_event(engine, commit, EventKind.POST_RETRY_NODE, node_id, data=dict(data) if data is not None else None)
    _commit_with_hooks(engine, v, "retry_node", commit)


def _retry_inputs(data: Mapping[str, Any]) -> dict[str, DataInput]:
    if not isinstance(data, Mapping):
        raise InvalidOperationError("retry data must be an object")
    escaped = set(data.get("_escape_render_keys") or ())
    return {key: DataInput(need_render=key not in escaped, value=value)
            for key, value in data.items() if key != "_escape_render_keys"}


def retry_subprocess(engine: Engine, node_id: str) -> None:
    v = view(engine, node_id)
    if v.node.type is not NodeType.SUBPROCESS:
        raise InvalidOperationError(f"node {node_id!r} is not a SubProcess")
    state, process = _require_failed_and_parked(v)
    commit = _guarded(v, state, process)
    commit.histories.append(history_of(state, engine.store.get_execution_data(node_id)))
    _put(engine, commit, evolve(state, name=State.READY, version=new_version(), retry=state.retry + 1,
                                 started_time=None, archived_time=None))
    if process.stack[-1] == node_id:
        process = evolve(process, stack=process.stack[:-1])
    _continue(commit, process, node_id)
    _op_event(engine, commit, EventKind.POST_RETRY_SUBPROCESS, node_id)
    engine.store.commit(commit)


def _skip(engine: Engine, v: NodeView, next_node_id: str | None, event: EventKind, **data: Any) -> Commit:
    state, process = _require_failed_and_parked(v)
    commit = _guarded(v, state, process)
    commit.histories.append(history_of(state, engine.store.get_execution_data(v.node.id)))
    _put(engine, commit, evolve(state, name=State.FINISHED, skip=True, version=new_version(),
                                 archived_time=engine.clock.now()))
    if next_node_id is not None:
        _continue(commit, process, next_node_id)
    _op_event(engine, commit, event, v.node.id, **data)
    return commit


def skip_node(engine: Engine, node_id: str) -> None:
    """Mark a FAILED activity (or start event) FINISHED without running it; no outputs."""
    v = view(engine, node_id)
    if v.node.type not in (NodeType.SERVICE_ACTIVITY, NodeType.EMPTY_START_EVENT):
        raise InvalidOperationError(f"node {node_id!r} is a {v.node.type.value}; only activities can be skipped")
    if not v.node.can_skip:
        raise InvalidOperationError(f"node {node_id!r} is not skippable")
    _commit_with_hooks(engine, v, "skip_node", _skip(engine, v, v.node.next_id, EventKind.POST_SKIP_NODE))


def skip_exclusive_gateway(engine: Engine, node_id: str, flow_id: str) -> None:
    v = view(engine, node_id)
    if v.node.type is not NodeType.EXCLUSIVE_GATEWAY:
        raise InvalidOperationError(f"node {node_id!r} is not an ExclusiveGateway")
    target = dict(v.node.targets).get(flow_id)
    if target is None:
        raise InvalidOperationError(f"flow {flow_id!r} does not leave gateway {node_id!r}")
    engine.store.commit(_skip(engine, v, target, EventKind.POST_SKIP_EXCLUSIVE_GATEWAY, flow_id=flow_id))


def skip_conditional_parallel_gateway(
    engine: Engine, node_id: str, flow_ids: Sequence[str], converge_gateway_id: str
) -> None:
    v = view(engine, node_id)
    if v.node.type is not NodeType.CONDITIONAL_PARALLEL_GATEWAY:
        raise InvalidOperationError(f"node {node_id!r} is not a ConditionalParallelGateway")
    targets = dict(v.node.targets)
    unknown = [f for f in flow_ids if f not in targets]
    if unknown or not flow_ids:
        raise InvalidOperationError(f"flows {unknown or list(flow_ids)} do not leave gateway {node_id!r}")
    converge = v.model.nodes.get(converge_gateway_id)
    if converge is None or converge.type is not NodeType.CONVERGE_GATEWAY:
        raise InvalidOperationError(f"{converge_gateway_id!r} is not a converge gateway of this pipeline")
    commit = _skip(engine, v, None, EventKind.POST_SKIP_CONDITIONAL_PARALLEL_GATEWAY, flow_ids=list(flow_ids),
                   converge_gateway_id=converge_gateway_id)
    parent = v.process
    assert parent is not None
    commit.processes.append(evolve(parent, status=ProcessStatus.JOINING, current_node_id=converge_gateway_id,
                                    need_ack=len(flow_ids), version=parent.version + 1))
    for flow_id in flow_ids:
        child = Process(id=new_id("c"), root_id=parent.root_id, parent_id=parent.id, stack=parent.stack,
                        current_node_id=targets[flow_id], status=ProcessStatus.RUNNING,
                        destination_id=converge_gateway_id)
        commit.processes.append(child)
        commit.work.append(ExecuteItem(child.root_id, child.id, child.current_node_id, child.version))
    engine.store.commit(commit)


def forced_fail_activity(engine: Engine, node_id: str, ex_data: Any) -> None:
    """FAILED with a new version, so in-flight execute/schedule work can no longer land."""
    v = view(engine, node_id)
    if v.node.type is not NodeType.SERVICE_ACTIVITY:
        raise InvalidOperationError(f"node {node_id!r} is a {v.node.type.value}, not a ServiceActivity")
    if v.state is None or v.state.name is not State.RUNNING:
        current = v.state.name.value if v.state else "not started"
        raise InvalidOperationError(f"node {node_id!r} is {current}, not RUNNING")
    if v.process is None:
        raise InvalidOperationError(f"no live process at node {node_id!r}")
    commit = _guarded(v, v.state, v.process)
    stored = engine.store.get_execution_data(node_id)
    outputs = {**(stored.outputs if stored else {}), "ex_data": ex_data, "_forced_failed": True}
    commit.execution_data[node_id] = ExecutionData(inputs=dict(stored.inputs) if stored else {}, outputs=outputs)
    _put(engine, commit, evolve(v.state, name=State.FAILED, version=new_version(), archived_time=engine.clock.now()))
    commit.processes.append(evolve(v.process, status=ProcessStatus.SLEEPING, version=v.process.version + 1))
    _op_event(engine, commit, EventKind.POST_FORCED_FAIL_ACTIVITY, node_id, ex_data=ex_data)
    _commit_with_hooks(engine, v, "forced_fail_activity", commit)


def callback(engine: Engine, node_id: str, version: str, data: Any) -> None:
    """Queue a schedule call carrying ``data`` for the node attempt ``version``."""
    v = view(engine, node_id)
    if v.process is None or v.process.status is not ProcessStatus.SLEEPING:
        raise InvalidOperationError(f"can not find a sleeping process at node {node_id!r}")
    schedule = engine.store.get_schedule(node_id, version)
    if schedule is None:
        raise NotFoundError(f"node {node_id!r} has no schedule for version {version!r}")
    if v.state is None or v.state.version != version:
        engine.store.commit(Commit(root_id=v.model.root_id,
                                   guards=[Guard(GuardKind.SCHEDULE, schedule.id, schedule.rev)],
                                   schedules=[evolve(schedule, expired=True, rev=schedule.rev + 1)]))
        raise InvalidOperationError(f"node {node_id!r} version {version!r} does not exist any more")
    if schedule.finished or schedule.expired:
        raise InvalidOperationError(f"the schedule of node {node_id!r} is already finished or expired")
    commit = Commit(root_id=v.model.root_id, guards=[Guard(GuardKind.STATE, node_id, version)])
    commit.work.append(ScheduleItem(v.model.root_id, v.process.id, node_id, schedule.id, data, is_callback=True))
    _op_event(engine, commit, EventKind.POST_CALLBACK, node_id, version=version, data=data)
    _commit_with_hooks(engine, v, "callback", commit)
