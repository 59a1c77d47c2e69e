"""Bamboo's safe expression language: ``${...}`` templates and gateway conditions.

Two modes share one tokenizer, syntax tree and interpreter:

* template mode — a Python-expression subset inside ``${...}``
  (:func:`evaluate`, :func:`render`);
* condition mode — bamboo's boolrule grammar evaluated on rendered text
  (:func:`evaluate_condition`, :func:`evaluate_gateway_condition`).

No user text ever reaches ``eval``, ``exec``, ``compile`` or Python's ``ast``:
what is not in the parser's grammar and the interpreter's allow-list cannot
run.  Every failure is an :class:`~bamboo_core.errors.ExpressionError`.
"""

from __future__ import annotations

from bamboo_core.expressions.evaluation import (
    evaluate,
    evaluate_condition,
    parse_condition,
    parse_template,
)
from bamboo_core.expressions.limits import DEFAULT_LIMITS, Limits
from bamboo_core.expressions.templates import (
    evaluate_gateway_condition,
    find_fragments,
    references,
    render,
    render_condition,
)

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "evaluate",
    "evaluate_condition",
    "evaluate_gateway_condition",
    "find_fragments",
    "parse_condition",
    "parse_template",
    "references",
    "render",
    "render_condition",
]
