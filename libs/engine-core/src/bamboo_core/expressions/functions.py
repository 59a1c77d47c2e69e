"""The builtin functions a template may call, each re-implemented over the budget.

None of these hands out a Python builtin itself: a call ``len(x)`` runs our
wrapper, which consumes iterables through :class:`Budget` (so ``list(range(10**12))``
stops at the limit instead of exhausting memory) and returns plain values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bamboo_core.errors import ExpressionError, ExpressionLimitError
from bamboo_core.expressions.allowlist import BUILTIN_FUNCTIONS
from bamboo_core.expressions.lazy import LazyIterator
from bamboo_core.expressions.limits import Budget, require_iterable
from bamboo_core.expressions.safe_ops import binary_op

_MANY = 99  # "any number of" positional arguments


@dataclass(frozen=True, slots=True)
class Builtin:
    """A callable builtin: implementation, positional arity and keyword names."""

    function: Callable[..., Any]
    min_args: int
    max_args: int
    keywords: frozenset[str] = frozenset()
    any_keyword: bool = False  # dict(a=1): every keyword becomes an item
    builds: bool = True  # False when the result is one of the arguments' existing items


def call_builtin(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], budget: Budget) -> Any:
    """Call allow-listed builtin ``name``; arity and keywords are checked first."""
    spec = BUILTINS.get(name)
    if spec is None:
        raise ExpressionError(f"function '{name}' is not allowed")
    if not spec.min_args <= len(args) <= spec.max_args:
        raise ExpressionError(
            f"{name}() takes {_arity(spec)} positional arguments ({len(args)} given)"
        )
    unknown = sorted(set(kwargs) - spec.keywords)
    if unknown and not spec.any_keyword:
        raise ExpressionError(f"{name}() does not accept keyword argument(s) {unknown}")
    result = spec.function(budget, *args, **kwargs)
    return budget.checked(result) if spec.builds else result


def _check_table() -> None:
    """Import-time guard: the implementations match the parser's allow-list."""
    if set(BUILTINS) != BUILTIN_FUNCTIONS:  # pragma: no cover - programming error
        raise RuntimeError("BUILTINS and allowlist.BUILTIN_FUNCTIONS disagree")


def _arity(spec: Builtin) -> str:
    if spec.min_args == spec.max_args:
        return str(spec.min_args)
    if spec.max_args >= _MANY:
        return f"at least {spec.min_args}"
    return f"{spec.min_args} to {spec.max_args}"


def _int(budget: Budget, value: Any = 0, base: Any = None) -> int:
    if isinstance(value, str) and len(value) > budget.limits.max_int_bits + 10:
        raise ExpressionLimitError(f"int() of a {len(value)}-character string is too large")
    return int(value) if base is None else int(value, base)


def _float(budget: Budget, value: Any = 0.0) -> float:
    return float(value)


def _str(budget: Budget, value: Any = "") -> str:
    return budget.text(value)


def _bool(budget: Budget, value: Any = False) -> bool:
    return bool(value)


def _list(budget: Budget, iterable: Any = ()) -> list[Any]:
    return budget.materialize(iterable)


def _tuple(budget: Budget, iterable: Any = ()) -> tuple[Any, ...]:
    return tuple(budget.materialize(iterable))


def _set(budget: Budget, iterable: Any = ()) -> set[Any]:
    return set(budget.materialize(iterable))


def _dict(budget: Budget, source: Any = (), **items: Any) -> dict[Any, Any]:
    pairs = source.items() if isinstance(source, Mapping) else source
    result = dict(budget.materialize(pairs))
    result.update(items)
    return result


def _abs(budget: Budget, value: Any) -> Any:
    return abs(value)


