"""Lazy (computed) variables: context values a plugin computes when a node needs them.

A ``LazyVariable`` subclass with a ``code`` registers itself in the
``VariableLibrary`` when its module is imported (unless the module sets
``__register_ignore__ = True``), the same way components do; ``load_components``
imports variable modules too. When a node's input references such a variable the
engine renders the raw value first, then calls::

    VariableLibrary.get_var_class(code)(name, rendered_value, context={},
                                        pipeline_data=root_pipeline_data).get_value()

Only referenced variables are ever built, so an unrelated failing variable never
breaks a node (SPEC §3.3).
"""

from __future__ import annotations

import abc
import sys
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

from bamboo_core.component.errors import ComponentDefinitionError
from bamboo_core.component.registry import HybridRegistry, hybridmethod
from bamboo_core.errors import NotFoundError


class VariableNotExistError(NotFoundError):
    """No lazy variable is registered under ``code``."""

    def __init__(self, code: str) -> None:
        super().__init__(f"lazy variable {code!r} does not exist")
        self.code = code


class VariableLibrary(HybridRegistry):
    """Lazy variable classes by code; class-level (shared) or per-instance, like ComponentLibrary."""

    def __init__(self, variables: tuple[type[LazyVariable], ...] = ()) -> None:
        self._variables: dict[str, type[LazyVariable]] = {}
        self._lock = threading.Lock()
        for var_cls in variables:
            self._variables[var_cls.code] = var_cls

    @hybridmethod
    def register_var_class(self, code: str, var_cls: type[LazyVariable]) -> None:
        with self._lock:
            self._variables[code] = var_cls

    @hybridmethod
    def unregister_var_class(self, code: str) -> None:
        with self._lock:
            self._variables.pop(code, None)

    @hybridmethod
    def get_var_class(self, code: str) -> type[LazyVariable]:
        found = self._variables.get(code)
        if found is None:
            raise VariableNotExistError(code)
        return found

    @hybridmethod
    def codes(self) -> list[str]:
        return sorted(self._variables)

    @hybridmethod
    def copy(self) -> VariableLibrary:
        with self._lock:
            return VariableLibrary(tuple(self._variables.values()))


class LazyVariable(abc.ABC):
    """Base of computed variables: subclasses set ``code`` and implement ``get_value``.

    ``value`` is the raw value already rendered against the context; ``pipeline_data``
    is the root pipeline's data (bamboo's ``additional_data``).
    """

    code: ClassVar[str] = ""
    # A subclass may set ``name`` at class level as its display name (bamboo style);
    # on an instance ``name`` is the variable's key.
    name: str = ""
    type: ClassVar[str] = "general"
    tag: ClassVar[str] = ""
    form: ClassVar[str] = ""
    desc: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            return  # an intermediate base class: nothing to register
        if not isinstance(cls.code, str) or not cls.code:
            raise ComponentDefinitionError(f"lazy variable {cls.__qualname__}: code must be a non-empty str")
        module = sys.modules.get(cls.__module__)
        if not getattr(module, "__register_ignore__", False):
            VariableLibrary.register_var_class(cls.code, cls)

    def __init__(
        self, name: str, value: Any, context: Mapping[str, Any], pipeline_data: Mapping[str, Any]
    ) -> None:
        self.name = name
        self.value = value
        self.context = context
        self.pipeline_data = pipeline_data

    @abc.abstractmethod
    def get_value(self) -> Any:
        """Compute the variable's value from ``self.value`` (and ``self.pipeline_data``)."""

    def get(self) -> Any:
        """The ERI's ``Variable.get()``: same as ``get_value()``."""
        return self.get_value()


# The ERI's name for the same thing.
Variable = LazyVariable
