"""The Service contract the engine relies on: intervals, schedule types, hooks, data objects."""

from __future__ import annotations

import copy
import logging
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bamboo_core.component import (
    AttrDict,
    DataObject,
    DefaultIntervalGenerator,
    HookType,
    LinearIntervalGenerator,
    NullIntervalGenerator,
    ScheduleType,
    Service,
    SquareIntervalGenerator,
    StaticIntervalGenerator,
    is_success,
)


class _Plain(Service):
    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        return True


# ---- interval generators -----------------------------------------------------------


def _sequence(generator: Any, n: int = 4) -> list[Any]:
    return [generator.next() for _ in range(n)]


def test_interval_generator_sequences() -> None:
    assert _sequence(StaticIntervalGenerator(7)) == [7, 7, 7, 7]
    assert _sequence(SquareIntervalGenerator()) == [1, 4, 9, 16]
    assert _sequence(DefaultIntervalGenerator()) == [1, 4, 9, 16]
    assert _sequence(LinearIntervalGenerator()) == [1, 2, 3, 4]
    assert _sequence(NullIntervalGenerator()) == [0, 0, 0, 0]
    generator = SquareIntervalGenerator()
    _sequence(generator, 3)
    assert generator.count == 3
    with pytest.raises(ValueError):
        StaticIntervalGenerator(-1)


def _poller(generator: Any) -> Service:
    cls = type("Poller", (_Plain,), {"__need_schedule__": True, "interval": generator})
    return cls()


def test_schedule_after_depends_only_on_times() -> None:
    square = _poller(SquareIntervalGenerator())
    assert [square.schedule_after(t) for t in (1, 2, 3, 2, 1)] == [1, 4, 9, 4, 1]
    assert square.interval is not None and square.interval.count == 0  # never advanced
    assert [_poller(StaticIntervalGenerator(5)).schedule_after(t) for t in (1, 9)] == [5, 5]
    assert _poller(LinearIntervalGenerator()).schedule_after(3) == 3
    assert _poller(NullIntervalGenerator()).schedule_after(3) == 0
    assert _Plain().schedule_after(1) is None


@given(st.integers(min_value=1, max_value=10_000))
def test_schedule_after_square_is_times_squared(times: int) -> None:
    assert _poller(SquareIntervalGenerator()).schedule_after(times) == times * times


# ---- schedule type and service contract ---------------------------------------------


def _service(**attrs: Any) -> Service:
    return type("S", (_Plain,), attrs)()


def test_schedule_type_derivation() -> None:
    assert _service().schedule_type() is None
    assert _service(interval=StaticIntervalGenerator(1)).schedule_type() is None  # no schedule flag
    assert _service(__need_schedule__=True).schedule_type() is ScheduleType.CALLBACK
    poll = _service(__need_schedule__=True, interval=StaticIntervalGenerator(0))
    assert poll.schedule_type() is ScheduleType.POLL
    multi = _service(__need_schedule__=True, __multi_callback_enabled__=True)
    assert multi.schedule_type() is ScheduleType.MULTIPLE_CALLBACK
    both = _service(__need_schedule__=True, __multi_callback_enabled__=True, interval=StaticIntervalGenerator(1))
    assert both.schedule_type() is ScheduleType.MULTIPLE_CALLBACK
    assert (ScheduleType.CALLBACK, ScheduleType.MULTIPLE_CALLBACK, ScheduleType.POLL) == (1, 2, 3)
    assert _service(__need_schedule__=True).need_schedule() is True
    assert _service().need_schedule() is False


def test_finish_schedule_and_defaults() -> None:
    service = _Plain()
    assert not service.is_schedule_done()
    assert service.schedule(DataObject({}), DataObject({})) is True
    service.finish_schedule()
    assert service.is_schedule_done() and service.is_schedule_finished()
    assert _Plain().is_schedule_done() is False  # the flag is per instance
    assert [o.key for o in service.outputs()] == ["_result", "_loop", "_inner_loop"]
    assert service.inputs() == []
    assert service.callback_lock_retryable({}) is False
    with pytest.raises(TypeError):
        Service()  # type: ignore[abstract]


def test_subclass_skipping_super_init_still_works() -> None:
    class NoSuper(_Plain):
        __need_run_hook__ = True

        def __init__(self) -> None:
            pass

        def node_enter(self, data: DataObject, parent_data: DataObject) -> bool:
            raise RuntimeError("logged, not raised")

    service = NoSuper()
    assert service.is_schedule_done() is False
    assert service.hook_dispatch("node_enter", DataObject({}), DataObject({})) is False
    service.finish_schedule()
    assert service.is_schedule_done() and not NoSuper().is_schedule_done()


def test_setup_runtime_attributes() -> None:
    service = _Plain()
    assert isinstance(service.logger, logging.Logger)
    service.setup_runtime_attributes(
        id="n1", version="v1", top_pipeline_id="p", root_pipeline_id="r", loop=2, inner_loop=1,
        idempotency_key="k", clock=lambda: 42.0,
    )
    assert (service.id, service.version, service.root_pipeline_id, service.loop) == ("n1", "v1", "r", 2)
    assert service.idempotency_key == "k"
    assert service.now() == 42.0
    assert service.logger.name == "bamboo_core.node.n1"
    assert "bamboo_core.node.n1" not in logging.Logger.manager.loggerDict  # not leaked
    custom = logging.getLogger("custom.test")
    service.setup_runtime_attributes(logger=custom)
    assert service.logger is custom
    with pytest.raises(ValueError, match="execute"):
        service.setup_runtime_attributes(execute=None)
    with pytest.raises(ValueError):
        service.setup_runtime_attributes(_schedule_finished=True)


