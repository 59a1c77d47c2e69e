"""The component framework: registry, discovery, intervals, schedule types, data, hooks."""

from __future__ import annotations

import copy
import logging
import pickle
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bamboo_core.component import (
    ArrayItemSchema,
    AttrDict,
    BooleanItemSchema,
    Component,
    ComponentDefinitionError,
    ComponentLibrary,
    ComponentLoadError,
    ComponentNotExistError,
    DataObject,
    DefaultIntervalGenerator,
    HookType,
    InputItem,
    IntItemSchema,
    LinearIntervalGenerator,
    NullIntervalGenerator,
    ObjectItemSchema,
    OutputItem,
    ScheduleType,
    Service,
    SquareIntervalGenerator,
    StaticIntervalGenerator,
    StringItemSchema,
    is_success,
    load_components,
)
from bamboo_core.errors import NotFoundError


class _Plain(Service):
    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        return True


@pytest.fixture
def unregister() -> Iterator[list[str]]:
    """Codes appended here are removed from the global library after the test."""
    codes: list[str] = []
    yield codes
    for code in codes:
        ComponentLibrary.unregister_component(code)


def _code() -> str:
    return f"test_{uuid.uuid4().hex[:10]}"


# ---- registry ----------------------------------------------------------------------


def test_defining_a_component_registers_it(unregister: list[str]) -> None:
    the_code = _code()
    unregister.append(the_code)

    class Registered(Component):
        name = "thing"
        code = the_code
        bound_service = _Plain

    assert ComponentLibrary.get_component_class(the_code) is Registered
    assert Registered.version == "legacy" and Registered.is_default_version is False
    assert isinstance(ComponentLibrary.get_service(the_code), _Plain)


def test_subclass_registers_under_code_and_legacy_version(unregister: list[str]) -> None:
    code = _code()
    unregister.append(code)
    service_cls = _Plain
    attrs = {"name": "thing", "code": code, "bound_service": service_cls}
    component = type("Thing", (Component,), attrs)
    assert ComponentLibrary.get_component_class(code) is component
    assert ComponentLibrary.get_component_class(code, "legacy") is component
    assert component.version == "legacy"
    assert code in ComponentLibrary.codes()
    service = ComponentLibrary.get_service(code, name="n1")
    assert isinstance(service, _Plain) and service.name == "n1"


def test_versions_and_default_version(unregister: list[str]) -> None:
    code = _code()
    unregister.append(code)
    v1 = type("V1", (Component,), {"name": "t", "code": code, "bound_service": _Plain, "version": "v1"})
    v2 = type(
        "V2",
        (v1,),
        {"version": "v2", "is_default_version": True},
    )
    assert ComponentLibrary.versions(code) == ["v1", "v2"]
    assert ComponentLibrary.get_component_class(code, "v1") is v1
    # no legacy registered: None and "legacy" fall back to the default-marked version
    assert ComponentLibrary.get_component_class(code) is v2
    assert ComponentLibrary.get_component_class(code, "legacy") is v2
    legacy = type("L", (v1,), {"version": "legacy"})
    assert ComponentLibrary.get_component_class(code) is legacy


def test_missing_component_names_code_and_version() -> None:
    with pytest.raises(ComponentNotExistError) as info:
        ComponentLibrary.get_service("no_such_code", "v9")
    assert isinstance(info.value, NotFoundError)
    assert "no_such_code" in str(info.value) and "v9" in str(info.value)
    assert (info.value.code, info.value.version) == ("no_such_code", "v9")
    with pytest.raises(ComponentNotExistError, match="legacy"):
        ComponentLibrary.get_component_class("no_such_code")


@pytest.mark.parametrize(
    ("attrs", "complaint"),
    [
        ({"name": "t", "bound_service": _Plain}, "code"),
        ({"code": "x", "bound_service": _Plain}, "name"),
        ({"code": "x", "name": "t"}, "bound_service"),
        ({"code": "x", "name": "t", "bound_service": dict}, "bound_service"),
        ({"code": "", "name": "t", "bound_service": _Plain}, "code"),
    ],
)
def test_incomplete_component_is_refused_at_definition(attrs: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ComponentDefinitionError, match=complaint):
        type("Broken", (Component,), attrs)


def test_instance_library_is_separate_from_the_global_one(unregister: list[str]) -> None:
    code = _code()
    unregister.append(code)
    component = type("T", (Component,), {"name": "t", "code": code, "bound_service": _Plain})
    own = ComponentLibrary()
    with pytest.raises(ComponentNotExistError):
        own.get_component_class(code)
    own.register_component("mine", "legacy", component)
    assert own.codes() == ["mine"]
    assert "mine" not in ComponentLibrary.codes()
    snapshot = ComponentLibrary.copy()
    assert snapshot.get_component_class(code) is component
    ComponentLibrary.unregister_component(code)
    assert snapshot.get_component_class(code) is component  # the copy is independent
    assert ComponentLibrary.default() is ComponentLibrary.default()


