"""Pratt parser for template mode: the Python-expression subset inside ``${...}``.

Grammar, loosest binding first (as in Python)::

    test       := or_expr ("if" or_expr "else" test)?
    or_expr    := and_expr ("or" and_expr)*          -- and so on down the
    ...           not, comparisons (chained), | ^ & << >> + - * / // % , unary - + ~, **
    primary    := atom ( "(" args ")" | "[" subscript "]" | "." allowed_method "(" args ")" )*
    atom       := number | string+ | name | True | False | None
                | "(" ... ")" | "[" ... "]" | "{" ... "}"   (displays and comprehensions)

Anything outside this subset (lambda, walrus, starred arguments, attributes
other than allowed method calls, reserved names) is rejected here, at parse
time, with an ExpressionError naming the construct.
"""

from __future__ import annotations

import keyword

from bamboo_core.errors import ExpressionError
from bamboo_core.expressions.allowlist import (
    ALL_METHODS,
    BUILTIN_FUNCTIONS,
    FORBIDDEN_KEYWORDS,
    check_name,
)
from bamboo_core.expressions.nodes import (
    BinOp,
    BoolOp,
    Call,
    Compare,
    Const,
    IfExp,
    Keyword,
    MethodCall,
    Name,
    Node,
    Not,
    Slice,
    Subscript,
    TupleLit,
    Unary,
)
from bamboo_core.expressions.parser_displays import DisplayParser
from bamboo_core.expressions.tokenizer import NAME, NUMBER, OP, STRING, Token, syntax_error

_INFIX_BP = {
    "or": 4, "and": 6, "|": 12, "^": 14, "&": 16, "<<": 18, ">>": 18,
    "+": 20, "-": 20, "*": 22, "/": 22, "//": 22, "%": 22, "**": 26,
}  # fmt: skip
_NOT_BP = 8
_COMPARISON_BP = 10
_UNARY_OPERAND_BP = 23  # binds tighter than * but looser than ** (so -2**2 == -4)
_SYMBOL_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_PY_KEYWORDS = frozenset(keyword.kwlist)


