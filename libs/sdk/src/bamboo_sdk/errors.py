"""gRPC statuses back to ``bamboo_core.errors``, so cluster code catches what embedded code catches.

The gateway sends the exception's class name (``bamboo-error``) and the ids it
names (``bamboo-error-attrs``); a known ``bamboo_core.errors`` class is rebuilt with
them, anything else falls back to the class the status code stands for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import grpc

from bamboo_core import errors as core_errors
from bamboo_core.errors import (
    AlreadyExistsError,
    EngineError,
    InvalidOperationError,
    InvalidTreeError,
    NotFoundError,
    StateConflictError,
)

ERROR_METADATA_KEY = "bamboo-error"
ATTRS_METADATA_KEY = "bamboo-error-attrs"


class UnavailableError(EngineError):
    """The gateway (or the state-store / NATS behind it) cannot serve now; retrying may work."""


STATUS_ERRORS: Mapping[grpc.StatusCode, type[Exception]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidTreeError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.FAILED_PRECONDITION: InvalidOperationError,
    grpc.StatusCode.ABORTED: StateConflictError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: UnavailableError,
}
# Non-engine errors the engine raises for bad values; rebuilt as themselves.
_BUILTINS: Mapping[str, type[Exception]] = {"ValueError": ValueError}
_TUPLE_ATTRS = ("node_ids", "failed_nodes")


def _trailers(error: grpc.Call) -> dict[str, str]:
    return {key: value for key, value in (error.trailing_metadata() or ()) if isinstance(value, str)}


def _named_class(name: str, fallback: type[Exception]) -> type[Exception]:
    found = getattr(core_errors, name, None)
    if isinstance(found, type) and issubclass(found, EngineError):
        return found
    if name in _BUILTINS and fallback is InvalidTreeError:
        return _BUILTINS[name]
    return fallback


def _rebuild(error_type: type[Exception], message: str, attrs: Mapping[str, Any]) -> Exception:
    """An instance of ``error_type`` with ``message`` and the given attributes, whatever its ``__init__``."""
    exc = error_type.__new__(error_type)
    Exception.__init__(exc, message)
    if isinstance(exc, InvalidTreeError):
        exc.node_ids = ()
    for name, value in attrs.items():
        setattr(exc, name, tuple(value) if name in _TUPLE_ATTRS and isinstance(value, list) else value)
    return exc


def domain_error(error: grpc.RpcError) -> Exception:
    """The exception the embedded runtime would have raised for the failed call."""
    if not isinstance(error, grpc.Call):
        return UnavailableError(str(error))
    code, details = error.code(), error.details() or ""
    fallback = STATUS_ERRORS.get(code)
    if fallback is None:
        return EngineError(f"gateway call failed ({code.name}): {details}")
    trailers = _trailers(error)
    try:
        attrs = json.loads(trailers.get(ATTRS_METADATA_KEY, "{}"))
    except ValueError:
        attrs = {}
    error_type = _named_class(trailers.get(ERROR_METADATA_KEY, ""), fallback)
    return _rebuild(error_type, details, attrs if isinstance(attrs, dict) else {})
