"""The component test kit: passing cases pass, and every kind of mismatch is reported."""

from __future__ import annotations

import sys
import unittest
from collections.abc import Sequence
from typing import Any

import pytest

from bamboo_core.component import (
    Component,
    DataObject,
    InputItem,
    IntItemSchema,
    OutputItem,
    Service,
    StringItemSchema,
)
from bamboo_core.component.testing import (
    Call,
    CallAssertion,
    ComponentTestCase,
    ComponentTestMixin,
    ExecuteAssertion,
    Patcher,
    ScheduleAssertion,
    run_component_case,
    validate_formats,
)
from bamboo_core.examples.components import (
    CallbackComponent,
    DebugComponent,
    FailCtrlComponent,
    LoopCountScheduleComponent,
    MultiCallbackComponent,
    TimerComponent,
)

# Components defined here are for the kit only: keep them out of the global library.
__register_ignore__ = True


def send_mail(to: str, body: str) -> bool:
    raise AssertionError("must be patched in tests")


class MailService(Service):
    def inputs_format(self) -> list[InputItem]:
        return [InputItem("to", "to", "string", schema=StringItemSchema("receiver"))]

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        sent = sys.modules[__name__].send_mail(data.inputs.to, f"from {parent_data.inputs.get('executor')}")
        data.set_outputs("sent", sent)
        return bool(sent)


class MailComponent(Component):
    name = "mail"
    code = "kit_mail"
    bound_service = MailService


MAIL = f"{__name__}.send_mail"


def _mail_case(return_value: Any, success: bool, outputs: dict[str, Any], calls: Sequence[Any]) -> ComponentTestCase:
    return ComponentTestCase(
        name="mail",
        inputs={"to": "ann"},
        parent_data={"executor": "bob"},
        execute_assertion=ExecuteAssertion(success=success, outputs=outputs),
        patchers=[Patcher(target=MAIL, return_value=return_value)],
        execute_call_assertion=[CallAssertion(func=MAIL, calls=calls)],
    )


# ---- passing cases -----------------------------------------------------------------


class TestExampleComponentsWithMixin(ComponentTestMixin, unittest.TestCase):
    def component_cls(self) -> type[Component]:
        return LoopCountScheduleComponent

    def cases(self) -> list[ComponentTestCase]:
        inputs = {"_loop": 1, "k": "v"}
        base = {"_loop": 1, "k": "v", "loop": 1}
        return [
            ComponentTestCase(
                name="three polls",
                inputs=inputs,
                parent_data={},
                execute_assertion=ExecuteAssertion(True, {**base, "count": 0}),
                schedule_assertion=[
                    ScheduleAssertion(True, {**base, "count": 1}),
                    ScheduleAssertion(True, {**base, "count": 2}),
                    ScheduleAssertion(True, {**base, "count": 2}, schedule_finished=True),
                ],
            )
        ]


@pytest.mark.parametrize(
    ("component", "case"),
    [
        (DebugComponent, ComponentTestCase(
            "debug", {"a": 1}, {}, ExecuteAssertion(True, {"a": 1}),
            ScheduleAssertion(True, {"a": 1}, schedule_finished=True))),
        (FailCtrlComponent, ComponentTestCase("fails", {}, {}, ExecuteAssertion(False, {}))),
        (FailCtrlComponent, ComponentTestCase("passes", {"bit": 1}, {}, ExecuteAssertion(True, {}))),
        (CallbackComponent, ComponentTestCase(
            "callback refused", {}, {}, ExecuteAssertion(True, {}),
            ScheduleAssertion(False, {}, callback_data={"bit": 0}))),
        (MultiCallbackComponent, ComponentTestCase(
            "two callbacks", {}, {}, ExecuteAssertion(True, {}),
            [ScheduleAssertion(True, {"count": 1}, callback_data={"bit": 1}),
             ScheduleAssertion(True, {"count": 2}, callback_data={})])),
        (MailComponent, _mail_case(True, True, {"sent": True}, [Call("ann", "from bob")])),
        (MailComponent, _mail_case(False, False, {"sent": False}, [Call("ann", "from bob")])),
    ],
)
def test_passing_cases_report_nothing(component: type[Component], case: ComponentTestCase) -> None:
    assert run_component_case(component, case) == []


def test_patches_are_undone_after_the_case() -> None:
    run_component_case(MailComponent, _mail_case(True, True, {"sent": True}, [Call("ann", "from bob")]))
    with pytest.raises(AssertionError, match="must be patched"):
        send_mail("x", "y")


def test_case_ids_default_to_fresh_values() -> None:
    first = ComponentTestCase("a", {}, {}, ExecuteAssertion(True, {}))
    second = ComponentTestCase("b", {}, {}, ExecuteAssertion(True, {}), service_id="s1", root_pipeline_id="r1")
    assert first.service_id and first.root_pipeline_id and first.service_id != first.root_pipeline_id
    assert (second.service_id, second.root_pipeline_id) == ("s1", "r1")


# ---- failing cases -----------------------------------------------------------------


def test_wrong_expected_execute_output_is_reported() -> None:
    case = ComponentTestCase("wrong", {"a": 1}, {}, ExecuteAssertion(True, {"a": 2}),
                             ScheduleAssertion(True, {"a": 1}, schedule_finished=True))
    errors = run_component_case(DebugComponent, case)
    assert len(errors) == 1
    assert "[DebugComponent case 1] - [wrong]" in errors[0]
    assert "execute outputs assertion failed" in errors[0]
    assert "expected: {'a': 2}" in errors[0] and "actual: {'a': 1}" in errors[0]


