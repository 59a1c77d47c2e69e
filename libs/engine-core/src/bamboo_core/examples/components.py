"""The quick-start component and the test components of SPEC §8.

Services are rebuilt for every execute / schedule step, so anything a component
must remember between steps (a counter, a deadline) lives in ``data.outputs``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bamboo_core.component import (
    Component,
    DataObject,
    InputItem,
    IntItemSchema,
    OutputItem,
    Service,
    StaticIntervalGenerator,
    StringItemSchema,
)

MULTI_CALLBACK_TIMES = 5
# Float round trips through the ISO deadline string may lose up to half a microsecond.
_CLOCK_SLACK = 1e-6


def copy_inputs(data: DataObject) -> None:
    """Write every input into the outputs (the engine already hands each step its own copies)."""
    data.update_outputs(data.inputs)


def is_zero(value: Any) -> bool:
    """Whether ``value`` reads as the number 0 (``0``, ``"0"``, ``False``)."""
    try:
        return int(value) == 0
    except (TypeError, ValueError):
        return False


def callback_refused(callback_data: Any) -> bool:
    """A callback fails only when its data carries ``bit`` equal to 0; empty data succeeds."""
    return isinstance(callback_data, Mapping) and "bit" in callback_data and is_zero(callback_data["bit"])


class ExampleService(Service):
    """The quick-start service: succeeds and writes nothing of its own."""

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        self.logger.info("example component ran with inputs %s", sorted(data.inputs))
        return True


class ExampleComponent(Component):
    name = "Example component"
    code = "example_component"
    bound_service = ExampleService


class DebugService(Service):
    """POLL with no delay: copies inputs to outputs; the first schedule finishes."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        copy_inputs(data)
        return True

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        self.finish_schedule()
        return True


class DebugComponent(Component):
    name = "Debug"
    code = "debug"
    bound_service = DebugService


class FailCtrlService(Service):
    """Fails unless input ``bit`` is non-zero (default 0)."""

    def inputs_format(self) -> list[InputItem]:
        return [InputItem("bit", "bit", "int", required=False, schema=IntItemSchema("0 fails, 1 succeeds"))]

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        return not is_zero(data.get_one_of_inputs("bit", 0))


class FailCtrlComponent(Component):
    name = "Fail control"
    code = "fail_ctrl"
    bound_service = FailCtrlService


class CallbackService(Service):
    """CALLBACK: the callback fails when its data has ``bit == 0``."""

    __need_schedule__ = True

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        return True

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        return not callback_refused(callback_data)


class CallbackComponent(Component):
    name = "Callback"
    code = "callback"
    bound_service = CallbackService


class MultiCallbackService(Service):
    """MULTIPLE_CALLBACK: counts callbacks in outputs ``count``; done at the fifth."""

    __need_schedule__ = True
    __multi_callback_enabled__ = True

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        return True

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        if callback_refused(callback_data):
            return False
        count = int(data.get_one_of_outputs("count", 0)) + 1
        data.set_outputs("count", count)
        if count >= MULTI_CALLBACK_TIMES:
            self.finish_schedule()
        return True


class MultiCallbackComponent(Component):
    name = "Multiple callback"
    code = "multi_callback"
    bound_service = MultiCallbackService


class TimerService(Service):
    """POLL every second until ``bk_timing`` seconds after execute (time from ``self.now()``)."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(1)

    def inputs_format(self) -> list[InputItem]:
        return [InputItem("timing", "bk_timing", "int", schema=IntItemSchema("seconds to wait"))]

    def outputs_format(self) -> list[OutputItem]:
        return [
            OutputItem("eta", "eta", "string", StringItemSchema("bk_timing as given")),
            OutputItem("type", "type", "string", StringItemSchema('always "countdown"')),
            OutputItem("deadline", "timing_time", "string", StringItemSchema("ISO time of the deadline")),
        ]

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        timing = data.get_one_of_inputs("bk_timing", 0)
        try:
            seconds = float(timing)
        except (TypeError, ValueError):
            data.set_outputs("ex_data", f"bk_timing must be a number of seconds, got {timing!r}")
            return False
        deadline = datetime.fromtimestamp(self.now() + seconds, tz=UTC)
        data.update_outputs({"eta": str(timing), "type": "countdown", "timing_time": deadline.isoformat()})
        return True

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        deadline = datetime.fromisoformat(str(data.get_one_of_outputs("timing_time"))).timestamp()
        if self.now() + _CLOCK_SLACK >= deadline:
            self.finish_schedule()
        return True


class TimerComponent(Component):
    name = "Timer"
    code = "timer"
    bound_service = TimerService


class SleepExecService(Service):
    """Blocks inside execute for input ``time`` seconds (to test work still running)."""

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        time.sleep(float(data.get_one_of_inputs("time", 0)))
        return True


class SleepExecComponent(Component):
    name = "Sleep in execute"
    code = "sleep_exec"
    bound_service = SleepExecService


class LoopCountService(Service):
    """Copies inputs to outputs and writes ``loop`` = input ``_loop``."""

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        copy_inputs(data)
        data.set_outputs("loop", data.get_one_of_inputs("_loop"))
        return True


class LoopCountComponent(Component):
    name = "Loop count"
    code = "loop_count"
    bound_service = LoopCountService


class LoopCountScheduleService(LoopCountService):
    """Like loop_count, then POLL every second; the third schedule finishes with ``count: 2``."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(1)

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        super().execute(data, parent_data)
        data.set_outputs("count", 0)
        return True

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        count = int(data.get_one_of_outputs("count", 0))
        if count >= 2:
            self.finish_schedule()
        else:
            data.set_outputs("count", count + 1)
        return True


class LoopCountScheduleComponent(Component):
    name = "Loop count (scheduled)"
    code = "loop_count_s"
    bound_service = LoopCountScheduleService


class FailAtSecondService(Service):
    """Fails on ``_loop == 1`` unless input ``can_go`` is truthy; else acts as loop_count."""

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        if data.get_one_of_inputs("_loop") == 1 and not data.get_one_of_inputs("can_go"):
            return False
        copy_inputs(data)
        data.set_outputs("loop", data.get_one_of_inputs("_loop"))
        return True


class FailAtSecondComponent(Component):
    name = "Fail at second"
    code = "fail_at_second"
    bound_service = FailAtSecondService
