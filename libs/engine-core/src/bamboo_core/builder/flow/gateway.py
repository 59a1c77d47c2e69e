"""Gateways: forks (parallel, exclusive, conditional parallel) and the converge join.

Conditions are declared by *branch index* (the position of the target in the
order edges were added) because flow ids do not exist until ``build_tree``;
the builder maps each index to the generated flow id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bamboo_core.builder.flow.base import Element
from bamboo_core.errors import TreeSchemaError

__all__ = [
    "ConditionGateway",
    "ConditionalParallelGateway",
    "ConvergeGateway",
    "ExclusiveGateway",
    "ParallelGateway",
]


class ParallelGateway(Element):
    """Runs every outgoing branch."""

    def type(self) -> str:
        return "ParallelGateway"


class ConditionGateway(Element):
    """A fork whose branches are chosen by condition expressions (``{index: expr}``)."""

    def __init__(
        self,
        conditions: Mapping[int, str] | None = None,
        default_condition_outgoing: int | None = None,
        id: str | None = None,
        name: str | None = None,
        outgoing: Iterable[Element] | None = None,
        *,
        extra_info: Mapping[str, Any] | None = None,
    ) -> None:
        self.conditions: dict[int, str] = dict(conditions or {})
        self.default_condition_outgoing = default_condition_outgoing
        # Bamboo addition: emitted as the gateway's ``extra_info`` (e.g. ``strategy``).
        self.extra_info: dict[str, Any] | None = None if extra_info is None else dict(extra_info)
        super().__init__(id=id, name=name, outgoing=outgoing)

    def add_condition(self, index: int, evaluate: str) -> None:
        """Set the condition of branch ``index``."""
        self.conditions[index] = evaluate

    def link_conditions_with(self, outgoing: Sequence[str]) -> dict[str, dict[str, str]]:
        """``{flow_id: {"evaluate": expr}}`` in branch order.

        Branches without a condition are left out (bamboo-engine raises KeyError);
        validation then reports the gap with the gateway's id. Conditions for
        indexes that have no branch are ignored, as in bamboo-engine.
        """
        return {
            flow_id: {"evaluate": self.conditions[index]}
            for index, flow_id in enumerate(outgoing)
            if index in self.conditions
        }

    def link_default_condition_with(self, outgoing: Sequence[str]) -> dict[str, str]:
        """``{"flow_id": id}`` of the default branch, or ``{}`` when there is none."""
        index = self.default_condition_outgoing
        if index is None:
            return {}
        if not 0 <= index < len(outgoing):
            raise TreeSchemaError(
                f"default_condition_outgoing {index} names no branch of {self.id} "
                f"(it has {len(outgoing)})",
                (self.id,),
                field="default_condition_outgoing",
            )
        return {"flow_id": outgoing[index]}


class ExclusiveGateway(ConditionGateway):
    """Runs exactly one branch: the one whose condition holds (or the default)."""

    def type(self) -> str:
        return "ExclusiveGateway"


class ConditionalParallelGateway(ConditionGateway):
    """Runs every branch whose condition holds, in parallel."""

    def type(self) -> str:
        return "ConditionalParallelGateway"


class ConvergeGateway(Element):
    """Joins branches opened by a fork gateway."""

    def type(self) -> str:
        return "ConvergeGateway"