def test_node_logger_reaches_parent_handlers(caplog: pytest.LogCaptureFixture) -> None:
    service = _Plain()
    service.setup_runtime_attributes(id="node-log")
    with caplog.at_level(logging.INFO, logger="bamboo_core.node"):
        service.logger.info("hello from node")
    assert [r.name for r in caplog.records if r.message == "hello from node"] == ["bamboo_core.node.node-log"]


def test_now_defaults_to_wall_clock() -> None:
    import time

    before = time.time()
    assert before <= _Plain().now() <= time.time()


def test_is_success() -> None:
    assert is_success(None) and is_success(True) and is_success({"any": "value"})
    assert not is_success(False)


# ---- hooks -------------------------------------------------------------------------


class _Hooked(_Plain):
    __need_run_hook__ = True

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.calls: list[tuple[str, Any]] = []

    def node_enter(self, data: DataObject, parent_data: DataObject) -> bool:
        self.calls.append(("node_enter", None))
        data.set_outputs("entered", True)
        return True

    def pre_execute(self, data: DataObject, parent_data: DataObject) -> None:
        data.set_outputs("dropped", True)  # returns None: change must not persist

    def node_finish(self, data: DataObject, parent_data: DataObject) -> bool:
        self.calls.append(("node_finish", None))
        return True

    def pre_callback(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool:
        self.calls.append(("pre_callback", callback_data))
        data.set_outputs("operator", True)  # operator hooks never persist
        return True

    def node_execute_fail(self, data: DataObject, parent_data: DataObject) -> bool:
        raise RuntimeError("hook bug")


def test_hook_dispatch_runs_defined_hooks_and_persists_on_true() -> None:
    service = _Hooked()
    data, parent = DataObject({"a": 1}), DataObject({"p": 1})
    assert service.hook_dispatch("node_enter", data, parent) is True
    assert data.outputs == {"entered": True}
    assert service.hook_dispatch(HookType.PRE_EXECUTE, data, parent) is False
    assert data.outputs == {"entered": True}
    assert service.hook_dispatch("pre_callback", data, parent, {"bit": 1}) is True
    assert data.outputs == {"entered": True}
    assert service.calls[-1] == ("pre_callback", {"bit": 1})
    assert service.hook_dispatch("post_execute", data, parent) is False  # not defined


def test_hook_dispatch_passes_callback_data_only_when_accepted() -> None:
    service = _Hooked()
    # node_finish takes (data, parent_data): still runs when a callback completed the node
    assert service.hook_dispatch("node_finish", DataObject({}), DataObject({}), {"bit": 1}) is True
    assert service.calls == [("node_finish", None)]


def test_hook_exceptions_are_swallowed_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    service = _Hooked()
    service.setup_runtime_attributes(id="hook-node")
    data = DataObject({})
    with caplog.at_level(logging.ERROR, logger="bamboo_core.node"):
        assert service.hook_dispatch("node_execute_fail", data, DataObject({})) is False
    assert any("node_execute_fail" in r.getMessage() and r.exc_info for r in caplog.records)


def test_hooks_off_or_unknown() -> None:
    class Off(_Hooked):
        __need_run_hook__ = False

    assert Off().need_run_hook() is False
    assert Off().hook_dispatch("node_enter", DataObject({}), DataObject({})) is False
    assert _Hooked().need_run_hook() is True
    with pytest.raises(ValueError, match="execute"):
        _Hooked().hook_dispatch("execute", DataObject({}), DataObject({}))


def test_hook_dispatch_survives_uncopyable_values() -> None:
    import threading

    service = _Hooked()
    data = DataObject({"lock": threading.Lock()})
    assert service.hook_dispatch("node_enter", data, DataObject({})) is True
    assert data.outputs == {"entered": True} and "lock" in data.inputs


# ---- data objects ------------------------------------------------------------------


def test_data_object_api() -> None:
    source = {"a": 1, "nested": {"x": [1]}}
    data = DataObject(source)
    assert data.inputs.a == 1 and data.inputs["a"] == 1
    data.inputs.b = 2
    assert "b" not in source  # the constructor copied the mapping
    assert data.get_one_of_inputs("b") == 2 and data.get_one_of_inputs("zz", "d") == "d"
    assert data.outputs == {}
    assert data.set_outputs("k", "v") is True
    assert data.outputs.k == "v" and data.get_one_of_outputs("k") == "v"
    assert data.get_one_of_outputs("zz", 0) == 0
    data.update_outputs({"m": 1})
    assert data.outputs == {"k": "v", "m": 1}
    held = data.outputs
    assert data.reset_outputs({"only": 1}) is True
    assert held == {"only": 1} and data.outputs is held  # replaced in place
    data.reset_outputs(data.outputs)
    assert data.outputs == {"only": 1}
    copied = data.inputs_copy()
    copied["nested"]["x"].append(2)
    assert data.inputs.nested == {"x": [1]}
    assert type(copied) is dict and type(data.outputs_copy()) is dict
    with pytest.raises(AttributeError):
        _ = data.inputs.missing
    del data.inputs.b
    with pytest.raises(AttributeError):
        del data.inputs.b
    data.outputs = {"new": 1}
    assert isinstance(data.outputs, AttrDict) and data.outputs.new == 1
    assert DataObject({"a": 1}, {"o": 2}) == DataObject({"a": 1}, {"o": 2})
    assert "o" in repr(DataObject({}, {"o": 2}))


def test_data_object_round_trips() -> None:
    data = DataObject({"a": {"b": 1}}, {"c": [1]})
    twin = copy.deepcopy(data)
    assert twin == data and twin.inputs is not data.inputs
    assert isinstance(twin.inputs, AttrDict)
    restored = pickle.loads(pickle.dumps(data))
    assert restored == data and restored.inputs.a == {"b": 1}
