"""Turn expression text into tokens, for both expression modes.

* Template mode reads the Python-expression subset used inside ``${...}``.
* Condition mode reads bamboo's boolrule grammar: signed numbers, quoted
  strings without Python escapes, and bare words / dotted paths / ``${x}``
  that evaluate to their own text.

The tokenizer never recurses and never builds anything larger than its input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bamboo_core.errors import ExpressionError, ExpressionLimitError, ExpressionSyntaxError
from bamboo_core.expressions.limits import Limits

NUMBER = "number"
STRING = "string"
NAME = "name"  # template names and keywords; condition keywords (lower-cased)
WORD = "word"  # condition-mode bare word / path, evaluates to its own text
OP = "op"
END = "end"

TEMPLATE_MODE = "template"
CONDITION_MODE = "condition"

CONDITION_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "notin", "issuperset", "notissuperset", "true", "false"}
)

_TEMPLATE_OPS = (
    ("...",),
    ("**", "//", "==", "!=", "<=", ">=", "<<", ">>", ":=", "->"),
    tuple("+-*/%<>()[]{},:.~&|^@=;"),
)
_CONDITION_OPS = (("==", "!=", "<=", ">="), tuple("<>(),"))

_NAME_RE = re.compile(r"[^\W\d]\w*")
_DIGITS = r"\d(?:_?\d)*"
_TEMPLATE_NUMBER_RE = re.compile(
    rf"""0[xX](?:_?[0-9a-fA-F])+ | 0[oO](?:_?[0-7])+ | 0[bB](?:_?[01])+
    | (?:{_DIGITS}\.(?:{_DIGITS})? | \.{_DIGITS}) (?:[eE][+-]?{_DIGITS})?
    | {_DIGITS}[eE][+-]?{_DIGITS}
    | {_DIGITS}""",
    re.VERBOSE,
)
_CONDITION_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_SEGMENT = r"(?:\$\{)?[^\W\d]\w*\}?"
_WORD_RE = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")
_ESCAPE_RE = re.compile(
    r"\\(\n|[\\'\"abfnrtv]|[0-7]{1,3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}"
    r"|N\{[^}]*\}|.)",
    re.DOTALL,
)
_SIMPLE_ESCAPES = {
    "\n": "", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b",
    "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip
_CONDITION_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "f": "\f"}
_STRING_PREFIXES = frozenset({"r", "u", "b", "br", "rb", "f", "fr", "rf"})


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` (module constants), its ``value`` and source ``pos``."""

    kind: str
    value: object
    pos: int

    def describe(self) -> str:
        """Short human description for error messages."""
        if self.kind == END:
            return "end of expression"
        return f"{self.value!r} at position {self.pos}"


def syntax_error(message: str, pos: int) -> ExpressionSyntaxError:
    """Build a syntax error that names the position."""
    return ExpressionSyntaxError(f"{message} (at position {pos})")


