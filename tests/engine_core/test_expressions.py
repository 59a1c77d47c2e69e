"""Unit tests of bamboo_core.expressions: templates, conditions, rendering, limits."""

from __future__ import annotations

import contextlib
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import bamboo_core.expressions as expressions
from bamboo_core.errors import ExpressionError, ExpressionLimitError, ExpressionSyntaxError
from bamboo_core.expressions import (
    Limits,
    evaluate,
    evaluate_condition,
    evaluate_gateway_condition,
    find_fragments,
    parse_template,
    references,
    render,
    render_condition,
)

CTX: dict[str, Any] = {
    "a": 2,
    "b": "3",
    "s": "Hello World",
    "l": [3, 1, 2],
    "d": {"k": "v", "n": 1},
    "none": None,
}


# --------------------------------------------------------------------------- template mode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        ("1_000", 1000),
        ("0x1f + 0o7 + 0b11", 41),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1.", 1.0),
        ("1.5e3", 1500.0),
        ("'single'", "single"),
        ('"dou" "ble"', "double"),
        ("'''tri\nple'''", "tri\nple"),
        (r"'\x41\u00e9\n\t\\\''", "Aé\n\t\\'"),
        (r"'\101'", "A"),
        (r"'\N{BULLET}'", "•"),
        (r"r'\n'", "\\n"),
        (r"'\q'", "\\q"),
        ("u'x'", "x"),
        ("True", True),
        ("False", False),
        ("None", None),
        ("[1, 'a', None]", [1, "a", None]),
        ("(1,)", (1,)),
        ("()", ()),
        ("(1, 2,)", (1, 2)),
        ("1, 2", (1, 2)),
        ("{1: 'x', 'k': [2]}", {1: "x", "k": [2]}),
        ("{}", {}),
        ("{1, 2, 2}", {1, 2}),
        ("[]", []),
    ],
)
def test_literals(text: str, expected: Any) -> None:
    assert evaluate(text, {}) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ** 3 ** 2", 512),
        ("-2 ** 2", -4),
        ("2 ** -1", 0.5),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("7 / 2", 3.5),
        ("10 - 2 - 3", 5),
        ("-a", -2),
        ("+a", 2),
        ("--a", 2),
        ("~5", -6),
        ("5 & 3 | 8 ^ 1", 9),
        ("1 << 4 >> 2", 4),
        ("'ab' * 2", "abab"),
        ("2 * 'ab'", "abab"),
        ("[0] * 3", [0, 0, 0]),
        ("'p' + b", "p3"),
        ("[1] + [2]", [1, 2]),
        ("(1,) + (2,)", (1, 2)),
        ("{1, 2} | {3}", {1, 2, 3}),
        ("{1, 2} & {2}", {2}),
        ("{1, 2} - {2}", {1}),
        ("True + True", 2),
    ],
)
def test_arithmetic(text: str, expected: Any) -> None:
    assert evaluate(text, CTX) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'%s-x' % b", "3-x"),
        ("'%s-%d' % ('x', 3)", "x-3"),
        ("'%(k)s!' % d", "v!"),
        ("'%05.1f' % 3.14159", "003.1"),
        ("'%s' % l", "[3, 1, 2]"),
        ("'%%' % ()", "%"),
        ("'%x' % 255", "ff"),
    ],
)
def test_percent_formatting(text: str, expected: str) -> None:
    assert evaluate(text, CTX) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a == 2", True),
        ("a != 2", False),
        ("a < 3", True),
        ("a <= 2", True),
        ("a > 2", False),
        ("a >= 3", False),
        ("1 < a < 3", True),
        ("1 < a > 5", False),
        ("1 in l", True),
        ("5 not in l", True),
        ("'Wor' in s", True),
        ("none is None", True),
        ("a is not None", True),
        ("b == 3", False),  # template mode is plain Python: no coercion
        ("[a, b] == [2, '3']", True),
    ],
)
def test_comparisons(text: str, expected: bool) -> None:
    assert evaluate(text, CTX) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not a", False),
        ("not not a", True),
        ("a and b", "3"),
        ("none or 'x'", "x"),
        ("0 or none", None),
        ("False and missing", False),  # short-circuit: the undefined name is never read
        ("True or missing", True),
        ("False and True or True", True),
        ("True or True and False", True),
        ("not False and False", False),
        ("not a == 3", True),
        ("a if a > 1 else b", 2),
        ("a if a > 5 else b", "3"),
        ("1 if False else 2 if False else 3", 3),
        ("missing if False else 0", 0),
    ],
)
def test_boolean_logic_and_conditional(text: str, expected: Any) -> None:
    assert evaluate(text, CTX) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l[0]", 3),
        ("l[-1]", 2),
        ("l[::-1]", [2, 1, 3]),
        ("l[1:]", [1, 2]),
        ("s[1:5]", "ello"),
        ("s[:5:2]", "Hlo"),
        ("d['k']", "v"),
        ("'abc'[1]", "b"),
        ("(1, 2, 3)[1:]", (2, 3)),
        ("range(10)[2]", 2),
        ("{(1, 2): 'p'}[1, 2]", "p"),
        ("[[1, 2], [3]][0][1]", 2),
    ],
)
def test_subscripts(text: str, expected: Any) -> None:
    assert evaluate(text, CTX) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bool(0)", False),
        ("int('12') + 1", 13),
        ("int('ff', 16)", 255),
        ("int('ff', base=16)", 255),
        ("float('1.5')", 1.5),
        ("str(12)", "12"),
        ("list('ab')", ["a", "b"]),
        ("tuple(l)", (3, 1, 2)),
        ("dict(a=1, b=2)", {"a": 1, "b": 2}),
        ("dict([('x', 1)])", {"x": 1}),
        ("dict(d)", {"k": "v", "n": 1}),
        ("set([1, 1])", {1}),
        ("abs(-3)", 3),
        ("round(2.567, 2)", 2.57),
        ("round(2.5)", 2),
        ("pow(2, 10)", 1024),
        ("pow(2, 10, 1000)", 24),
        ("sum(l)", 6),
        ("sum([[1], [2]], [])", [1, 2]),
        ("min(l)", 1),
        ("max(4, 5)", 5),
        ("max([], default=0)", 0),
        ("len(s)", 11),
        ("list(range(1, 7, 2))", [1, 3, 5]),
        ("l[slice(1, 2)]", [1]),
        ("list(enumerate('ab', 1))", [(1, "a"), (2, "b")]),
        ("list(zip(l, 'xy'))", [(3, "x"), (1, "y")]),
        ("sorted(l)", [1, 2, 3]),
        ("sorted(l, reverse=True)", [3, 2, 1]),
        ("list(reversed('abc'))", ["c", "b", "a"]),
        ("all(l)", True),
        ("any([])", False),
    ],
)
def test_builtins(text: str, expected: Any) -> None:
    assert evaluate(text, CTX) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s.upper()", "HELLO WORLD"),
        ("s.lower()", "hello world"),
        ("'  x '.strip()", "x"),
        ("'xxa'.lstrip('x')", "a"),
        ("'axx'.rstrip('x')", "a"),
        ("'a,b,c'.split(',')", ["a", "b", "c"]),
        ("'a,b,c'.split(',', maxsplit=1)", ["a", "b,c"]),
        ("'a,b,c'.rsplit(',', 1)", ["a,b", "c"]),
        ("'-'.join(['a', 'b'])", "a-b"),
        ("'-'.join(x for x in 'ab')", "a-b"),
        ("s.replace('o', '0')", "Hell0 W0rld"),
        ("s.replace('o', '0', 1)", "Hell0 World"),
        ("s.startswith('He')", True),
        ("s.endswith(('x', 'ld'))", True),
        ("s.find('o')", 4),
        ("s.count('o')", 2),
        ("s.index('W')", 6),
        ("'ab cd'.title()", "Ab Cd"),
        ("'ab'.capitalize()", "Ab"),
        ("'7'.zfill(3)", "007"),
        ("'12'.isdigit()", True),
        ("d.get('k')", "v"),
        ("d.get('zz', 5)", 5),
        ("list(d.keys())", ["k", "n"]),
        ("list(d.values())", ["v", 1]),
        ("list(d.items())", [("k", "v"), ("n", 1)]),
        ("d.copy()", {"k": "v", "n": 1}),
        ("l.index(1)", 1),
        ("l.count(3)", 1),
        ("l.copy()", [3, 1, 2]),
        ("(1, 1).count(1)", 2),
        ("{1}.union([2])", {1, 2}),
        ("{1, 2}.issuperset({1})", True),
    ],
)
def test_allowed_methods(text: str, expected: Any) -> None:
    assert evaluate(text, CTX) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[x * 2 for x in l if x > 1]", [6, 4]),
        ("[x for x in l if x > 1 if x < 3]", [2]),
        ("{x % 2 for x in l}", {0, 1}),
        ("{k: v for k, v in d.items()}", {"k": "v", "n": 1}),
        ("list(x for x in l)", [3, 1, 2]),
        ("sum(x for x in l)", 6),
        ("[(i, j) for i in range(3) for j in range(i)]", [(1, 0), (2, 0), (2, 1)]),
        ("[y for x in [[1, 2], [3]] for y in x]", [1, 2, 3]),
        ("[k for k, (v, w) in [(1, (2, 3))]]", [1]),
        ("[a for a in range(3)]", [0, 1, 2]),  # the local shadows the context name
        ("[[x for x in y] for y in [[1], [2]]]", [[1], [2]]),
        ("[x for [x] in [[1], [2]]]", [1, 2]),
        ("2 in (x for x in l)", True),
    ],
)
def test_comprehensions(text: str, expected: Any) -> None:
    assert evaluate(text, CTX) == expected


