"""Declared input/output formats of a service: items and their JSON-like schemas.

A service documents what it reads and writes with ``inputs_format()`` /
``outputs_format()``; front ends render forms from it and the component test kit
checks it is well formed. Nothing at run time enforces these declarations.

The schema classes keep bamboo-pipeline's constructor signatures
(``ArrayItemSchema(item_schema, description, enum)``), so they are small
slotted classes rather than dataclasses, whose field order would put the base
class's ``description`` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


class ItemSchema:
    """Base of every schema: a ``type`` name, a ``description`` and allowed ``enum`` values."""

    __slots__ = ("description", "enum")
    type: ClassVar[str] = ""

    def __init__(self, description: str = "", enum: Iterable[Any] | None = None) -> None:
        if not type(self).type:
            raise TypeError(f"{type(self).__name__} is abstract: use a concrete schema class")
        self.description = description
        self.enum: list[Any] = list(enum or [])

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "description": self.description, "enum": list(self.enum)}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ItemSchema) or type(other) is not type(self):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash((self.type, self.description))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.as_dict()!r})"


class SimpleItemSchema(ItemSchema):
    """A scalar value: no nested schema."""

    __slots__ = ()


class IntItemSchema(SimpleItemSchema):
    __slots__ = ()
    type = "int"


class StringItemSchema(SimpleItemSchema):
    __slots__ = ()
    type = "string"


class FloatItemSchema(SimpleItemSchema):
    __slots__ = ()
    type = "float"


class BooleanItemSchema(SimpleItemSchema):
    __slots__ = ()
    type = "boolean"


class ArrayItemSchema(ItemSchema):
    """A list whose every element follows ``item_schema``."""

    __slots__ = ("item_schema",)
    type = "array"

    def __init__(
        self, item_schema: ItemSchema, description: str = "", enum: Iterable[Any] | None = None
    ) -> None:
        if not isinstance(item_schema, ItemSchema):
            raise TypeError("item_schema of ArrayItemSchema must be an ItemSchema")
        self.item_schema = item_schema
        super().__init__(description, enum)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "items": self.item_schema.as_dict()}


class ObjectItemSchema(ItemSchema):
    """A mapping whose named properties follow ``property_schemas``."""

    __slots__ = ("property_schemas",)
    type = "object"

    def __init__(
        self,
        property_schemas: Mapping[str, ItemSchema],
        description: str = "",
        enum: Iterable[Any] | None = None,
    ) -> None:
        if not isinstance(property_schemas, Mapping):
            raise TypeError("property_schemas of ObjectItemSchema must be a mapping")
        if not all(isinstance(value, ItemSchema) for value in property_schemas.values()):
            raise TypeError("every value of property_schemas must be an ItemSchema")
        self.property_schemas: dict[str, ItemSchema] = dict(property_schemas)
        super().__init__(description, enum)

    def as_dict(self) -> dict[str, Any]:
        properties = {key: schema.as_dict() for key, schema in self.property_schemas.items()}
        return {**super().as_dict(), "properties": properties}


@dataclass(frozen=True, slots=True)
class InputItem:
    """One declared input of a service."""

    name: str
    key: str
    type: str
    required: bool = True
    schema: ItemSchema | None = None

    def as_dict(self) -> dict[str, Any]:
        schema = self.schema.as_dict() if self.schema is not None else {}
        return {
            "name": self.name,
            "key": self.key,
            "type": self.type,
            "required": self.required,
            "schema": schema,
        }


@dataclass(frozen=True, slots=True)
class OutputItem:
    """One declared output of a service."""

    name: str
    key: str
    type: str
    schema: ItemSchema | None = None

    def as_dict(self) -> dict[str, Any]:
        schema = self.schema.as_dict() if self.schema is not None else {}
        return {"name": self.name, "key": self.key, "type": self.type, "schema": schema}


# Every service's outputs end with these three, written by the engine itself.
DEFAULT_OUTPUTS: tuple[OutputItem, ...] = (
    OutputItem("result", "_result", "boolean", BooleanItemSchema("true unless the node failed")),
    OutputItem("loop", "_loop", "int", IntItemSchema("how many times the node has run")),
    OutputItem(
        "inner loop",
        "_inner_loop",
        "int",
        IntItemSchema("runs within the current (sub)pipeline pass; reset on re-entry"),
    ),
)