def _round(budget: Budget, value: Any, ndigits: Any = None) -> Any:
    if isinstance(ndigits, int) and ndigits < -(budget.limits.max_int_bits // 3 + 1):
        raise ExpressionLimitError("round() to that many digits is not supported")
    return round(value) if ndigits is None else round(value, ndigits)


def _pow(budget: Budget, base: Any, exponent: Any, mod: Any = None) -> Any:
    if mod is None:
        return binary_op("**", base, exponent, budget)
    for value in (exponent, mod):
        if isinstance(value, int):
            budget.require_int_bits(abs(value).bit_length(), "pow() argument")
    return pow(base, exponent, mod)


def _sum(budget: Budget, iterable: Any, start: Any = 0) -> Any:
    if isinstance(start, str):
        raise ExpressionError("sum() can't sum strings; use ''.join(...)")
    total = start
    for item in budget.iterate(iterable):
        total = binary_op("+", total, item, budget)
    return total


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def extreme(budget: Budget, *args: Any, **kwargs: Any) -> Any:
        items = budget.materialize(args[0]) if len(args) == 1 else list(args)
        if not items and "default" in kwargs:
            return kwargs["default"]
        return pick(items)

    return extreme


def _len(budget: Budget, value: Any) -> int:
    return len(value)


def _range(budget: Budget, *args: Any) -> range:
    return range(*args)


def _slice(budget: Budget, *args: Any) -> slice:
    return slice(*args)


def _enumerate(budget: Budget, iterable: Any, start: Any = 0) -> LazyIterator:
    require_iterable(iterable)
    return LazyIterator(enumerate(iterable, start), budget, "enumerate")


def _zip(budget: Budget, *iterables: Any, strict: Any = False) -> LazyIterator:
    for iterable in iterables:
        require_iterable(iterable)
    return LazyIterator(zip(*iterables, strict=bool(strict)), budget, "zip")


def _reversed(budget: Budget, sequence: Any) -> LazyIterator:
    builtin = isinstance(sequence, (str, list, tuple, range, dict))
    if not builtin and getattr(type(sequence), "__reversed__", None) is None:
        raise ExpressionError(f"'{type(sequence).__name__}' values cannot be reversed")
    return LazyIterator(reversed(sequence), budget, "reversed")


def _sorted(budget: Budget, iterable: Any, reverse: Any = False) -> list[Any]:
    items = budget.materialize(iterable)
    items.sort(reverse=bool(reverse))
    return items


def _all(budget: Budget, iterable: Any) -> bool:
    return all(budget.iterate(iterable))


def _any(budget: Budget, iterable: Any) -> bool:
    return any(budget.iterate(iterable))


BUILTINS: dict[str, Builtin] = {
    "bool": Builtin(_bool, 0, 1),
    "int": Builtin(_int, 0, 2, frozenset({"base"})),
    "float": Builtin(_float, 0, 1),
    "str": Builtin(_str, 0, 1),
    "list": Builtin(_list, 0, 1),
    "tuple": Builtin(_tuple, 0, 1),
    "dict": Builtin(_dict, 0, 1, any_keyword=True),
    "set": Builtin(_set, 0, 1),
    "abs": Builtin(_abs, 1, 1),
    "round": Builtin(_round, 1, 2, frozenset({"ndigits"})),
    "pow": Builtin(_pow, 2, 3, frozenset({"mod"})),
    "sum": Builtin(_sum, 1, 2, frozenset({"start"})),
    "min": Builtin(_extreme(min), 1, _MANY, frozenset({"default"}), builds=False),
    "max": Builtin(_extreme(max), 1, _MANY, frozenset({"default"}), builds=False),
    "len": Builtin(_len, 1, 1),
    "range": Builtin(_range, 1, 3),
    "slice": Builtin(_slice, 1, 3),
    "enumerate": Builtin(_enumerate, 1, 2, frozenset({"start"})),
    "zip": Builtin(_zip, 0, _MANY, frozenset({"strict"})),
    "sorted": Builtin(_sorted, 1, 1, frozenset({"reverse"})),
    "reversed": Builtin(_reversed, 1, 1),
    "all": Builtin(_all, 1, 1),
    "any": Builtin(_any, 1, 1),
}


_check_table()