def test_comprehension_locals_do_not_leak() -> None:
    with pytest.raises(ExpressionError, match="name 'x' is not defined"):
        evaluate("[x for x in l] + [x]", CTX)


def test_generator_is_lazy_and_safe_to_print() -> None:
    result = evaluate("(x for x in l)", CTX)
    assert repr(result) == "<generator object>"
    assert list(result) == [3, 1, 2]


def test_unknown_name_is_a_name_error_like_expression_error() -> None:
    with pytest.raises(ExpressionError, match="name 'missing' is not defined"):
        evaluate("missing + 1", CTX)


def test_context_name_wins_over_builtin_name_as_value() -> None:
    assert evaluate("max + 1", {"max": 4}) == 5
    assert evaluate("max([1, 9])", {"max": 4}) == 9  # calls still mean the builtin


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 / 0", "ZeroDivisionError"),
        ("int('x')", "ValueError"),
        ("d['zz']", "not found"),
        ("l[10]", "IndexError"),
        ("1 + 'a'", "TypeError"),
        ("min([])", "ValueError"),
        ("[a, b] = 1", ""),
        ("round(1, 2, 3)", "round\\(\\) takes 1 to 2 positional arguments"),
        ("int(x=1)", "does not accept keyword"),
        ("[a, b for a in l]", ""),
        ("[x for x, y in [1]]", ""),
        ("[x for x, y in [(1, 2, 3)]]", "too many values"),
        ("[x for x, y in [(1,)]]", "not enough values"),
        ("{[1]: 2}", "unhashable"),
    ],
)
def test_runtime_errors_are_wrapped(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message or None):
        evaluate(text, CTX)


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", "(", ")", "[1, 2", "a b", "1 +", "if", "a = 1", "x; y", "1 @ 2", "`x`", "$x",
        "#x", "...", "1 if 2", "del x", "True = 1", "'unterminated", "'a\nb'", r"'\N{NOPE}'",
        r"'\x4'", "1j", "08", "1__0", "0x", "1 == not 2", "l[]", "len(,)", "[x for in l]",
        "len(x for x in l, 1)", "dict(a=1, a=2)", "len(a=1, 2)",
    ],
)  # fmt: skip
def test_syntax_errors(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        evaluate(text, CTX)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "name '__import__' is not allowed"),
        ("_x", "name '_x' is not allowed"),
        ("a__b", "name 'a__b' is not allowed"),
        ("[_ for _ in l]", "name '_' is not allowed"),
        ("s.__class__", "attribute '__class__' is not allowed"),
        ("().__class__.__bases__[0].__subclasses__()", "attribute '__class__'"),
        ("s.__getattribute__('x')", "attribute '__getattribute__'"),
        ("s.upper", "attribute access '.upper' is not allowed"),
        ("(1).real", "attribute access '.real'"),
        ("s.format(1)", "method 'format' is not allowed"),
        ("'{}'.format_map(d)", "method 'format_map' is not allowed"),
        ("s.mro()", "method 'mro' is not allowed"),
        ("l.append(1)", "method 'append' is not allowed"),
        ("l.pop()", "method 'pop' is not allowed"),
        ("s.encode()", "method 'encode' is not allowed"),
        ("eval('1')", "function 'eval' is not allowed"),
        ("exec('1')", "function 'exec' is not allowed"),
        ("open('/etc/passwd')", "function 'open' is not allowed"),
        ("getattr(s, 'upper')", "function 'getattr' is not allowed"),
        ("type(s)", "function 'type' is not allowed"),
        ("globals()", "function 'globals' is not allowed"),
        ("ｅｖａｌ('1')", "function 'eval' is not allowed"),  # NFKC-normalised like Python
        ("lambda: 1", "lambda expressions are not allowed"),
        ("(x := 1)", r"assignment expressions \(:=\) are not allowed"),
        ("f'{s}'", "f-strings are not allowed"),
        ("rf'{s}'", "f-strings are not allowed"),
        ("b'x'", "bytes literals are not supported"),
        ("import os", "imports are not allowed"),
        ("yield 1", "yield is not allowed"),
        ("await s", "await is not allowed"),
        ("[*l]", "starred"),
        ("len(*l)", "starred arguments are not allowed"),
        ("dict(**d)", "starred arguments are not allowed"),
        ("{**d}", "unpacking"),
        ("s.upper()()", "only allowed builtin functions and methods can be called"),
        ("l[0](1)", "only allowed builtin functions"),
        ("len", "builtin 'len' can only be called"),
        ("str.upper(s)", "builtin 'str' can only be called"),
        ("sorted(l, key=abs)", "builtin 'abs' can only be called"),
        ("min(l, key=1)", "does not accept keyword"),
    ],
)
def test_forbidden_constructs(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message) as caught:
        evaluate(text, CTX)
    assert not isinstance(caught.value, ExpressionSyntaxError)


