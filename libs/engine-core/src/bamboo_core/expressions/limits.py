"""Work and size bounds for one expression, and the budget that enforces them.

Expressions come from pipeline authors and may be hostile or just careless
(``"a" * 10**9``).  Every bound here turns such input into an
:class:`~bamboo_core.errors.ExpressionLimitError` *before* the expensive work
happens, so a bad template can neither hang a worker nor exhaust its memory.
A wall-clock deadline backs up the step count for operations whose cost the
steps cannot see (for instance hashing deep tuples many times).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bamboo_core.errors import ExpressionError, ExpressionLimitError
from bamboo_core.expressions.weights import CONTAINERS, WeightMemo, value_weight

_CLOCK_EVERY = 16  # steps between deadline checks


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds for parsing and evaluating one expression.

    Attributes:
        max_source_length: characters of expression text accepted at all.
        max_nodes: syntax-tree nodes one expression may have.
        max_depth: depth of the syntax tree (bounds interpreter recursion).
        max_nesting: bracket / unary nesting while parsing (bounds parser recursion).
        max_steps: evaluation steps: one per node evaluated and per item iterated,
            plus one per 32 items or characters of data built or measured.
        max_size: items and characters any single built value may hold, counting
            repeated references each time (see :mod:`weights`).
        max_int_bits: bit length of any integer an expression produces.
        max_seconds: wall-clock time one evaluation may take.
    """

    max_source_length: int = 10_000
    max_nodes: int = 2_000
    max_depth: int = 100
    max_nesting: int = 50
    max_steps: int = 100_000
    max_size: int = 1_000_000
    max_int_bits: int = 4_096
    max_seconds: float = 2.0


DEFAULT_LIMITS = Limits()


def require_iterable(value: Any) -> None:
    """Only iterate values whose type defines ``__iter__``.

    Python would otherwise fall back to calling ``__getitem__`` with 0, 1, 2, …
    on any object — a foreign object's item access, which expressions may not use.
    """
    if getattr(type(value), "__iter__", None) is None:
        raise ExpressionError(f"'{type(value).__name__}' values are not iterable in expressions")


class Budget:
    """Mutable work account of one evaluation; also checks the values it builds."""

    __slots__ = ("_deadline", "_next_clock", "_weights", "limits", "steps")

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.steps = 0
        self._deadline = time.monotonic() + limits.max_seconds
        self._next_clock = _CLOCK_EVERY
        self._weights: WeightMemo = {}

    def charge(self, steps: int = 1) -> None:
        """Spend ``steps``; raise once the evaluation has done too much work."""
        self.steps += steps
        if self.steps > self.limits.max_steps:
            raise ExpressionLimitError(
                f"expression exceeded its budget of {self.limits.max_steps} evaluation steps"
            )
        if self.steps >= self._next_clock:
            self._next_clock = self.steps + _CLOCK_EVERY
            if time.monotonic() > self._deadline:
                raise ExpressionLimitError(
                    f"expression took longer than {self.limits.max_seconds} seconds"
                )

    def require_size(self, size: int, what: str = "result") -> None:
        """Refuse to build a string or collection of ``size`` items."""
        if size > self.limits.max_size:
            raise ExpressionLimitError(
                f"{what} would have {size} items, more than the limit of {self.limits.max_size}"
            )

    def require_int_bits(self, bits: int, what: str = "integer result") -> None:
        """Refuse to build an integer of ``bits`` bits."""
        if bits > self.limits.max_int_bits:
            raise ExpressionLimitError(
                f"{what} would have about {bits} bits, more than the limit of "
                f"{self.limits.max_int_bits}"
            )

    def weight(self, value: Any) -> int:
        """Weight of ``value`` (see :mod:`weights`), at most ``max_size``."""
        return value_weight(value, self._weights, self.limits.max_size, self.charge)

    def checked(self, value: Any) -> Any:
        """Return a value the expression just built, after checking its size.

        Charging in proportion to size keeps the *total* amount of data an
        expression can create bounded, not just each single value.
        """
        if isinstance(value, int):
            self.require_int_bits(value.bit_length())
        elif isinstance(value, str):
            self.require_size(len(value))
            self.charge(len(value) // 32)
        elif isinstance(value, CONTAINERS):
            self.weight(value)
        return value

    def text(self, value: Any) -> str:
        """``str(value)`` after making sure the text cannot be huge."""
        if isinstance(value, str):
            return value  # already exists: converting it builds nothing
        if isinstance(value, CONTAINERS):
            self.weight(value)
        return self.checked(str(value))  # type: ignore[no-any-return]

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Iterate ``iterable`` charging one step per item."""
        require_iterable(iterable)
        for item in iterable:
            self.charge()
            yield item

    def materialize(self, iterable: Iterable[Any]) -> list[Any]:
        """Build a list from ``iterable`` within the step and size budgets."""
        items: list[Any] = []
        limit = self.limits.max_size
        for item in self.iterate(iterable):
            items.append(item)
            if len(items) > limit:
                self.require_size(len(items), "collection")
        return items
