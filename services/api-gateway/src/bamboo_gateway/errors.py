"""Gateway errors -> gRPC statuses: the state-store's table, plus what a client needs to rebuild them.

The mapping itself is ``bamboo_state_store.errors.STATUS_BY_ERROR`` (one table for the
whole cluster): InvalidTreeError, StartPositionInvalidError, ExpressionError and
ValueError -> INVALID_ARGUMENT; NotFoundError -> NOT_FOUND; InvalidOperationError ->
FAILED_PRECONDITION; StateConflictError -> ABORTED; AlreadyExistsError -> ALREADY_EXISTS.
Two additions for a service that sits *in front of* another one:

- a state-store that cannot be reached is UNAVAILABLE (retry later), not INTERNAL;
- trailing metadata ``bamboo-error`` carries the exception's class name and
  ``bamboo-error-attrs`` (JSON) the ids it names (``node_ids``, ``field``, ``node_id``,
  ``gateway_id``), so the SDK raises the same subclass with the same attributes as
  the embedded runtime would.
"""

from __future__ import annotations

import json
import logging
from typing import Any, NoReturn

import grpc

from bamboo_state_store.errors import ERROR_METADATA_KEY, STATUS_BY_ERROR, rpc_errors_with

logger = logging.getLogger(__name__)

ATTRS_METADATA_KEY = "bamboo-error-attrs"
# Attributes of bamboo_core.errors classes that name what is at fault.
ERROR_ATTRIBUTES = ("node_ids", "field", "node_id", "gateway_id", "failed_nodes", "detail")
_TRANSIENT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and message a client gets for ``exc``."""
    cause = exc.__cause__
    if isinstance(cause, grpc.Call) and cause.code() in _TRANSIENT:
        return grpc.StatusCode.UNAVAILABLE, f"state-store unavailable: {cause.details()}"
    for error_class, code in STATUS_BY_ERROR:
        if isinstance(exc, error_class):
            return code, str(exc) or type(exc).__name__
    return grpc.StatusCode.INTERNAL, f"internal error ({type(exc).__name__}); see the gateway log"


def error_attributes(exc: BaseException) -> dict[str, Any]:
    """The id-naming attributes ``exc`` has, as JSON-ready values."""
    attrs: dict[str, Any] = {}
    for name in ERROR_ATTRIBUTES:
        value = getattr(exc, name, None)
        if isinstance(value, str) or (isinstance(value, tuple) and all(isinstance(v, str) for v in value)):
            attrs[name] = list(value) if isinstance(value, tuple) else value
    return attrs


def abort_for(context: grpc.ServicerContext, exc: BaseException, method: str) -> NoReturn:
    """End the RPC with the status ``exc`` maps to (raises, like ``context.abort``)."""
    code, message = status_for(exc)
    if code is grpc.StatusCode.INTERNAL:
        logger.error("unexpected error in %s", method, exc_info=exc)
    metadata = [(ERROR_METADATA_KEY, type(exc).__name__)]
    attrs = error_attributes(exc)
    if attrs:
        metadata.append((ATTRS_METADATA_KEY, json.dumps(attrs, ensure_ascii=True)))
    context.set_trailing_metadata(tuple(metadata))
    context.abort(code, message)
    raise AssertionError("context.abort returned")  # pragma: no cover - abort always raises


rpc_errors = rpc_errors_with(abort_for)
