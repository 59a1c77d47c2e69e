"""Calls of allow-listed methods on builtin values (``s.upper()``, ``d.get(k)``).

The method is taken from the *builtin type* (``str.upper``), never looked up on
the value itself: a context object of a foreign class exposes no methods at
all, and a ``str`` subclass cannot substitute its own ``upper``.  Methods that
could build oversized results are checked first; methods taking iterables get
them materialised through the budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bamboo_core.errors import ExpressionError
from bamboo_core.expressions.allowlist import (
    DICT_METHODS,
    LIST_METHODS,
    SET_METHODS,
    STR_METHODS,
    TUPLE_METHODS,
)
from bamboo_core.expressions.limits import Budget

_TYPE_METHODS: tuple[tuple[type, frozenset[str]], ...] = (
    (str, STR_METHODS),
    (dict, DICT_METHODS),
    (list, LIST_METHODS),
    (tuple, TUPLE_METHODS),
    (set, SET_METHODS),
    (frozenset, SET_METHODS),
)
_ITERABLE_ARGUMENTS = SET_METHODS - {"copy"}

Precheck = Callable[[Budget, Any, tuple[Any, ...], dict[str, Any]], tuple[Any, ...]]


def call_method(
    obj: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], budget: Budget
) -> Any:
    """Call allow-listed method ``name`` of the builtin type of ``obj``."""
    for base, allowed in _TYPE_METHODS:
        if isinstance(obj, base):
            if name not in allowed:
                break
            precheck = _PRECHECKS.get(name)
            if base in (set, frozenset) and name in _ITERABLE_ARGUMENTS:
                args = tuple(budget.materialize(arg) for arg in args)
            elif precheck is not None and base is str:
                args = precheck(budget, obj, args, kwargs)
            result = getattr(base, name)(obj, *args, **kwargs)
            # dict.get hands back an existing value: nothing new to measure.
            return result if name == "get" else budget.checked(result)
    raise ExpressionError(f"method '{name}' is not allowed on {type(obj).__name__} values")


def _join(
    budget: Budget, sep: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    if len(args) != 1:
        return args  # let str.join report the arity error
    items = budget.materialize(args[0])
    total = sum(len(item) for item in items if isinstance(item, str))
    budget.require_size(total + len(sep) * max(len(items) - 1, 0))
    return (items,)


def _replace(
    budget: Budget, text: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        occurrences = text.count(old) if old else len(text) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            occurrences = min(occurrences, args[2])
        budget.require_size(len(text) + occurrences * max(len(new) - len(old), 0))
    return args


def _width(
    budget: Budget, text: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    if args and isinstance(args[0], int):
        budget.require_size(args[0])
    return args


def _expandtabs(
    budget: Budget, text: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    tabsize = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(tabsize, int):
        budget.require_size(len(text) + text.count("\t") * max(tabsize, 0))
    return args


_PRECHECKS: dict[str, Precheck] = {
    "join": _join,
    "replace": _replace,
    "center": _width,
    "ljust": _width,
    "rjust": _width,
    "zfill": _width,
    "expandtabs": _expandtabs,
}
