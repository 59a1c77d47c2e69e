"""Run-time records: what a store keeps about a running pipeline.

All records are immutable (frozen dataclasses, or NamedTuples for the ones steps
rewrite most): a step builds new ones and commits them, so a snapshot handed to a
step can never change under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple, TypeVar

from bamboo_core.component.service import ScheduleType
from bamboo_core.events import EventKind
from bamboo_core.model import VarType
from bamboo_core.states import State


class ProcessStatus(str, Enum):
    RUNNING = "RUNNING"  # a work item for it is in flight
    SLEEPING = "SLEEPING"  # parked at current_node_id: waits for a schedule or an operator
    SUSPENDED = "SUSPENDED"  # blocked by a paused pipeline or an appointed node (suspended_by)
    JOINING = "JOINING"  # waits for its children, then resumes at current_node_id
    DEAD = "DEAD"


class NodeState(NamedTuple):
    node_id: str
    root_id: str
    parent_id: str
    name: State
    version: str
    loop: int = 1
    inner_loop: int = 1
    # The enclosing subprocess's loop when this node was last entered: a new pass of the
    # subprocess restarts inner_loop at 1 without touching every child row.
    scope_pass: int = 1
    retry: int = 0
    skip: bool = False
    error_ignored: bool = False
    created_time: float = 0.0
    started_time: float | None = None
    archived_time: float | None = None


class Process(NamedTuple):
    """A token walking the graph; ``version`` fences stale work items."""

    id: str
    root_id: str
    parent_id: str
    stack: tuple[str, ...]  # pipeline ids, root first, then each entered subprocess
    current_node_id: str
    status: ProcessStatus
    version: int = 1
    destination_id: str = ""  # a forked child stops before executing this node
    suspended_by: str = ""
    need_ack: int = 0  # children still to arrive before a JOINING parent resumes


class Schedule(NamedTuple):
    id: str
    node_id: str
    node_version: str
    type: ScheduleType
    process_id: str
    times: int = 0
    finished: bool = False
    expired: bool = False
    rev: int = 1  # bumped on every write; the compare-and-set token
    # A callback claims the schedule until this time, so two callbacks never run the
    # component at once; a claim that outlives a crashed worker simply expires.
    locked_until: float = 0.0


@dataclass(frozen=True, slots=True)
class ExecutionData:
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class History:
    node_id: str
    started_time: float | None
    archived_time: float | None
    loop: int
    retry: int
    skip: bool
    version: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    id: int = 0  # assigned by the store


@dataclass(frozen=True, slots=True)
class ContextValue:
    key: str
    type: VarType
    value: Any
    code: str = ""


@dataclass(frozen=True, slots=True)
class ExecuteItem:
    """Run the process from ``node_id``; dropped unless the process is still at ``process_version``."""

    root_id: str
    process_id: str
    node_id: str
    process_version: int


@dataclass(frozen=True, slots=True)
class ScheduleItem:
    """One schedule call (a poll tick or a callback) for one node attempt."""

    root_id: str
    process_id: str
    node_id: str
    schedule_id: str
    callback_data: Any = None
    is_callback: bool = False


WorkItem = ExecuteItem | ScheduleItem


@dataclass(frozen=True, slots=True)
class Event:
    """A fact for watchers: a state change, a hook, an operation (SPEC §7.7)."""

    kind: EventKind
    root_id: str
    node_id: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    time: float = 0.0


_Record = TypeVar("_Record", NodeState, Process, Schedule)


def evolve(record: _Record, **changes: Any) -> _Record:
    """A copy of a record with ``changes``.

    The records a step rewrites (states, processes, schedules) are NamedTuples:
    ``_replace`` costs a third of ``dataclasses.replace``, which topped the engine's
    profile at two or three rewrites per node step.
    """
    return record._replace(**changes)


def joined(parent: Process) -> Process:
    """A JOINING process once its last child arrived: running again, at its next version
    (the state-store's arrival SQL does the same in ``db/rows.arrival_sql``)."""
    return evolve(parent, need_ack=0, status=ProcessStatus.RUNNING, version=parent.version + 1)
