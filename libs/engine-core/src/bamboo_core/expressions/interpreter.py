"""Evaluate a parsed expression tree; the only place expressions "run".

The interpreter knows exactly the node classes of :mod:`nodes` and nothing
else — there is no generic attribute access, no way to obtain a Python
callable, and every node evaluated and every item iterated is charged to a
:class:`Budget`.  Condition mode uses the same interpreter with Bamboo's
coercing comparison instead of Python's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from bamboo_core.errors import ExpressionError
from bamboo_core.expressions.allowlist import BUILTIN_FUNCTIONS
from bamboo_core.expressions.functions import call_builtin
from bamboo_core.expressions.lazy import LazyIterator
from bamboo_core.expressions.limits import Budget
from bamboo_core.expressions.methods import call_method
from bamboo_core.expressions.nodes import (
    BinOp,
    BoolOp,
    Call,
    Compare,
    CompFor,
    Comprehension,
    Const,
    DictLit,
    IfExp,
    Keyword,
    ListLit,
    MethodCall,
    Name,
    Node,
    Not,
    SetLit,
    Slice,
    Subscript,
    TupleLit,
    Unary,
)
from bamboo_core.expressions.safe_ops import binary_op, python_compare, subscript, unary_op

CompareFn = Callable[[str, Any, Any], Any]
_MISSING = object()


class Scope:
    """Comprehension locals, chained to the enclosing comprehension's scope."""

    __slots__ = ("parent", "variables")

    def __init__(self, variables: dict[str, Any], parent: Scope | None) -> None:
        self.variables = variables
        self.parent = parent

    def lookup(self, name: str) -> Any:
        """The bound value, or ``_MISSING``."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.variables:
                return scope.variables[name]
            scope = scope.parent
        return _MISSING


class Interpreter:
    """Evaluates trees against a mapping of names (the rendering context)."""

    __slots__ = ("_budget", "_compare", "_names")

    def __init__(
        self, names: Mapping[str, Any], budget: Budget, compare: CompareFn = python_compare
    ) -> None:
        self._names = names
        self._budget = budget
        self._compare = compare

    def run(self, tree: Node) -> Any:
        """Evaluate a whole tree."""
        return self.visit(tree, None)

    def visit(self, node: Node, scope: Scope | None) -> Any:
        """Evaluate one node (charging one step)."""
        self._budget.charge()
        handler = _DISPATCH.get(type(node))
        if handler is None:  # pragma: no cover - every parser node has a handler
            raise ExpressionError(f"cannot evaluate {type(node).__name__}")
        return handler(self, node, scope)

    def _const(self, node: Const, scope: Scope | None) -> Any:
        return node.value

    def _name(self, node: Name, scope: Scope | None) -> Any:
        if scope is not None:
            value = scope.lookup(node.id)
            if value is not _MISSING:
                return value
        # ``in`` first: a defaultdict context must not grow entries for unknown names.
        if node.id in self._names:
            return self._names[node.id]
        if node.id in BUILTIN_FUNCTIONS:
            raise ExpressionError(f"builtin '{node.id}' can only be called, not used as a value")
        raise ExpressionError(f"name '{node.id}' is not defined")

    def _items(self, nodes: Iterable[Node], scope: Scope | None) -> list[Any]:
        return [self.visit(item, scope) for item in nodes]

    def _tuple(self, node: TupleLit, scope: Scope | None) -> Any:
        return self._budget.checked(tuple(self._items(node.items, scope)))

    def _list(self, node: ListLit, scope: Scope | None) -> Any:
        return self._budget.checked(self._items(node.items, scope))

    def _set(self, node: SetLit, scope: Scope | None) -> Any:
        return self._budget.checked(set(self._items(node.items, scope)))

    def _dict(self, node: DictLit, scope: Scope | None) -> Any:
        result: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=False):
            result[self.visit(key, scope)] = self.visit(value, scope)
        return self._budget.checked(result)

    def _unary(self, node: Unary, scope: Scope | None) -> Any:
        return unary_op(node.op, self.visit(node.operand, scope), self._budget)

    def _not(self, node: Not, scope: Scope | None) -> Any:
        return not self.visit(node.operand, scope)

    def _binop(self, node: BinOp, scope: Scope | None) -> Any:
        left = self.visit(node.left, scope)
        return binary_op(node.op, left, self.visit(node.right, scope), self._budget)

    def _boolop(self, node: BoolOp, scope: Scope | None) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.visit(operand, scope)
            if bool(value) == (node.op == "or"):
                return value
        return value

    def _compare_node(self, node: Compare, scope: Scope | None) -> Any:
        left = self.visit(node.left, scope)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=False):
            right = self.visit(comparator, scope)
            result = self._compare(op, left, right)
            if not result:
                return result
            left = right
        return result

    def _ifexp(self, node: IfExp, scope: Scope | None) -> Any:
        branch = node.body if self.visit(node.test, scope) else node.orelse
        return self.visit(branch, scope)

    def _slice(self, node: Slice, scope: Scope | None) -> Any:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if part is None else self.visit(part, scope) for part in parts))

    def _subscript(self, node: Subscript, scope: Scope | None) -> Any:
        value = self.visit(node.value, scope)
        index = self.visit(node.index, scope)
        result = subscript(value, index)
        # An index returns an existing item; only a slice builds a new value.
        return self._budget.checked(result) if isinstance(index, slice) else result

    def _arguments(
        self, args: tuple[Node, ...], kwargs: tuple[Keyword, ...], scope: Scope | None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        values = tuple(self._items(args, scope))
        return values, {kw.name: self.visit(kw.value, scope) for kw in kwargs}

    def _call(self, node: Call, scope: Scope | None) -> Any:
        args, kwargs = self._arguments(node.args, node.kwargs, scope)
        return call_builtin(node.func, args, kwargs, self._budget)

    def _method(self, node: MethodCall, scope: Scope | None) -> Any:
        obj = self.visit(node.obj, scope)
        args, kwargs = self._arguments(node.args, node.kwargs, scope)
        return call_method(obj, node.method, args, kwargs, self._budget)

    def _comprehension(self, node: Comprehension, scope: Scope | None) -> Any:
        # As in Python, the first iterable is evaluated right away in the enclosing scope.
        first = self.visit(node.generators[0].iter, scope)
        scopes = self._clause_scopes(node.generators, 0, first, scope)
        if node.kind == "gen":
            values = (self.visit(node.elt, inner) for inner in scopes)
            return LazyIterator(values, self._budget, "generator")
        if node.kind == "dict":
            assert node.value is not None
            value_node = node.value
            pairs = ((self.visit(node.elt, s), self.visit(value_node, s)) for s in scopes)
            return self._budget.checked(dict(pairs))
        items = [self.visit(node.elt, inner) for inner in scopes]
        return self._budget.checked(set(items) if node.kind == "set" else items)

    def _clause_scopes(
        self, clauses: tuple[CompFor, ...], index: int, iterable: Any, scope: Scope | None
    ) -> Iterator[Scope]:
        clause = clauses[index]
        for item in self._budget.iterate(iterable):
            inner = Scope(self._bind(clause.target, item), scope)
            if all(self.visit(condition, inner) for condition in clause.ifs):
                if index + 1 == len(clauses):
                    yield inner
                else:
                    following = self.visit(clauses[index + 1].iter, inner)
                    yield from self._clause_scopes(clauses, index + 1, following, inner)

    def _bind(self, target: Node, value: Any) -> dict[str, Any]:
        if isinstance(target, Name):
            return {target.id: value}
        assert isinstance(target, TupleLit)
        size = len(target.items)
        values = list(islice(self._budget.iterate(value), size + 1))
        if len(values) > size:
            raise ExpressionError(f"too many values to unpack (expected {size})")
        if len(values) < size:
            raise ExpressionError(
                f"not enough values to unpack (expected {size}, got {len(values)})"
            )
        bound: dict[str, Any] = {}
        for item_target, item in zip(target.items, values, strict=False):
            bound.update(self._bind(item_target, item))
        return bound


_DISPATCH: dict[type, Callable[[Interpreter, Any, Scope | None], Any]] = {
    Const: Interpreter._const,
    Name: Interpreter._name,
    TupleLit: Interpreter._tuple,
    ListLit: Interpreter._list,
    SetLit: Interpreter._set,
    DictLit: Interpreter._dict,
    Unary: Interpreter._unary,
    Not: Interpreter._not,
    BinOp: Interpreter._binop,
    BoolOp: Interpreter._boolop,
    Compare: Interpreter._compare_node,
    IfExp: Interpreter._ifexp,
    Slice: Interpreter._slice,
    Subscript: Interpreter._subscript,
    Call: Interpreter._call,
    MethodCall: Interpreter._method,
    Comprehension: Interpreter._comprehension,
}
