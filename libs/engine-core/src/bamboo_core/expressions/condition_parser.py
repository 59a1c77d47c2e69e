"""Parser for condition mode: bamboo's boolrule grammar, with usual precedence.

Grammar (keywords and operators case-insensitive)::

    expr     := and_expr ("or" and_expr)*
    and_expr := not_expr ("and" not_expr)*
    not_expr := "not" not_expr | cond
    cond     := value OP value | "(" expr ")" | true | false
    OP       := == != < > <= >= in notin "not in" issuperset notissuperset
    value    := number | quoted string | true | false | word | "(" value ("," value)* [","] ")"

A word (``abc``, ``a.b``, ``${x}``, ``_x``) is a value that stands for its own
text.  Differences from boolrule, all deliberate: ``not`` > ``and`` > ``or``
precedence (boolrule reads left to right), ``not`` / ``not in`` exist, a bare
``true`` / ``false`` is a complete condition, and a trailing comma is allowed in
a parenthesised list.  A ``[...]`` list display is a syntax error, as in
boolrule (a rendered Python list must not silently parse).
"""

from __future__ import annotations

from bamboo_core.expressions.cursor import Cursor
from bamboo_core.expressions.nodes import BoolOp, Compare, Const, Node, Not, TupleLit
from bamboo_core.expressions.tokenizer import NAME, NUMBER, OP, STRING, WORD, Token

_SYMBOL_OPS = frozenset({"==", "!=", "<", ">", "<=", ">="})
_WORD_OPS = frozenset({"in", "notin", "issuperset", "notissuperset"})
_SIMPLE_KINDS = frozenset({NUMBER, STRING, WORD})


class ConditionParser(Cursor):
    """Parses one rendered condition into a :mod:`nodes` tree."""

    __slots__ = ()

    def parse(self) -> Node:
        """Parse the whole condition."""
        if self.at_end():
            raise self.unexpected("expected a condition")
        node = self._parse_or()
        if not self.at_end():
            raise self.unexpected("expected 'and', 'or' or the end of the condition")
        return node

    def _parse_or(self) -> Node:
        values = [self._parse_and()]
        while self.at_name("or"):
            self.advance()
            values.append(self._parse_and())
        return values[0] if len(values) == 1 else BoolOp("or", tuple(values))

    def _parse_and(self) -> Node:
        values = [self._parse_not()]
        while self.at_name("and"):
            self.advance()
            values.append(self._parse_not())
        return values[0] if len(values) == 1 else BoolOp("and", tuple(values))

    def _parse_not(self) -> Node:
        if not self.at_name("not"):
            return self._parse_cond()
        self.advance()
        self.enter()
        try:
            return Not(self._parse_not())
        finally:
            self.leave()

    def _parse_cond(self) -> Node:
        if self.at_op("(") and not self._tuple_compared_here():
            self.advance()
            self.enter()
            try:
                node = self._parse_or()
            finally:
                self.leave()
            self.expect_op(")")
            return node
        left = self._parse_value()
        op = self._operator()
        if op is None:
            if isinstance(left, Const) and isinstance(left.value, bool):
                return left
            raise self.unexpected("expected a comparison operator")
        return Compare(left, (op,), (self._parse_value(),))

    def _operator(self) -> str | None:
        token = self.peek()
        if token.kind == OP and token.value in _SYMBOL_OPS:
            self.advance()
            return str(token.value)
        if token.kind == NAME and token.value in _WORD_OPS:
            self.advance()
            return str(token.value)
        after = self.peek(1)
        if (
            token.kind == NAME
            and token.value == "not"
            and after.kind == NAME
            and after.value == "in"
        ):
            self.advance()
            self.advance()
            return "notin"
        return None

    def _tuple_compared_here(self) -> bool:
        """Is the ``(`` here a parenthesised list of values followed by an operator?"""
        offset = 1
        while True:
            if not _is_simple(self.peek(offset)):
                return False
            separator = self.peek(offset + 1)
            if separator.kind == OP and separator.value == ",":
                offset += 2
                closing = self.peek(offset)
                if closing.kind == OP and closing.value == ")":
                    break
                continue
            if separator.kind == OP and separator.value == ")":
                offset += 1
                break
            return False
        after = self.peek(offset + 1)
        return (after.kind == OP and after.value in _SYMBOL_OPS) or (
            after.kind == NAME and after.value in _WORD_OPS | {"not"}
        )

    def _parse_value(self) -> Node:
        token = self.peek()
        if _is_simple(token):
            self.advance()
            return Const(_simple_value(token))
        if not self.at_op("("):
            raise self.unexpected("expected a value")
        self.advance()
        items = [self._parse_simple()]
        while self.at_op(","):
            self.advance()
            if self.at_op(")"):
                break
            items.append(self._parse_simple())
        self.expect_op(")")
        return TupleLit(tuple(items))

    def _parse_simple(self) -> Node:
        token = self.peek()
        if not _is_simple(token):
            raise self.unexpected("expected a number, string, true/false or a name")
        self.advance()
        return Const(_simple_value(token))


def _is_simple(token: Token) -> bool:
    return token.kind in _SIMPLE_KINDS or (token.kind == NAME and token.value in ("true", "false"))


def _simple_value(token: Token) -> object:
    if token.kind == NAME:
        return token.value == "true"
    return token.value
