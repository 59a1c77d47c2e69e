"""How much data a value really holds, counting shared references every time.

``[s] * 1000`` or ``[s for i in range(1000)]`` cost little memory (references
to one ``s``) but ``str()``, hashing or sorting them walks ``s`` a thousand
times.  The *weight* of a value is the size of that walk: a string weighs its
length, a container weighs its length plus the weights of its items (shared
items counted at every occurrence), other scalars weigh about 1.  Bounding the
weight of every value an expression builds bounds the work of any single
operation on it.

Weights of containers are memoised by identity for one evaluation, so a shared
sub-structure is walked once; the walk is iterative and stops as soon as the
weight is known to exceed the limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bamboo_core.errors import ExpressionLimitError

CONTAINERS: tuple[type, ...] = (list, tuple, dict, set, frozenset)

# id(container) -> (weight, container); the container is kept so its id stays unique.
WeightMemo = dict[int, tuple[int, object]]


def scalar_weight(value: Any) -> int | None:
    """Weight of a non-container value, or ``None`` for a container."""
    if isinstance(value, str):
        return len(value) + 1
    if isinstance(value, CONTAINERS):
        return None
    if isinstance(value, int):
        return value.bit_length() // 32 + 1
    return 1


def _children(container: Any) -> Iterable[Any]:
    if isinstance(container, dict):
        return (*container.keys(), *container.values())
    return container  # type: ignore[no-any-return]


def value_weight(value: Any, memo: WeightMemo, limit: int, charge: Callable[[int], None]) -> int:
    """Weight of ``value``; raise ExpressionLimitError once it exceeds ``limit``.

    ``charge`` is called with the work done (one unit per 32 items visited).
    """
    simple = scalar_weight(value)
    if simple is not None:
        return simple
    known = memo.get(id(value))
    if known is not None:
        return known[0]
    _walk(value, memo, limit, charge)
    return memo[id(value)][0]


def _walk(root: Any, memo: WeightMemo, limit: int, charge: Callable[[int], None]) -> None:
    expanded: set[int] = set()
    seen_items = 0  # every distinct container's length counts towards the root's weight
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        key = id(node)
        if key in memo:
            continue
        if ready:
            memo[key] = (_sum_weights(node, memo, limit, charge), node)
            continue
        if key in expanded:
            raise ExpressionLimitError("a value contains itself and cannot be measured")
        expanded.add(key)
        seen_items += len(node)
        if seen_items > limit:
            raise _too_heavy(limit)
        stack.append((node, True))
        stack.extend(
            (child, False)
            for child in _children(node)
            if isinstance(child, CONTAINERS) and id(child) not in memo
        )


def _sum_weights(node: Any, memo: WeightMemo, limit: int, charge: Callable[[int], None]) -> int:
    total = len(node) + 1
    for child in _children(node):
        weight = scalar_weight(child)
        total += memo[id(child)][0] if weight is None else weight
        if total > limit:
            raise _too_heavy(limit)
    charge(len(node) // 32)
    return total


def _too_heavy(limit: int) -> ExpressionLimitError:
    return ExpressionLimitError(
        f"value would hold more than {limit} items and characters (counting repeated references)"
    )
