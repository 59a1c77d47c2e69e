"""How condition mode compares values (a Bamboo decision, see SPEC "differences").

* Numbers compare as numbers: ``2.5 > 2`` is true (bamboo-engine truncated to int).
* A numeric string equals its number: ``"1" == 1`` and ``"3.14" == 3.14``.
* Otherwise, when one side is a string the other side is compared as its text,
  so ``True == "True"`` holds and ``True == "true"`` does not.
* ``in`` / ``notin`` with a tuple on the right: some item equals the left under
  the rules above; with a string on the right: substring of the left's text.
* ``issuperset`` / ``notissuperset``: a non-tuple side is a one-item collection.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from bamboo_core.errors import ExpressionError

_NUMERIC_TEXT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def condition_compare(op: str, left: Any, right: Any) -> bool:
    """Apply condition operator ``op`` (already lower-cased) with Bamboo's coercion."""
    if op == "==":
        return values_equal(left, right)
    if op == "!=":
        return not values_equal(left, right)
    if op in ("in", "notin"):
        return _contains(right, left) == (op == "in")
    if op in ("issuperset", "notissuperset"):
        return _superset(left, right) == (op == "issuperset")
    if op in _ORDERINGS:
        return _order(op, left, right)
    raise ExpressionError(f"unknown condition operator {op!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float))  # bool included: True == 1 as in Python


def _as_number(text: str) -> int | float | None:
    if not _NUMERIC_TEXT.fullmatch(text):
        return None
    stripped = text.strip()
    if any(c in stripped for c in ".eE"):
        return float(stripped)
    try:
        return int(stripped)
    except ValueError:  # more digits than Python converts: not a usable number
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _scalar_pair(left: Any, right: Any) -> tuple[Any, Any]:
    """Bring two non-tuple values to a common comparable type."""
    if _is_number(left) and _is_number(right):
        return left, right
    if _is_number(left) and isinstance(right, str):
        number = _as_number(right)
        return (left, number) if number is not None else (_text(left), right)
    if isinstance(left, str) and _is_number(right):
        number = _as_number(left)
        return (number, right) if number is not None else (left, _text(right))
    if isinstance(left, str) or isinstance(right, str):
        return _text(left), _text(right)
    return left, right


def values_equal(left: Any, right: Any) -> bool:
    """Equality under condition coercion; tuples compare item by item."""
    if isinstance(left, tuple) or isinstance(right, tuple):
        if not (isinstance(left, tuple) and isinstance(right, tuple)):
            return False
        return len(left) == len(right) and all(map(values_equal, left, right))
    a, b = _scalar_pair(left, right)
    return bool(a == b)


def _order(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, tuple) or isinstance(right, tuple):
        raise ExpressionError(f"cannot use '{op}' with a parenthesised list")
    a, b = _scalar_pair(left, right)
    return _ORDERINGS[op](a, b)


def _as_collection(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str) and not isinstance(item, tuple):
        return _text(item) in container
    return any(values_equal(candidate, item) for candidate in _as_collection(container))


def _superset(left: Any, right: Any) -> bool:
    items = _as_collection(left)
    return all(any(values_equal(have, want) for have in items) for want in _as_collection(right))
