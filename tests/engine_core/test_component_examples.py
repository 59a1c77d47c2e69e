"""The example components and lazy variables, driven directly through the service API."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from bamboo_core.component import ComponentLibrary, DataObject, ScheduleType, Service
from bamboo_core.examples import EXAMPLE_MODULES, register_examples
from bamboo_core.examples import hooks as hook_examples
from bamboo_core.variables import LazyVariable, Variable, VariableLibrary, VariableNotExistError

register_examples()


class Clock:
    """A manual clock the tests move by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _service(code: str, node_id: str = "node", **attrs: Any) -> Service:
    service = ComponentLibrary.get_service(code)
    service.setup_runtime_attributes(id=node_id, version="v1", root_pipeline_id="root", loop=1, **attrs)
    return service


def _inputs(**values: Any) -> DataObject:
    return DataObject({"_loop": 1, "_inner_loop": 1, **values})


EMPTY = DataObject({})


def test_example_modules_register_every_code() -> None:
    assert len(EXAMPLE_MODULES) == 3
    expected = {
        "example_component", "debug", "fail_ctrl", "callback", "multi_callback", "timer", "sleep_exec",
        "loop_count", "loop_count_s", "fail_at_second", "hook_debug", "hook_execute_raise",
        "hook_schedule_raise", "hook_callback", "hook_multi_callback",
    }
    assert expected <= set(ComponentLibrary.codes())
    assert {"upper_case", "raise_variable"} <= set(VariableLibrary.codes())


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("example_component", None), ("debug", ScheduleType.POLL), ("fail_ctrl", None),
        ("callback", ScheduleType.CALLBACK), ("multi_callback", ScheduleType.MULTIPLE_CALLBACK),
        ("timer", ScheduleType.POLL), ("sleep_exec", None), ("loop_count", None),
        ("loop_count_s", ScheduleType.POLL), ("fail_at_second", None), ("hook_debug", ScheduleType.POLL),
        ("hook_schedule_raise", ScheduleType.POLL), ("hook_callback", ScheduleType.CALLBACK),
        ("hook_multi_callback", ScheduleType.MULTIPLE_CALLBACK), ("hook_execute_raise", None),
    ],
)
def test_schedule_types(code: str, kind: ScheduleType | None) -> None:
    assert _service(code).schedule_type() is kind


def test_example_component() -> None:
    data = _inputs(x=1)
    assert _service("example_component").execute(data, EMPTY) is True
    assert data.outputs == {}


def test_debug_copies_inputs_and_finishes_on_first_schedule() -> None:
    service = _service("debug")
    data = _inputs(a="b")
    assert service.execute(data, EMPTY) is True
    assert data.outputs == {"_loop": 1, "_inner_loop": 1, "a": "b"}
    assert service.schedule_after(1) == 0
    assert service.schedule(data, EMPTY) is True
    assert service.is_schedule_done()


@pytest.mark.parametrize(("inputs", "ok"), [({}, False), ({"bit": 0}, False), ({"bit": 1}, True), ({"bit": "1"}, True)])
def test_fail_ctrl(inputs: dict[str, Any], ok: bool) -> None:
    data = _inputs(**inputs)
    assert _service("fail_ctrl").execute(data, EMPTY) is ok
    assert data.outputs == {}


@pytest.mark.parametrize(
    ("callback_data", "ok"), [({}, True), (None, True), ({"bit": 1}, True), ({"bit": 0}, False), ({"x": 0}, True)]
)
def test_callback(callback_data: Any, ok: bool) -> None:
    service = _service("callback")
    data = _inputs()
    assert service.execute(data, EMPTY) is True
    assert service.schedule(data, EMPTY, callback_data) is ok


def test_multi_callback_finishes_on_fifth() -> None:
    data = _inputs()
    assert _service("multi_callback").execute(data, EMPTY) is True
    for count in range(1, 6):
        service = _service("multi_callback")  # a fresh instance per step, as the engine does
        assert service.schedule(data, EMPTY, {"bit": 1}) is True
        assert data.outputs["count"] == count
        assert service.is_schedule_done() is (count == 5)
    assert _service("multi_callback").schedule(data, EMPTY, {"bit": 0}) is False


def test_timer_uses_the_runtime_clock() -> None:
    clock = Clock(1_000.0)
    data = _inputs(bk_timing=5)
    assert _service("timer", clock=clock).execute(data, EMPTY) is True
    assert data.outputs["eta"] == "5" and data.outputs["type"] == "countdown"
    assert datetime.fromisoformat(data.outputs["timing_time"]).timestamp() == 1_005.0
    assert set(data.outputs) == {"eta", "type", "timing_time"}
    for now, done in ((1_000.0, False), (1_004.9, False), (1_005.0, True)):
        clock.now = now
        service = _service("timer", clock=clock)
        assert service.schedule(data, EMPTY) is True
        assert service.is_schedule_done() is done
    assert _service("timer").schedule_after(3) == 1


def test_timer_rejects_non_numeric_timing() -> None:
    data = _inputs(bk_timing="soon")
    assert _service("timer").execute(data, EMPTY) is False
    assert "bk_timing" in data.outputs["ex_data"]


def test_timer_without_clock_uses_wall_time() -> None:
    data = _inputs(bk_timing=0)
    service = _service("timer")
    assert service.execute(data, EMPTY) is True
    assert service.schedule(data, EMPTY) is True and service.is_schedule_done()


def test_sleep_exec_sleeps() -> None:
    started = time.monotonic()
    assert _service("sleep_exec").execute(_inputs(time=0.05), EMPTY) is True
    assert time.monotonic() - started >= 0.05