def test_component_format_helpers() -> None:
    class Declared(Service):
        def inputs_format(self) -> list[InputItem]:
            return [InputItem("A", "a", "int", schema=IntItemSchema("an int"))]

        def outputs_format(self) -> list[OutputItem]:
            return [OutputItem("B", "b", "string")]

        def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
            return True

    lib = ComponentLibrary()
    sys.modules[__name__].__register_ignore__ = True  # type: ignore[attr-defined]
    try:
        comp = type("Declared", (Component,), {"name": "d", "code": "declared", "bound_service": Declared})
    finally:
        del sys.modules[__name__].__register_ignore__  # type: ignore[attr-defined]
    lib.register_component("declared", "legacy", comp)
    assert "declared" not in ComponentLibrary.codes()
    assert comp.inputs_format() == [
        {"name": "A", "key": "a", "type": "int", "required": True,
         "schema": {"type": "int", "description": "an int", "enum": []}}
    ]
    assert [o["key"] for o in comp.outputs_format()] == ["b", "_result", "_loop", "_inner_loop"]
    assert comp.get_input_schema("a") == IntItemSchema("an int")
    assert comp.get_output_schema("_result") == BooleanItemSchema("true unless the node failed")
    assert comp.get_input_schema("zz") is None
    assert comp.group_name == "Test_Component"
    assert isinstance(comp().service(), Declared)


# ---- discovery ---------------------------------------------------------------------


def _write_module(tmp_path: Path, body: str) -> str:
    name = f"plugmod_{uuid.uuid4().hex[:10]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return name


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("plugmod_"):
            del sys.modules[name]


_PLUGIN = """
    from bamboo_core.component import Component, Service

    class S(Service):
        def execute(self, data, parent_data):
            data.set_outputs("hello", "world")

    class C(Component):
        name = "from env"
        code = "{code}"
        bound_service = S
"""


def test_env_var_modules_are_imported_and_register(
    plugin_dir: Path, monkeypatch: pytest.MonkeyPatch, unregister: list[str]
) -> None:
    code_a, code_b = _code(), _code()
    unregister.extend([code_a, code_b])
    mod_a = _write_module(plugin_dir, _PLUGIN.replace("{code}", code_a))
    mod_b = _write_module(plugin_dir, _PLUGIN.replace("{code}", code_b))
    monkeypatch.setenv("BAMBOO_COMPONENTS", f" {mod_a}, ,{mod_b} ")
    loaded = load_components(entry_points=False)
    assert loaded == [mod_a, mod_b]
    data = DataObject({})
    assert ComponentLibrary.get_service(code_a).execute(data, DataObject({})) is None
    assert data.outputs == {"hello": "world"}
    assert ComponentLibrary.get_component_class(code_b).name == "from env"


def test_register_ignore_module_is_not_registered(plugin_dir: Path) -> None:
    code = _code()
    mod = _write_module(plugin_dir, "__register_ignore__ = True\n" + textwrap.dedent(_PLUGIN).replace("{code}", code))
    load_components({"BAMBOO_COMPONENTS": mod}, entry_points=False)
    assert code not in ComponentLibrary.codes()


def test_missing_module_gives_a_clear_error() -> None:
    with pytest.raises(ComponentLoadError) as info:
        load_components({"BAMBOO_COMPONENTS": "no_such_pkg_xyz.components"}, entry_points=False)
    assert info.value.module == "no_such_pkg_xyz.components"
    assert "no_such_pkg_xyz.components" in str(info.value) and "BAMBOO_COMPONENTS" in str(info.value)
    assert isinstance(info.value.__cause__, ModuleNotFoundError)
    assert isinstance(info.value, ImportError)


def test_module_raising_on_import_gives_a_clear_error(plugin_dir: Path) -> None:
    mod = _write_module(plugin_dir, "raise RuntimeError('boom at import')\n")
    with pytest.raises(ComponentLoadError, match=f"{mod}.*boom at import"):
        load_components({"BAMBOO_COMPONENTS": mod}, entry_points=False)


def test_entry_points_are_loaded(plugin_dir: Path, unregister: list[str]) -> None:
    code = _code()
    unregister.append(code)
    mod = _write_module(plugin_dir, _PLUGIN.replace("{code}", code))
    dist = plugin_dir / f"{mod}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {mod}\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[bamboo.components]\nmine = {mod}\n", encoding="utf-8")
    loaded = load_components({})
    assert mod in loaded
    assert ComponentLibrary.get_component_class(code).code == code


def test_broken_entry_point_names_itself(plugin_dir: Path) -> None:
    dist = plugin_dir / "brokenplug-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplug\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[bamboo.variables]\nbad = plugmod_missing_zz\n", encoding="utf-8")
    with pytest.raises(ComponentLoadError, match="plugmod_missing_zz.*entry point 'bad'"):
        load_components({})


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
    assert is_success(None) and is_success(True)
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


# ---- io formats --------------------------------------------------------------------


def test_schemas_as_dict() -> None:
    schema = ObjectItemSchema(
        {"ids": ArrayItemSchema(IntItemSchema("an id"), "ids"), "s": StringItemSchema("s", enum=["a"])},
        "obj",
    )
    assert schema.as_dict() == {
        "type": "object", "description": "obj", "enum": [],
        "properties": {
            "ids": {"type": "array", "description": "ids", "enum": [],
                    "items": {"type": "int", "description": "an id", "enum": []}},
            "s": {"type": "string", "description": "s", "enum": ["a"]},
        },
    }
    with pytest.raises(TypeError):
        ArrayItemSchema("not a schema")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ObjectItemSchema({"x": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        ObjectItemSchema([])  # type: ignore[arg-type]
    from bamboo_core.component import ItemSchema

    with pytest.raises(TypeError):
        ItemSchema("abstract")
    assert OutputItem("n", "k", "int").as_dict() == {"name": "n", "key": "k", "type": "int", "schema": {}}
    assert InputItem("n", "k", "int", required=False).as_dict()["required"] is False
