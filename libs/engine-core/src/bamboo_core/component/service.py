"""The ``Service`` base class: what a component does when its node runs.

A user subclass implements ``execute(data, parent_data)`` and, if it sets
``__need_schedule__ = True``, ``schedule(data, parent_data, callback_data=None)``.
Returning ``False`` fails the node; ``True`` or ``None`` succeed.

The engine talks to a service only through the methods in the "engine-facing
contract" section below; everything else is the bamboo-pipeline authoring API,
kept so that existing plugins port with import changes only. A service object
lives for one execute or schedule step: the engine builds a fresh one each time,
so any state a service needs across steps goes into ``data.outputs``.
"""

from __future__ import annotations

import abc
import copy
import inspect
import logging
import time
from collections.abc import Callable
from enum import IntEnum
from typing import Any, ClassVar

from bamboo_core.component.data import DataObject
from bamboo_core.component.hooks import OPERATOR_HOOKS, hook_type
from bamboo_core.component.interval import AbstractIntervalGenerator
from bamboo_core.component.io import DEFAULT_OUTPUTS
from bamboo_core.component.io import InputItem as _InputItem
from bamboo_core.component.io import OutputItem as _OutputItem

NODE_LOGGER_NAME = "bamboo_core.node"


class ScheduleType(IntEnum):
    """How a node that needs scheduling is woken up (values as in bamboo-engine)."""

    CALLBACK = 1
    MULTIPLE_CALLBACK = 2
    POLL = 3


def is_success(result: object) -> bool:
    """How the engine reads ``execute`` / ``schedule`` results: only ``False`` fails.

    The documented returns are ``True``, ``False`` and ``None`` (success); anything
    else is read the way the engine reads it, so the test kit predicts the engine.
    """
    return result is not False


def node_logger(node_id: str) -> logging.Logger:
    """A logger named ``bamboo_core.node.<node_id>`` whose records reach ``bamboo_core.node``.

    It is deliberately not created with ``logging.getLogger``: the logging module
    keeps every logger it names forever, and a long-running executor sees an
    unbounded number of node ids.
    """
    logger = logging.Logger(f"{NODE_LOGGER_NAME}.{node_id}")
    logger.parent = logging.getLogger(NODE_LOGGER_NAME)
    return logger


# The attributes the engine sets before each call; checked once here, not per call.
RUNTIME_ATTRIBUTES = frozenset(
    {"id", "version", "top_pipeline_id", "root_pipeline_id", "loop", "inner_loop", "idempotency_key", "clock", "logger"}
)


