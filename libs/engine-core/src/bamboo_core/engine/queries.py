"""Read-only queries with bamboo-engine's data shapes (SPEC §5 "Queries")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bamboo_core.errors import InvalidOperationError, NotFoundError
from bamboo_core.model import VarType
from bamboo_core.records import ContextValue, History, NodeState
from bamboo_core.states import ARCHIVED_STATES

if TYPE_CHECKING:
    from bamboo_core.engine.engine import Engine


def as_datetime(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value is not None else None


def _error_ignorable(engine: Engine, state: NodeState) -> bool:
    node = engine.model(state.root_id).nodes.get(state.node_id)
    return bool(node and node.error_ignorable)


def state_dict(engine: Engine, state: NodeState) -> dict[str, Any]:
    return {
        "id": state.node_id, "state": state.name.value, "root_id": state.root_id,
        "parent_id": state.parent_id, "version": state.version, "loop": state.loop,
        "inner_loop": state.inner_loop, "retry": state.retry, "skip": state.skip,
        "error_ignorable": _error_ignorable(engine, state), "error_ignored": state.error_ignored,
        "created_time": as_datetime(state.created_time), "started_time": as_datetime(state.started_time),
        "archived_time": as_datetime(state.archived_time), "children": {},
    }


def get_pipeline_states(engine: Engine, root_id: str, flat_children: bool = True) -> dict[str, Any]:
    root = engine.store.get_state(root_id)
    if root is None or root.root_id != root_id:
        return {}
    result = state_dict(engine, root)
    descendants = [s for s in engine.store.get_states(root_id) if s.node_id != root_id]
    if flat_children:
        result["children"] = {s.node_id: state_dict(engine, s) for s in descendants}
    else:
        result["children"] = _nest(engine, root_id, descendants)
    return {root_id: result}


def _nest(engine: Engine, parent_id: str, states: Iterable[NodeState]) -> dict[str, Any]:
    states = list(states)
    children = {}
    for state in states:
        if state.parent_id == parent_id:
            entry = state_dict(engine, state)
            entry["children"] = _nest(engine, state.node_id, states)
            children[state.node_id] = entry
    return children


def get_children_states(engine: Engine, node_id: str) -> dict[str, Any]:
    state = engine.store.get_state(node_id)
    if state is None:
        return {}
    result = state_dict(engine, state)
    result["children"] = {s.node_id: state_dict(engine, s) for s in engine.store.get_states(state.root_id)
                          if s.parent_id == node_id and s.node_id != node_id}
    return {node_id: result}


def get_execution_data(engine: Engine, node_id: str) -> dict[str, Any]:
    data = engine.store.get_execution_data(node_id)
    if data is None:
        raise NotFoundError(f"node {node_id!r} has no execution data")
    return {"inputs": dict(data.inputs), "outputs": dict(data.outputs)}


def get_execution_data_inputs(engine: Engine, node_id: str) -> dict[str, Any]:
    data = engine.store.get_execution_data(node_id)
    return dict(data.inputs) if data else {}


def get_execution_data_outputs(engine: Engine, node_id: str) -> dict[str, Any]:
    data = engine.store.get_execution_data(node_id)
    return dict(data.outputs) if data else {}


def get_data(engine: Engine, node_id: str) -> dict[str, Any]:
    root_id = engine.store.root_of(node_id)
    if root_id is None:
        raise NotFoundError(f"node {node_id!r} does not exist")
    node = engine.model(root_id).nodes.get(node_id)
    if node is None:
        raise InvalidOperationError(f"{node_id!r} is a pipeline, not a node")
    stored = engine.store.get_node_inputs(node_id)
    inputs = stored if stored is not None else node.inputs
    return {
        "inputs": {k: {"need_render": d.need_render, "value": d.value} for k, d in inputs.items()},
        "outputs": {source: keys[-1] for source, keys in node.outputs.items()},
    }


def _history_dict(history: History, short: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": history.id, "node_id": history.node_id, "started_time": as_datetime(history.started_time),
        "archived_time": as_datetime(history.archived_time), "loop": history.loop, "skip": history.skip,
        "version": history.version,
    }
    if not short:
        entry.update(retry=history.retry, inputs=dict(history.inputs), outputs=dict(history.outputs))
    return entry


def get_node_histories(engine: Engine, node_id: str, loop: int = -1, short: bool = False) -> list[dict[str, Any]]:
    return [_history_dict(h, short) for h in engine.store.get_histories(node_id) if loop == -1 or h.loop == loop]


def get_execution_time(engine: Engine, node_id: str) -> dict[str, Any]:
    state = engine.store.get_state(node_id)
    if state is None:
        raise NotFoundError(f"node or pipeline {node_id!r} has no state")
    start = state.started_time
    end = state.archived_time if state.name in ARCHIVED_STATES else None
    elapsed = ((end if end is not None else engine.clock.now()) - start) if start is not None else 0.0
    return {"state": state.name.value, "start_time": as_datetime(start), "archived_time": as_datetime(end),
            "execution_time": elapsed}


def context_value_dict(value: ContextValue) -> dict[str, Any]:
    return {"key": value.key, "type": value.type.value, "value": value.value, "code": value.code}


def get_pipeline_debug_info(engine: Engine, pipeline_id: str) -> dict[str, Any]:
    root_id = engine.store.root_of(pipeline_id)
    if root_id is None:
        raise NotFoundError(f"pipeline {pipeline_id!r} does not exist")
    return {
        "context_values": [context_value_dict(v) for v in engine.store.get_context(pipeline_id).values()],
        "processes": [
            {"id": p.id, "root_pipeline_id": p.root_id, "parent_id": p.parent_id, "status": p.status.value,
             "current_node_id": p.current_node_id, "destination_id": p.destination_id,
             "pipeline_stack": list(p.stack), "suspended_by": p.suspended_by}
            for p in engine.store.get_processes(root_id)
        ],
    }


def get_schedule(engine: Engine, node_id: str, version: str | None = None) -> dict[str, Any]:
    if version is None:
        state = engine.store.get_state(node_id)
        if state is None:
            raise NotFoundError(f"node {node_id!r} has no state")
        version = state.version
    schedule = engine.store.get_schedule(node_id, version)
    if schedule is None:
        raise NotFoundError(f"node {node_id!r} has no schedule for version {version!r}")
    return {"id": schedule.id, "node_id": node_id, "version": version, "type": int(schedule.type),
            "times": schedule.times, "finished": schedule.finished, "expired": schedule.expired}


def update_context_values(engine: Engine, pipeline_id: str, values: Iterable[Any]) -> None:
    """Overwrite existing keys of a scope's context (types as given)."""
    from bamboo_core.ports import Commit

    root_id = engine.store.root_of(pipeline_id)
    if root_id is None:
        raise NotFoundError(f"pipeline {pipeline_id!r} does not exist")
    stored = engine.store.get_context(pipeline_id)
    updates: dict[str, ContextValue] = {}
    for value in values:
        item = value if isinstance(value, Mapping) else {
            name: getattr(value, name, None) for name in ("key", "type", "value", "code")}
        key = str(item.get("key"))
        if key not in stored:
            raise NotFoundError(f"context key {key!r} does not exist in pipeline {pipeline_id!r}")
        kind = item.get("type") or stored[key].type
        kind = VarType(kind) if not isinstance(kind, int) else (VarType.PLAIN, VarType.SPLICE, VarType.LAZY)[kind - 1]
        updates[key] = ContextValue(key, kind, item.get("value"), item.get("code") or "")
    engine.store.commit(Commit(root_id=root_id, contexts={pipeline_id: updates}))

