"""Custom executable end events (SPEC §2.4): user code run when a pipeline ends.

Defining a subclass with a ``type`` registers it, like components; the validator
accepts an end event whose ``type`` is registered here.
"""

from __future__ import annotations

import builtins
from typing import ClassVar

from bamboo_core.errors import NotFoundError


class ExecutableEndEvent:
    """Subclass and implement ``execute``; raising fails the end event."""

    type: ClassVar[str] = ""
    _registry: ClassVar[dict[str, builtins.type[ExecutableEndEvent]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type:
            ExecutableEndEvent._registry[cls.type] = cls

    def execute(self, in_subprocess: bool, root_pipeline_id: str, current_pipeline_id: str) -> None:
        raise NotImplementedError

    @classmethod
    def get(cls, type_name: str) -> builtins.type[ExecutableEndEvent]:
        try:
            return cls._registry[type_name]
        except KeyError:
            raise NotFoundError(f"end event type {type_name!r} is not registered") from None

    @classmethod
    def types(cls) -> frozenset[str]:
        return frozenset(cls._registry)
