"""Activities: a component call (ServiceActivity) or a nested pipeline (SubProcess)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bamboo_core.builder.fancy import FancyDict
from bamboo_core.builder.flow.base import Element
from bamboo_core.builder.flow.data import Data, Params, var_dict

__all__ = ["ServiceActivity", "SubProcess"]


class ServiceActivity(Element):
    """Calls the component ``component.code``; inputs go in ``component.inputs.<key>``."""

    def __init__(
        self,
        component_code: str | None = None,
        error_ignorable: bool = False,
        timeout: int | None = None,
        skippable: bool = True,
        retryable: bool = True,
        id: str | None = None,
        name: str | None = None,
        outgoing: Iterable[Element] | None = None,
        *,
        loop_config: Mapping[str, Any] | None = None,
    ) -> None:
        # A FancyDict so that ``act.component.inputs.key = Var(...)`` and
        # ``act.component.version = "1.0"`` work as in bamboo-engine.
        self.component = FancyDict({"code": component_code, "inputs": FancyDict()})
        self.error_ignorable = error_ignorable
        self.timeout = timeout  # deprecated upstream; carried into the tree, never enforced
        self.skippable = skippable
        self.retryable = retryable
        # Bamboo addition (bamboo-engine master's node loop, SPEC §7.5): emitted when given.
        self.loop_config: dict[str, Any] | None = None if loop_config is None else dict(loop_config)
        super().__init__(id=id, name=name, outgoing=outgoing)

    def type(self) -> str:
        return "ServiceActivity"

    def component_dict(self) -> dict[str, Any]:
        """``{code, inputs{key: var}}`` plus ``version`` when one was set on the component."""
        inputs: Mapping[str, Any] = self.component.get("inputs") or {}
        result: dict[str, Any] = {
            "code": self.component.get("code"),
            "inputs": {key: var_dict(value) for key, value in inputs.items()},
        }
        version = self.component.get("version")
        if version is not None:
            result["version"] = version
        return result


class SubProcess(Element):
    """Runs the pipeline that starts at ``start`` as one node of its parent.

    ``data`` is the child pipeline's own data; ``params`` are values from the
    parent that override the child's inputs (rendered in the parent's context).
    """

    def __init__(
        self,
        start: Element | None = None,
        data: Data | Mapping[str, Any] | None = None,
        params: Params | Mapping[str, Any] | None = None,
        global_outputs: Mapping[str, Any] | None = None,
        id: str | None = None,
        name: str | None = None,
        outgoing: Iterable[Element] | None = None,
    ) -> None:
        self.start = start
        self.data = data
        self.params: Params | Mapping[str, Any] = params or {}
        # Accepted for bamboo-engine compatibility; the tree format has no place for it.
        self.global_outputs = FancyDict(global_outputs or {})
        super().__init__(id=id, name=name, outgoing=outgoing)

    def type(self) -> str:
        return "SubProcess"

    def params_dict(self) -> dict[str, Any]:
        """The tree form of ``params`` (``Var`` values serialised)."""
        if isinstance(self.params, Params):
            return self.params.to_dict()
        return {key: var_dict(value) for key, value in self.params.items()}
