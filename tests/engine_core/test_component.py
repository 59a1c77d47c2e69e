"""The component framework: registry, discovery and declared formats."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bamboo_core.component import (
    ArrayItemSchema,
    BooleanItemSchema,
    Component,
    ComponentDefinitionError,
    ComponentLibrary,
    ComponentLoadError,
    ComponentNotExistError,
    DataObject,
    InputItem,
    IntItemSchema,
    ObjectItemSchema,
    OutputItem,
    Service,
    StringItemSchema,
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
    assert issubclass(ComponentNotExistError, NotFoundError)
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
        attrs = {"name": "d", "code": "declared", "bound_service": Declared}
        comp: type[Component] = type("Declared", (Component,), attrs)
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
