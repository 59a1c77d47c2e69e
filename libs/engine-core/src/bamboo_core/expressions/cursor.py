"""Token cursor shared by the template and the condition parser.

It owns the two guards every recursive-descent parser here needs: a nesting
counter (so hostile input hits ExpressionLimitError long before Python's
recursion limit) and uniform error messages.
"""

from __future__ import annotations

from bamboo_core.errors import ExpressionLimitError, ExpressionSyntaxError
from bamboo_core.expressions.limits import Limits
from bamboo_core.expressions.tokenizer import END, NAME, OP, Token, syntax_error


class Cursor:
    """Position in a token list plus the nesting guard."""

    __slots__ = ("_index", "_nesting", "_tokens", "limits")

    def __init__(self, tokens: list[Token], limits: Limits) -> None:
        self._tokens = tokens
        self._index = 0
        self._nesting = 0
        self.limits = limits

    def peek(self, offset: int = 0) -> Token:
        """Token ``offset`` places ahead (END once past the end)."""
        index = min(self._index + offset, len(self._tokens) - 1)
        return self._tokens[index]

    def advance(self) -> Token:
        """Consume and return the current token."""
        token = self._tokens[self._index]
        if token.kind != END:
            self._index += 1
        return token

    def at_op(self, *ops: str) -> bool:
        """Is the current token one of the operator / punctuation ``ops``?"""
        token = self.peek()
        return token.kind == OP and token.value in ops

    def at_name(self, *names: str) -> bool:
        """Is the current token one of the keywords / names ``names``?"""
        token = self.peek()
        return token.kind == NAME and token.value in names

    def at_end(self) -> bool:
        """Has every token been consumed?"""
        return self.peek().kind == END

    def expect_op(self, op: str) -> Token:
        """Consume operator ``op`` or fail with a syntax error."""
        if not self.at_op(op):
            raise self.unexpected(f"expected '{op}'")
        return self.advance()

    def expect_name(self, name: str) -> Token:
        """Consume keyword ``name`` or fail with a syntax error."""
        if not self.at_name(name):
            raise self.unexpected(f"expected '{name}'")
        return self.advance()

    def unexpected(self, expectation: str = "") -> ExpressionSyntaxError:
        """Syntax error about the current token."""
        token = self.peek()
        shown = "end of expression" if token.kind == END else f"{token.value!r}"
        prefix = f"{expectation}, got " if expectation else "unexpected "
        return syntax_error(f"{prefix}{shown}", token.pos)

    def enter(self) -> None:
        """Descend one nesting level (call :meth:`leave` in a ``finally``)."""
        self._nesting += 1
        if self._nesting > self.limits.max_nesting:
            raise ExpressionLimitError(
                f"expression nests deeper than the limit of {self.limits.max_nesting}"
            )

    def leave(self) -> None:
        """Come back up one nesting level."""
        self._nesting -= 1
