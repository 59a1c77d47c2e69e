"""ConvergeGateway: joining happens in the process machinery; here it just passes."""

from __future__ import annotations

from bamboo_core.engine.step import Decision, StepContext
from bamboo_core.handlers.base import finish


def execute(ctx: StepContext) -> Decision:
    return finish(ctx)