class Service(abc.ABC):
    """Base class of component logic (bamboo-pipeline's ``Service``)."""

    __need_schedule__: ClassVar[bool] = False
    __multi_callback_enabled__: ClassVar[bool] = False
    __need_run_hook__: ClassVar[bool] = False
    # A POLL service sets this; the engine never advances it (see schedule_after).
    interval: AbstractIntervalGenerator | None = None

    # So plugin code can write ``self.InputItem(...)`` as in bamboo-pipeline.
    # (The annotations below use the underscored names: inside this class body the
    # plain names are these attributes, not types.)
    InputItem: ClassVar[type[_InputItem]] = _InputItem
    OutputItem: ClassVar[type[_OutputItem]] = _OutputItem

    # Runtime attributes, set by the engine before each call.
    id: str | None = None
    version: str | None = None
    top_pipeline_id: str | None = None
    root_pipeline_id: str | None = None
    loop: int = 1
    inner_loop: int = 1
    idempotency_key: str | None = None
    clock: Callable[[], float] | None = None

    # Class-level fallbacks for subclasses whose ``__init__`` skips ``super().__init__()``.
    _schedule_finished: bool = False
    _logger: logging.Logger | None = None

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self._schedule_finished = False

    @property
    def logger(self) -> logging.Logger:
        """The node's logger, made on first use: most services never log."""
        if self._logger is None:
            self._logger = (node_logger(str(self.id)) if self.id
                            else logging.getLogger(f"bamboo_core.component.{type(self).__name__}"))
        return self._logger

    @logger.setter
    def logger(self, value: logging.Logger) -> None:
        self._logger = value

    # ---- authoring API ------------------------------------------------------------

    @abc.abstractmethod
    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        """Run the node's work; ``False`` fails the node."""

    def schedule(
        self, data: DataObject, parent_data: DataObject, callback_data: Any = None
    ) -> bool | None:
        """One poll or callback step; call ``finish_schedule()`` when done."""
        return True

    def inputs_format(self) -> list[_InputItem]:
        return []

    def outputs_format(self) -> list[_OutputItem]:
        return []

    def inputs(self) -> list[_InputItem]:
        return list(self.inputs_format())

    def outputs(self) -> list[_OutputItem]:
        """Declared outputs followed by the engine's ``_result``, ``_loop``, ``_inner_loop``."""
        return [*self.outputs_format(), *DEFAULT_OUTPUTS]

    def finish_schedule(self) -> None:
        self._schedule_finished = True

    def is_schedule_finished(self) -> bool:
        return self._schedule_finished

    def multi_callback_enabled(self) -> bool:
        return bool(self.__multi_callback_enabled__)

    def callback_lock_retryable(self, callback_data: Any = None) -> bool:
        """Whether a callback that finds the schedule locked may be retried later."""
        return False

    def now(self) -> float:
        """Epoch seconds from the runtime's ``clock`` if it set one (tests skip time so)."""
        clock = self.clock
        return clock() if clock is not None else time.time()

    # ---- engine-facing contract ---------------------------------------------------

    def need_schedule(self) -> bool:
        return bool(self.__need_schedule__)

    def need_run_hook(self) -> bool:
        return bool(self.__need_run_hook__)

    def schedule_type(self) -> ScheduleType | None:
        """None without scheduling; else multi-callback, then poll (interval set), else callback.

        bamboo-engine tests ``interval`` before the multi-callback flag; a service that
        sets both explicitly asked for callbacks, so here the flag wins.
        """
        if not self.need_schedule():
            return None
        if self.multi_callback_enabled():
            return ScheduleType.MULTIPLE_CALLBACK
        if self.interval is not None:
            return ScheduleType.POLL
        return ScheduleType.CALLBACK

    def is_schedule_done(self) -> bool:
        return self._schedule_finished

    def schedule_after(self, times: int) -> float | None:
        """Seconds to wait before the next poll, after ``times`` schedules have run.

        A copy of ``interval`` gets ``count = times - 1`` and one ``next()``, so
        ``StaticIntervalGenerator(n)`` gives n and the square generator 1, 4, 9 for
        times = 1, 2, 3. ``None`` when the service does not poll.
        """
        if self.interval is None:
            return None
        generator = copy.deepcopy(self.interval)
        generator.count = times - 1
        return generator.next()

    def setup_runtime_attributes(self, **attrs: Any) -> None:
        """Set ``id``, ``version``, ``root_pipeline_id``, ``loop``, ``logger``, ``clock`` …

        Without an explicit ``logger``, a node ``id`` gives the service a logger named
        after the node. Names that would hide a method or private state are refused.
        """
        for key, value in attrs.items():
            if key not in RUNTIME_ATTRIBUTES and (key.startswith("_") or callable(getattr(type(self), key, None))):
                raise ValueError(f"runtime attribute {key!r} would shadow part of the service")
            setattr(self, key, value)
        if "logger" not in attrs and attrs.get("id"):
            self._logger = None  # made for this node on first use

    # bamboo-pipeline's name for the same method.
    setup_runtime_attrs = setup_runtime_attributes

    def hook_dispatch(
        self, hook: str, data: DataObject, parent_data: DataObject, callback_data: Any = None
    ) -> bool:
        """Run the service's hook method ``hook``, if hooks are on and it defines one.

        The hook works on copies: a main-logic hook's changes to ``data`` are copied
        back only when it returns a truthy value; an operator hook's never are.
        Exceptions are logged and give ``False``. An unknown hook name is a caller
        bug and raises ``ValueError``.
        """
        kind = hook_type(hook)
        method = getattr(self, kind.value, None)
        if not self.need_run_hook() or not callable(method):
            return False
        work = _working_copy(data)
        try:
            result = _call_hook(method, work, _working_copy(parent_data), callback_data)
        except Exception:
            self.logger.exception("service hook %s of node %s raised; ignored", kind.value, self.id)
            return False
        if result and kind not in OPERATOR_HOOKS:
            data.override_inputs(work.inputs)
            data.override_outputs(work.outputs)
        return bool(result)


def _working_copy(data: DataObject) -> DataObject:
    """A deep copy when the values allow it, else a copy of the two top-level dicts."""
    try:
        return data.copy()
    except Exception:  # values that refuse deepcopy (locks, sockets …)
        return DataObject(dict(data.inputs), dict(data.outputs))


def _call_hook(
    method: Callable[..., Any], data: DataObject, parent_data: DataObject, callback_data: Any
) -> Any:
    """Pass ``callback_data`` only to hooks whose signature takes it.

    bamboo-engine always passed it to ``node_finish`` after a callback and so skipped
    hooks declared as ``(data, parent_data)``; here every hook runs.
    """
    if _accepts(method, 3):
        return method(data, parent_data, callback_data)
    return method(data, parent_data)


def _accepts(method: Callable[..., Any], count: int) -> bool:
    try:
        inspect.signature(method).bind(*([None] * count))
    except (TypeError, ValueError):
        return False
    return True

