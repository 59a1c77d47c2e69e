"""Hook-enabled test components (SPEC §8 scenarios 74-77).

Each records, in order, every hook the engine dispatches to it plus ``execute`` /
``schedule`` markers into the examples' ledger (``ledger.py``), keyed by node id, so
a test can compare the exact sequence, also when the nodes ran in a cluster's workers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bamboo_core.component import Component, DataObject, HookType, Service, StaticIntervalGenerator
from bamboo_core.examples.components import CallbackService, DebugService, MultiCallbackService
from bamboo_core.examples.ledger import ledger

_KEY = "hooks:"


def record(node_id: str, name: str) -> None:
    ledger().append(_KEY + node_id, name)


def records(node_id: str) -> list[str]:
    """What was recorded for ``node_id``, in order (empty if nothing)."""
    return ledger().entries(_KEY + node_id)


def clear_records(node_id: str | None = None) -> None:
    if node_id is None:
        ledger().clear_all(_KEY)
    else:
        ledger().clear(_KEY + node_id)


class HookRecorder(Service):
    """Turns hooks on and defines every hook as "record my name, return True"."""

    __need_run_hook__ = True

    def mark(self, name: str) -> None:
        record(str(self.id), name)


def _recording_hook(name: str) -> Callable[..., bool]:
    def hook(
        self: HookRecorder, data: DataObject, parent_data: DataObject, callback_data: Any = None
    ) -> bool:
        self.mark(name)
        return True

    hook.__name__ = hook.__qualname__ = name
    return hook


for _hook in HookType:
    setattr(HookRecorder, _hook.value, _recording_hook(_hook.value))
del _hook


class HookDebugService(HookRecorder, DebugService):
    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        self.mark("execute")
        return super().execute(data, parent_data)

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        self.mark("schedule")
        return super().schedule(data, parent_data, callback_data)


class HookExecuteRaiseService(HookRecorder):
    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        self.mark("execute")
        raise RuntimeError("hook_execute_raise: execute fails on purpose")


class HookScheduleRaiseService(HookRecorder):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        self.mark("execute")
        return True

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        self.mark("schedule")
        raise RuntimeError("hook_schedule_raise: schedule fails on purpose")


class HookCallbackService(HookRecorder, CallbackService):
    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        self.mark("execute")
        return super().execute(data, parent_data)

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        self.mark("schedule")
        return super().schedule(data, parent_data, callback_data)


class HookMultiCallbackService(HookRecorder, MultiCallbackService):
    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        self.mark("execute")
        return super().execute(data, parent_data)

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        self.mark("schedule")
        return super().schedule(data, parent_data, callback_data)


class HookDebugComponent(Component):
    name = "Hook debug"
    code = "hook_debug"
    bound_service = HookDebugService


class HookExecuteRaiseComponent(Component):
    name = "Hook execute raises"
    code = "hook_execute_raise"
    bound_service = HookExecuteRaiseService


class HookScheduleRaiseComponent(Component):
    name = "Hook schedule raises"
    code = "hook_schedule_raise"
    bound_service = HookScheduleRaiseService


class HookCallbackComponent(Component):
    name = "Hook callback"
    code = "hook_callback"
    bound_service = HookCallbackService


class HookMultiCallbackComponent(Component):
    name = "Hook multiple callback"
    code = "hook_multi_callback"
    bound_service = HookMultiCallbackService
