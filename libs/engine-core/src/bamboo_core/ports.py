"""The one port between the engine and storage.

Its unit of work is one step: ``load_step`` returns everything a node step needs in
one read, and ``commit`` writes everything the step changed in one atomic unit,
guarded by the versions the step read. A remote state-store implements each as one
RPC and one transaction; ``MemoryStore`` implements them in process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from bamboo_core.model import DataInput, PipelineModel
from bamboo_core.records import (
    ContextValue,
    Event,
    ExecutionData,
    History,
    NodeState,
    Process,
    Schedule,
    WorkItem,
)


class GuardKind(str, Enum):
    STATE = "state"  # expected: the node state's version, or None for "no state yet"
    PROCESS = "process"  # expected: the process version
    SCHEDULE = "schedule"  # expected: the schedule's rev


@dataclass(frozen=True, slots=True)
class Guard:
    kind: GuardKind
    id: str
    expected: str | int | None


@dataclass(slots=True)
class Commit:
    """Everything one step changes. Applied all or nothing, after every guard holds."""

    root_id: str
    guards: list[Guard] = field(default_factory=list)
    states: list[NodeState] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    # Child processes that reached their destination; the store counts them against the
    # parent's need_ack and, on the last one, resumes the parent (one atomic counter).
    join_arrivals: list[str] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    execution_data: dict[str, ExecutionData] = field(default_factory=dict)
    # Replace only the outputs, keeping stored inputs (a pipeline's outputs at its end).
    execution_outputs: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    node_inputs: dict[str, Mapping[str, DataInput]] = field(default_factory=dict)
    contexts: dict[str, dict[str, ContextValue]] = field(default_factory=dict)
    histories: list[History] = field(default_factory=list)
    work: list[WorkItem] = field(default_factory=list)
    timers: list[tuple[float, WorkItem]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


MAX_AHEAD = 256  # nodes one load_step may read ahead; the state-store refuses more


@dataclass(frozen=True, slots=True)
class NodeRows:
    """One node's own stored rows, read ahead for a step that may follow in the same chain."""

    state: NodeState | None = None
    execution_data: ExecutionData | None = None
    node_inputs: Mapping[str, DataInput] | None = None


@dataclass(frozen=True, slots=True)
class StepSnapshot:
    """What a step reads, in one call."""

    process: Process
    pipeline_states: Mapping[str, NodeState]  # each pipeline on the process stack
    state: NodeState | None  # the node's state
    execution_data: ExecutionData | None
    node_inputs: Mapping[str, DataInput] | None  # inputs replaced by retry_node(data=...)
    # Each scope on the stack, and each scope (subprocess) among ``ahead`` that has values.
    contexts: Mapping[str, Mapping[str, ContextValue]]
    root_data: Mapping[str, Any]
    schedule: Schedule | None = None
    # The rows of each node asked for with ``ahead`` (an entry for every one, empty
    # when nothing is stored), so the steps that follow can run without another read.
    ahead: Mapping[str, NodeRows] = field(default_factory=dict)


class StateStore(Protocol):
    """Durable state of every pipeline. All writes go through ``commit``."""

    def create_pipeline(self, model: PipelineModel, root_data: Mapping[str, Any], commit: Commit) -> None:
        """Store the model and apply the run's first commit; AlreadyExistsError if any id is taken."""

    def model(self, root_id: str) -> PipelineModel:
        """The immutable model of a running pipeline (callers may cache it)."""

    def root_of(self, node_id: str) -> str | None:
        """The root pipeline a node or subprocess id belongs to."""

    def load_step(self, process_id: str, node_id: str, schedule_id: str = "",
                  ahead: Sequence[str] = ()) -> StepSnapshot | None:
        """Everything a step of ``process_id`` at ``node_id`` needs, plus the rows of the
        nodes in ``ahead`` (in ``StepSnapshot.ahead``); None if the process is unknown."""

    def commit(self, commit: Commit) -> None:
        """Apply atomically or raise StateConflictError and change nothing."""

    def get_state(self, node_id: str) -> NodeState | None: ...

    def get_states(self, root_id: str) -> Sequence[NodeState]: ...

    def get_execution_data(self, node_id: str) -> ExecutionData | None: ...

    def get_node_inputs(self, node_id: str) -> Mapping[str, DataInput] | None: ...

    def get_histories(self, node_id: str) -> Sequence[History]: ...

    def get_context(self, scope_id: str) -> Mapping[str, ContextValue]: ...

    def get_processes(self, root_id: str) -> Sequence[Process]: ...

    def get_schedule(self, node_id: str, node_version: str) -> Schedule | None: ...

    def get_root_data(self, root_id: str) -> Mapping[str, Any]: ...
