"""The one mapping from domain errors to gRPC status codes.

Every servicer method is wrapped by ``rpc_errors``: a method raises domain errors
(or ``ValueError`` for a malformed request) and never calls ``context.abort``
itself, so each status comes from this table and ``client.py`` can map it back.

    StateConflictError         -> ABORTED              (a guard lost: re-read and retry)
    NotFoundError              -> NOT_FOUND
    AlreadyExistsError         -> ALREADY_EXISTS
    InvalidTreeError,
    StartPositionInvalidError,
    ExpressionError, ValueError -> INVALID_ARGUMENT    (bad JSON, bad enum, missing field)
    InvalidOperationError      -> FAILED_PRECONDITION
    anything else              -> INTERNAL             (logged with its traceback)

The error's class name also travels in the trailing metadata ``bamboo-error`` so a
client can raise the precise subclass (e.g. ``InvalidTransitionError``) when it
knows it, and the table's class otherwise.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import grpc

from bamboo_core.errors import (
    AlreadyExistsError,
    ExpressionError,
    InvalidOperationError,
    InvalidTreeError,
    NotFoundError,
    StartPositionInvalidError,
    StateConflictError,
)

logger = logging.getLogger(__name__)

ERROR_METADATA_KEY = "bamboo-error"

# Ordered: the first matching class wins (subclasses before their bases).
STATUS_BY_ERROR: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (StateConflictError, grpc.StatusCode.ABORTED),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (AlreadyExistsError, grpc.StatusCode.ALREADY_EXISTS),
    (InvalidTreeError, grpc.StatusCode.INVALID_ARGUMENT),
    (StartPositionInvalidError, grpc.StatusCode.INVALID_ARGUMENT),
    (ExpressionError, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidOperationError, grpc.StatusCode.FAILED_PRECONDITION),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
)


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and message a client gets for ``exc``."""
    for error_class, code in STATUS_BY_ERROR:
        if isinstance(exc, error_class):
            return code, str(exc) or type(exc).__name__
    # Internals (SQL text, paths) stay in the log; the client learns only the kind.
    return grpc.StatusCode.INTERNAL, f"internal error ({type(exc).__name__}); see the state-store log"


def abort_for(context: grpc.ServicerContext, exc: BaseException, method: str = "") -> NoReturn:
    """End the RPC with the status ``exc`` maps to (raises, like ``context.abort``)."""
    code, message = status_for(exc)
    if code is grpc.StatusCode.INTERNAL:
        logger.error("unexpected error in %s", method or "a StateStore method", exc_info=exc)
    context.set_trailing_metadata(((ERROR_METADATA_KEY, type(exc).__name__),))
    context.abort(code, message)
    raise AssertionError("context.abort returned")  # pragma: no cover - abort always raises


_Method = TypeVar("_Method", bound=Callable[..., Any])


Abort = Callable[[grpc.ServicerContext, BaseException, str], NoReturn]


def rpc_errors_with(abort: Abort) -> Callable[[_Method], _Method]:
    """A decorator for servicer methods ``(self, request, context)`` that ends every
    error with ``abort`` — shared by the services, each passing its own ``abort_for``."""

    def decorate(method: _Method) -> _Method:
        @functools.wraps(method)
        def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
            try:
                return method(self, request, context)
            except Exception as exc:  # noqa: BLE001 - the one place that turns every error into a status
                abort(context, exc, method.__name__)

        return wrapper  # type: ignore[return-value]

    return decorate


rpc_errors = rpc_errors_with(abort_for)
