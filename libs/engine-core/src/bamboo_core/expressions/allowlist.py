"""What template expressions may name and call: the allow-list in one place.

The parser consults these sets so that a forbidden name or method fails when
the text is parsed (with a clear message), and the interpreter consults them
again at run time against the actual value's type.
"""

from __future__ import annotations

from bamboo_core.errors import ExpressionError

# Builtins a template may call (bamboo's Mako whitelist minus type-returning tricks).
BUILTIN_FUNCTIONS = frozenset(
    {
        "bool", "int", "float", "str", "list", "tuple", "dict", "set", "abs", "round",
        "pow", "sum", "min", "max", "len", "range", "slice", "enumerate", "zip", "sorted",
        "reversed", "all", "any",
    }
)  # fmt: skip

# Methods that never mutate their receiver: rendering must not change the context.
STR_METHODS = frozenset(
    {
        "capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find",
        "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier",
        "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "ljust", "lower",
        "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex",
        "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith",
        "strip", "swapcase", "title", "upper", "zfill",
    }
)  # fmt: skip
LIST_METHODS = frozenset({"copy", "count", "index"})
TUPLE_METHODS = frozenset({"count", "index"})
DICT_METHODS = frozenset({"copy", "get", "items", "keys", "values"})
SET_METHODS = frozenset(
    {
        "copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset",
        "symmetric_difference", "union",
    }
)  # fmt: skip
ALL_METHODS = STR_METHODS | LIST_METHODS | TUPLE_METHODS | DICT_METHODS | SET_METHODS

# Reserved words with a dedicated "not allowed" message (others are plain syntax errors).
FORBIDDEN_KEYWORDS = {
    "lambda": "lambda expressions are not allowed",
    "import": "imports are not allowed",
    "from": "imports are not allowed",
    "yield": "yield is not allowed",
    "await": "await is not allowed",
    "async": "async constructs are not allowed",
}


def is_reserved_name(name: str) -> bool:
    """Names starting with ``_`` or containing ``__`` reach Python internals: never allowed."""
    return name.startswith("_") or "__" in name


def check_name(name: str, pos: int, what: str = "name") -> None:
    """Raise ExpressionError if ``name`` may not appear in an expression."""
    if is_reserved_name(name):
        raise ExpressionError(
            f"{what} '{name}' is not allowed: names starting with '_' or containing '__' "
            f"are reserved (at position {pos})"
        )
