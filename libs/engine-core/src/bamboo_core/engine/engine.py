"""The Engine: stateless flow logic over a ``StateStore``.

It runs work items (``execute`` / ``schedule``) and the operator operations; it never
holds state between calls, so any number of engines (threads, executor replicas)
can share one store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bamboo_core.clock import Clock, SystemClock
from bamboo_core.component import ComponentLibrary, Service
from bamboo_core.engine.config import EngineConfig
from bamboo_core.engine.execute import run_execute
from bamboo_core.engine.schedule import run_schedule
from bamboo_core.model import PipelineModel
from bamboo_core.ports import Commit, StateStore
from bamboo_core.records import ExecuteItem, ScheduleItem, WorkItem
from bamboo_core.variables import VariableLibrary


class ServiceLibrary(Protocol):
    def get_service(self, code: str, version: str | None = None) -> Service: ...


class VariableFactory(Protocol):
    def get_var_class(self, code: str) -> Any: ...


class Engine:
    def __init__(
        self,
        store: StateStore,
        *,
        components: ServiceLibrary | None = None,
        variables: VariableFactory | None = None,
        clock: Clock | None = None,
        config: EngineConfig | None = None,
        emit_events: bool = True,
    ) -> None:
        self.store = store
        self.components: ServiceLibrary = components or ComponentLibrary
        self.variables: VariableFactory = variables or VariableLibrary
        self.clock: Clock = clock or SystemClock()
        self.config = config or EngineConfig()
        self._models: dict[str, PipelineModel] = {}
        # Events cost a little per step; an embedded runtime nobody listens to skips them.
        self.emit_events = emit_events

    def model(self, root_id: str) -> PipelineModel:
        """Models never change once stored, so each engine keeps the ones it used."""
        model = self._models.get(root_id)
        if model is None:
            model = self._models[root_id] = self.store.model(root_id)
        return model

    def compute_variable(self, code: str, name: str, value: Any, root_data: Mapping[str, Any]) -> Any:
        var_class = self.variables.get_var_class(code)
        return var_class(name, value, {}, dict(root_data)).get_value()

    def execute(self, item: ExecuteItem) -> None:
        run_execute(self, item)

    def schedule(self, item: ScheduleItem) -> None:
        run_schedule(self, item)

    def run(self, item: WorkItem) -> None:
        if isinstance(item, ExecuteItem):
            self.execute(item)
        else:
            self.schedule(item)

    def dispatch(self, item: WorkItem) -> None:
        """Hand work back to the store's outbox (used when a long chain yields)."""
        self.store.commit(Commit(root_id=item.root_id, work=[item]))
