"""Bracketed forms of template mode: tuple / list / dict / set displays,
comprehensions, generator expressions and comprehension targets.

Split from :mod:`parser` to keep each module small; the operator grammar
(``parse_test`` / ``parse_binary``) lives there.
"""

from __future__ import annotations

import keyword

from bamboo_core.errors import ExpressionError
from bamboo_core.expressions.allowlist import check_name
from bamboo_core.expressions.cursor import Cursor
from bamboo_core.expressions.nodes import (
    CompFor,
    Comprehension,
    DictLit,
    ListLit,
    Name,
    Node,
    SetLit,
    TupleLit,
)
from bamboo_core.expressions.tokenizer import NAME

_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_PY_KEYWORDS = frozenset(keyword.kwlist)


class DisplayParser(Cursor):
    """Displays and comprehensions; subclasses provide the expression grammar."""

    __slots__ = ()

    def parse_test(self) -> Node:  # pragma: no cover - provided by TemplateParser
        raise NotImplementedError

    def parse_binary(self, min_bp: int) -> Node:  # pragma: no cover - idem
        raise NotImplementedError

    def parse_display(self, opener: str) -> Node:
        """Parse what follows ``(``, ``[`` or ``{`` (already consumed)."""
        self.enter()
        try:
            if opener == "(":
                return self._parse_paren()
            if opener == "[":
                return self._parse_list()
            return self._parse_brace()
        finally:
            self.leave()

    def _item(self) -> Node:
        if self.at_op("*", "**"):
            raise ExpressionError(
                f"starred / unpacking expressions are not allowed (at position {self.peek().pos})"
            )
        return self.parse_test()

    def _items_until(self, first: Node, closer: str) -> list[Node]:
        """``first ("," item)* [","] closer`` — consumes the closer."""
        items = [first]
        while self.at_op(","):
            self.advance()
            if self.at_op(closer):
                break
            items.append(self._item())
        self.expect_op(closer)
        return items

    def _parse_paren(self) -> Node:
        if self.at_op(")"):
            self.advance()
            return TupleLit(())
        first = self._item()
        if self.at_name("for"):
            node = self.parse_comprehension("gen", first, None)
            self.expect_op(")")
            return node
        if self.at_op(")"):
            self.advance()
            return first  # plain grouping
        return TupleLit(tuple(self._items_until(first, ")")))

    def _parse_list(self) -> Node:
        if self.at_op("]"):
            self.advance()
            return ListLit(())
        first = self._item()
        if self.at_name("for"):
            node = self.parse_comprehension("list", first, None)
            self.expect_op("]")
            return node
        return ListLit(tuple(self._items_until(first, "]")))

    def _parse_brace(self) -> Node:
        if self.at_op("}"):
            self.advance()
            return DictLit((), ())
        first = self._item()
        if not self.at_op(":"):
            if self.at_name("for"):
                node = self.parse_comprehension("set", first, None)
                self.expect_op("}")
                return node
            return SetLit(tuple(self._items_until(first, "}")))
        self.advance()
        value = self.parse_test()
        if self.at_name("for"):
            node = self.parse_comprehension("dict", first, value)
            self.expect_op("}")
            return node
        return self._dict_rest(first, value)

    def _dict_rest(self, key: Node, value: Node) -> Node:
        keys, values = [key], [value]
        while self.at_op(","):
            self.advance()
            if self.at_op("}"):
                break
            keys.append(self._item())
            self.expect_op(":")
            values.append(self.parse_test())
        self.expect_op("}")
        return DictLit(tuple(keys), tuple(values))

    def parse_comprehension(self, kind: str, elt: Node, value: Node | None) -> Comprehension:
        """The ``for ... in ... if ...`` clauses after a comprehension's element."""
        clauses: list[CompFor] = []
        while self.at_name("for", "async"):
            if self.at_name("async"):
                raise ExpressionError(
                    f"async comprehensions are not allowed (at position {self.peek().pos})"
                )
            self.advance()
            target = self.parse_target_list()
            self.expect_name("in")
            iterable = self.parse_binary(0)
            conditions: list[Node] = []
            while self.at_name("if"):
                self.advance()
                conditions.append(self.parse_binary(0))
            clauses.append(CompFor(target, iterable, tuple(conditions)))
        return Comprehension(kind, elt, value, tuple(clauses))

    def parse_target_list(self) -> Node:
        """Comprehension target: a name or a (nested) tuple of names."""
        first = self._parse_target()
        if not self.at_op(","):
            return first
        items = [first]
        while self.at_op(","):
            self.advance()
            if self.at_name("in") or self.at_op(")", "]"):
                break
            items.append(self._parse_target())
        return TupleLit(tuple(items))

    def _parse_target(self) -> Node:
        token = self.peek()
        if token.kind == NAME and token.value not in _PY_KEYWORDS:
            self.advance()
            check_name(str(token.value), token.pos)
            return Name(str(token.value))
        if not self.at_op("(", "["):
            raise self.unexpected("expected a name to bind")
        opener = str(self.advance().value)
        self.enter()
        try:
            inner = self.parse_target_list()
        finally:
            self.leave()
        self.expect_op(_CLOSERS[opener])
        if opener == "[" and not isinstance(inner, TupleLit):
            inner = TupleLit((inner,))
        return inner
