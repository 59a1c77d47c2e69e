"""Evaluating a gateway's branch conditions against its scope's context (SPEC §2.5)."""

from __future__ import annotations

import json
from typing import Any

from bamboo_core.context import HydrationError
from bamboo_core.engine.step import StepContext
from bamboo_core.errors import ExpressionError, ExpressionSyntaxError
from bamboo_core.expressions import evaluate_gateway_condition, references, render_condition
from bamboo_core.model import Condition

NO_BRANCH = "all conditions of branches are not meet"


class ConditionFailure(Exception):
    """Carries the ex_data text a gateway fails with."""


def true_conditions(ctx: StepContext, first_only: bool = False) -> list[Condition]:
    """The conditions that hold, in outgoing order; raises ConditionFailure."""
    conditions = ctx.node.conditions
    refs: set[str] = set()
    for condition in conditions:
        refs |= references(condition.expression)
    try:
        names = ctx.hydrator().hydrate(refs)
    except (HydrationError, ExpressionError) as exc:
        raise ConditionFailure(f"evaluation context hydrate failed({exc}), check node log for details.") from exc
    held: list[Condition] = []
    for condition in conditions:
        if _holds(condition.expression, names):
            held.append(condition)
            if first_only:
                break
    return held


def _holds(expression: str, names: dict[str, Any]) -> bool:
    try:
        return evaluate_gateway_condition(expression, names)
    except ExpressionSyntaxError as exc:
        raise ConditionFailure(
            f"evaluate[{expression}] fail with data[{_dump(names)}]: please check if some variable not exists "
            f"or the expression is unsupported ({exc})"
        ) from exc
    except ExpressionError as exc:
        rendered = render_condition(expression, names)
        raise ConditionFailure(f"evaluate[{rendered}] fail with data[{_dump(names)}] message: {exc}") from exc


def _dump(names: dict[str, Any]) -> str:
    return json.dumps(names, default=repr, ensure_ascii=False, sort_keys=True)
