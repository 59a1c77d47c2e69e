"""The component (plugin) framework, shaped like bamboo-pipeline's.

Porting a bamboo-pipeline plugin means changing imports only::

    from bamboo_core.component import Component, Service, StaticIntervalGenerator

The engine-facing contract (what the engine calls on a service) is documented on
:class:`Service`; :func:`load_components` imports plugin modules named by the
``BAMBOO_COMPONENTS`` environment variable or by installed entry points.
"""

from __future__ import annotations

from bamboo_core.component.data import AttrDict, DataObject, FancyDict
from bamboo_core.component.discovery import ENTRY_POINT_GROUPS, ENV_VAR, load_components
from bamboo_core.component.errors import (
    ComponentDefinitionError,
    ComponentLoadError,
    ComponentNotExistError,
    ComponentNotExistException,
)
from bamboo_core.component.hooks import OPERATOR_HOOKS, HookType
from bamboo_core.component.interval import (
    AbstractIntervalGenerator,
    DefaultIntervalGenerator,
    LinearIntervalGenerator,
    NullIntervalGenerator,
    SquareIntervalGenerator,
    StaticIntervalGenerator,
)
from bamboo_core.component.io import (
    DEFAULT_OUTPUTS,
    ArrayItemSchema,
    BooleanItemSchema,
    FloatItemSchema,
    InputItem,
    IntItemSchema,
    ItemSchema,
    ObjectItemSchema,
    OutputItem,
    SimpleItemSchema,
    StringItemSchema,
)
from bamboo_core.component.library import LEGACY_VERSION, Component, ComponentLibrary
from bamboo_core.component.service import ScheduleType, Service, is_success, node_logger

__all__ = [
    "DEFAULT_OUTPUTS",
    "ENTRY_POINT_GROUPS",
    "ENV_VAR",
    "LEGACY_VERSION",
    "OPERATOR_HOOKS",
    "AbstractIntervalGenerator",
    "ArrayItemSchema",
    "AttrDict",
    "BooleanItemSchema",
    "Component",
    "ComponentDefinitionError",
    "ComponentLibrary",
    "ComponentLoadError",
    "ComponentNotExistError",
    "ComponentNotExistException",
    "DataObject",
    "DefaultIntervalGenerator",
    "FancyDict",
    "FloatItemSchema",
    "HookType",
    "InputItem",
    "IntItemSchema",
    "ItemSchema",
    "LinearIntervalGenerator",
    "NullIntervalGenerator",
    "ObjectItemSchema",
    "OutputItem",
    "ScheduleType",
    "Service",
    "SimpleItemSchema",
    "SquareIntervalGenerator",
    "StaticIntervalGenerator",
    "StringItemSchema",
    "is_success",
    "load_components",
    "node_logger",
]
