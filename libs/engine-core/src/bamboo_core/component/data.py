"""The data objects a service reads and writes: ``data`` and ``parent_data``.

``data.inputs`` holds the node's rendered inputs (plus ``_loop`` / ``_inner_loop``),
``data.outputs`` what the service writes; ``parent_data.inputs`` is the root
pipeline's data. Both are :class:`AttrDict`, so bamboo-pipeline plugin code that
writes ``data.inputs.key`` or ``data.inputs["key"]`` works unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


class AttrDict(dict[str, Any]):
    """A dict whose keys can also be read and written as attributes.

    Only string keys that are not dict method names are reachable as attributes
    (``d.items`` is still the method); item access always works.
    """

    __slots__ = ()

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None


# bamboo-pipeline's name for the same thing.
FancyDict = AttrDict


class DataObject:
    """A node's inputs and outputs, as handed to ``execute`` / ``schedule`` / hooks.

    The constructor copies the given mappings (shallowly) so the caller's dicts are
    never aliased; the engine reads the results back from ``inputs`` / ``outputs``.
    """

    __slots__ = ("_inputs", "_outputs")

    def __init__(
        self, inputs: Mapping[str, Any] | None = None, outputs: Mapping[str, Any] | None = None
    ) -> None:
        self._inputs = AttrDict(inputs or {})
        self._outputs = AttrDict(outputs or {})

    @property
    def inputs(self) -> AttrDict:
        return self._inputs

    @inputs.setter
    def inputs(self, value: Mapping[str, Any]) -> None:
        self._inputs = AttrDict(value)

    @property
    def outputs(self) -> AttrDict:
        return self._outputs

    @outputs.setter
    def outputs(self, value: Mapping[str, Any]) -> None:
        self._outputs = AttrDict(value)

    def get_inputs(self) -> AttrDict:
        return self._inputs

    def get_outputs(self) -> AttrDict:
        return self._outputs

    def get_one_of_inputs(self, key: str, default: Any = None) -> Any:
        return self._inputs.get(key, default)

    def get_one_of_outputs(self, key: str, default: Any = None) -> Any:
        return self._outputs.get(key, default)

    def set_outputs(self, key: str, value: Any) -> bool:
        self._outputs[key] = value
        return True

    def update_outputs(self, outputs: Mapping[str, Any]) -> bool:
        self._outputs.update(outputs)
        return True

    def reset_outputs(self, outputs: Mapping[str, Any]) -> bool:
        """Replace every output with ``outputs`` (bamboo-pipeline returns True here too)."""
        _replace(self._outputs, outputs)
        return True

    def override_inputs(self, inputs: Mapping[str, Any]) -> None:
        _replace(self._inputs, inputs)

    def override_outputs(self, outputs: Mapping[str, Any]) -> None:
        _replace(self._outputs, outputs)

    def inputs_copy(self) -> dict[str, Any]:
        """A deep copy as a plain dict, safe to keep while the node goes on running."""
        return copy.deepcopy(dict(self._inputs))

    def outputs_copy(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self._outputs))

    def copy(self) -> DataObject:
        """A deep copy of the whole object (inputs and outputs)."""
        return DataObject(self.inputs_copy(), self.outputs_copy())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataObject):
            return NotImplemented
        return self._inputs == other._inputs and self._outputs == other._outputs

    __hash__ = None  # type: ignore[assignment]  # mutable, like dict

    def __repr__(self) -> str:
        return f"DataObject(inputs={dict(self._inputs)!r}, outputs={dict(self._outputs)!r})"


def _replace(target: AttrDict, source: Mapping[str, Any]) -> None:
    """Swap ``target``'s contents in place, so references already handed out stay live."""
    new = dict(source)  # read first: ``source`` may be ``target`` itself
    target.clear()
    target.update(new)
