"""Variables and data declarations, and their tree (dict) forms.

Every ``Var`` subclass serialises through ``to_dict``; the extra keys each one
adds are the markers the runtime reads (``source_act``/``source_key`` for
extraction from a node's outputs, ``need_initialization`` to seed the key,
``is_param`` as an informational marker on subprocess inputs).

Signatures follow bamboo-engine's, so positional calls keep working: the
output-bound variables take ``source_act`` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bamboo_core.builder.fancy import FancyDict

__all__ = [
    "Data",
    "DataInput",
    "FancyDict",
    "InitializedRewritableNodeOutput",
    "NodeOutput",
    "Params",
    "RewritableNodeOutput",
    "Var",
    "var_dict",
    "vars_to_dict",
]


class Var:
    """A typed value: ``plain`` (as is), ``splice`` (template-rendered), ``lazy`` (computed)."""

    PLAIN = "plain"
    SPLICE = "splice"
    LAZY = "lazy"

    def __init__(self, type: str, value: Any, custom_type: str | None = None) -> None:
        self.type = type
        self.value = value
        # The lazy variable's registered code; only meaningful (and emitted) for lazy.
        self.custom_type = custom_type

    def to_dict(self) -> dict[str, Any]:
        """The tree form ``{type, value}`` (+ ``custom_type`` for lazy variables)."""
        base: dict[str, Any] = {"type": self.type, "value": self.value}
        if self.type == self.LAZY:
            base["custom_type"] = self.custom_type
        return base

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()!r})"


class DataInput(Var):
    """A subprocess input whose default a parent's ``params`` may override."""

    def to_dict(self) -> dict[str, Any]:
        base = super().to_dict()
        base["is_param"] = True
        return base


class NodeOutput(Var):
    """A context key filled from ``source_key`` of node ``source_act``'s outputs when it finishes.

    ``value`` is only the declared placeholder (bamboo-engine always writes
    ``None``); the key does not exist in the context until the node finishes.
    """

    def __init__(
        self,
        source_act: str,
        source_key: str,
        type: str = Var.PLAIN,
        value: Any = None,
        custom_type: str | None = None,
    ) -> None:
        self.source_act = source_act
        self.source_key = source_key
        super().__init__(type, value, custom_type)

    def to_dict(self) -> dict[str, Any]:
        base = super().to_dict()
        base["source_act"] = self.source_act
        base["source_key"] = self.source_key
        return base


class RewritableNodeOutput(Var):
    """A context key that each listed ``{source_act, source_key}`` overwrites as it finishes."""

    def __init__(
        self,
        source_act: Iterable[Mapping[str, str]],
        type: str = Var.PLAIN,
        value: Any = None,
        custom_type: str | None = None,
    ) -> None:
        self.source_act: list[dict[str, str]] = [dict(source) for source in source_act]
        super().__init__(type, value, custom_type)

    def to_dict(self) -> dict[str, Any]:
        base = super().to_dict()
        base["source_act"] = [dict(source) for source in self.source_act]
        return base


class InitializedRewritableNodeOutput(RewritableNodeOutput):
    """A rewritable output whose key is also seeded with ``value`` when the pipeline starts."""

    def to_dict(self) -> dict[str, Any]:
        base = super().to_dict()
        base["need_initialization"] = True
        return base


def var_dict(value: Any) -> Any:
    """The tree form of ``value``: a ``Var`` serialised, anything else passed through."""
    return value.to_dict() if isinstance(value, Var) else value


def vars_to_dict(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{key: tree form}`` for a mapping of variables (``Var`` objects or ready dicts)."""
    return {key: var_dict(value) for key, value in values.items()}


class Data:
    """A pipeline's data: context ``inputs``, exported ``outputs`` and ``pre_render_keys``."""

    def __init__(
        self,
        inputs: Mapping[str, Any] | None = None,
        outputs: Iterable[str] | None = None,
        pre_render_keys: Iterable[str] | None = None,
    ) -> None:
        self.inputs = FancyDict(inputs or {})
        self.outputs: list[str] = list(outputs or [])
        self.pre_render_keys: list[str] = list(pre_render_keys or [])

    def to_dict(self) -> dict[str, Any]:
        """``{inputs, outputs, pre_render_keys}``; like bamboo-engine, all three always present."""
        return {
            "inputs": vars_to_dict(self.inputs),
            "outputs": list(self.outputs),
            "pre_render_keys": list(self.pre_render_keys),
        }


class Params:
    """Values a SubProcess node passes into its child pipeline (``{child_key: Var}``)."""

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        self.params = FancyDict(params or {})

    def to_dict(self) -> dict[str, Any]:
        return vars_to_dict(self.params)
