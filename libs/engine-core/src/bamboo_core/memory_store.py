"""``StateStore`` in process memory: the store of the embedded runtime.

One lock guards everything, so a commit is atomic and the guard checks and the
writes see the same state. Records are immutable, so snapshots share them freely.
After each commit the store hands its work, timers and events to ``on_commit`` —
the in-memory counterpart of the state-store's transactional outbox.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bamboo_core.errors import AlreadyExistsError, NotFoundError, StateConflictError
from bamboo_core.model import DataInput, PipelineModel
from bamboo_core.ports import Commit, Guard, GuardKind, NodeRows, StepSnapshot
from bamboo_core.records import (
    ContextValue,
    ExecuteItem,
    ExecutionData,
    History,
    NodeState,
    Process,
    Schedule,
    evolve,
    joined,
)

OnCommit = Callable[[Commit], None]
_EMPTY: Mapping[str, ContextValue] = {}


class MemoryStore:
    def __init__(self, on_commit: OnCommit | None = None) -> None:
        self._lock = threading.Lock()
        self._on_commit = on_commit
        self._models: dict[str, PipelineModel] = {}
        self._root_of: dict[str, str] = {}
        self._root_data: dict[str, Mapping[str, Any]] = {}
        self._states: dict[str, NodeState] = {}
        self._states_by_root: dict[str, dict[str, None]] = {}  # insertion-ordered sets
        self._processes: dict[str, Process] = {}
        self._processes_by_root: dict[str, dict[str, None]] = {}
        self._schedules: dict[str, Schedule] = {}
        self._schedule_by_attempt: dict[tuple[str, str], str] = {}
        self._execution_data: dict[str, ExecutionData] = {}
        self._node_inputs: dict[str, Mapping[str, DataInput]] = {}
        self._contexts: dict[str, dict[str, ContextValue]] = {}
        self._histories: dict[str, list[History]] = {}
        self._history_ids = itertools.count(1)

    def set_on_commit(self, on_commit: OnCommit) -> None:
        self._on_commit = on_commit

    # -- writes ---------------------------------------------------------------------

    def create_pipeline(self, model: PipelineModel, root_data: Mapping[str, Any], commit: Commit) -> None:
        with self._lock:
            taken = [node_id for node_id in (model.root_id, *model.nodes) if node_id in self._root_of]
            if taken:
                raise AlreadyExistsError(f"ids already used by another pipeline: {taken[:5]}")
            self._models[model.root_id] = model
            self._root_data[model.root_id] = dict(root_data)
            for node_id in (model.root_id, *model.nodes):
                self._root_of[node_id] = model.root_id
            self._apply(commit)
        self._publish(commit)

    def commit(self, commit: Commit) -> None:
        with self._lock:
            for guard in commit.guards:
                self._check(guard)
            self._apply(commit)
        self._publish(commit)

    def _publish(self, commit: Commit) -> None:
        if self._on_commit is not None and (commit.work or commit.timers or commit.events):
            self._on_commit(commit)

    def _check(self, guard: Guard) -> None:
        current: object
        if guard.kind is GuardKind.STATE:
            state = self._states.get(guard.id)
            current = state.version if state else None
        elif guard.kind is GuardKind.PROCESS:
            process = self._processes.get(guard.id)
            current = process.version if process else None
        else:
            schedule = self._schedules.get(guard.id)
            current = schedule.rev if schedule else None
        if current != guard.expected:
            raise StateConflictError(
                f"{guard.kind.value} {guard.id!r} is at {current!r}, expected {guard.expected!r}"
            )

    def _apply(self, commit: Commit) -> None:
        for state in commit.states:
            self._states[state.node_id] = state
            self._states_by_root.setdefault(state.root_id, {})[state.node_id] = None
        for process in commit.processes:
            self._processes[process.id] = process
            self._processes_by_root.setdefault(process.root_id, {})[process.id] = None
        for child_id in commit.join_arrivals:
            self._arrive(child_id, commit)
        for schedule in commit.schedules:
            self._schedules[schedule.id] = schedule
            self._schedule_by_attempt[(schedule.node_id, schedule.node_version)] = schedule.id
        self._execution_data.update(commit.execution_data)
        for node_id, outputs in commit.execution_outputs.items():
            inputs = self._execution_data.get(node_id, ExecutionData()).inputs
            self._execution_data[node_id] = ExecutionData(inputs=inputs, outputs=outputs)
        self._node_inputs.update(commit.node_inputs)
        for scope_id, values in commit.contexts.items():
            # Copy on write: snapshots share the current dict, so it is never mutated.
            self._contexts[scope_id] = {**self._contexts.get(scope_id, {}), **values}
        for history in commit.histories:
            stored = dataclasses.replace(history, id=next(self._history_ids))
            self._histories.setdefault(history.node_id, []).append(stored)

    def _arrive(self, child_id: str, commit: Commit) -> None:
        """Count one child against its parent; the last arrival resumes the parent."""
        child = self._processes[child_id]
        parent = self._processes[child.parent_id]
        remaining = parent.need_ack - 1
        if remaining > 0:
            self._processes[parent.id] = evolve(parent, need_ack=remaining)
            return
        resumed = joined(parent)
        self._processes[parent.id] = resumed
        commit.work.append(ExecuteItem(resumed.root_id, resumed.id, resumed.current_node_id, resumed.version))

    # -- reads ----------------------------------------------------------------------

    def model(self, root_id: str) -> PipelineModel:
        try:
            return self._models[root_id]
        except KeyError:
            raise NotFoundError(f"pipeline {root_id!r} does not exist") from None

    def root_of(self, node_id: str) -> str | None:
        return self._root_of.get(node_id)

    def load_step(self, process_id: str, node_id: str, schedule_id: str = "",
                  ahead: Sequence[str] = ()) -> StepSnapshot | None:
        with self._lock:
            process = self._processes.get(process_id)
            if process is None:
                return None
            return StepSnapshot(
                process=process,
                pipeline_states={p: s for p in process.stack if (s := self._states.get(p)) is not None},
                state=self._states.get(node_id),
                execution_data=self._execution_data.get(node_id),
                node_inputs=self._node_inputs.get(node_id),
                contexts={**{scope: self._contexts[scope] for scope in ahead if scope in self._contexts},
                          **{scope: self._contexts.get(scope, _EMPTY) for scope in process.stack}},
                root_data=self._root_data[process.root_id],
                schedule=self._schedules.get(schedule_id) if schedule_id else None,
                ahead={node: NodeRows(self._states.get(node), self._execution_data.get(node),
                                      self._node_inputs.get(node)) for node in ahead},
            )

    def get_state(self, node_id: str) -> NodeState | None:
        return self._states.get(node_id)

    def get_states(self, root_id: str) -> Sequence[NodeState]:
        with self._lock:
            return [self._states[n] for n in self._states_by_root.get(root_id, {})]

    def get_execution_data(self, node_id: str) -> ExecutionData | None:
        return self._execution_data.get(node_id)

    def get_node_inputs(self, node_id: str) -> Mapping[str, DataInput] | None:
        return self._node_inputs.get(node_id)

    def get_histories(self, node_id: str) -> Sequence[History]:
        with self._lock:
            return list(self._histories.get(node_id, ()))

    def get_context(self, scope_id: str) -> Mapping[str, ContextValue]:
        with self._lock:
            return dict(self._contexts.get(scope_id, {}))

    def get_processes(self, root_id: str) -> Sequence[Process]:
        with self._lock:
            return [self._processes[p] for p in self._processes_by_root.get(root_id, {})]

    def get_schedule(self, node_id: str, node_version: str) -> Schedule | None:
        with self._lock:
            schedule_id = self._schedule_by_attempt.get((node_id, node_version))
            return self._schedules.get(schedule_id) if schedule_id else None

    def get_root_data(self, root_id: str) -> Mapping[str, Any]:
        return self._root_data.get(root_id, {})
