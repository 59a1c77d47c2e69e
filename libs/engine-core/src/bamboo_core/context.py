"""Hydrating a pipeline scope's context: PLAIN, SPLICE and LAZY variables (SPEC §3.3).

Only the keys a step asks for, plus what they reference transitively, are
evaluated: an unrelated lazy variable is never computed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bamboo_core.errors import EngineError
from bamboo_core.expressions import references, render
from bamboo_core.model import VarType
from bamboo_core.records import ContextValue

# (code, name, rendered value, root pipeline data) -> the lazy variable's value
ComputeVariable = Callable[[str, str, Any, Mapping[str, Any]], Any]


class HydrationError(EngineError):
    """A variable could not be evaluated (a lazy variable raised, a reference cycle)."""


def deformat(key: str) -> str:
    return key[2:-1] if key.startswith("${") and key.endswith("}") else key


def closure(values: Mapping[str, ContextValue], keys: Iterable[str]) -> set[str]:
    """``keys`` plus every key they reference, transitively (keys may be missing)."""
    seen: set[str] = set()
    todo = list(keys)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        value = values.get(key)
        if value is not None and value.type is not VarType.PLAIN:
            todo.extend(references(value.value))
    return seen


class Hydrator:
    """Evaluates context values on demand, each at most once."""

    def __init__(
        self, values: Mapping[str, ContextValue], root_data: Mapping[str, Any], compute: ComputeVariable
    ) -> None:
        self._values = values
        self._root_data = root_data
        self._compute = compute
        self._done: dict[str, Any] = {}
        self._busy: set[str] = set()

    def hydrate(self, keys: Iterable[str]) -> dict[str, Any]:
        """``{deformatted name: value}`` for each requested key present in the context."""
        return {deformat(k): self.resolve(k) for k in closure(self._values, keys) if k in self._values}

    def resolve(self, key: str) -> Any:
        if key in self._done:
            return self._done[key]
        if key in self._busy:
            raise HydrationError(f"circular reference through {key}")
        value = self._values[key]
        self._busy.add(key)
        try:
            result = self._evaluate(value)
        finally:
            self._busy.discard(key)
        self._done[key] = result
        return result

    def _evaluate(self, value: ContextValue) -> Any:
        if value.type is VarType.PLAIN:
            return value.value
        names = {deformat(k): self.resolve(k) for k in references(value.value) if k in self._values}
        rendered = render(value.value, names)
        if value.type is VarType.SPLICE:
            return rendered
        try:
            return self._compute(value.code, value.key, rendered, self._root_data)
        except EngineError:
            raise
        except Exception as exc:  # a user's lazy variable may raise anything
            raise HydrationError(f"lazy variable {value.key} ({value.code}) failed: {exc!r}") from exc


def render_inputs(
    inputs: Mapping[str, Any], need_render: Mapping[str, bool], names: Mapping[str, Any]
) -> dict[str, Any]:
    """Render the inputs flagged for rendering; copy the others.

    Containers are copied so a component that mutates its inputs cannot change the
    stored tree (which a retry or a loop reads again).
    """
    return {key: render(value, names) if need_render[key] else _copy(value) for key, value in inputs.items()}


def _copy(value: Any) -> Any:
    return copy.deepcopy(value) if isinstance(value, (list, dict, set)) else value


def input_references(inputs: Mapping[str, Any], need_render: Mapping[str, bool]) -> set[str]:
    refs: set[str] = set()
    for key, value in inputs.items():
        if need_render[key]:
            refs |= references(value)
    return refs