def test_wrong_success_flag_is_reported_and_failed_execute_ends_case() -> None:
    case = ComponentTestCase("flag", {}, {}, ExecuteAssertion(True, {}),
                             ScheduleAssertion(True, {"never": "checked"}))
    errors = run_component_case(FailCtrlComponent, case)
    assert errors == [
        "[FailCtrlComponent case 1] - [flag] fail: execute success assertion failed: expected True, actual False"
    ]


def test_wrong_schedule_expectations_are_reported() -> None:
    case = ComponentTestCase(
        "poll", {"_loop": 1}, {}, ExecuteAssertion(True, {"_loop": 1, "loop": 1, "count": 0}),
        [ScheduleAssertion(True, {"_loop": 1, "loop": 1, "count": 1}, schedule_finished=True),
         ScheduleAssertion(True, {"_loop": 1, "loop": 1, "count": 99})],
    )
    errors = run_component_case(LoopCountScheduleComponent, case)
    assert len(errors) == 2
    assert "schedule_finished assertion failed: expected True, actual False" in errors[0]
    assert "schedule outputs assertion failed" in errors[1] and "99" in errors[1]


def test_failed_schedule_stops_further_schedules() -> None:
    case = ComponentTestCase(
        "multi", {}, {}, ExecuteAssertion(True, {}),
        [ScheduleAssertion(True, {}, callback_data={"bit": 0}),
         ScheduleAssertion(True, {"count": 1}, callback_data={"bit": 1})],
    )
    errors = run_component_case(MultiCallbackComponent, case)
    assert errors == [
        "[MultiCallbackComponent case 1] - [multi] fail: schedule success assertion failed: expected True, actual False"
    ]


def test_missing_schedule_assertion_is_reported() -> None:
    errors = run_component_case(CallbackComponent, ComponentTestCase("cb", {}, {}, ExecuteAssertion(True, {})))
    assert len(errors) == 1 and "no schedule_assertion" in errors[0]


def test_exceptions_and_call_mismatches_are_reported() -> None:
    unpatched = ComponentTestCase("raises", {"to": "ann"}, {}, ExecuteAssertion(True, {}))
    errors = run_component_case(MailComponent, unpatched)
    assert len(errors) == 1 and "raised an exception" in errors[0] and "must be patched" in errors[0]
    wrong_calls = _mail_case(True, True, {"sent": True}, [Call("zed", "from bob")])
    errors = run_component_case(MailComponent, wrong_calls)
    assert len(errors) == 1 and "call assertion failed" in errors[0]
    not_called = _mail_case(True, True, {"sent": True}, [])
    assert "call assertion failed" in run_component_case(MailComponent, not_called)[0]
    twice = _mail_case(True, True, {"sent": True}, [Call("ann", "from bob"), Call("ann", "from bob")])
    assert "expected 2 calls, got 1" in run_component_case(MailComponent, twice)[0]


class BadFormatService(Service):
    def inputs_format(self) -> list[InputItem]:
        return [
            InputItem("a", "a", "string", schema=IntItemSchema("int, not string")),
            InputItem("a again", "a", "int"),
            OutputItem("wrong kind", "w", "int"),  # type: ignore[list-item]
        ]

    def outputs_format(self) -> list[OutputItem]:
        return [OutputItem("bad schema", "b", "int", schema="int")]  # type: ignore[arg-type]

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        return True


class BadFormatComponent(Component):
    name = "bad"
    code = "kit_bad_format"
    bound_service = BadFormatService


def test_format_problems_are_reported() -> None:
    errors = validate_formats(BadFormatComponent)
    assert len(errors) == 4
    assert "type 'string' but schema type 'int'" in errors[0]
    assert "declared twice" in errors[1]
    assert "is not an InputItem" in errors[2]
    assert "outputs" in errors[3]
    assert validate_formats(TimerComponent) == []
    case = ComponentTestCase("ok", {}, {}, ExecuteAssertion(True, {}))
    assert run_component_case(BadFormatComponent, case) == errors
    assert run_component_case(BadFormatComponent, case, check_formats=False) == []


def test_mixin_fails_with_every_message() -> None:
    class _Failing(ComponentTestMixin, unittest.TestCase):
        def component_cls(self) -> type[Component]:
            return FailCtrlComponent

        def cases(self) -> list[ComponentTestCase]:
            return [
                ComponentTestCase("good", {"bit": 1}, {}, ExecuteAssertion(True, {})),
                ComponentTestCase("bad output", {"bit": 1}, {}, ExecuteAssertion(True, {"x": 1})),
                ComponentTestCase("bad flag", {"bit": 0}, {}, ExecuteAssertion(True, {})),
            ]

    result = unittest.TestResult()
    _Failing("test_component").run(result)
    assert len(result.failures) == 1
    message = result.failures[0][1]
    assert "case 2] - [bad output]" in message and "case 3] - [bad flag]" in message
    assert "[good]" not in message


def test_mixin_requires_the_two_methods() -> None:
    with pytest.raises(NotImplementedError):
        ComponentTestMixin().test_component()
