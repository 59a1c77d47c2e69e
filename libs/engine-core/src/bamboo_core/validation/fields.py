"""Typed reads of raw tree fields that fail with a ``TreeSchemaError`` naming node and field.

A pipeline tree arrives as plain JSON-like data from users, so no read may assume a
key exists or has a given type: every helper here checks, and the error says which
node (or pipeline) and which field is wrong instead of surfacing a ``KeyError``.
"""

from __future__ import annotations

from typing import cast

from bamboo_core.errors import TreeSchemaError

# Bounds that keep hostile input cheap to refuse. A 100 x 100 parallel block (10,004
# nodes) must pass, a 20,000-node tree must not.
MAX_TOTAL_NODES = 15_000
MAX_TOTAL_FLOWS = 30_000
MAX_SUBPROCESS_DEPTH = 50
MAX_ID_LENGTH = 128


def schema_error(owner: str, field: str, problem: str) -> TreeSchemaError:
    """An error about ``field`` of node/pipeline/flow ``owner`` ("" when unknown)."""
    where = f"{owner!r}" if owner else "pipeline tree"
    return TreeSchemaError(f"{where}: field {field!r} {problem}", (owner,) if owner else (), field)


def type_label(value: object) -> str:
    return "null" if value is None else type(value).__name__


def check_id(value: object, owner: str, field: str) -> str:
    """A node, flow or pipeline id: a non-empty string of bounded length."""
    if not isinstance(value, str) or not value:
        raise schema_error(owner, field, f"must be a non-empty string, got {type_label(value)}")
    if len(value) > MAX_ID_LENGTH:
        raise schema_error(owner, field, f"is longer than {MAX_ID_LENGTH} characters")
    return value


def require_dict(container: dict[str, object], key: str, owner: str) -> dict[str, object]:
    if key not in container:
        raise schema_error(owner, key, "is missing")
    return _as_dict(container[key], owner, key)


def optional_dict(container: dict[str, object], key: str, owner: str) -> dict[str, object]:
    """The dict at ``key``; absent or null reads as empty."""
    value = container.get(key)
    return {} if value is None else _as_dict(value, owner, key)


def _as_dict(value: object, owner: str, field: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise schema_error(owner, field, f"must be an object, got {type_label(value)}")
    return cast(dict[str, object], value)


def require_str(container: dict[str, object], key: str, owner: str) -> str:
    if key not in container:
        raise schema_error(owner, key, "is missing")
    value = container[key]
    if not isinstance(value, str):
        raise schema_error(owner, key, f"must be a string, got {type_label(value)}")
    return value


def check_optional(
    container: dict[str, object], key: str, owner: str, kinds: tuple[type, ...], label: str
) -> None:
    """Fields the engine reads later: absent is fine, a wrong type is not."""
    if key in container and not isinstance(container[key], kinds):
        raise schema_error(owner, key, f"must be {label}, got {type_label(container[key])}")


def single_flow(container: dict[str, object], key: str, owner: str) -> tuple[str, ...]:
    """A one-flow link written as a string: ``""`` means none."""
    value = require_str(container, key, owner)
    return (check_id(value, owner, key),) if value else ()


def flow_list(
    container: dict[str, object], key: str, owner: str, limit: int, *, allow_str: bool = True
) -> tuple[str, ...]:
    """A list of distinct flow ids; a string is read as a one-item list (``""``: empty).

    ``limit`` is the number of flows in the tree: a longer list must repeat or invent
    ids, so it is refused before being walked.
    """
    if key not in container:
        raise schema_error(owner, key, "is missing")
    value = container[key]
    if allow_str and isinstance(value, str):
        return (check_id(value, owner, key),) if value else ()
    if not isinstance(value, list):
        raise schema_error(owner, key, f"must be a list of flow ids, got {type_label(value)}")
    items = cast(list[object], value)
    if len(items) > limit:
        raise schema_error(owner, key, f"lists {len(items)} flows but the tree has {limit}")
    ids = tuple(check_id(item, owner, key) for item in items)
    if len(set(ids)) != len(ids):
        raise schema_error(owner, key, "lists the same flow twice")
    return ids


def id_preview(ids: list[str] | tuple[str, ...], limit: int = 20) -> str:
    """Ids for a message; long lists are cut (the error's ``node_ids`` keeps them all)."""
    shown = ", ".join(repr(ident) for ident in ids[:limit])
    return f"[{shown}, ... {len(ids) - limit} more]" if len(ids) > limit else f"[{shown}]"
