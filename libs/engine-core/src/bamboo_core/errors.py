"""Every error engine-core raises, in one tree.

    EngineError
    ├── InvalidTreeError            a pipeline tree breaks a structural rule
    │   ├── TreeSchemaError         a field is missing or has the wrong type
    │   ├── ConnectionValidateError in/out degree or edge rules (names the nodes)
    │   ├── CycleError              a cycle without ``cycle_tolerate``
    │   ├── ConvergeMatchError      parallel / exclusive branches do not converge properly
    │   ├── StreamValidateError     branches cross between parallel blocks
    │   ├── IsolateNodeError        nodes unreachable from the start event
    │   └── UnknownNodeTypeError    e.g. an end event type nobody registered
    ├── StartPositionInvalidError   ``start_node_id`` is not an allowed start
    ├── NotFoundError               no such pipeline, node, state, schedule, component
    ├── AlreadyExistsError          a node or pipeline id is already stored
    ├── InvalidOperationError       the operation is not allowed in the current state
    ├── InvalidTransitionError      a state change the transition table forbids
    ├── StateConflictError          a compare-and-set lost: someone else moved first
    └── ExpressionError             a condition or ``${...}`` expression is not allowed
        ├── ExpressionSyntaxError   the text does not parse
        └── ExpressionLimitError    the expression would do too much work

Errors carry the ids at fault as attributes so that services can map them to a
status that names the node or field.
"""

from __future__ import annotations

from collections.abc import Iterable


class EngineError(Exception):
    """Root of every error raised by engine-core."""


class InvalidTreeError(EngineError):
    """A pipeline tree breaks a structural rule; ``node_ids`` names the nodes at fault."""

    def __init__(self, message: str, node_ids: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.node_ids: tuple[str, ...] = tuple(node_ids)


# bamboo-engine's name for the same family, kept so ported code reads the same.
TreeInvalidException = InvalidTreeError


class TreeSchemaError(InvalidTreeError):
    """A required field is missing or has the wrong type (``field`` names it)."""

    def __init__(self, message: str, node_ids: Iterable[str] = (), field: str = "") -> None:
        super().__init__(message, node_ids)
        self.field = field


class ConnectionValidateError(InvalidTreeError):
    """In/out degree or edge rules broken (``failed_nodes`` lists the nodes)."""

    def __init__(self, failed_nodes: Iterable[str], detail: str) -> None:
        failed = tuple(failed_nodes)
        super().__init__(f"connection rules violated at {list(failed)}: {detail}", failed)
        self.failed_nodes = failed
        self.detail = detail


class CycleError(InvalidTreeError):
    """The graph has a cycle and the run did not ask for ``cycle_tolerate``."""


class ConvergeMatchError(InvalidTreeError):
    """Branches of a gateway do not converge as required (``gateway_id``)."""

    def __init__(self, message: str, gateway_id: str) -> None:
        super().__init__(message, (gateway_id,))
        self.gateway_id = gateway_id


class StreamValidateError(InvalidTreeError):
    """A node is reached from more than one parallel stream."""


class IsolateNodeError(InvalidTreeError):
    """Nodes that cannot be reached from the start event."""


class UnknownNodeTypeError(InvalidTreeError):
    """A node's ``type`` is not a known node type nor a registered end event."""


class StartPositionInvalidError(EngineError):
    """``start_node_id`` is not one of the allowed start positions."""

    def __init__(self, message: str, node_id: str) -> None:
        super().__init__(message)
        self.node_id = node_id


StartPositionInvalidException = StartPositionInvalidError


class NotFoundError(EngineError):
    """No such pipeline, node, state, schedule or component."""


class AlreadyExistsError(EngineError):
    """An id given to be created is already stored."""


class InvalidOperationError(EngineError):
    """The operation is not allowed now (wrong state, wrong node type, flag off)."""


class InvalidTransitionError(InvalidOperationError):
    """A state change the transition table forbids."""


class StateConflictError(EngineError):
    """An optimistic compare-and-set lost; nothing was written."""


# bamboo-engine's name for a lost version check.
StateVersionNotMatchError = StateConflictError


class ExpressionError(EngineError):
    """A condition or template expression is not allowed or failed to evaluate."""


class ExpressionSyntaxError(ExpressionError):
    """The expression text does not parse."""


class ExpressionLimitError(ExpressionError):
    """The expression would exceed a work or size bound."""
