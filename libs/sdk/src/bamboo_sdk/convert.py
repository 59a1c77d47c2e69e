"""``bamboo.v1.Workflow`` messages back to the plain data ``bamboo_core.api`` returns.

The inverse of the gateway's ``views.py``: seconds become timezone-aware datetimes
(as ``queries.as_datetime`` makes them), proto enums become the engine's names,
JSON text becomes values. Shapes are exactly those of the embedded runtime.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bamboo_core.model import VarType
from bamboo_proto.v1 import records_pb2 as pb
from bamboo_proto.v1 import workflow_pb2 as wpb

_DECODER = json.JSONDecoder()
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                            default=lambda value: dict(value) if isinstance(value, Mapping) else _not_json(value))
_STATE_PREFIX = "NODE_STATE_NAME_"
_VAR_TYPE_BY_NUMBER = {1: VarType.PLAIN, 2: VarType.SPLICE, 3: VarType.LAZY}


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON data")


def to_json(value: Any, field: str) -> str:
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{field}: value is not JSON-serialisable: {exc}") from exc


def from_json(text: str) -> Any:
    return _DECODER.decode(text) if text else None


def when(message: Any, name: str) -> datetime | None:
    return datetime.fromtimestamp(getattr(message, name), tz=UTC) if message.HasField(name) else None


def state_name(number: int) -> str:
    return pb.NodeStateName.Name(number).removeprefix(_STATE_PREFIX)


def state_dict(view: wpb.NodeStateView) -> dict[str, Any]:
    return {
        "id": view.id, "state": state_name(view.state), "root_id": view.root_id, "parent_id": view.parent_id,
        "version": view.version, "loop": view.loop, "inner_loop": view.inner_loop, "retry": view.retry,
        "skip": view.skip, "error_ignorable": view.error_ignorable, "error_ignored": view.error_ignored,
        "created_time": when(view, "created_time"), "started_time": when(view, "started_time"),
        "archived_time": when(view, "archived_time"),
        "children": {key: state_dict(child) for key, child in view.children.items()},
    }  # fmt: skip


def states(response: wpb.StatesResponse) -> dict[str, Any]:
    return {response.state.id: state_dict(response.state)} if response.HasField("state") else {}


def history(view: wpb.HistoryView, short: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": view.id, "node_id": view.node_id, "started_time": when(view, "started_time"),
        "archived_time": when(view, "archived_time"), "loop": view.loop, "skip": view.skip,
        "version": view.version,
    }  # fmt: skip
    if not short:
        entry.update(retry=view.retry, inputs=from_json(view.inputs_json), outputs=from_json(view.outputs_json))
    return entry


def execution_time(response: wpb.ExecutionTimeResponse) -> dict[str, Any]:
    return {"state": state_name(response.state), "start_time": when(response, "start_time"),
            "archived_time": when(response, "archived_time"), "execution_time": response.execution_time}


def schedule(view: wpb.ScheduleView) -> dict[str, Any]:
    kind = pb.ScheduleType.Name(view.type).removeprefix("SCHEDULE_TYPE_")
    from bamboo_core.component.service import ScheduleType

    return {"id": view.id, "node_id": view.node_id, "version": view.version, "type": int(ScheduleType[kind]),
            "times": view.times, "finished": view.finished, "expired": view.expired}


def context_value(value: Any, index: int) -> pb.ContextValue:
    """A context value as ``update_context_values`` accepts it embedded: a mapping or an object
    with ``key``/``type``/``value``/``code``; ``type`` as a name ("plain"), a VarType or 1-3."""
    item = value if isinstance(value, Mapping) else {
        name: getattr(value, name, None) for name in ("key", "type", "value", "code")}
    kind = item.get("type")
    if kind is None or kind == "":
        number = pb.VAR_TYPE_UNSPECIFIED
    elif isinstance(kind, int) and not isinstance(kind, bool):
        number = int(kind) if kind in _VAR_TYPE_BY_NUMBER else -1
    else:
        number = pb.VarType.Value("VAR_TYPE_" + VarType(kind).name)
    if number == -1:
        raise ValueError(f"context_values[{index}].type: {kind!r} is not 1, 2 or 3")
    return pb.ContextValue(key=str(item.get("key")), type=number,
                           value_json=to_json(item.get("value"), f"context_values[{index}].value"),
                           code=item.get("code") or "")
