"""Work and size bounds for one expression, and the budget that enforces them.

Expressions come from pipeline authors and may be hostile or just careless
(``"a" * 10**9``).  Every bound here turns such input into an
:class:`~bamboo_core.errors.ExpressionLimitError` *before* the expensive work
happens, so a bad template can neither hang a worker nor exhaust its memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bamboo_core.errors import ExpressionLimitError

# Values whose length is bounded by ``Limits.max_size`` when an expression produces them.
SIZED_TYPES: tuple[type, ...] = (str, bytes, list, tuple, dict, set, frozenset)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds for parsing and evaluating one expression.

    Attributes:
        max_source_length: characters of expression text accepted at all.
        max_nodes: syntax-tree nodes one expression may have.
        max_depth: depth of the syntax tree (bounds interpreter recursion).
        max_nesting: bracket / unary nesting while parsing (bounds parser recursion).
        max_steps: evaluation steps (one per node evaluated and per item iterated,
            plus one per 32 items of every string or collection produced).
        max_size: length of any string or collection an expression produces.
        max_int_bits: bit length of any integer an expression produces.
    """

    max_source_length: int = 10_000
    max_nodes: int = 2_000
    max_depth: int = 100
    max_nesting: int = 50
    max_steps: int = 100_000
    max_size: int = 1_000_000
    max_int_bits: int = 4_096


DEFAULT_LIMITS = Limits()


class Budget:
    """Mutable step counter for one evaluation; also checks produced values."""

    __slots__ = ("limits", "steps")

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.steps = 0

    def charge(self, steps: int = 1) -> None:
        """Spend ``steps``; raise once the evaluation has done too much work."""
        self.steps += steps
        if self.steps > self.limits.max_steps:
            raise ExpressionLimitError(
                f"expression exceeded its budget of {self.limits.max_steps} evaluation steps"
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

    def checked(self, value: Any) -> Any:
        """Return ``value`` after checking its size; charge for big results.

        Charging in proportion to size keeps the *total* amount of data an
        expression can create bounded, not just each single value.
        """
        if isinstance(value, int) and not isinstance(value, bool):
            self.require_int_bits(value.bit_length())
        elif isinstance(value, SIZED_TYPES):
            size = len(value)
            self.require_size(size)
            if size >= 32:
                self.charge(size // 32)
        return value

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Iterate ``iterable`` charging one step per item."""
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
