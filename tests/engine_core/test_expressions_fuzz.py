"""Property tests: no input escapes the expression sandbox.

(a) arbitrary text and token soup only ever raise ExpressionError and never
    return a function, type, module or frame;
(b) well-formed expressions that contain a forbidden name or attribute are
    always rejected (when parsed, whatever the rest of the expression);
(c) expressions over a context holding objects with dangerous attributes
    never hand those attributes out.
"""

from __future__ import annotations

import ast
import contextlib
import types
from collections.abc import Iterator
from itertools import islice
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bamboo_core.errors import ExpressionError, ExpressionSyntaxError
from bamboo_core.expressions import (
    evaluate,
    evaluate_condition,
    evaluate_gateway_condition,
    parse_template,
    references,
    render,
    render_condition,
)

FUZZ = settings(max_examples=300, deadline=None)

_FORBIDDEN_TYPES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    types.ModuleType,
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.GeneratorType,
    type,
)

SECRET = "TOP-SECRET-VALUE"


def _walk(value: Any, depth: int = 0) -> Iterator[Any]:
    """The value and (a bounded sample of) everything inside it."""
    yield value
    if depth > 6:
        return
    if isinstance(value, dict):
        children: Any = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = value
    else:
        return
    for child in islice(children, 200):
        yield from _walk(child, depth + 1)


def _assert_harmless(value: Any, context: dict[str, Any] | None = None) -> None:
    """No function / type / module / frame and no secret, except the context's own values."""
    own = {id(item) for item in (context or {}).values()}
    for item in _walk(value):
        if id(item) in own:
            continue
        assert not isinstance(item, _FORBIDDEN_TYPES), f"escaped: {item!r}"
        assert not (isinstance(item, str) and SECRET in item), f"leaked: {item!r}"


class Dangerous:
    """Everything reachable through attributes, items or calls is the secret."""

    secret = SECRET

    def __getattr__(self, name: str) -> str:
        return SECRET

    def __getitem__(self, key: object) -> str:
        return SECRET

    def __call__(self, *args: object) -> str:
        return SECRET

    def upper(self) -> str:
        return SECRET

    def get(self, *args: object) -> str:
        return SECRET

    def replace(self, *args: object) -> str:
        return SECRET

    def __repr__(self) -> str:
        return "<dangerous>"


class EvilStr(str):
    def upper(self) -> str:
        return SECRET

    def split(self, *args: object, **kwargs: object) -> list[str]:
        return [SECRET]


class EvilDict(dict):  # type: ignore[type-arg]
    def __getattr__(self, name: str) -> str:
        return SECRET

    def get(self, *args: object) -> str:
        return SECRET

    def __missing__(self, key: object) -> str:
        return SECRET


class EvilList(list):  # type: ignore[type-arg]
    def __getitem__(self, index: Any) -> str:  # type: ignore[override]
        return SECRET

    def copy(self) -> list[str]:
        return [SECRET]


SAFE_CONTEXT: dict[str, Any] = {"x": 3, "y": 2.5, "s": "a,b,c", "l": [1, 2, 3], "d": {"k": "v"}}
DANGEROUS_CONTEXT: dict[str, Any] = {
    "o": Dangerous(),
    "es": EvilStr("abc"),
    "ed": EvilDict(k="v"),
    "el": EvilList([1, 2]),
    "m": types.ModuleType("fake_os"),
    "x": 1,
    "s": "abc",
}
DANGEROUS_CONTEXT["m"].replace = lambda *args: SECRET
DANGEROUS_CONTEXT["m"].system = lambda *args: SECRET


def _evaluate_safely(text: str, context: dict[str, Any]) -> None:
    try:
        result = evaluate(text, context)
    except ExpressionError:
        return
    _assert_harmless(result, context)
    if isinstance(result, Iterator):  # a lazy result may only fail with ExpressionError too
        with contextlib.suppress(ExpressionError):
            _assert_harmless(list(islice(result, 50)), context)


# ------------------------------------------------------------------ (a) random text

