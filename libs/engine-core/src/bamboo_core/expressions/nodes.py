"""The small syntax tree both expression modes parse into.

Our own node classes (rather than Python's ``ast``) make the allow-list
structural: a construct that has no node class here cannot be expressed, so it
cannot be evaluated.  Nodes are immutable so parsed trees can be cached and
shared between evaluations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


class Node:
    """Base of every syntax-tree node."""

    __slots__ = ()

    def children(self) -> tuple[Node, ...]:
        """Direct child nodes, in evaluation order (used by tree walks)."""
        return ()


@dataclass(frozen=True, slots=True)
class Const(Node):
    """A literal: number, string, ``True`` / ``False`` / ``None``."""

    value: object


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A name looked up in comprehension locals, then in the context."""

    id: str


@dataclass(frozen=True, slots=True)
class TupleLit(Node):
    """A tuple display ``(a, b)`` (also a destructuring target in comprehensions)."""

    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class ListLit(Node):
    """A list display ``[a, b]``."""

    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class SetLit(Node):
    """A set display ``{a, b}``."""

    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class DictLit(Node):
    """A dict display ``{k: v}``; ``keys`` and ``values`` run in parallel."""

    keys: tuple[Node, ...]
    values: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return tuple(_interleave(self.keys, self.values))


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """Arithmetic prefix operator: ``-x``, ``+x`` or ``~x``."""

    op: str
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Not(Node):
    """Boolean negation ``not x``."""

    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class BinOp(Node):
    """Binary arithmetic / bitwise operator such as ``a + b``."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class BoolOp(Node):
    """``a and b and c`` or ``a or b`` with short-circuit evaluation."""

    op: str
    values: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.values


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """A (possibly chained) comparison ``a < b <= c``."""

    left: Node
    ops: tuple[str, ...]
    comparators: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return (self.left, *self.comparators)


@dataclass(frozen=True, slots=True)
class IfExp(Node):
    """Conditional expression ``body if test else orelse``."""

    test: Node
    body: Node
    orelse: Node

    def children(self) -> tuple[Node, ...]:
        return (self.test, self.body, self.orelse)


@dataclass(frozen=True, slots=True)
class Slice(Node):
    """``lower:upper:step`` inside a subscript; missing parts are ``None``."""

    lower: Node | None
    upper: Node | None
    step: Node | None

    def children(self) -> tuple[Node, ...]:
        return tuple(part for part in (self.lower, self.upper, self.step) if part is not None)


@dataclass(frozen=True, slots=True)
class Subscript(Node):
    """``value[index]``; ``index`` may be a :class:`Slice`."""

    value: Node
    index: Node

    def children(self) -> tuple[Node, ...]:
        return (self.value, self.index)


@dataclass(frozen=True, slots=True)
class Keyword(Node):
    """A keyword argument ``name=value`` of a call."""

    name: str
    value: Node

    def children(self) -> tuple[Node, ...]:
        return (self.value,)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """Call of an allow-listed builtin function, named by ``func``."""

    func: str
    args: tuple[Node, ...]
    kwargs: tuple[Keyword, ...]

    def children(self) -> tuple[Node, ...]:
        return (*self.args, *self.kwargs)


@dataclass(frozen=True, slots=True)
class MethodCall(Node):
    """Call of an allow-listed method: ``obj.method(args)``."""

    obj: Node
    method: str
    args: tuple[Node, ...]
    kwargs: tuple[Keyword, ...]

    def children(self) -> tuple[Node, ...]:
        return (self.obj, *self.args, *self.kwargs)


@dataclass(frozen=True, slots=True)
class CompFor(Node):
    """One ``for target in iter if cond ...`` clause of a comprehension."""

    target: Node
    iter: Node
    ifs: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return (self.iter, self.target, *self.ifs)


@dataclass(frozen=True, slots=True)
class Comprehension(Node):
    """List / set / dict comprehension or generator expression.

    ``kind`` is ``"list"``, ``"set"``, ``"dict"`` or ``"gen"``; ``value`` is only
    set for dict comprehensions (``elt`` is then the key).
    """

    kind: str
    elt: Node
    value: Node | None
    generators: tuple[CompFor, ...]

    def children(self) -> tuple[Node, ...]:
        tail = (self.elt,) if self.value is None else (self.elt, self.value)
        return (*self.generators, *tail)


def _interleave(first: tuple[Node, ...], second: tuple[Node, ...]) -> Iterator[Node]:
    for a, b in zip(first, second, strict=False):
        yield a
        yield b


def measure(tree: Node) -> tuple[int, int]:
    """Return ``(node_count, depth)`` of ``tree`` without recursion."""
    count = 0
    deepest = 0
    stack: list[tuple[Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children())
    return count, deepest
