"""``Component`` classes and the ``ComponentLibrary`` they register into.

Defining a ``Component`` subclass registers it under ``(code, version)`` in the
process-wide library, as bamboo-pipeline's metaclass did — unless the defining
module sets ``__register_ignore__ = True``. A runtime may instead hold its own
``ComponentLibrary()`` instance and register classes into it explicitly.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from bamboo_core.component.errors import ComponentDefinitionError, ComponentNotExistError
from bamboo_core.component.io import ItemSchema
from bamboo_core.component.registry import HybridRegistry, hybridmethod
from bamboo_core.component.service import Service

LEGACY_VERSION = "legacy"

_log = logging.getLogger(__name__)


class ComponentLibrary(HybridRegistry):
    """Component classes by code, then version.

    Every method works on the class (the shared, process-wide table) and on an
    instance (that instance's own table): ``ComponentLibrary.get_service("debug")``
    and ``my_library.get_service("debug")``.
    """

    def __init__(self, components: Iterable[type[Component]] = ()) -> None:
        self._components: dict[str, dict[str, type[Component]]] = {}
        self._lock = threading.Lock()
        for component_cls in components:
            self._register(component_cls.code, component_cls.version, component_cls)

    def _register(self, code: str, version: str, component_cls: type[Component]) -> None:
        with self._lock:
            versions = self._components.setdefault(code, {})
            if versions.get(version) not in (None, component_cls):
                _log.debug("component %s version %s redefined", code, version)
            versions[version] = component_cls

    @hybridmethod
    def register_component(self, code: str, version: str, component_cls: type[Component]) -> None:
        """Add (or replace) ``component_cls`` under ``(code, version)``."""
        self._register(code, version, component_cls)

    @hybridmethod
    def unregister_component(self, code: str, version: str | None = None) -> None:
        """Forget one version of ``code``, or every version when ``version`` is None."""
        with self._lock:
            if version is None:
                self._components.pop(code, None)
                return
            versions = self._components.get(code, {})
            versions.pop(version, None)
            if not versions:
                self._components.pop(code, None)

    @hybridmethod
    def get_component_class(self, code: str, version: str | None = None) -> type[Component]:
        """The class for ``(code, version)``.

        ``None`` and ``"legacy"`` both mean: the ``legacy`` version if registered,
        else the one marked ``is_default_version``. Missing → ComponentNotExistError.
        """
        versions = dict(self._components.get(code, {}))
        if version is None or version == LEGACY_VERSION:
            found = versions.get(LEGACY_VERSION) or _default_version(versions.values())
        else:
            found = versions.get(version)
        if found is None:
            raise ComponentNotExistError(code, version)
        return found

    @hybridmethod
    def get_service(self, code: str, version: str | None = None, name: str | None = None) -> Service:
        """A new instance of the component's bound service."""
        return self.get_component_class(code, version).bound_service(name=name)

    @hybridmethod
    def codes(self) -> list[str]:
        return sorted(self._components)

    @hybridmethod
    def versions(self, code: str) -> list[str]:
        return sorted(self._components.get(code, {}))

    @hybridmethod
    def component_list(self) -> list[type[Component]]:
        with self._lock:
            return [cls for versions in self._components.values() for cls in versions.values()]

    @hybridmethod
    def copy(self) -> ComponentLibrary:
        """A new, independent library holding the same registrations."""
        return ComponentLibrary(self.component_list())


def _default_version(candidates: Iterable[type[Component]]) -> type[Component] | None:
    marked = [cls for cls in candidates if cls.is_default_version]
    return marked[-1] if marked else None


class Component:
    """Binds a ``code`` (and ``version``) to a Service class; defining one registers it."""

    code: ClassVar[str]
    name: ClassVar[str]
    bound_service: ClassVar[type[Service]]
    version: ClassVar[str] = LEGACY_VERSION
    is_default_version: ClassVar[bool] = False
    form: ClassVar[str | None] = None
    output_form: ClassVar[str | None] = None
    embedded_form: ClassVar[bool] = False
    desc: ClassVar[str] = ""
    group_name: ClassVar[str] = ""
    group_icon: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _check_definition(cls)
        module = sys.modules.get(cls.__module__)
        if "group_name" not in cls.__dict__:
            default_group = cls.__module__.rsplit(".", 1)[-1].title()
            cls.group_name = getattr(module, "__group_name__", default_group)
        if "group_icon" not in cls.__dict__:
            cls.group_icon = getattr(module, "__group_icon__", "")
        if not getattr(module, "__register_ignore__", False):
            ComponentLibrary.register_component(cls.code, cls.version, cls)

    def __init__(self, data_dict: Mapping[str, Any] | None = None) -> None:
        self.data_dict: dict[str, Any] = dict(data_dict or {})

    def service(self) -> Service:
        return self.bound_service()

    @classmethod
    def inputs_format(cls) -> list[dict[str, Any]]:
        return [item.as_dict() for item in cls.bound_service().inputs()]

    @classmethod
    def outputs_format(cls) -> list[dict[str, Any]]:
        return [item.as_dict() for item in cls.bound_service().outputs()]

    @classmethod
    def get_input_schema(cls, key: str) -> ItemSchema | None:
        return next((i.schema for i in cls.bound_service().inputs() if i.key == key), None)

    @classmethod
    def get_output_schema(cls, key: str) -> ItemSchema | None:
        return next((o.schema for o in cls.bound_service().outputs() if o.key == key), None)

    @classmethod
    def form_is_embedded(cls) -> bool:
        return cls.embedded_form


def _check_definition(cls: type[Component]) -> None:
    """Fail at class definition, naming the class, rather than at first lookup."""
    for attr in ("code", "name"):
        value = getattr(cls, attr, None)
        if not isinstance(value, str) or not value:
            raise ComponentDefinitionError(f"component {cls.__qualname__}: {attr} must be a non-empty str")
    service = getattr(cls, "bound_service", None)
    if not (isinstance(service, type) and issubclass(service, Service)):
        raise ComponentDefinitionError(
            f"component {cls.__qualname__}: bound_service must be a Service subclass"
        )
    if not getattr(cls, "version", None):
        cls.version = LEGACY_VERSION
    if not isinstance(cls.version, str):
        raise ComponentDefinitionError(f"component {cls.__qualname__}: version must be a str")