class TemplateParser(DisplayParser):
    """Parses one template expression into a :mod:`nodes` tree."""

    __slots__ = ()

    def parse(self) -> Node:
        """Parse the whole token list; a top-level ``a, b`` is a tuple."""
        node = self.parse_expr_list()
        if not self.at_end():
            raise self.unexpected()
        return node

    def parse_expr_list(self) -> Node:
        """``test ("," test)* [","]`` — a tuple when there is a comma."""
        first = self.parse_test()
        if not self.at_op(","):
            return first
        items = [first]
        while self.at_op(","):
            self.advance()
            if self.at_end():
                break
            items.append(self.parse_test())
        return TupleLit(tuple(items))

    def parse_test(self) -> Node:
        """A full expression, including chained ``a if c else b`` (built iteratively)."""
        pending: list[tuple[Node, Node]] = []
        node = self.parse_binary(0)
        while self.at_name("if"):
            self.advance()
            test = self.parse_binary(0)
            self.expect_name("else")
            pending.append((node, test))
            node = self.parse_binary(0)
        for body, test in reversed(pending):
            node = IfExp(test, body, node)
        return node

    def parse_binary(self, min_bp: int) -> Node:
        """Pratt loop over every infix operator binding tighter than ``min_bp``."""
        self.enter()
        try:
            left = self.parse_prefix(min_bp)
            while True:
                op = self._infix_operator()
                if op is None:
                    return left
                bp = _COMPARISON_BP if op == "cmp" else _INFIX_BP[op]
                if bp <= min_bp:
                    return left
                left = self._parse_comparison(left) if op == "cmp" else self._infix(left, op, bp)
        finally:
            self.leave()

    def _infix_operator(self) -> str | None:
        token = self.peek()
        if token.kind == OP:
            if token.value == ":=":
                raise ExpressionError(
                    f"assignment expressions (:=) are not allowed (at position {token.pos})"
                )
            if token.value in _SYMBOL_COMPARISONS:
                return "cmp"
            return str(token.value) if token.value in _INFIX_BP else None
        if token.kind == NAME and token.value in ("and", "or"):
            return str(token.value)
        return "cmp" if self._comparison_width() else None

    def _comparison_width(self) -> int:
        """Number of tokens of the comparison operator here (0 if none)."""
        token, after = self.peek(), self.peek(1)
        if token.kind == OP and token.value in _SYMBOL_COMPARISONS:
            return 1
        if token.kind != NAME:
            return 0
        if token.value == "in":
            return 1
        if token.value == "is":
            return 2 if after.kind == NAME and after.value == "not" else 1
        if token.value == "not" and after.kind == NAME and after.value == "in":
            return 2
        return 0

    def _parse_comparison(self, left: Node) -> Node:
        ops: list[str] = []
        comparators: list[Node] = []
        while width := self._comparison_width():
            ops.append(" ".join(str(self.advance().value) for _ in range(width)))
            comparators.append(self.parse_binary(_COMPARISON_BP))
        return Compare(left, tuple(ops), tuple(comparators))

    def _infix(self, left: Node, op: str, bp: int) -> Node:
        self.advance()
        right = self.parse_binary(_UNARY_OPERAND_BP if op == "**" else bp)
        if op in ("and", "or"):
            if isinstance(left, BoolOp) and left.op == op:
                return BoolOp(op, (*left.values, right))
            return BoolOp(op, (left, right))
        return BinOp(op, left, right)

    def parse_prefix(self, min_bp: int) -> Node:
        """``not x``, ``-x``, ``+x``, ``~x`` or a primary expression."""
        token = self.peek()
        if token.kind == NAME and token.value == "not":
            if min_bp > _NOT_BP:
                raise self.unexpected()
            self.advance()
            return Not(self.parse_binary(_NOT_BP))
        if token.kind == OP and token.value in ("-", "+", "~"):
            self.advance()
            operand = self.parse_binary(_UNARY_OPERAND_BP)
            if token.value == "-" and isinstance(operand, Const) and _is_number(operand.value):
                return Const(-operand.value)  # type: ignore[operator]
            return Unary(str(token.value), operand)
        if token.kind == OP and token.value in ("*", "**"):
            raise ExpressionError(f"starred expressions are not allowed (at position {token.pos})")
        return self.parse_primary()

    def parse_primary(self) -> Node:
        """An atom followed by calls, subscripts and allowed method calls."""
        node = self.parse_atom()
        while True:
            if self.at_op("("):
                node = self._parse_call(node)
            elif self.at_op("["):
                node = self._parse_subscript(node)
            elif self.at_op("."):
                node = self._parse_method(node)
            else:
                return node

    def parse_atom(self) -> Node:
        """Literal, name, or bracketed display."""
        token = self.peek()
        if token.kind not in (NUMBER, STRING, NAME) and not self.at_op("(", "[", "{"):
            raise self.unexpected()
        self.advance()
        if token.kind == NUMBER:
            return Const(token.value)
        if token.kind == STRING:
            parts = [str(token.value)]
            while self.peek().kind == STRING:
                parts.append(str(self.advance().value))
            return Const("".join(parts))
        if token.kind == NAME:
            return self._name_atom(token)
        return self.parse_display(str(token.value))

    def _name_atom(self, token: Token) -> Node:
        name = str(token.value)
        constants = {"True": True, "False": False, "None": None}
        if name in constants:
            return Const(constants[name])
        if name in FORBIDDEN_KEYWORDS:
            raise ExpressionError(f"{FORBIDDEN_KEYWORDS[name]} (at position {token.pos})")
        if name in _PY_KEYWORDS:
            raise syntax_error(f"unexpected keyword '{name}'", token.pos)
        check_name(name, token.pos)
        return Name(name)

    def _parse_call(self, node: Node) -> Node:
        position = self.peek().pos
        if not isinstance(node, Name):
            raise ExpressionError(
                f"only allowed builtin functions and methods can be called (at position {position})"
            )
        if node.id not in BUILTIN_FUNCTIONS:
            raise ExpressionError(f"function '{node.id}' is not allowed (at position {position})")
        self.advance()
        args, kwargs = self.parse_arguments()
        return Call(node.id, args, kwargs)

    def _parse_method(self, node: Node) -> Node:
        self.advance()
        token = self.peek()
        if token.kind != NAME or token.value in _PY_KEYWORDS:
            raise self.unexpected("expected a method name after '.'")
        self.advance()
        name = str(token.value)
        check_name(name, token.pos, "attribute")
        if not self.at_op("("):
            raise ExpressionError(
                f"attribute access '.{name}' is not allowed; only calls of allowed methods "
                f"are (at position {token.pos})"
            )
        if name not in ALL_METHODS:
            raise ExpressionError(f"method '{name}' is not allowed (at position {token.pos})")
        self.advance()
        args, kwargs = self.parse_arguments()
        return MethodCall(node, name, args, kwargs)

    def parse_arguments(self) -> tuple[tuple[Node, ...], tuple[Keyword, ...]]:
        """Arguments after ``(`` up to and including ``)``."""
        args: list[Node] = []
        kwargs: list[Keyword] = []
        while not self.at_op(")"):
            if self.at_op("*", "**"):
                raise ExpressionError(
                    f"starred arguments are not allowed (at position {self.peek().pos})"
                )
            if self.peek().kind == NAME and self.peek(1).kind == OP and self.peek(1).value == "=":
                kwargs.append(self._keyword_argument(kwargs))
            elif kwargs:
                raise self.unexpected("positional argument after keyword argument")
            else:
                args.append(self._positional_argument(args))
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op(")")
        return tuple(args), tuple(kwargs)

    def _keyword_argument(self, previous: list[Keyword]) -> Keyword:
        token = self.advance()
        name = str(token.value)
        if name in _PY_KEYWORDS:
            raise syntax_error(f"unexpected keyword '{name}'", token.pos)
        check_name(name, token.pos, "keyword argument")
        if any(kw.name == name for kw in previous):
            raise self.unexpected(f"repeated keyword argument '{name}'")
        self.advance()
        return Keyword(name, self.parse_test())

    def _positional_argument(self, previous: list[Node]) -> Node:
        value = self.parse_test()
        if not self.at_name("for"):
            return value
        generator = self.parse_comprehension("gen", value, None)
        if previous or not self.at_op(")"):
            raise self.unexpected("a generator argument must be the only argument")
        return generator

    def _parse_subscript(self, node: Node) -> Node:
        self.advance()
        items = [self._slice_item()]
        trailing_comma = False
        while self.at_op(","):
            self.advance()
            trailing_comma = True
            if self.at_op("]"):
                break
            items.append(self._slice_item())
            trailing_comma = False
        self.expect_op("]")
        index = items[0] if len(items) == 1 and not trailing_comma else TupleLit(tuple(items))
        return Subscript(node, index)

    def _slice_item(self) -> Node:
        lower = None if self.at_op(":") else self.parse_test()
        if not self.at_op(":"):
            assert lower is not None
            return lower
        self.advance()
        upper = None if self.at_op(":", "]", ",") else self.parse_test()
        step = None
        if self.at_op(":"):
            self.advance()
            step = None if self.at_op("]", ",") else self.parse_test()
        return Slice(lower, upper, step)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
