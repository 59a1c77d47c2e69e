"""Entry points that parse (with a cache) and evaluate one expression."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from bamboo_core.errors import ExpressionError, ExpressionLimitError
from bamboo_core.expressions.coercion import condition_compare
from bamboo_core.expressions.condition_parser import ConditionParser
from bamboo_core.expressions.guard import guarded
from bamboo_core.expressions.interpreter import Interpreter
from bamboo_core.expressions.limits import DEFAULT_LIMITS, Budget, Limits
from bamboo_core.expressions.nodes import Node, measure
from bamboo_core.expressions.parser import TemplateParser
from bamboo_core.expressions.tokenizer import CONDITION_MODE, TEMPLATE_MODE, tokenize


@lru_cache(maxsize=4096)
def parse_template(text: str, limits: Limits = DEFAULT_LIMITS) -> Node:
    """Parse a template-mode expression (the text inside ``${...}``); cached.

    Raises:
        ExpressionSyntaxError: the text does not parse.
        ExpressionLimitError: the text is too long, too big or nests too deeply.
        ExpressionError: the text uses a construct or name that is not allowed.
    """
    _require_text(text)
    tokens = tokenize(text, TEMPLATE_MODE, limits)
    tree = guarded(TemplateParser(tokens, limits).parse)
    _check_tree(tree, limits)
    return tree


@lru_cache(maxsize=1024)
def parse_condition(text: str, limits: Limits = DEFAULT_LIMITS) -> Node:
    """Parse a rendered condition (boolrule grammar); cached."""
    _require_text(text)
    tokens = tokenize(text, CONDITION_MODE, limits)
    tree = guarded(ConditionParser(tokens, limits).parse)
    _check_tree(tree, limits)
    return tree


def evaluate(text: str, names: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Evaluate one template-mode expression against ``names``.

    Raises:
        ExpressionError: (or a subclass) for every failure, never a raw Python error.
    """
    _require_text(text)
    tree = parse_template(text, limits)
    return guarded(Interpreter(names, Budget(limits)).run, tree)


def evaluate_to_text(
    text: str, names: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS
) -> str:
    """Evaluate a template expression and convert the result to text, within one budget.

    Used when a fragment is substituted into a larger string: the ``str()`` of
    the result is bounded like everything else the expression does.
    """
    _require_text(text)
    tree = parse_template(text, limits)
    budget = Budget(limits)

    def run() -> str:
        return budget.text(Interpreter(names, budget).run(tree))

    return guarded(run)


def evaluate_condition(text: str, *, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Evaluate an already-rendered condition; ``*`` alone is true.

    Raises:
        ExpressionSyntaxError: the text does not parse as a condition.
        ExpressionError: evaluation failed (e.g. ordering a parenthesised list).
    """
    _require_text(text)
    if text.strip() == "*":
        return True
    tree = parse_condition(text, limits)
    interpreter = Interpreter({}, Budget(limits), compare=condition_compare)
    return bool(guarded(interpreter.run, tree))


def _require_text(text: object) -> None:
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a str, not {type(text).__name__}")


def _check_tree(tree: Node, limits: Limits) -> None:
    count, depth = measure(tree)
    if count > limits.max_nodes:
        raise ExpressionLimitError(
            f"expression has {count} syntax nodes, more than the limit of {limits.max_nodes}"
        )
    if depth > limits.max_depth:
        raise ExpressionLimitError(
            f"expression nests {depth} levels deep, more than the limit of {limits.max_depth}"
        )
