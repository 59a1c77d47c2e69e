"""Lazy iterators produced by expressions (generator expressions, enumerate, zip, reversed).

Every item is charged to the evaluation's budget, so even Python's C-level
consumers (``x in gen``, ``sum(gen)``) stop at the step limit.  The wrapper also
keeps generator internals (frames, globals) out of reach of whoever receives
the value, and translates failures that happen after evaluation returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bamboo_core.errors import ExpressionError
from bamboo_core.expressions.guard import as_expression_error
from bamboo_core.expressions.limits import Budget


class LazyIterator:
    """One-shot iterator whose items are charged to a :class:`Budget`."""

    __slots__ = ("_items", "_label")

    def __init__(self, items: Iterable[Any], budget: Budget, label: str) -> None:
        self._items: Iterator[Any] = budget.iterate(items)
        self._label = label

    def __iter__(self) -> LazyIterator:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._items)
        except (StopIteration, ExpressionError):
            raise
        except Exception as exc:
            raise as_expression_error(exc) from exc

    def __repr__(self) -> str:
        return f"<{self._label} object>"
