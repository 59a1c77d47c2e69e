"""The scenarios' own components, end events and lazy variable, and what they noted.

They register themselves when this module is imported (that is how Bamboo registers
user code): the test process imports it through the scenario modules, and the
services of a real cluster through ``BAMBOO_COMPONENTS=tests.scenarios.components``.
Their calls go to the examples' ledger (``bamboo_core.examples.ledger``), so a
scenario reads them back the same way whether they ran in its own process or in a
cluster's executors.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bamboo_core.component import Component, DataObject, Service, StaticIntervalGenerator
from bamboo_core.end_events import ExecutableEndEvent as EndEventCode
from bamboo_core.examples.ledger import ledger
from bamboo_core.variables import LazyVariable

# -- custom executable end events (scenarios 22-24) --------------------------------------


@dataclass(frozen=True, slots=True)
class EndCall:
    """One call of a scenario end event."""

    type: str
    in_subprocess: bool
    root_pipeline_id: str
    current_pipeline_id: str


@dataclass
class _EndEventLog:
    """Calls of the scenario end events, and how many of the next calls should raise.

    ``pipeline_names`` maps pipeline ids as the engine saw them back to the scenario's
    (a cluster harness runs scenario "P" under a unique id), for reading ``calls``.
    """

    pipeline_names: Mapping[str, str] = field(default_factory=dict)
    _CALLS = "end_events:calls"
    _FAILURES = "end_events:failures"

    def reset(self, failures: int = 0) -> None:
        ledger().clear(self._CALLS)
        ledger().clear(self._FAILURES)
        for _ in range(failures):
            ledger().append(self._FAILURES, "")

    @property
    def calls(self) -> list[EndCall]:
        calls = [EndCall(**json.loads(entry)) for entry in ledger().entries(self._CALLS)]
        names = self.pipeline_names
        return [replace(call, root_pipeline_id=names.get(call.root_pipeline_id, call.root_pipeline_id),
                        current_pipeline_id=names.get(call.current_pipeline_id, call.current_pipeline_id))
                for call in calls]

    def record(self, call: EndCall) -> bool:
        """Record ``call``; True when this call should raise (one of the first ``failures`` since reset)."""
        position = ledger().append(self._CALLS, json.dumps(asdict(call)))
        return position < len(ledger().entries(self._FAILURES))


END_EVENTS = _EndEventLog()
RECORD_END = "ScenarioRecordEnd"
RAISE_END = "ScenarioRaiseEnd"
END_FAILURE_TEXT = "scenario end event fails on purpose"


class ScenarioRecordEnd(EndEventCode):
    """Records its call and succeeds."""

    type = RECORD_END

    def execute(self, in_subprocess: bool, root_pipeline_id: str, current_pipeline_id: str) -> None:
        END_EVENTS.record(EndCall(RECORD_END, in_subprocess, root_pipeline_id, current_pipeline_id))


class ScenarioRaiseEnd(EndEventCode):
    """Records its call and raises while ``END_EVENTS.reset(failures=n)`` has failures left."""

    type = RAISE_END

    def execute(self, in_subprocess: bool, root_pipeline_id: str, current_pipeline_id: str) -> None:
        if END_EVENTS.record(EndCall(RAISE_END, in_subprocess, root_pipeline_id, current_pipeline_id)):
            raise RuntimeError(END_FAILURE_TEXT)


class S48RaisingEnd(EndEventCode):
    """A registered end event type whose code always raises (scenario 48)."""

    type = "S48RaisingEnd"

    def execute(self, in_subprocess: bool, root_pipeline_id: str, current_pipeline_id: str) -> None:
        raise RuntimeError("S48RaisingEnd fails on purpose")


# -- a lazy variable that counts its computations (scenario 32) ---------------------------


class _Ticks:
    """How often ``scenario_tick`` was computed (to prove a value was frozen once)."""

    _KEY = "ticks"

    def reset(self) -> None:
        ledger().clear(self._KEY)

    def next(self) -> int:
        return ledger().append(self._KEY, "") + 1

    @property
    def count(self) -> int:
        return len(ledger().entries(self._KEY))


TICKS = _Ticks()
TICK_CODE = "scenario_tick"


class ScenarioTickVariable(LazyVariable):
    """``"<value>-<n>"`` where n counts every computation: a time-like, changing value."""

    code = TICK_CODE
    name = "Scenario tick"

    def get_value(self) -> Any:
        return f"{self.value}-{TICKS.next()}"


# -- counting components (scenarios 78, 79) ------------------------------------------------

_COUNTS = "counts:"


def count(node_id: str, what: str) -> None:
    ledger().append(f"{_COUNTS}{node_id}:{what}", "")


def counted(node_id: str, what: str) -> int:
    return len(ledger().entries(f"{_COUNTS}{node_id}:{what}"))


def clear_counts() -> None:
    ledger().clear_all(_COUNTS)


class CountingPollService(Service):
    """Like ``debug`` (poll, first schedule finishes) but counts every execute/schedule call per node."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        count(str(self.id), "execute")
        return True

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        count(str(self.id), "schedule")
        self.finish_schedule()
        return True


class CountingPollComponent(Component):
    name = "Counting poll (scenario 78)"
    code = "s78_counting_poll"
    bound_service = CountingPollService


class SlowCallbackService(Service):
    """CALLBACK whose schedule takes a while, so two callbacks overlap; counts calls and completions."""

    __need_schedule__ = True
    __need_run_hook__ = True

    def execute(self, data: DataObject, parent_data: DataObject) -> bool | None:
        count(str(self.id), "execute")
        return True

    def schedule(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool | None:
        count(str(self.id), "schedule")
        time.sleep(0.05)
        return True

    def node_finish(self, data: DataObject, parent_data: DataObject, callback_data: Any = None) -> bool:
        count(str(self.id), "node_finish")
        return True


class SlowCallbackComponent(Component):
    name = "Slow callback (scenario 79)"
    code = "s79_slow_callback"
    bound_service = SlowCallbackService
