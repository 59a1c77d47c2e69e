"""Errors of the component framework (all under ``bamboo_core.errors.EngineError``)."""

from __future__ import annotations

from bamboo_core.errors import EngineError, NotFoundError


class ComponentNotExistError(NotFoundError):
    """No component is registered under ``code`` (and ``version``)."""

    def __init__(self, code: str, version: str | None) -> None:
        shown = version if version is not None else "legacy/default"
        super().__init__(f"component {code!r} version {shown!r} does not exist")
        self.code = code
        self.version = version


# bamboo-pipeline's name.
ComponentNotExistException = ComponentNotExistError


class ComponentDefinitionError(EngineError, ValueError):
    """A Component or lazy variable class is missing its code, name or service."""


class ComponentLoadError(EngineError, ImportError):
    """A module named for discovery could not be imported; ``module`` names it."""

    def __init__(self, module: str, source: str, reason: str) -> None:
        super().__init__(f"cannot load plugin module {module!r} (from {source}): {reason}")
        self.module = module
        self.source = source