TEMPLATE_VOCABULARY = [
    "__class__", "__globals__", "__builtins__", "__subclasses__", "__import__", "__dict__",
    "__mro__", "__bases__", "__getattribute__", "__init__", "_x", "mro", "getattr", "setattr",
    "eval", "exec", "compile", "open", "import", "from", "lambda", "yield", "await", "type",
    "vars", "globals", "locals", "breakpoint", "help", "input", "format", "format_map",
    "x", "y", "s", "l", "d", "o", "upper", "split", "join", "get", "keys", "items", "replace",
    "len", "range", "list", "str", "sum", "int", "dict", "sorted", "reversed", "zip", "min",
    ".", "(", ")", "[", "]", "{", "}", ",", ":", "+", "-", "*", "**", "/", "//", "%", "@",
    "~", "<", "==", "!=", ">=", "=", ":=", "if", "else", "for", "in", "not", "and", "or",
    "is", "None", "True", "False", "0", "1", "10", "-1", "10**10", "1e308", "'a'", '"%s"',
    "'%(x)s'", "f'", "b'", "\\", "#", "$", "${", "}", "...", ";", "\n", "'{}'",
]  # fmt: skip


@FUZZ
@given(st.text(max_size=80))
def test_random_text_template_mode(text: str) -> None:
    _evaluate_safely(text, SAFE_CONTEXT)


@FUZZ
@given(st.lists(st.sampled_from(TEMPLATE_VOCABULARY), max_size=25), st.sampled_from(["", " "]))
def test_token_soup_template_mode(tokens: list[str], separator: str) -> None:
    _evaluate_safely(separator.join(tokens), SAFE_CONTEXT)


CONDITION_VOCABULARY = [
    "1", "-1", "2.5", ".5", "1e3", "'a'", '"b"', "true", "FALSE", "abc", "a.b", "${x}", "_x",
    "==", "!=", "<", ">", "<=", ">=", "in", "notin", "not", "issuperset", "notissuperset",
    "and", "or", "AND", "(", ")", ",", "*", "[", "]", "=", "__class__", "'", "\\n",
]  # fmt: skip


@FUZZ
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(CONDITION_VOCABULARY), max_size=20).map(" ".join),
    )
)
def test_random_text_condition_mode(text: str) -> None:
    try:
        result = evaluate_condition(text)
    except ExpressionError:
        return
    assert isinstance(result, bool)


@FUZZ
@given(
    st.lists(
        st.one_of(
            st.text(max_size=8), st.sampled_from(TEMPLATE_VOCABULARY).map(lambda t: "${" + t + "}")
        ),
        max_size=6,
    ).map("".join)
)
def test_render_and_references_never_raise(text: str) -> None:
    rendered = render(text, SAFE_CONTEXT)
    _assert_harmless(rendered)
    assert all(key.startswith("${") and key.endswith("}") for key in references(text))
    assert isinstance(render_condition(text, SAFE_CONTEXT), str)
    with contextlib.suppress(ExpressionError):
        assert isinstance(evaluate_gateway_condition(text, SAFE_CONTEXT), bool)


# ------------------------------------------------------------------ (b) well-formed but forbidden

SAFE_ATOMS = ["x", "y", "s", "l", "d", "1", "2.5", "'a'", "True", "None", "[1, 2]", "(1, 'b')"]
POISONS = [
    "__import__('os')", "_private", "x__y", "s.__class__", "l.__len__()", "(1).real", "s.upper",
    "d.__dict__", "s.format(x)", "s.format_map(d)", "s.mro()", "l.append(1)", "d.pop('k')",
    "getattr(s, 'upper')", "eval('1')", "exec('x')", "open('f')", "type(s)", "vars()",
    "globals()", "compile('1', 'f', 'eval')", "breakpoint()", "(lambda: 1)", "(q := 1)",
    "f'{x}'", "b'x'", "len(*l)", "dict(**d)", "[*l]", "{**d}", "s.upper()()",
    "[_ for _ in l]", "[v.__class__ for v in l]",
]  # fmt: skip


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda p: f"({p[0]} + {p[1]})"),
        pair.map(lambda p: f"({p[0]} and {p[1]})"),
        pair.map(lambda p: f"({p[0]} or {p[1]})"),
        pair.map(lambda p: f"[{p[0]}, {p[1]}]"),
        pair.map(lambda p: f"({p[0]} if {p[1]} else {p[0]})"),
        pair.map(lambda p: f"[{p[0]} for v in {p[1]}]"),
        pair.map(lambda p: f"[v for v in {p[0]} if {p[1]}]"),
        pair.map(lambda p: f"{{{p[0]}: {p[1]}}}"),
        children.map(lambda c: f"len({c})"),
        children.map(lambda c: f"(not {c})"),
        children.map(lambda c: f"({c})[0]"),
        children.map(lambda c: f"str({c}).upper()"),
        children.map(lambda c: f"sorted({c}, reverse=True)"),
    )


