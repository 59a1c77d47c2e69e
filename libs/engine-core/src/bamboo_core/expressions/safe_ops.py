"""Operators of template mode, with the size checks that make them safe.

Each operator that can blow up (``*``, ``**``, ``<<``, ``+`` on sequences,
``%`` string formatting, subscripts of foreign objects) is checked *before*
Python does the work; every result is checked again afterwards.
"""

from __future__ import annotations

import operator
import reprlib
from collections.abc import Callable
from typing import Any

from bamboo_core.errors import ExpressionError
from bamboo_core.expressions.limits import Budget

_SEQUENCES = (str, list, tuple)
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "<<": operator.lshift,
    ">>": operator.rshift, "&": operator.and_, "|": operator.or_, "^": operator.xor,
}  # fmt: skip
_UNARY: dict[str, Callable[[Any], Any]] = {
    "-": operator.neg,
    "+": operator.pos,
    "~": operator.invert,
}
_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge, "is": operator.is_, "is not": operator.is_not,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
}  # fmt: skip
_ITEM_ACCESS: tuple[tuple[type, Callable[[Any, Any], Any]], ...] = (
    (str, str.__getitem__),
    (list, list.__getitem__),
    (tuple, tuple.__getitem__),
    (range, range.__getitem__),
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)  # bool counts: True * "ab" == "ab"


def binary_op(op: str, left: Any, right: Any, budget: Budget) -> Any:
    """Evaluate ``left op right`` within ``budget``."""
    if op == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        budget.require_size(len(left) + len(right))
    elif op == "*":
        _check_multiply(left, right, budget)
    elif op == "**":
        check_power(left, right, budget)
    elif op == "<<" and _is_int(left) and _is_int(right) and right > 0:
        budget.require_int_bits(abs(left).bit_length() + right)
    elif op == "%" and isinstance(left, str):
        return budget.checked(format_percent(left, right, budget))
    return budget.checked(_BINARY[op](left, right))


def unary_op(op: str, operand: Any, budget: Budget) -> Any:
    """Evaluate ``op operand`` for ``-``, ``+`` and ``~``."""
    return budget.checked(_UNARY[op](operand))


def python_compare(op: str, left: Any, right: Any) -> Any:
    """Template-mode comparison: plain Python semantics."""
    return _COMPARISONS[op](left, right)


def _check_multiply(left: Any, right: Any, budget: Budget) -> None:
    if isinstance(left, _SEQUENCES) and _is_int(right):
        _check_repeat(left, right, budget)
    elif isinstance(right, _SEQUENCES) and _is_int(left):
        _check_repeat(right, left, budget)
    elif _is_int(left) and _is_int(right):
        budget.require_int_bits(abs(left).bit_length() + abs(right).bit_length())


def _check_repeat(sequence: Any, times: int, budget: Budget) -> None:
    # ``[x] * n`` holds n references to x: its weight, not just its length, is multiplied.
    times = max(times, 0)
    budget.require_size(len(sequence) * times)
    if times > 1 and not isinstance(sequence, str):
        budget.require_size(budget.weight(sequence) * times)


def check_power(base: Any, exponent: Any, budget: Budget) -> None:
    """Refuse integer powers whose result would exceed the integer size limit."""
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        budget.require_int_bits((abs(base).bit_length() - 1) * exponent + 1)


def format_percent(template: str, args: Any, budget: Budget) -> str:
    """``template % args`` after refusing huge or ``*`` field widths and precisions.

    Non-tuple, non-dict arguments are wrapped in a one-item tuple so that a
    foreign object's ``__getitem__`` is never used as a formatting mapping.
    """
    _check_format_fields(template, budget)
    if not isinstance(args, (tuple, dict)):
        args = (args,)
    budget.weight(args)  # %s / %r of the arguments cannot produce huge text
    return str(template % args)


def _check_format_fields(template: str, budget: Budget) -> None:
    """Walk the ``%`` conversion specifiers the way CPython parses them."""
    size = len(template)
    index = template.find("%")
    while index != -1:
        index += 1
        if index < size and template[index] == "(":
            depth, index = 1, index + 1
            while index < size and depth:
                depth += {"(": 1, ")": -1}.get(template[index], 0)
                index += 1
        while index < size and template[index] in "-+ #0":
            index += 1
        index = _check_field_number(template, index, budget)
        if index < size and template[index] == ".":
            index = _check_field_number(template, index + 1, budget)
        index = template.find("%", index + 1)


def _check_field_number(template: str, index: int, budget: Budget) -> int:
    if index < len(template) and template[index] == "*":
        raise ExpressionError("'*' widths and precisions are not supported in % formatting")
    end = index
    while end < len(template) and template[end].isdigit():
        end += 1
    if end > index:
        digits = template[index:end]
        budget.require_size(int(digits) if len(digits) < 19 else 10**19, "formatted field")
    return end


def subscript(value: Any, index: Any) -> Any:
    """``value[index]`` for builtin containers only.

    Going through the builtin type's own ``__getitem__`` means a foreign
    object's custom item access (which could reach attributes) is never used,
    and a ``defaultdict`` is not mutated by a lookup.
    """
    if isinstance(value, dict):
        if dict.__contains__(value, index):
            return dict.__getitem__(value, index)
        raise ExpressionError(f"key {reprlib.repr(index)} not found")
    for base, item_of in _ITEM_ACCESS:
        if isinstance(value, base):
            return item_of(value, index)
    raise ExpressionError(f"'{type(value).__name__}' values cannot be subscripted in expressions")
