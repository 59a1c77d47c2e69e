"""Operations on whole pipelines: run, pause, resume, revoke (SPEC §5 "Control")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bamboo_core.end_events import ExecutableEndEvent
from bamboo_core.engine.step import new_id, new_version
from bamboo_core.errors import InvalidOperationError, NotFoundError, TreeSchemaError
from bamboo_core.events import EventKind
from bamboo_core.model import PipelineModel, VarType, build_model
from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import ContextValue, Event, ExecuteItem, NodeState, Process, ProcessStatus, evolve
from bamboo_core.states import State, can_transit
from bamboo_core.validation import validate_and_process_pipeline, validate_pipeline_start_node

if TYPE_CHECKING:
    from bamboo_core.engine.engine import Engine


def run_pipeline(
    engine: Engine,
    pipeline: Mapping[str, Any],
    root_pipeline_data: Mapping[str, Any] | None = None,
    root_pipeline_context: Mapping[str, Any] | None = None,
    subprocess_context: Mapping[str, Any] | None = None,
    *,
    start_node_id: str | None = None,
    cycle_tolerate: bool = False,
) -> str:
    """Validate the tree, store it and start its root process; returns the root id."""
    if not isinstance(pipeline, Mapping):
        raise TreeSchemaError("pipeline must be an object", field="pipeline")
    tree = copy_structure(pipeline)  # validation normalises node dicts; keep the caller's intact
    validate_and_process_pipeline(tree, cycle_tolerate=cycle_tolerate, end_event_types=ExecutableEndEvent.types())
    model = build_model(tree)
    start = start_node_id or model.scopes[model.root_id].start_event_id
    if start_node_id:
        validate_pipeline_start_node(tree, start_node_id)
    now = engine.clock.now()
    root_id = model.root_id
    root_state = NodeState(node_id=root_id, root_id=root_id, parent_id=root_id, name=State.RUNNING,
                           version=new_version(), created_time=now, started_time=now)
    process = Process(id=new_id("r"), root_id=root_id, parent_id="", stack=(root_id,),
                      current_node_id=start, status=ProcessStatus.RUNNING)
    commit = Commit(
        root_id=root_id, states=[root_state], processes=[process],
        contexts=_initial_contexts(model, root_pipeline_context or {}, subprocess_context or {}),
        work=[ExecuteItem(root_id, process.id, start, process.version)],
        events=[Event(EventKind.POST_SET_STATE, root_id, root_id, {"state": State.RUNNING.value}, now),
                Event(EventKind.POST_PREPARE_RUN_PIPELINE, root_id, root_id, {}, now)],
    )
    engine.store.create_pipeline(model, dict(root_pipeline_data or {}), commit)
    return root_id


def copy_structure(tree: Mapping[str, Any]) -> dict[str, Any]:
    """Copy the tree down to its node dicts (what validation writes), sharing the values.

    A deep copy of a 10,000-node tree costs more than running it.
    """
    copied = dict(tree)
    for section in ("activities", "gateways", "flows"):
        nodes = tree.get(section)
        if isinstance(nodes, Mapping):
            copied[section] = {key: _copy_node(node) for key, node in nodes.items()}
    for section in ("start_event", "end_event"):
        if isinstance(tree.get(section), Mapping):
            copied[section] = dict(tree[section])
    return copied


def _copy_node(node: Any) -> Any:
    if not isinstance(node, Mapping):
        return node
    copied = dict(node)
    if isinstance(copied.get("pipeline"), Mapping):
        copied["pipeline"] = copy_structure(copied["pipeline"])
    return copied


def _initial_contexts(
    model: PipelineModel, root_context: Mapping[str, Any], subprocess_context: Mapping[str, Any]
) -> dict[str, dict[str, ContextValue]]:
    contexts: dict[str, dict[str, ContextValue]] = {}
    for scope in model.scopes.values():
        values = {seed.key: ContextValue(seed.key, seed.type, seed.value, seed.code) for seed in scope.seeds}
        extra = root_context if scope.parent_id == "" else subprocess_context
        for key, value in extra.items():
            values[key] = ContextValue(key, VarType.PLAIN, value)
        contexts[scope.id] = values
    return contexts


def _pipeline_state(engine: Engine, pipeline_id: str) -> NodeState:
    state = engine.store.get_state(pipeline_id)
    if state is None:
        raise NotFoundError(f"pipeline {pipeline_id!r} has no state")
    return state


def _move(state: NodeState, to: State, now: float, kind: EventKind) -> Commit:
    if not can_transit(state.name, to):
        raise InvalidOperationError(
            f"pipeline {state.node_id!r} is {state.name.value} and cannot become {to.value}"
        )
    # A new version on every move: a step that read the old state and decided on it
    # (e.g. "suspend behind this paused pipeline") must lose its guard to a resume.
    changes: dict[str, Any] = {"name": to, "version": new_version()}
    if to is State.REVOKED:
        changes["archived_time"] = now
    moved = evolve(state, **changes)
    return Commit(
        root_id=state.root_id, guards=[Guard(GuardKind.STATE, state.node_id, state.version)], states=[moved],
        events=[Event(EventKind.POST_SET_STATE, state.root_id, state.node_id, {"state": to.value}, now),
                Event(kind, state.root_id, state.node_id, {}, now)],
    )


def pause_pipeline(engine: Engine, pipeline_id: str) -> None:
    """Running nodes go on; processes block at their next node boundary."""
    state = _pipeline_state(engine, pipeline_id)
    engine.store.commit(_move(state, State.SUSPENDED, engine.clock.now(), EventKind.POST_PAUSE_PIPELINE))


def resume_pipeline(engine: Engine, pipeline_id: str) -> None:
    state = _pipeline_state(engine, pipeline_id)
    if state.name is not State.SUSPENDED:
        raise InvalidOperationError(f"pipeline {pipeline_id!r} is {state.name.value}, not SUSPENDED")
    commit = _move(state, State.RUNNING, engine.clock.now(), EventKind.POST_RESUME_PIPELINE)
    wake_processes(engine, commit, state.root_id, pipeline_id)
    engine.store.commit(commit)
    wake_stragglers(engine, state.root_id, pipeline_id)


def revoke_pipeline(engine: Engine, pipeline_id: str) -> None:
    """Terminal. Processes die at their next node boundary; blocked ones die now."""
    state = _pipeline_state(engine, pipeline_id)
    commit = _move(state, State.REVOKED, engine.clock.now(), EventKind.POST_REVOKE_PIPELINE)
    for process in engine.store.get_processes(state.root_id):
        if pipeline_id == state.root_id and process.status is ProcessStatus.SUSPENDED:
            commit.guards.append(Guard(GuardKind.PROCESS, process.id, process.version))
            commit.processes.append(evolve(process, status=ProcessStatus.DEAD, version=process.version + 1))
    engine.store.commit(commit)


def wake_stragglers(engine: Engine, root_id: str, blocked_by: str) -> None:
    """Wake processes that suspended between our read of the processes and our commit.

    A step that read the pipeline (or node) as paused guards its suspension on the
    version it read, so once the resume has landed no step can suspend behind it any
    more; only those that landed inside the resume's own read-to-commit window are
    left, and a second look after the commit finds them (the lost wake-up problem).
    """
    commit = Commit(root_id=root_id)
    wake_processes(engine, commit, root_id, blocked_by)
    if commit.processes:
        engine.store.commit(commit)


def wake_processes(engine: Engine, commit: Commit, root_id: str, blocked_by: str) -> None:
    """Resume every process blocked by ``blocked_by`` at its current node."""
    for process in engine.store.get_processes(root_id):
        if process.status is ProcessStatus.SUSPENDED and process.suspended_by == blocked_by:
            woken = evolve(process, status=ProcessStatus.RUNNING, suspended_by="", version=process.version + 1)
            commit.guards.append(Guard(GuardKind.PROCESS, process.id, process.version))
            commit.processes.append(woken)
            commit.work.append(ExecuteItem(root_id, woken.id, woken.current_node_id, woken.version))
