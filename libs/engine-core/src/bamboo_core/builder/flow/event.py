"""Start and end events."""

from __future__ import annotations

from collections.abc import Iterable

from bamboo_core.builder.flow.base import Element

__all__ = ["EmptyEndEvent", "EmptyStartEvent", "ExecutableEndEvent"]


class EmptyStartEvent(Element):
    """Where the flow begins; exactly one per pipeline."""

    def type(self) -> str:
        return "EmptyStartEvent"


class EmptyEndEvent(Element):
    """Where the flow ends and the pipeline's outputs are collected."""

    def type(self) -> str:
        return "EmptyEndEvent"


class ExecutableEndEvent(Element):
    """An end event that also runs user code registered under ``type``.

    The tree carries the registered name as the node ``type``; the engine maps
    any end event type other than ``EmptyEndEvent`` to that code.
    """

    def __init__(
        self,
        type: str,
        id: str | None = None,
        name: str | None = None,
        outgoing: Iterable[Element] | None = None,
    ) -> None:
        self._type = type
        super().__init__(id=id, name=name, outgoing=outgoing)

    def type(self) -> str:
        return self._type