def tokenize(text: str, mode: str, limits: Limits) -> list[Token]:
    """Split ``text`` into tokens for ``mode``; always ends with an END token."""
    if len(text) > limits.max_source_length:
        raise ExpressionLimitError(
            f"expression is {len(text)} characters long, more than the limit of "
            f"{limits.max_source_length}"
        )
    scan = _scan_template if mode == TEMPLATE_MODE else _scan_condition
    tokens: list[Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            tokens.append(Token(END, None, pos))
            return tokens
        token, pos = scan(text, pos, limits)
        tokens.append(token)


def _match_op(text: str, pos: int, table: tuple[tuple[str, ...], ...]) -> str | None:
    for group in table:
        size = len(group[0])
        if text[pos : pos + size] in group:
            return text[pos : pos + size]
    return None


def _scan_template(text: str, pos: int, limits: Limits) -> tuple[Token, int]:
    char = text[pos]
    if char.isdigit() or (char == "." and text[pos + 1 : pos + 2].isdigit()):
        return _template_number(text, pos, limits)
    if char in "'\"":
        return _template_string(text, pos, "")
    match = _NAME_RE.match(text, pos)
    if match:
        word = match.group()
        end = match.end()
        if end < len(text) and text[end] in "'\"" and word.lower() in _STRING_PREFIXES:
            return _template_string(text, end, word.lower())
        return Token(NAME, unicodedata.normalize("NFKC", word), pos), end
    op = _match_op(text, pos, _TEMPLATE_OPS)
    if op is None:
        raise syntax_error(f"unexpected character {char!r}", pos)
    return Token(OP, op, pos), pos + len(op)


def _template_number(text: str, pos: int, limits: Limits) -> tuple[Token, int]:
    match = _TEMPLATE_NUMBER_RE.match(text, pos)
    if match is None:  # pragma: no cover - the caller saw a digit or ".digit"
        raise syntax_error("invalid number", pos)
    literal, end = match.group(), match.end()
    if end < len(text) and (text[end].isalnum() or text[end] in "_."):
        raise syntax_error(f"invalid number literal {text[pos : end + 1]!r}", pos)
    if any(c in literal for c in ".eE") and literal[:2].lower() != "0x":
        return Token(NUMBER, float(literal), pos), end
    if len(literal) > limits.max_int_bits + 10:
        raise ExpressionLimitError(f"integer literal of {len(literal)} digits is too large")
    try:
        value = int(literal, 0)
    except ValueError:
        raise syntax_error(f"invalid number literal {literal!r}", pos) from None
    if value.bit_length() > limits.max_int_bits:
        raise ExpressionLimitError(f"integer literal exceeds {limits.max_int_bits} bits")
    return Token(NUMBER, value, pos), end


def _template_string(text: str, pos: int, prefix: str) -> tuple[Token, int]:
    start = pos - len(prefix)
    if "f" in prefix:
        raise ExpressionError(f"f-strings are not allowed (at position {start})")
    if "b" in prefix:
        raise ExpressionError(f"bytes literals are not supported (at position {start})")
    body, end = _string_body(text, pos, backslash_escapes=True)
    value = body if "r" in prefix else _decode_python_escapes(body, start)
    return Token(STRING, value, start), end


def _string_body(text: str, pos: int, *, backslash_escapes: bool) -> tuple[str, int]:
    """Return the raw body of the string literal opening at ``pos`` and its end."""
    quote = text[pos]
    triple = backslash_escapes and text.startswith(quote * 3, pos)
    closer = quote * 3 if triple else quote
    index = pos + len(closer)
    while index < len(text):
        char = text[index]
        if char == "\\" and backslash_escapes:
            index += 2
            continue
        if text.startswith(closer, index):
            return text[pos + len(closer) : index], index + len(closer)
        if char == "\n" and not triple and backslash_escapes:
            break
        index += 1
    raise syntax_error("unterminated string literal", pos)


def _decode_python_escapes(body: str, pos: int) -> str:
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[code]
        head = code[0]
        if head in "01234567":
            return chr(int(code, 8))
        if head in "xuU" and len(code) > 1:
            number = int(code[1:], 16)
            if number > 0x10FFFF:
                raise syntax_error(f"invalid escape \\{code}", pos)
            return chr(number)
        if head == "N" and len(code) > 1:
            try:
                return unicodedata.lookup(code[2:-1])
            except KeyError:
                raise syntax_error(f"unknown unicode character name in \\{code}", pos) from None
        if head in "xuUN":
            raise syntax_error(f"truncated \\{head} escape", pos)
        return "\\" + code

    return _ESCAPE_RE.sub(replace, body)


def _scan_condition(text: str, pos: int, limits: Limits) -> tuple[Token, int]:
    char = text[pos]
    if char in "'\"":
        body, end = _string_body(text, pos, backslash_escapes=False)
        return Token(STRING, _decode_condition_escapes(body), pos), end
    number = _CONDITION_NUMBER_RE.match(text, pos)
    if number:
        return _condition_number(text, number, limits)
    word = _WORD_RE.match(text, pos)
    if word:
        value = word.group()
        if value.lower() in CONDITION_KEYWORDS:
            return Token(NAME, value.lower(), pos), word.end()
        return Token(WORD, value, pos), word.end()
    op = _match_op(text, pos, _CONDITION_OPS)
    if op is not None:
        return Token(OP, op, pos), pos + len(op)
    if char == "[":
        raise syntax_error(
            "list displays are not supported in conditions; write a parenthesised "
            "list such as (1, 2)",
            pos,
        )
    if char == "=":
        raise syntax_error("'=' is not an operator; use '==' to compare", pos)
    raise syntax_error(f"unexpected character {char!r}", pos)


def _condition_number(text: str, match: re.Match[str], limits: Limits) -> tuple[Token, int]:
    literal, pos, end = match.group(), match.start(), match.end()
    if end < len(text) and (text[end].isalnum() or text[end] in "_$"):
        raise syntax_error(f"invalid value {text[pos : end + 1]!r}", pos)
    if any(c in literal for c in ".eE"):
        return Token(NUMBER, float(literal), pos), end
    if len(literal) > limits.max_int_bits // 3:
        raise ExpressionLimitError(f"integer literal of {len(literal)} digits is too large")
    return Token(NUMBER, int(literal), pos), end


def _decode_condition_escapes(body: str) -> str:
    r"""Turn ``\n``, ``\r``, ``\t``, ``\f`` back into whitespace (boolrule does the same).

    Rendering escapes raw whitespace in string values before substituting them,
    and this undoes it; every other backslash stays as written.
    """
    if "\\" not in body:
        return body
    return re.sub(r"\\([nrtf])", lambda m: _CONDITION_ESCAPES[m.group(1)], body)
