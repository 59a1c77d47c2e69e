"""A registry usable both as one process-wide table and as separate instances.

bamboo-pipeline's libraries are class-level dicts (``ComponentLibrary.get_component_class``),
which ported code calls directly. A runtime that hosts several tenants, or a test,
wants a table of its own. :class:`hybridmethod` gives both from one implementation:
called on the class it acts on the class's shared default instance, called on an
instance it acts on that instance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")
_Owner = TypeVar("_Owner", bound="HybridRegistry")

_DEFAULTS: dict[type[Any], Any] = {}


class HybridRegistry:
    """Base for registries whose methods are :class:`hybridmethod` s."""

    @classmethod
    def default(cls) -> Self:
        """The process-wide instance of exactly this class (created on first use)."""
        instance = _DEFAULTS.get(cls)
        if instance is None:
            instance = _DEFAULTS[cls] = cls()
        return instance


class hybridmethod(Generic[_Owner, _P, _R]):  # noqa: N801 - reads like @classmethod
    """Bind to the instance, or to ``owner.default()`` when looked up on the class."""

    def __init__(self, func: Callable[Concatenate[_Owner, _P], _R]) -> None:
        self._func = func
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__

    def __get__(self, obj: _Owner | None, owner: type[_Owner]) -> Callable[_P, _R]:
        target = obj if obj is not None else owner.default()
        func = self._func

        def bound(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            return func(target, *args, **kwargs)

        bound.__doc__ = func.__doc__
        bound.__name__ = func.__name__
        return bound
