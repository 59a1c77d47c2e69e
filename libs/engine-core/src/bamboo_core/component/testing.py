"""A test kit for components, in the shape of bamboo-pipeline's ``component_framework.test``.

Describe cases as data and let the kit drive the service::

    class TestMyComponent(ComponentTestMixin, unittest.TestCase):
        def component_cls(self):
            return MyComponent

        def cases(self):
            return [ComponentTestCase(name="ok", inputs={"a": 1}, parent_data={},
                                      execute_assertion=ExecuteAssertion(True, {"b": 2}))]

or, from plain pytest, ``assert run_component_case(MyComponent, case) == []``.

For each case the kit checks the declared input/output formats, runs ``execute``
and compares the success flag (``None`` counts as success) and the *whole*
outputs dict. If execute failed the case ends there. Otherwise a POLL service gets
one ``schedule`` per schedule assertion (each also checks ``is_schedule_done()``);
a callback service gets one ``schedule`` per assertion with that assertion's
``callback_data`` (multi-callback services also check ``is_schedule_done()``).
"""

from __future__ import annotations

import importlib
import logging
import traceback
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import Any
from unittest import mock

from bamboo_core.component.data import DataObject
from bamboo_core.component.io import ArrayItemSchema, InputItem, ItemSchema, ObjectItemSchema, OutputItem
from bamboo_core.component.library import Component
from bamboo_core.component.service import ScheduleType, Service, is_success

Call = mock.call
_TEST_LOGGER = logging.getLogger("bamboo_core.component.testing")


@dataclass(frozen=True)
class ExecuteAssertion:
    success: bool
    outputs: dict[str, Any]


@dataclass(frozen=True)
class ScheduleAssertion:
    success: bool
    outputs: dict[str, Any]
    schedule_finished: bool = False
    callback_data: Any = None


@dataclass(frozen=True)
class CallAssertion:
    """``func`` (a mock, or the dotted path of a patched one) was called with ``calls``."""

    func: Any
    calls: Sequence[Any]
    any_order: bool = False

    def do_assert(self) -> None:
        func = _resolve(self.func) if isinstance(self.func, str) else self.func
        try:
            if not self.calls:
                func.assert_not_called()
            else:
                count = func.call_count
                assert count == len(self.calls), f"expected {len(self.calls)} calls, got {count}"
                func.assert_has_calls(list(self.calls), any_order=self.any_order)
        finally:
            func.reset_mock()


@dataclass(frozen=True)
class Patcher:
    """Replace ``target`` (a dotted path) by a MagicMock for the duration of a case."""

    target: str
    return_value: Any = None
    side_effect: Any = None

    def mock_patcher(self) -> AbstractContextManager[Any]:
        new = mock.MagicMock(return_value=self.return_value, side_effect=self.side_effect)
        return mock.patch(self.target, new=new)


@dataclass(frozen=True)
class ComponentTestCase:
    name: str
    inputs: dict[str, Any]
    parent_data: dict[str, Any]
    execute_assertion: ExecuteAssertion
    schedule_assertion: ScheduleAssertion | Sequence[ScheduleAssertion] | None = None
    patchers: Sequence[Patcher | AbstractContextManager[Any]] | None = None
    execute_call_assertion: Sequence[CallAssertion] | None = None
    schedule_call_assertion: Sequence[CallAssertion] | None = None
    service_id: str | None = None
    root_pipeline_id: str | None = None

    def __post_init__(self) -> None:
        # Like bamboo-pipeline: a case without ids gets fresh random ones.
        if self.service_id is None:
            object.__setattr__(self, "service_id", uuid.uuid4().hex)
        if self.root_pipeline_id is None:
            object.__setattr__(self, "root_pipeline_id", uuid.uuid4().hex)

    def schedule_assertions(self) -> list[ScheduleAssertion]:
        found = self.schedule_assertion
        if found is None:
            return []
        return [found] if isinstance(found, ScheduleAssertion) else list(found)


class ComponentTestMixin:
    """Mix into a ``unittest.TestCase`` (or a pytest class) and define the two methods."""

    def component_cls(self) -> type[Component]:
        raise NotImplementedError

    def cases(self) -> Sequence[ComponentTestCase]:
        raise NotImplementedError

    def test_component(self) -> None:
        errors = component_test_errors(self.component_cls(), self.cases())
        if errors:
            raise AssertionError("\n".join(errors))


def component_test_errors(component_cls: type[Component], cases: Sequence[ComponentTestCase]) -> list[str]:
    """Format errors, then every case's errors; empty when everything passed."""
    errors = validate_formats(component_cls)
    for number, case in enumerate(cases, start=1):
        errors.extend(run_component_case(component_cls, case, check_formats=False, number=number))
    return errors


def run_component_case(
    component_cls: type[Component],
    case: ComponentTestCase,
    *,
    check_formats: bool = True,
    number: int = 1,
) -> list[str]:
    """Run one case; return readable error messages (empty list = the case passed)."""
    report = _Report(f"[{component_cls.__name__} case {number}] - [{case.name}]")
    if check_formats:
        report.errors.extend(validate_formats(component_cls))
    try:
        with ExitStack() as stack:
            for patcher in case.patchers or ():
                stack.enter_context(_as_patch(patcher))
            _run_case(component_cls, case, report)
    except Exception:
        report.fail(f"raised an exception:\n{traceback.format_exc()}")
    return report.errors