SAFE_TREES = st.recursive(st.sampled_from(SAFE_ATOMS), _combine, max_leaves=8)


@FUZZ
@given(SAFE_TREES, SAFE_TREES, st.sampled_from(POISONS), st.integers(0, 3))
def test_well_formed_expressions_with_a_forbidden_part_are_rejected(
    left: str, right: str, poison: str, shape: int
) -> None:
    text = [
        f"({left}) + ({poison})",
        f"True or ({left} and {poison})",
        f"[{left}, {{'k': {poison}}}, {right}]",
        f"[{left} for v in {right} if {poison}]",
    ][shape]
    ast.parse(text, mode="eval")  # the generator only makes valid Python (test-side check)
    try:
        parse_template(text)
    except ExpressionSyntaxError as exc:  # pragma: no cover - would be a parser gap
        raise AssertionError(f"valid Python reported as a syntax error: {text!r}: {exc}") from exc
    except ExpressionError:
        return
    raise AssertionError(f"forbidden expression accepted: {text!r}")


@FUZZ
@given(SAFE_TREES)
def test_well_formed_safe_expressions_evaluate_or_fail_cleanly(text: str) -> None:
    ast.parse(text, mode="eval")
    parse_template(text)  # the allowed subset parses: no syntax error on valid Python
    _evaluate_safely(text, SAFE_CONTEXT)


# ------------------------------------------------------------------ (c) dangerous context values

DANGEROUS_PROBES = [
    "o", "o.secret", "o.upper()", "o.get('k')", "o.replace('a', 'b')", "o[0]", "o['secret']",
    "list(o)", "[v for v in o]", "str(o)", "'%s' % o", "'%(secret)s' % o", "len(o)",
    "es", "es.upper()", "es.split(',')", "ed", "ed.get('k')", "ed['missing']", "ed['k']",
    "list(ed.items())", "el", "el[0]", "el.copy()", "list(el)", "m", "m.replace('a', 'b')",
    "m.system('id')", "sorted(el)", "dict(ed)", "list(zip(o, l))", "list(enumerate(o))",
    "list(reversed(o))", "max(el)", "{'k': o}['k']", "[o][0]", "o if x else es",
    "x", "s", "s.upper()",
]  # fmt: skip


def _probe_expressions() -> st.SearchStrategy[str]:
    probes = st.sampled_from(DANGEROUS_PROBES)
    return st.recursive(
        probes,
        lambda children: st.one_of(
            st.tuples(children, children).map(lambda p: f"[{p[0]}, {p[1]}]"),
            st.tuples(children, children).map(lambda p: f"({p[0]} or {p[1]})"),
            children.map(lambda c: f"str({c})"),
            children.map(lambda c: f"[v for v in [{c}]]"),
            children.map(lambda c: f"({c}).upper()"),
            children.map(lambda c: f"({c})[0]"),
        ),
        max_leaves=4,
    )


@FUZZ
@given(_probe_expressions())
def test_dangerous_context_values_expose_nothing(text: str) -> None:
    _evaluate_safely(text, {**DANGEROUS_CONTEXT, "l": [1]})
    rendered = render("x-${" + text + "}", DANGEROUS_CONTEXT)
    assert isinstance(rendered, str)
    _assert_harmless(rendered)


def test_dangerous_probes_individually() -> None:
    for probe in DANGEROUS_PROBES:
        _evaluate_safely(probe, {**DANGEROUS_CONTEXT, "l": [1]})
    assert evaluate("es.upper()", DANGEROUS_CONTEXT) == "ABC"
    assert evaluate("ed.get('k')", DANGEROUS_CONTEXT) == "v"
    assert evaluate("el[0]", DANGEROUS_CONTEXT) == 1
