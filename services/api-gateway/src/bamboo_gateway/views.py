"""Query results (engine-core's plain dicts) as ``bamboo.v1.Workflow`` messages.

The queries already produce bamboo-engine's shapes; this module only changes their
encoding: datetimes become seconds since the epoch (unset when None), enum names
become proto enums, user values become JSON text. The SDK reverses each function.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bamboo_core.component.service import ScheduleType
from bamboo_core.model import VarType
from bamboo_core.states import State
from bamboo_proto.v1 import records_pb2 as pb
from bamboo_proto.v1 import workflow_pb2 as wpb
from bamboo_state_store import codec


def seconds(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _state_enum(name: str) -> Any:
    return codec.STATE_TO_PB[State(name)]


def state_view(entry: Mapping[str, Any]) -> wpb.NodeStateView:
    """One ``state_dict`` (with its ``children``, nested or flat) as a view."""
    return wpb.NodeStateView(
        id=entry["id"], state=_state_enum(entry["state"]), root_id=entry["root_id"],
        parent_id=entry["parent_id"], version=entry["version"], loop=entry["loop"],
        inner_loop=entry["inner_loop"], retry=entry["retry"], skip=entry["skip"],
        error_ignorable=entry["error_ignorable"], error_ignored=entry["error_ignored"],
        created_time=seconds(entry["created_time"]), started_time=seconds(entry["started_time"]),
        archived_time=seconds(entry["archived_time"]),
        children={key: state_view(child) for key, child in entry["children"].items()},
    )  # fmt: skip


def states_response(result: Mapping[str, Any], node_id: str) -> wpb.StatesResponse:
    """``{node_id: entry}`` or ``{}`` (unknown id) as a response."""
    entry = result.get(node_id)
    return wpb.StatesResponse(state=state_view(entry)) if entry is not None else wpb.StatesResponse()


def history_view(entry: Mapping[str, Any]) -> wpb.HistoryView:
    """A full or short history dict (short ones lack retry/inputs/outputs)."""
    return wpb.HistoryView(
        id=entry["id"], node_id=entry["node_id"], started_time=seconds(entry["started_time"]),
        archived_time=seconds(entry["archived_time"]), loop=entry["loop"], retry=entry.get("retry", 0),
        skip=entry["skip"], version=entry["version"],
        inputs_json=codec.to_json(entry.get("inputs", {}), "history.inputs"),
        outputs_json=codec.to_json(entry.get("outputs", {}), "history.outputs"),
    )  # fmt: skip


def execution_time_response(result: Mapping[str, Any]) -> wpb.ExecutionTimeResponse:
    return wpb.ExecutionTimeResponse(
        state=_state_enum(result["state"]), start_time=seconds(result["start_time"]),
        archived_time=seconds(result["archived_time"]), execution_time=result["execution_time"],
    )  # fmt: skip


def schedule_view(result: Mapping[str, Any]) -> wpb.ScheduleView:
    return wpb.ScheduleView(
        id=str(result["id"]), node_id=result["node_id"], version=result["version"],
        type=codec.SCHEDULE_TYPE_TO_PB[ScheduleType(result["type"])], times=result["times"],
        finished=result["finished"], expired=result["expired"],
    )  # fmt: skip


def context_value_dict(value: pb.ContextValue, index: int) -> dict[str, Any]:
    """A wire context value as the dict ``queries.update_context_values`` takes.

    An unspecified type keeps the stored one (``type: None``), as a dict without
    ``type`` does in embedded mode.
    """
    field = f"values[{index}]"
    if not value.key:
        raise ValueError(f"{field}.key: missing")
    kind = codec.VAR_TYPE_FROM_PB.get(value.type) if value.type else None
    if value.type and kind is None:
        raise ValueError(f"{field}.type: unknown value {value.type}")
    return {
        "key": value.key, "type": kind.value if isinstance(kind, VarType) else None,
        "value": codec.from_json(value.value_json, f"{field}.value_json") if value.value_json else None,
        "code": value.code,
    }  # fmt: skip