def test_loop_count() -> None:
    data = DataObject({"_loop": 3, "_inner_loop": 2, "input_a": "d"})
    assert _service("loop_count").execute(data, EMPTY) is True
    assert data.outputs == {"_loop": 3, "_inner_loop": 2, "input_a": "d", "loop": 3}


def test_loop_count_s_finishes_on_third_schedule() -> None:
    data = DataObject({"_loop": 2, "_inner_loop": 1, "k": "v"})
    assert _service("loop_count_s").execute(data, EMPTY) is True
    done = []
    for _ in range(3):
        service = _service("loop_count_s")
        assert service.schedule(data, EMPTY) is True
        done.append(service.is_schedule_done())
    assert done == [False, False, True]
    assert data.outputs == {"_loop": 2, "_inner_loop": 1, "k": "v", "loop": 2, "count": 2}
    assert _service("loop_count_s").schedule_after(2) == 1


@pytest.mark.parametrize(
    ("inputs", "ok"),
    [({"_loop": 1}, False), ({"_loop": 1, "can_go": True}, True), ({"_loop": 2}, True), ({"_loop": 1, "can_go": 0}, False)],
)
def test_fail_at_second(inputs: dict[str, Any], ok: bool) -> None:
    data = DataObject(inputs)
    assert _service("fail_at_second").execute(data, EMPTY) is ok
    assert data.outputs == ({**inputs, "loop": inputs["_loop"]} if ok else {})


# ---- hook components ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clean_hook_records() -> None:
    hook_examples.clear_records()


def _hook(service: Service, name: str, data: DataObject, callback_data: Any = None) -> None:
    service.hook_dispatch(name, data, EMPTY, callback_data)


def test_hook_debug_records_the_success_order() -> None:
    data = _inputs()
    execute_side = _service("hook_debug", "n74")
    for name in ("node_enter", "pre_execute"):
        _hook(execute_side, name, data)
    assert execute_side.execute(data, EMPTY) is True
    _hook(execute_side, "post_execute", data)
    schedule_side = _service("hook_debug", "n74")
    _hook(schedule_side, "pre_schedule", data)
    assert schedule_side.schedule(data, EMPTY) is True
    _hook(schedule_side, "post_schedule", data)
    _hook(schedule_side, "node_finish", data)
    assert hook_examples.records("n74") == [
        "node_enter", "pre_execute", "execute", "post_execute",
        "pre_schedule", "schedule", "post_schedule", "node_finish",
    ]
    assert hook_examples.records("other") == []


def test_hook_raise_variants_record_then_raise() -> None:
    with pytest.raises(RuntimeError):
        _service("hook_execute_raise", "n75").execute(_inputs(), EMPTY)
    service = _service("hook_schedule_raise", "n76")
    assert service.execute(_inputs(), EMPTY) is True
    with pytest.raises(RuntimeError):
        service.schedule(_inputs(), EMPTY)
    _hook(service, "node_schedule_exception", _inputs())
    assert hook_examples.records("n75") == ["execute"]
    assert hook_examples.records("n76") == ["execute", "schedule", "node_schedule_exception"]


def test_hook_callback_variants() -> None:
    data = _inputs()
    callback = _service("hook_callback", "n77")
    assert callback.schedule(data, EMPTY, {"bit": 0}) is False
    _hook(callback, "node_schedule_fail", data, {"bit": 0})
    assert hook_examples.records("n77") == ["schedule", "node_schedule_fail"]
    for _ in range(5):
        multi = _service("hook_multi_callback", "m77")
        assert multi.schedule(data, EMPTY, {"bit": 1}) is True
    assert multi.is_schedule_done()
    assert hook_examples.records("m77") == ["schedule"] * 5
    hook_examples.clear_records("m77")
    assert hook_examples.records("m77") == []


# ---- lazy variables ----------------------------------------------------------------


def test_upper_case_variable() -> None:
    var_cls = VariableLibrary.get_var_class("upper_case")
    assert var_cls("${v}", "abc", context={}, pipeline_data={"x": 1}).get_value() == "ABC"
    assert var_cls("${v}", 12, {}, {}).get() == "12"


def test_raise_variable_raises() -> None:
    with pytest.raises(RuntimeError, match="on purpose"):
        VariableLibrary.get_var_class("raise_variable")("${r}", "x", {}, {}).get_value()


def test_missing_variable_is_not_found() -> None:
    with pytest.raises(VariableNotExistError, match="nope"):
        VariableLibrary.get_var_class("nope")


def test_variable_registration_and_instance_library() -> None:
    assert Variable is LazyVariable

    class Base(LazyVariable):  # no code: an intermediate base, not registered
        def get_value(self) -> Any:
            return self.pipeline_data.get("k")

    class Doubled(Base):
        code = "test_doubled_var"

        def get_value(self) -> Any:
            return self.value * 2

    try:
        assert VariableLibrary.get_var_class("test_doubled_var") is Doubled
        assert Doubled("${d}", 4, {}, {}).get_value() == 8
        own = VariableLibrary()
        own.register_var_class("mine", Base)
        assert own.codes() == ["mine"] and "mine" not in VariableLibrary.codes()
        assert own.get_var_class("mine")("${m}", None, {}, {"k": "v"}).get_value() == "v"
        assert VariableLibrary.copy().get_var_class("test_doubled_var") is Doubled
    finally:
        VariableLibrary.unregister_var_class("test_doubled_var")
    with pytest.raises(VariableNotExistError):
        VariableLibrary.get_var_class("test_doubled_var")


def test_variable_with_empty_code_is_refused() -> None:
    from bamboo_core.component import ComponentDefinitionError

    with pytest.raises(ComponentDefinitionError):
        type("Bad", (LazyVariable,), {"code": "", "get_value": lambda self: 1})
