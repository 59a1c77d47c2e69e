"""One module per node type; ``HANDLERS`` maps each type to its ``execute``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bamboo_core.engine.step import Decision, StepContext
from bamboo_core.handlers import (
    conditional_parallel_gateway,
    converge_gateway,
    empty_end_event,
    empty_start_event,
    exclusive_gateway,
    executable_end_event,
    parallel_gateway,
    service_activity,
    subprocess,
)
from bamboo_core.model import NodeType

Handler = Callable[[StepContext], Decision]

HANDLERS: Mapping[NodeType, Handler] = {
    NodeType.EMPTY_START_EVENT: empty_start_event.execute,
    NodeType.EMPTY_END_EVENT: empty_end_event.execute,
    NodeType.EXECUTABLE_END_EVENT: executable_end_event.execute,
    NodeType.SERVICE_ACTIVITY: service_activity.execute,
    NodeType.SUBPROCESS: subprocess.execute,
    NodeType.EXCLUSIVE_GATEWAY: exclusive_gateway.execute,
    NodeType.PARALLEL_GATEWAY: parallel_gateway.execute,
    NodeType.CONDITIONAL_PARALLEL_GATEWAY: conditional_parallel_gateway.execute,
    NodeType.CONVERGE_GATEWAY: converge_gateway.execute,
}
