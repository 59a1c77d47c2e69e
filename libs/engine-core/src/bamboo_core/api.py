"""bamboo-engine's API: the same functions, names and parameters.

Every function takes ``runtime`` first (an ``InMemoryRuntime``, or the SDK's gRPC
``Client``) and never raises: it returns ``EngineAPIResult(result, message, exc,
data)`` with ``exc`` / ``exc_trace`` set when the call failed.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bamboo_core.runtime.protocol import Runtime

log = logging.getLogger(__name__)


@dataclass(slots=True)
class EngineAPIResult:
    result: bool
    message: str
    exc: BaseException | None = None
    data: Any = None
    exc_trace: str | None = None


def _call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> EngineAPIResult:
    try:
        data = func(*args, **kwargs)
    except Exception as exc:  # the API's contract: report, never raise
        log.debug("api call %s failed: %s", getattr(func, "__name__", func), exc)
        return EngineAPIResult(False, "fail", exc, None, traceback.format_exc())
    return EngineAPIResult(True, "success", None, data)


def run_pipeline(runtime: Runtime, pipeline: Mapping[str, Any], root_pipeline_data: Mapping[str, Any] | None = None,
                 root_pipeline_context: Mapping[str, Any] | None = None,
                 subprocess_context: Mapping[str, Any] | None = None, **options: Any) -> EngineAPIResult:
    """Options: ``start_node_id``, ``cycle_tolerate``."""
    return _call(runtime.run_pipeline, pipeline, root_pipeline_data, root_pipeline_context, subprocess_context,
                 **options)


def pause_pipeline(runtime: Runtime, pipeline_id: str) -> EngineAPIResult:
    return _call(runtime.pause_pipeline, pipeline_id)


def resume_pipeline(runtime: Runtime, pipeline_id: str) -> EngineAPIResult:
    return _call(runtime.resume_pipeline, pipeline_id)


def revoke_pipeline(runtime: Runtime, pipeline_id: str) -> EngineAPIResult:
    return _call(runtime.revoke_pipeline, pipeline_id)


def pause_node_appoint(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.pause_node_appoint, node_id)


def resume_node_appoint(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.resume_node_appoint, node_id)


def retry_node(runtime: Runtime, node_id: str, data: Mapping[str, Any] | None = None) -> EngineAPIResult:
    return _call(runtime.retry_node, node_id, data)


def retry_subprocess(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.retry_subprocess, node_id)


def skip_node(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.skip_node, node_id)


def skip_exclusive_gateway(runtime: Runtime, node_id: str, flow_id: str) -> EngineAPIResult:
    return _call(runtime.skip_exclusive_gateway, node_id, flow_id)


def skip_conditional_parallel_gateway(runtime: Runtime, node_id: str, flow_ids: Sequence[str],
                                      converge_gateway_id: str) -> EngineAPIResult:
    return _call(runtime.skip_conditional_parallel_gateway, node_id, flow_ids, converge_gateway_id)


def forced_fail_activity(runtime: Runtime, node_id: str, ex_data: Any) -> EngineAPIResult:
    return _call(runtime.forced_fail_activity, node_id, ex_data)


def callback(runtime: Runtime, node_id: str, version: str, data: Any) -> EngineAPIResult:
    return _call(runtime.callback, node_id, version, data)


def get_pipeline_states(runtime: Runtime, root_id: str, flat_children: bool = True) -> EngineAPIResult:
    return _call(runtime.get_pipeline_states, root_id, flat_children)


def get_children_states(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.get_children_states, node_id)


def get_execution_data(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.get_execution_data, node_id)


def get_execution_data_inputs(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.get_execution_data_inputs, node_id)


def get_execution_data_outputs(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.get_execution_data_outputs, node_id)


def get_data(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.get_data, node_id)


def get_node_histories(runtime: Runtime, node_id: str, loop: int = -1) -> EngineAPIResult:
    return _call(runtime.get_node_histories, node_id, loop)


def get_node_short_histories(runtime: Runtime, node_id: str, loop: int = -1) -> EngineAPIResult:
    return _call(runtime.get_node_short_histories, node_id, loop)


def get_pipeline_execution_time(runtime: Runtime, pipeline_id: str) -> EngineAPIResult:
    return _call(runtime.get_pipeline_execution_time, pipeline_id)


def get_node_execution_time(runtime: Runtime, node_id: str) -> EngineAPIResult:
    return _call(runtime.get_node_execution_time, node_id)


def update_context_values(runtime: Runtime, pipeline_id: str, context_values: Sequence[Any]) -> EngineAPIResult:
    return _call(runtime.update_context_values, pipeline_id, context_values)


def get_pipeline_debug_info(runtime: Runtime, pipeline_id: str) -> EngineAPIResult:
    return _call(runtime.get_pipeline_debug_info, pipeline_id)


def get_schedule(runtime: Runtime, node_id: str, version: str | None = None) -> EngineAPIResult:
    """Bamboo extension: the schedule of a node attempt (times, finished, expired)."""
    return _call(runtime.get_schedule, node_id, version)


def preview_node_inputs(runtime: Runtime, pipeline: Mapping[str, Any], node_id: str,
                        subprocess_stack: Sequence[str] | None = None,
                        root_pipeline_data: Mapping[str, Any] | None = None,
                        parent_params: Mapping[str, Any] | None = None) -> EngineAPIResult:
    """Render a node's inputs from the tree alone; nothing runs (the runtime is not used)."""
    from bamboo_core.preview import preview_node_inputs as preview

    return _call(preview, pipeline, node_id, list(subprocess_stack or []), dict(root_pipeline_data or {}),
                 dict(parent_params or {}))
