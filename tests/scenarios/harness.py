"""Drives a runtime through a scenario, independent of which runtime it is.

Scenarios (SPEC §8) talk only to ``bamboo_core.api`` and this harness, so the same
scenario code runs against the embedded ``InMemoryRuntime`` (with a manual clock)
and, later, against a real cluster through the SDK's ``Client``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bamboo_core import api
from bamboo_core.builder import build_tree
from bamboo_core.builder.flow.base import Element
from bamboo_core.runtime import InMemoryRuntime
from bamboo_core.states import ARCHIVED_STATES, State

ARCHIVED = {s.value for s in ARCHIVED_STATES}


class Harness:
    def __init__(self, runtime: InMemoryRuntime) -> None:
        self.runtime = runtime

    # -- driving --------------------------------------------------------------------

    def tree(self, start: Element | Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        return build_tree(start, **kwargs) if isinstance(start, Element) else dict(start)

    def run(self, start: Element | Mapping[str, Any], *, settle: bool = True, **options: Any) -> dict[str, Any]:
        """Build (if needed) and run a pipeline; assert it was accepted; return the tree."""
        tree = self.tree(start)
        result = api.run_pipeline(self.runtime, tree, **options)
        assert result.result, result.exc_trace
        if settle:
            self.settle()
        return tree

    def settle(self) -> None:
        """Let every runnable step run (time does not move)."""
        assert self.runtime.wait_idle(timeout=30), "runtime did not become idle"
        self.check_errors()

    def advance(self, seconds: float) -> None:
        """Move time forward, running every poll that falls due."""
        self.runtime.advance(seconds)
        self.check_errors()

    def finish(self, root_id: str, max_seconds: float = 3600) -> str:
        """Advance time until the pipeline is archived or nothing is left to wait for."""
        waited = 0.0
        while waited < max_seconds:
            self.settle()
            state = self.state(root_id)
            due = self.next_timer_due()
            if state in ARCHIVED or due is None:
                return state or ""
            step = max(due - self.now(), 0.001)
            self.advance(step)
            waited += step
        return self.state(root_id) or ""

    def next_timer_due(self) -> float | None:
        """When the next poll or delayed callback falls due (None: nothing waits)."""
        return self.runtime.next_timer_due()

    def now(self) -> float:
        return self.runtime.clock.now()

    def check_errors(self) -> None:
        assert not self.runtime.errors, f"engine errors: {self.runtime.errors!r}"

    # -- reading --------------------------------------------------------------------

    def ok(self, result: api.EngineAPIResult) -> Any:
        assert result.result, result.exc_trace
        return result.data

    def node(self, node_id: str) -> dict[str, Any] | None:
        data = api.get_children_states(self.runtime, node_id).data or {}
        return data.get(node_id)

    def state(self, node_id: str) -> str | None:
        """The node's (or pipeline's) state name, None if it never ran."""
        entry = self.node(node_id)
        return entry["state"] if entry else None

    def states(self, root_id: str) -> dict[str, str]:
        """Every state of the pipeline, the root included, flat: {id: state}."""
        data = self.ok(api.get_pipeline_states(self.runtime, root_id))
        root = data[root_id]
        flat = {root_id: root["state"]}
        flat.update({node_id: child["state"] for node_id, child in root["children"].items()})
        return flat

    def exec_data(self, node_id: str) -> dict[str, Any]:
        return self.ok(api.get_execution_data(self.runtime, node_id))

    def histories(self, node_id: str) -> list[dict[str, Any]]:
        return self.ok(api.get_node_histories(self.runtime, node_id))

    def schedule(self, node_id: str, version: str | None = None) -> dict[str, Any]:
        return self.ok(api.get_schedule(self.runtime, node_id, version))

    def version(self, node_id: str) -> str:
        entry = self.node(node_id)
        assert entry is not None, f"{node_id} has no state"
        return str(entry["version"])

    def context(self, pipeline_id: str) -> dict[str, dict[str, Any]]:
        info = self.ok(api.get_pipeline_debug_info(self.runtime, pipeline_id))
        return {value["key"]: value for value in info["context_values"]}


FINISHED = State.FINISHED.value
FAILED = State.FAILED.value
RUNNING = State.RUNNING.value
SUSPENDED = State.SUSPENDED.value
REVOKED = State.REVOKED.value
