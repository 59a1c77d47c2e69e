"""``${...}`` fragments in data: finding them, their references, and rendering.

This is bamboo-engine's template layer (SPEC §3.3 and §2.5 steps 1-2) over
the safe evaluator instead of Mako.  Rendering never raises: a fragment that
cannot be evaluated for any reason stays in the text literally, which is how
bamboo-engine reports an unresolved reference downstream.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bamboo_core.errors import ExpressionError
from bamboo_core.expressions.analysis import free_names
from bamboo_core.expressions.evaluation import evaluate_condition, evaluate_to_text, parse_template
from bamboo_core.expressions.limits import DEFAULT_LIMITS

# A fragment holds no '$', '#', '{' or '}' (so no nesting), as in bamboo-engine.
FRAGMENT_PATTERN = re.compile(r"\$\{[^$#{}]*\}")

# Data nested deeper than this is returned unrendered instead of recursing further
# (protects against self-referencing lists and absurdly deep documents).
MAX_DATA_DEPTH = 200

_ESCAPED_FORMS = ("\\n", "\\r", "\\t")


def find_fragments(value: Any) -> list[str]:
    """Every ``${...}`` fragment in strings inside ``value``, in document order.

    Strings, lists, tuples and dict *values* are searched (dict keys are not);
    other types contain no fragments.  The walk is iterative.
    """
    found: list[str] = []
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            found.extend(FRAGMENT_PATTERN.findall(item))
        elif depth < MAX_DATA_DEPTH and isinstance(item, (list, tuple, dict)):
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in reversed(list(children)))
    return found


def references(value: Any) -> set[str]:
    """Context keys (as ``${name}``) read by the fragments inside ``value``.

    A fragment that does not parse, or uses a forbidden construct, contributes
    nothing: it will never render, so nothing needs loading for it.
    """
    keys: set[str] = set()
    for fragment in set(find_fragments(value)):
        try:
            tree = parse_template(fragment[2:-1], DEFAULT_LIMITS)
        except ExpressionError:
            continue
        keys.update(f"${{{name}}}" for name in free_names(tree))
    return keys


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every fragment inside ``value`` against ``context`` (deformatted keys).

    Lists, tuples (kept tuples) and dict values are rendered recursively; other
    types come back as they are.  A string that is exactly one fragment naming a
    context key returns that value unchanged in type; otherwise each fragment is
    replaced by ``str()`` of its value, or left as written when it fails.
    """
    return _render(value, context, 0)


def _render(value: Any, context: Mapping[str, Any], depth: int) -> Any:
    if isinstance(value, str):
        return _render_string(value, context)
    if depth >= MAX_DATA_DEPTH:
        return value
    if isinstance(value, list):
        return [_render(item, context, depth + 1) for item in value]
    if isinstance(value, tuple):
        return tuple(_render(item, context, depth + 1) for item in value)
    if isinstance(value, dict):
        return {key: _render(item, context, depth + 1) for key, item in value.items()}
    return value


def _render_string(text: str, context: Mapping[str, Any]) -> Any:
    if "${" not in text:
        return text
    if FRAGMENT_PATTERN.fullmatch(text):
        key = text[2:-1].strip()
        if key in context:
            return context[key]
    return FRAGMENT_PATTERN.sub(lambda match: _render_fragment(match.group(), context), text)


def _render_fragment(fragment: str, context: Mapping[str, Any]) -> str:
    try:
        return evaluate_to_text(fragment[2:-1], context)
    except Exception:  # the contract: any failure leaves the fragment literal
        return fragment


def escape_whitespace(value: Any) -> Any:
    r"""Escape raw ``\n``, ``\r``, ``\t`` in a string unless it already holds an escaped form.

    Condition text is parsed line-insensitively by boolrule, so bamboo-engine
    escapes string values before substituting them; the condition tokenizer
    turns the escapes back into whitespace inside quoted strings.
    """
    if not isinstance(value, str) or any(form in value for form in _ESCAPED_FORMS):
        return value
    return value.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def render_condition(condition: str, context: Mapping[str, Any]) -> str:
    """Render the fragments of a gateway condition to text (SPEC §2.5 steps 1-2).

    String values are whitespace-escaped first; unresolved fragments stay literal.
    """
    if not isinstance(condition, str):
        raise ExpressionError(f"a condition must be a str, not {type(condition).__name__}")
    if "${" not in condition:
        return condition
    escaped = {key: escape_whitespace(value) for key, value in context.items()}
    return FRAGMENT_PATTERN.sub(lambda match: _render_fragment(match.group(), escaped), condition)


def evaluate_gateway_condition(condition: str, context: Mapping[str, Any]) -> bool:
    """Render then evaluate a gateway condition.

    Raises:
        ExpressionSyntaxError: the rendered text does not parse as a condition.
        ExpressionError: any other evaluation failure.
    """
    return evaluate_condition(render_condition(condition, context))