class _Dangerous:
    """A context value whose attributes and items must stay out of reach."""

    secret = "SECRET"

    def upper(self) -> str:
        return "SECRET"

    def __getitem__(self, key: object) -> str:
        return "SECRET"


class _EvilStr(str):
    def upper(self) -> str:
        return "SECRET"


class _RecordingModule:
    """Stands in for a module such as ``os``: ``replace`` is a dangerous function."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def replace(self, *args: Any) -> None:
        self.calls.append(args)


@pytest.mark.parametrize(
    "text",
    ["o.secret", "o.upper()", "o[0]", "o['secret']", "list(o)", "list(zip(o))", "'%(x)s' % o"],
)
def test_foreign_objects_expose_nothing(text: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(text, {"o": _Dangerous()})


def test_methods_come_from_the_builtin_type_not_the_value() -> None:
    assert evaluate("e.upper()", {"e": _EvilStr("abc")}) == "ABC"


def test_allow_listed_method_name_on_a_foreign_object_is_never_called() -> None:
    module = _RecordingModule()
    with pytest.raises(ExpressionError, match="not allowed on _RecordingModule"):
        evaluate("m.replace('a', 'b')", {"m": module})
    assert module.calls == []


def test_lookups_do_not_mutate_defaultdicts() -> None:
    value: defaultdict[str, list[int]] = defaultdict(list)
    with pytest.raises(ExpressionError):
        evaluate("dd['new']", {"dd": value})
    assert evaluate("dd.get('new')", {"dd": value}) is None
    assert dict(value) == {}
    context: defaultdict[str, int] = defaultdict(int, a=1)
    with pytest.raises(ExpressionError, match="name 'b' is not defined"):
        evaluate("a + b", context)
    assert dict(context) == {"a": 1}


def test_non_string_text_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError):
        evaluate(123, {})  # type: ignore[arg-type]
    with pytest.raises(ExpressionError):
        evaluate_condition(None)  # type: ignore[arg-type]


def test_parsed_trees_are_cached() -> None:
    assert parse_template("a + 1") is parse_template("a + 1")


def test_no_dynamic_code_execution_in_the_package() -> None:
    package = Path(expressions.__file__).parent
    forbidden = re.compile(
        r"(?<![.\w])(eval|exec|compile|__import__)\s*\(|^\s*(import|from)\s+ast\b"
    )
    for source in package.glob("*.py"):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            assert not forbidden.search(line), f"{source.name}:{number}: {line}"


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize(
    "text",
    [
        "'a' * 10**9",
        "10**10**10",
        "[0] * 10**9",
        "list(range(10**12))",
        "tuple(range(10**12))",
        "set(range(10**9))",
        "sorted(range(10**9))",
        "sum(range(10**12))",
        "max(range(10**12))",
        "any(x > 10**12 for x in range(10**12))",
        "-1 in (x for x in range(10**12))",
        "len(list(reversed(range(10**12))))",
        "list(enumerate(range(10**12)))",
        "[x for x in range(10**6) for y in range(10**6)]",
        "{1}.union(range(10**12))",
        "','.join(str(x) for x in range(10**9))",
        "pow(2, 10**9)",
        "pow(2, 10**5000, 7)",
        "1 << 10**9",
        "'x' * 2**62",
        "'%1000000000s' % 'x'",
        "'%.1000000000f' % 1.0",
        "'%(a(b))1000000000s' % {'a(b)': 1}",
        "'x'.center(10**9)",
        "'x'.ljust(10**9)",
        "'x'.zfill(10**9)",
        "'ab'.replace('', 'x' * 1000000)",
        "('\\t' * 1000).expandtabs(10**6)",
        "'a' * 1000000 + 'b' * 1000000",
        "round(5, -10**9)",
        "int('9' * 100000)",
        "str(10**4000)",
        "str([[[[0] * 1000] * 1000] * 1000])",
        "{((('a',) * 1000,) * 1000,) * 1000}",
        "[s for s in ['a' * 999999] for i in range(50000)]",
        "'%s' % ([[0] * 1000] * 1000,)",
        "1" + "+1" * 3000,
        "(" * 100 + "1" + ")" * 100,
        "[" * 100 + "]" * 100,
        "-" * 5000 + "1",
        "~" * 5000 + "1",
        "not " * 2000 + "x",
        "x" + "[0]" * 500,
        "a if b else " * 500 + "c",
        "x" * 10_001,
        "1" * 5000,
    ],
)
def test_hostile_input_hits_a_limit_quickly(text: str) -> None:
    started = time.monotonic()
    with pytest.raises(ExpressionLimitError):
        evaluate(text, {"x": "abc", "a": 1, "b": 2, "c": 3})
    assert time.monotonic() - started < 2.5


def test_deep_nesting_never_raises_recursion_error() -> None:
    for opener, closer in (("(", ")"), ("[", "]"), ("{", "}")):
        for depth in (40, 60, 400, 4000):
            text = opener * depth + "1" + closer * depth
            with contextlib.suppress(ExpressionError):
                evaluate(text, {})


def test_limits_are_configurable() -> None:
    with pytest.raises(ExpressionLimitError, match="budget of 3"):
        evaluate("[1, 2, 3, 4]", {}, limits=Limits(max_steps=3))
    with pytest.raises(ExpressionLimitError):
        evaluate("'ab' * 6", {}, limits=Limits(max_size=10))
    with pytest.raises(ExpressionLimitError):
        evaluate("1 + 1", {}, limits=Limits(max_source_length=3))
    with pytest.raises(ExpressionLimitError):
        evaluate("2 ** 100", {}, limits=Limits(max_int_bits=64))


def test_sizes_just_under_the_limits_work() -> None:
    assert len(evaluate("'a' * 1000000", {})) == 1_000_000
    assert evaluate("2 ** 4000", {}) == 2**4000
    assert len(evaluate("list(range(50000))", {})) == 50_000


# --------------------------------------------------------------------------- condition mode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("True == True", True),
        ("True == False", False),
        ("TRUE == true", True),
        ("1 == 1", True),
        ("1 != 1", False),
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 2", True),
        ("2 >= 3", False),
        ("-1 < 0", True),
        ("+1 == 1", True),
        (".5 == 0.5", True),
        ("1.5e3 == 1500", True),
        ("1e3 == 1000", True),
        ("abc == 'abc'", True),
        ("abc == abc", True),
        ("a == b", False),
        ("a.b == 'a.b'", True),
        ("${x} == '${x}'", True),
        ("${x} == 'x'", False),
        ("_x == '_x'", True),
        ("a.__class__ == 'a.__class__'", True),  # a word is only text: no attribute access
        ("中文 == '中文'", True),
        ("'x\\ny' == 'x\ny'", True),  # the escapes rendering added become whitespace again
        ("'a\\qb' == 'a\\qb'", True),
        ("*", True),
        ("  *  ", True),
        ("true", True),
        ("False", False),
        ("(1 == 1)", True),
        ("((1 == 1))", True),
    ],
)
def test_condition_values_and_comparisons(text: str, expected: bool) -> None:
    assert evaluate_condition(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Bamboo decision: numbers compare as numbers (bamboo-engine said false).
        ("2.5 > 2", True),
        ("2 < 2.5", True),
        ("2.5 == 2", False),
        # A numeric string equals its number.
        ('"1" == 1', True),
        ('1 == "1"', True),
        ("'3.14' == 3.14", True),
        ("'1.0' == 1", True),
        ("' 2 ' == 2", True),
        ("'10' > 9", True),
        # Booleans are numbers, and compare as their text with strings.
        ("1 == True", True),
        ('True == "true"', False),
        ('True == "True"', True),
        # Two strings compare as strings.
        ("'10' > '9'", False),
        ("'abc' > 1", True),
        ("'1e' == 1", False),
    ],
)
def test_condition_coercion(text: str, expected: bool) -> None:
    assert evaluate_condition(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 in (1, 2, 3)", True),
        ("'2' in (1, 2, 3)", True),
        ("2 in ('1', '2')", True),
        ("2.0 in (1, 2)", True),
        ("4 in (1, 2)", False),
        ("4 notin (1, 2)", True),
        ("4 NOTIN (1, 2)", True),
        ("4 not in (1, 2)", True),
        ("2 notin (1, 2)", False),
        ("true in (1,)", True),
        ("'b' in 'abc'", True),
        ("b in abc", True),
        ("1 in 1", True),
        ("(1, 2) in (1, 2)", False),
        ("(1, 2, 3) issuperset (1, 2)", True),
        ("(1, 2) issuperset (1, 2, 3)", False),
        ("('1', 2) ISSUPERSET (1, '2')", True),
        ("(1, 2) notissuperset (3)", True),
        ("(1, 2) notissuperset (1,)", False),
        ("'a' issuperset 'a'", True),
        ("('a', 'b') issuperset 'a'", True),
        ("'a' issuperset ('a', 'b')", False),
        ("(1) == 1", False),  # a parenthesised list compared with a scalar
        ("(1,) == (1)", True),
        ("(1, 2) == ('1', '2')", True),
        ("(1, 2) != (1, 2, 3)", True),
    ],
)
def test_condition_collections(text: str, expected: bool) -> None:
    assert evaluate_condition(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Bamboo decision: usual precedence (bamboo-engine gave false for the first one).
        ("false and 1 == 1 or true", True),
        ("true or 1 == 1 and false", True),
        ("1 == 2 and 1 == 1 or 2 == 2", True),
        ("1 == 1 or 1 == 1 and 1 == 2", True),
        ("(1 == 1 or 1 == 1) and 1 == 2", False),
        ("not false and false", False),
        ("not (false and false)", True),
        ("NOT 1 == 2", True),
        ("not not true", True),
        ("1 == 1 And 2 == 2", True),
        ("1 == 2 OR 2 == 2", True),
        ("true or (1, 2) < 3", True),  # short-circuit: the bad comparison is never made
    ],
)
def test_condition_precedence(text: str, expected: bool) -> None:
    assert evaluate_condition(text) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2] == 1", "list displays are not supported"),
        ("1 in [1, 2]", "list displays are not supported"),
        ("1 = 1", "use '=='"),
        ("", "expected a condition"),
        ("1", "expected a comparison operator"),
        ("abc", "expected a comparison operator"),
        ("hello world == 1", "expected a comparison operator"),
        ("1 ==", "expected a value"),
        ("== 1", "expected a value"),
        ("1 == 1 and", "expected a value"),
        ("(1 == 1", "expected '\\)'"),
        ("1 < 2 < 3", "expected 'and', 'or'"),
        ("1 == 1 xor 2 == 2", "expected 'and', 'or'"),
        ("${a+b} == 1", "unexpected character"),
        ("() == 1", "expected a value"),
        ("(1, (2)) == 1", ""),
        ("1 == 1 and *", "unexpected character"),
        ("1abc == 1", "invalid value"),
        ("'unterminated == 1", "unterminated string"),
        ("1 == 1 == 1", ""),
    ],
)
def test_condition_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match=message or None):
        evaluate_condition(text)


def test_condition_ordering_with_a_list_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="parenthesised list"):
        evaluate_condition("(1, 2) < 3")
    with pytest.raises(ExpressionError, match="parenthesised list"):
        evaluate_condition("(1, 2) < 3 or true")  # evaluated before the true branch


def test_condition_hostile_input_is_bounded() -> None:
    for text in ("(" * 5000 + "1 == 1" + ")" * 5000, "not " * 2400 + "true", "x" * 20_000):
        with pytest.raises(ExpressionLimitError):
            evaluate_condition(text)
    assert evaluate_condition(" or ".join(["1 == 2"] * 500) + " or true") is True


# --------------------------------------------------------------------------- fragments & references


def test_find_fragments_walks_strings_lists_tuples_and_dict_values() -> None:
    value = {
        "${key_not_searched}": "a ${x} b ${y.upper()}",
        "n": [1, ("${z}", None), {"deep": ["${w}"]}],
        "plain": 3,
    }
    assert find_fragments(value) == ["${x}", "${y.upper()}", "${z}", "${w}"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${a}${b}", ["${a}", "${b}"]),
        ("${}", ["${}"]),
        ("${a#b}", []),
        ("${a${b}}", ["${b}"]),
        ("${{'k': 1}}", []),
        ("$ {a}", []),
        ("${ a }", ["${ a }"]),
        ("no fragments", []),
    ],
)
def test_fragment_pattern(text: str, expected: list[str]) -> None:
    assert find_fragments(text) == expected


def test_find_fragments_ignores_other_types_and_survives_cycles() -> None:
    cyclic: list[Any] = ["${a}"]
    cyclic.append(cyclic)
    assert find_fragments(cyclic)[:2] == ["${a}", "${a}"]
    assert find_fragments(42) == []
    assert find_fragments({"${a}"}) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${a+int(b)}", {"${a}", "${b}"}),
        ('${l.split(",")[a_i]}', {"${l}", "${a_i}"}),
        ("${[x for x in l if x > y]}", {"${l}", "${y}"}),
        ("${[x for x in y for y in z]}", {"${y}", "${z}"}),
        ("${[[x for x in y] for y in z]}", {"${z}"}),
        ("${{k: v for k, v in d.items() if v > m}.get(k)}", set()),  # braces: not a fragment
        ("${sum(x for x in l)}", {"${l}"}),
        ("${max}", {"${max}"}),  # a bare name is always a context key
        ("${x if c else y}", {"${x}", "${c}", "${y}"}),
        ("${__import__('os')}", set()),  # never renders, so references nothing
        ("${a +}", set()),
        (["${a}", ("${b}",), {"k": "${c} and ${a}"}], {"${a}", "${b}", "${c}"}),
        ("text", set()),
    ],
)
def test_references(value: Any, expected: set[str]) -> None:
    assert references(value) == expected


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("template", "context", "expected"),
    [
        ("x-${a}-${b}", {"a": 2, "b": "3"}, "x-2-3"),
        ("${int(n)+1}", {"n": "5"}, "6"),
        ("${int(n)/10}", {"n": "5"}, "0.5"),
        ("${a > 1}", {"a": 2}, "True"),
        ("${missing}", {}, "${missing}"),
        ("a ${missing} b ${a}", {"a": 1}, "a ${missing} b 1"),
        ('${"p{}".format(k)}', {"k": "K"}, '${"p{}".format(k)}'),
        ('${"p" + k}', {"k": "K"}, "pK"),
        ('${"%s-x" % k}', {"k": "K"}, "K-x"),
        ('${l.split(",")[a_i]}', {"l": "a,b,c", "a_i": 1}, "b"),
        ("${k.upper()}", {"k": "abc"}, "ABC"),
        ("${k.replace('a', 'b')}", {"k": "abc"}, "bbc"),
        ("${k.strip()}", {"k": " a "}, "a"),
        ("${k[1:]}", {"k": "abc"}, "bc"),
        ("${list(k)}", {"k": "ab"}, "['a', 'b']"),
        ("${[x * 2 for x in l]}", {"l": [1, 2]}, "[2, 4]"),
        ("${__import__('os').system('echo hi')}", {}, "${__import__('os').system('echo hi')}"),
        ("${'a' * 10**9}", {}, "${'a' * 10**9}"),
        ("${1/0}", {}, "${1/0}"),
        ("${a +}", {"a": 1}, "${a +}"),
        ("${}", {}, "${}"),
        ("no fragment", {}, "no fragment"),
    ],
)
def test_render_strings(template: str, context: dict[str, Any], expected: str) -> None:
    assert render(template, context) == expected


def test_render_whole_fragment_keeps_the_value_type() -> None:
    items = [1, 2]
    assert render("${l}", {"l": items}) is items
    assert render("${ l }", {"l": items}) is items
    assert render("${n}", {"n": 5}) == 5
    assert render("${n}", {"n": None}) is None
    assert render("${l} ", {"l": items}) == "[1, 2] "
    assert render("${l[0]}", {"l": items}) == "1"  # an expression is rendered to text


def test_render_recurses_and_keeps_containers_and_keys() -> None:
    context = {"a": 1, "b": "x"}
    value = {"${a}": ["${a}", ("${b}", 2), {"k": "v-${b}"}], "n": 3, "none": None}
    assert render(value, context) == {"${a}": [1, ("x", 2), {"k": "v-x"}], "n": 3, "none": None}
    assert isinstance(render(("${a}",), context), tuple)
    marker = object()
    assert render(marker, context) is marker


def test_render_never_raises() -> None:
    class BadStr:
        def __str__(self) -> str:
            raise RuntimeError("boom")

    assert render("x${o}", {"o": BadStr()}) == "x${o}"
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    assert render("x${c}", {"c": cyclic}) == "x${c}"
    rendered = render(cyclic, {})
    assert isinstance(rendered, list)


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        # Scenario 35: each level rendered with the values below it.
        ("value_1_${c2}", "value_1_value_2_value_3"),
        ("${c1}__${c2}", "value_1__value_2"),
    ],
)
def test_render_splice_chain_examples(chain: str, expected: str) -> None:
    if chain.startswith("value_1_"):
        c2 = render("value_2_${c3}", {"c3": "value_3"})
        assert render(chain, {"c2": c2}) == expected
    else:
        assert render(chain, {"c1": "value_1", "c2": "value_2"}) == expected


# --------------------------------------------------------------------------- gateway conditions


def test_render_condition_escapes_string_values() -> None:
    assert render_condition('"${a}" == "1"', {"a": "1"}) == '"1" == "1"'
    assert render_condition('"${t}" == 1', {"t": "x\ny\tz"}) == '"x\\ny\\tz" == 1'
    assert render_condition('"${t}"', {"t": "x\\ny\nz"}) == '"x\\ny\nz"'  # already escaped
    assert render_condition("${a} == ${l}", {"a": 1, "l": [1, "x\ny"]}) == "1 == [1, 'x\\ny']"
    assert render_condition("${d} == 1", {}) == "${d} == 1"
    assert render_condition("1 == 1", {}) == "1 == 1"


def test_gateway_condition_with_escaped_newline_round_trips() -> None:
    assert evaluate_gateway_condition('"${t}" == "a\\nb"', {"t": "a\nb"}) is True


def _branches(conditions: list[str], context: dict[str, Any]) -> list[bool]:
    return [evaluate_gateway_condition(condition, context) for condition in conditions]


def test_scenario_5_literal_conditions() -> None:
    assert _branches(["True == True", "True == False", "True == False"], {}) == [True, False, False]


def test_scenario_7_and_15_templated_conditions() -> None:
    conditions = [
        '"${a}" == "1"',
        '"${b}" == "1"',
        '"${c}" == "1"',
        '"${d}" == "1"',
        "True == False",
    ]
    context = {"a": "1", "b": "0", "c": "0"}
    assert _branches(conditions, context) == [True, False, False, False, False]
    assert _branches(conditions[:3], {"a": "1", "b": "1", "c": "0"}) == [True, True, False]


@pytest.mark.parametrize(
    ("a", "expected"), [(2, [True, False]), (0, [False, True]), (-1, [False, True])]
)
def test_scenario_10_numeric_conditions(a: int, expected: list[bool]) -> None:
    assert _branches(["${a} > 1", "${a} <= 1"], {"a": a}) == expected


def test_scenario_11_two_true_conditions() -> None:
    assert _branches(["${a} > 1", "${a} > 0", "${a} < 0"], {"a": 2}) == [True, True, False]


def test_scenario_12_rendered_list_fails_to_parse_and_tuple_works() -> None:
    with pytest.raises(ExpressionSyntaxError):
        evaluate_gateway_condition("${a} in ${l}", {"a": 1, "l": [1, 2]})
    assert evaluate_gateway_condition("${a} in (1,2,3)", {"a": 2}) is True
    assert evaluate_gateway_condition("${a} in ${t}", {"a": 2, "t": (1, 2)}) is True


@pytest.mark.parametrize(
    ("a_i", "expected"), [(1, [True, False]), (3, [True, False]), (4, [False, True])]
)
def test_scenario_67_loop_conditions_and_splice(a_i: int, expected: list[bool]) -> None:
    context = {"a_i": a_i, "c": "4"}
    assert _branches(["${a_i} < ${c}", "${a_i} >= ${c}"], context) == expected
    letters = ",".join("abcdefghijklmnopqrst")
    assert render('${l.split(",")[a_i]}', {"l": letters, "a_i": a_i}) == letters[2 * a_i]
    assert references('${l.split(",")[a_i]}') == {"${l}", "${a_i}"}


def test_gateway_condition_with_unquoted_string_values() -> None:
    assert evaluate_gateway_condition('${name} == "abc"', {"name": "abc"}) is True
    with pytest.raises(ExpressionSyntaxError):
        evaluate_gateway_condition('${name} == "a b"', {"name": "a b"})


def test_gateway_condition_with_a_bare_boolean_value() -> None:
    assert evaluate_gateway_condition("${flag}", {"flag": True}) is True
    assert evaluate_gateway_condition("${a} > 1 and ${flag}", {"a": 2, "flag": False}) is False


def test_gateway_probe_text() -> None:
    assert evaluate_gateway_condition("1==1", {}) is True
