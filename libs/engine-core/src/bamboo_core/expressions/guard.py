"""The sandbox boundary: nothing but ExpressionError leaves an evaluation.

Evaluation can trip over Python errors (``1/0``, ``int("x")``, ``{}["k"]``) and
over errors raised by a context object's own protocol methods; all of them are
reported as ExpressionError carrying the original message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bamboo_core.errors import ExpressionError, ExpressionLimitError

T = TypeVar("T")


def as_expression_error(exc: Exception) -> ExpressionError:
    """Translate any exception raised while evaluating into an ExpressionError."""
    if isinstance(exc, ExpressionError):
        return exc
    if isinstance(exc, RecursionError):
        return ExpressionLimitError("expression nests too deeply to evaluate")
    if isinstance(exc, MemoryError):
        return ExpressionLimitError("expression ran out of memory")
    try:
        detail = str(exc)
    except Exception:  # a foreign exception whose __str__ fails: keep the type only
        detail = "<unprintable error>"
    return ExpressionError(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__)


def guarded(function: Callable[..., T], *args: Any) -> T:
    """Call ``function(*args)``, converting every failure to ExpressionError."""
    try:
        return function(*args)
    except ExpressionError:
        raise
    except Exception as exc:
        raise as_expression_error(exc) from exc
