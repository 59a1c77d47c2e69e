"""Finding plugin modules: components and lazy variables register when imported.

Two sources, both optional:

* the ``BAMBOO_COMPONENTS`` environment variable, a comma-separated list of module
  paths (``"my_pkg.components,my_pkg.variables"``);
* installed distributions' entry points in the groups ``bamboo.components`` and
  ``bamboo.variables`` (``[project.entry-points."bamboo.components"]`` in a
  pyproject), so a ``pip install`` is enough to make a plugin package known.

A module that fails to import stops the load with a ``ComponentLoadError`` naming
it: an executor silently missing half its components is worse than one that
refuses to start.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from importlib import metadata

from bamboo_core.component.errors import ComponentLoadError

ENV_VAR = "BAMBOO_COMPONENTS"
ENTRY_POINT_GROUPS: tuple[str, ...] = ("bamboo.components", "bamboo.variables")


def load_components(environ: Mapping[str, str] = os.environ, *, entry_points: bool = True) -> list[str]:
    """Import every plugin module; return what was loaded, in order.

    Modules come from ``environ[BAMBOO_COMPONENTS]`` first, then (unless
    ``entry_points`` is false) from the entry-point groups. Importing a module twice
    is harmless: Python's import cache makes the second time a no-op.
    """
    loaded: list[str] = []
    for module in env_modules(environ):
        _import(module, source=f"${ENV_VAR}")
        loaded.append(module)
    if entry_points:
        for group in ENTRY_POINT_GROUPS:
            loaded.extend(_load_group(group))
    return loaded


def env_modules(environ: Mapping[str, str]) -> list[str]:
    """The module paths listed in ``BAMBOO_COMPONENTS`` (blank entries ignored)."""
    raw = environ.get(ENV_VAR, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def _import(module: str, source: str) -> None:
    try:
        importlib.import_module(module)
    except Exception as error:  # any failure while importing plugin code
        raise ComponentLoadError(module, source, f"{type(error).__name__}: {error}") from error


def _load_group(group: str) -> list[str]:
    loaded: list[str] = []
    for entry_point in metadata.entry_points(group=group):
        try:
            entry_point.load()
        except Exception as error:  # any failure while importing plugin code
            reason = f"{type(error).__name__}: {error}"
            source = f"entry point {entry_point.name!r} in group {group!r}"
            raise ComponentLoadError(entry_point.value, source, reason) from error
        loaded.append(entry_point.value)
    return loaded