class _Report:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.errors: list[str] = []

    def fail(self, message: str) -> None:
        self.errors.append(f"{self.prefix} fail: {message}")


def _run_case(component_cls: type[Component], case: ComponentTestCase, report: _Report) -> None:
    service = component_cls.bound_service()
    root_id = case.root_pipeline_id
    service.setup_runtime_attributes(
        id=case.service_id, root_pipeline_id=root_id, top_pipeline_id=root_id, logger=_TEST_LOGGER
    )
    data = DataObject(case.inputs)
    parent_data = DataObject(case.parent_data)
    result = service.execute(data, parent_data)
    executed = _check_step(report, "execute", result, data, case.execute_assertion)
    _check_calls(report, case.execute_call_assertion)
    if executed:
        _run_schedules(service, case, data, parent_data, report)


def _run_schedules(
    service: Service, case: ComponentTestCase, data: DataObject, parent_data: DataObject, report: _Report
) -> None:
    kind = service.schedule_type()
    if kind is None:
        return
    assertions = case.schedule_assertions()
    if not assertions:
        report.fail(f"the service schedules ({kind.name}) but the case has no schedule_assertion")
        return
    for assertion in assertions:
        callback_data = None if kind is ScheduleType.POLL else assertion.callback_data
        result = service.schedule(data, parent_data, callback_data)
        succeeded = _check_step(report, "schedule", result, data, assertion)
        if kind is not ScheduleType.CALLBACK and service.is_schedule_done() != assertion.schedule_finished:
            report.fail(
                f"schedule_finished assertion failed: expected {assertion.schedule_finished}, "
                f"actual {service.is_schedule_done()}"
            )
        if not succeeded:
            break
    _check_calls(report, case.schedule_call_assertion)


def _check_step(
    report: _Report,
    method: str,
    result: object,
    data: DataObject,
    assertion: ExecuteAssertion | ScheduleAssertion,
) -> bool:
    """Compare one step with its assertion; return whether the step actually succeeded."""
    succeeded = is_success(result)
    if succeeded != assertion.success:
        report.fail(f"{method} success assertion failed: expected {assertion.success}, actual {succeeded}")
    actual = dict(data.outputs)
    if actual != assertion.outputs:
        expected = assertion.outputs
        report.fail(f"{method} outputs assertion failed:\nexpected: {expected!r}\nactual: {actual!r}")
    return succeeded


def _check_calls(report: _Report, assertions: Sequence[CallAssertion] | None) -> None:
    for assertion in assertions or ():
        try:
            assertion.do_assert()
        except AssertionError as error:
            report.fail(f"{assertion.func} call assertion failed: {error}")


def _as_patch(patcher: Patcher | AbstractContextManager[Any]) -> AbstractContextManager[Any]:
    return patcher.mock_patcher() if isinstance(patcher, Patcher) else patcher


def _resolve(path: str) -> Any:
    """The object at dotted ``path`` (e.g. a patched function), looked up now."""
    module_path, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_path), attr)


def validate_formats(component_cls: type[Component]) -> list[str]:
    """Problems in the service's declared ``inputs()`` / ``outputs()``; empty if none."""
    prefix = f"[{component_cls.__name__} formats]"
    try:
        service = component_cls.bound_service()
        errors = _items_errors("inputs", service.inputs(), InputItem)
        errors += _items_errors("outputs", service.outputs(), OutputItem)
    except Exception:
        errors = [f"reading the declared formats raised:\n{traceback.format_exc()}"]
    return [f"{prefix} {error}" for error in errors]


def _items_errors(kind: str, items: object, item_cls: type[InputItem] | type[OutputItem]) -> list[str]:
    if not isinstance(items, list):
        return [f"{kind}() must return a list, got {type(items).__name__}"]
    errors: list[str] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, item_cls):
            errors.append(f"{kind} item {item!r} is not an {item_cls.__name__}")
            continue
        if item.key in seen:
            errors.append(f"{kind} key {item.key!r} is declared twice")
        seen.add(item.key)
        schema = item.schema
        if schema is None:
            continue
        if isinstance(schema, ItemSchema) and item.type != schema.type:
            errors.append(f"{kind} {item.key!r}: type {item.type!r} but schema type {schema.type!r}")
        errors += _schema_errors(schema, f"{kind} {item.key!r}")
    return errors


def _schema_errors(schema: object, where: str) -> list[str]:
    if not isinstance(schema, ItemSchema):
        return [f"{where}: schema {schema!r} is not an ItemSchema"]
    if isinstance(schema, ArrayItemSchema):
        return _schema_errors(schema.item_schema, f"{where}[]")
    if isinstance(schema, ObjectItemSchema):
        properties = schema.property_schemas.items()
        return [e for key, sub in properties for e in _schema_errors(sub, f"{where}.{key}")]
    return []
