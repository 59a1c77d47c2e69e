"""Steps of one process run back to back, written together (SPEC §1.3, DESIGN "life of a node").

A chain of nodes that need no waiting used to cost a round trip to the store for every
step, and two for an activity (its RUNNING checkpoint, then its result). Here the steps'
commits are *staged*: the chain reads the rows of the nodes ahead of it with its first
load, derives each next step's snapshot from that read and what it staged since, and
writes the staged steps as one commit (which brings back the next read) when

- the process stops moving (sleeps, dies, suspends) and no branch is left to run,
- ``batch_steps`` steps are staged, or ``commit_window`` seconds passed since the first,
- the next node was not read ahead.

A fork's branches run in the chain too, one after another, until it next writes: that
write hands the branches not yet started to other workers (their work items are in the
staged fork), so a branch waits for a slow sibling about one window (the watchdog
writes). When every branch ran here and reached the converge gateway before any write,
the chain joins them itself and the parent goes on in the chain: a flow of short
branches costs one read and one write.

A component that runs longer than the window gets its RUNNING checkpoint (and every step
before it) written from the watchdog thread while it runs, so operators see it running
and can force-fail it, as they could when every checkpoint was written at once.

Guarantees are unchanged: a crash before the write loses staged steps, and their replay
(the work item is redelivered) re-runs their components with the same versions, hence
the same idempotency keys, because a step's version derives from what it read
(``execute.step_version``). A branch the chain was running when it wrote has no work
item of its own: the redelivered item of the process that forked it continues it (the
executor's ``continue_orphaned_chain``). A write that loses a race changes nothing; the
chain re-reads from its first unwritten step, as a single step did.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import heapq
import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bamboo_core.model import NodeDef, NodeType, PipelineModel
from bamboo_core.ports import MAX_AHEAD, Commit, GuardKind, NodeRows, StepSnapshot
from bamboo_core.records import (
    ContextValue,
    ExecuteItem,
    ExecutionData,
    NodeState,
    Process,
    Schedule,
    joined,
)

if TYPE_CHECKING:
    from bamboo_core.engine.engine import Engine

_FORKS = frozenset({NodeType.PARALLEL_GATEWAY, NodeType.CONDITIONAL_PARALLEL_GATEWAY})
_ENDS = frozenset({NodeType.EMPTY_END_EVENT, NodeType.EXECUTABLE_END_EVENT})


def ahead_of(model: PipelineModel, node_id: str, limit: int) -> list[str]:
    """Up to ``limit`` nodes a chain at ``node_id`` may reach next, nearest first: along
    flows, down every branch of a gateway, into subprocesses and out of their end events."""
    ahead: list[str] = []
    seen = {node_id}
    queue = collections.deque([node_id])
    while queue and len(ahead) < limit:
        for following in _next_in_process(model, model.node(queue.popleft())):
            if following not in seen and len(ahead) < limit:
                seen.add(following)
                ahead.append(following)
                queue.append(following)
    return ahead


def _next_in_process(model: PipelineModel, node: NodeDef) -> tuple[str, ...]:
    if node.type is NodeType.SUBPROCESS:
        return (node.start_event_id,)
    if node.type in _ENDS:  # the root's end ends the process; a subprocess's goes on after it
        return () if node.scope_id == model.root_id else _targets(model.node(node.scope_id))
    return _targets(node)


def _targets(node: NodeDef) -> tuple[str, ...]:
    return tuple(target for _flow, target in node.targets)


def merge(commits: Sequence[Commit]) -> Commit:
    """One commit with the effect of ``commits`` applied in order.

    A guard on a row an earlier commit of the batch wrote is dropped: that commit's
    write is what the later step read, and the merged write checks the row as the
    earlier commit's own guard found it.
    """
    if len(commits) == 1:
        return commits[0]
    merged = Commit(root_id=commits[0].root_id)
    written: set[tuple[GuardKind, str]] = set()
    guarded: set[tuple[GuardKind, str]] = set()
    states: dict[str, NodeState] = {}
    processes: dict[str, Process] = {}
    schedules: dict[str, Schedule] = {}
    for commit in commits:
        for guard in commit.guards:
            key = (guard.kind, guard.id)
            if key not in written and key not in guarded:
                guarded.add(key)
                merged.guards.append(guard)
        for state in commit.states:
            states[state.node_id] = state
            written.add((GuardKind.STATE, state.node_id))
        for process in commit.processes:
            processes[process.id] = process
            written.add((GuardKind.PROCESS, process.id))
        for schedule in commit.schedules:
            schedules[schedule.id] = schedule
            written.add((GuardKind.SCHEDULE, schedule.id))
        merged.join_arrivals += commit.join_arrivals
        for node_id, data in commit.execution_data.items():
            merged.execution_data[node_id] = data
            merged.execution_outputs.pop(node_id, None)
        for node_id, outputs in commit.execution_outputs.items():
            if node_id in merged.execution_data:
                merged.execution_data[node_id] = ExecutionData(merged.execution_data[node_id].inputs, outputs)
            else:
                merged.execution_outputs[node_id] = outputs
        merged.node_inputs.update(commit.node_inputs)
        for scope_id, values in commit.contexts.items():
            merged.contexts.setdefault(scope_id, {}).update(values)
        merged.histories += commit.histories
        merged.work += commit.work
        merged.timers += commit.timers
        merged.events += commit.events
    merged.states = list(states.values())
    merged.processes = list(processes.values())
    merged.schedules = list(schedules.values())
    return merged


class _Overlay:
    """The rows a chain staged since its last read: what the next steps must see."""

    def __init__(self) -> None:
        self.states: dict[str, NodeState] = {}
        self.execution_data: dict[str, ExecutionData] = {}
        self.node_inputs: dict[str, Mapping[str, Any]] = {}
        self.contexts: dict[str, dict[str, ContextValue]] = {}

    def add(self, commit: Commit, stored_data: Callable[[str], ExecutionData | None]) -> None:
        for state in commit.states:
            self.states[state.node_id] = state
        self.execution_data.update(commit.execution_data)
        for node_id, outputs in commit.execution_outputs.items():
            before = self.execution_data.get(node_id) or stored_data(node_id)
            self.execution_data[node_id] = ExecutionData(before.inputs if before else {}, outputs)
        self.node_inputs.update(commit.node_inputs)
        for scope_id, values in commit.contexts.items():
            self.contexts.setdefault(scope_id, {}).update(values)


@dataclasses.dataclass(slots=True)
class _Fork:
    """A fork staged in this chain, whose branches the chain runs until it writes."""

    parent: Process  # the forking process, JOINING, as staged
    commit: Commit  # the staged step that forked: its work items start the branches
    branches: frozenset[str]  # the child process ids
    waiting: dict[str, Process]  # branches not started, by id (their work items still staged)
    arrived: int = 0  # branches run here that reached the converge gateway


class ChainRun:
    """One execute work item's chain: the last read, the staged steps, and their writing."""

    def __init__(self, engine: Engine, model: PipelineModel) -> None:
        self._engine = engine
        self.model = model
        self._steps = max(1, engine.config.batch_steps)
        self._window = engine.config.commit_window
        self._snap: StepSnapshot | None = None  # the last read from the store
        self._snap_node = ""  # the node it was read at
        self._overlay = _Overlay()
        self._pending: list[Commit] = []
        self._effects: list[Callable[[], object]] = []  # completion hooks of staged steps
        self._landed: list[Callable[[], object]] = []  # ... of steps the watchdog wrote
        self._first_staged = 0.0
        self._forks: dict[str, _Fork] = {}  # by parent id; emptied by every write
        self._lock = threading.Lock()  # the watchdog writes while a component runs
        # (process, node, process version) of the first staged step
        self.base: tuple[str, str, int] | None = None

    # -- reading ----------------------------------------------------------------------

    def snapshot(self, process_id: str, node_id: str, process: Process | None) -> StepSnapshot | None:
        """The step of the process at ``node_id``: derived from the last read when it can
        be, else read (writing what is staged first, in the same round trip)."""
        derived = self._derive(node_id, process) if process is not None else None
        if derived is not None:
            return derived
        ahead = ahead_of(self.model, node_id, min(self._steps, MAX_AHEAD)) if self._steps > 1 else ()
        commit = self._take()
        if commit is None:
            snap = self._engine.store.load_step(process_id, node_id, ahead=ahead)
        else:
            snap = _commit_and_load(self._engine.store, commit, process_id, node_id, ahead)
            self._after_write()
        self._snap, self._snap_node, self._overlay = snap, node_id, _Overlay()
        return snap

    def _derive(self, node_id: str, process: Process) -> StepSnapshot | None:
        snap = self._snap
        if snap is None:
            return None
        rows: NodeRows | None = snap.ahead.get(node_id)
        if node_id == self._snap_node:
            rows = NodeRows(snap.state, snap.execution_data, snap.node_inputs)
        # A scope entered since the read was read ahead (its context with it) or is unknown.
        if rows is None or any(scope not in snap.ahead and scope not in snap.process.stack
                               for scope in process.stack):
            return None
        overlay = self._overlay
        pipeline_states = {}
        for scope in process.stack:
            read = snap.ahead[scope].state if scope in snap.ahead else None
            state = overlay.states.get(scope) or snap.pipeline_states.get(scope) or read
            if state is not None:
                pipeline_states[scope] = state
        contexts = {scope: {**snap.contexts.get(scope, {}), **overlay.contexts[scope]}
                    if scope in overlay.contexts else snap.contexts.get(scope, {}) for scope in process.stack}
        node_inputs = overlay.node_inputs.get(node_id, rows.node_inputs)
        return StepSnapshot(
            process=process,
            pipeline_states=pipeline_states,
            state=overlay.states.get(node_id, rows.state),
            execution_data=overlay.execution_data.get(node_id, rows.execution_data),
            node_inputs=node_inputs,
            contexts=contexts,
            root_data=snap.root_data,
            ahead=snap.ahead,
        )

    def _stored_data(self, node_id: str) -> ExecutionData | None:
        snap = self._snap
        if snap is None:
            return None
        rows = snap.ahead.get(node_id)
        return rows.execution_data if rows is not None else None

    # -- staging and writing ----------------------------------------------------------

    def stage(self, commit: Commit, effects: Sequence[Callable[[], object]] = ()) -> None:
        with self._lock:
            if not self._pending:
                self._first_staged = time.monotonic()
            self._pending.append(commit)
            self._effects += effects
        self._overlay.add(commit, self._stored_data)

    def due(self) -> bool:
        """Whether the staged steps must be written before the chain goes on."""
        return len(self._pending) >= self._steps or time.monotonic() - self._first_staged >= self._window

    def write(self) -> None:
        """Write what is staged (the chain ends or yields) and run its completion hooks."""
        commit = self._take()
        if commit is not None:
            self._engine.store.commit(commit)
        self._after_write()

    def discard(self) -> None:
        """Forget the staged steps and the last read (a write lost a race)."""
        with self._lock:
            self._pending.clear()
            self._effects.clear()
            self._landed.clear()
            self._forks.clear()
        self._snap, self._overlay, self.base = None, _Overlay(), None

    # -- a fork's branches ------------------------------------------------------------

    def hold_branches(self, parent: Process, commit: Commit) -> None:
        """Keep the branches ``parent`` just forked in ``commit`` (staged) to run here."""
        branches = {p.id: p for p in commit.processes if p.parent_id == parent.id}
        with self._lock:
            self._forks[parent.id] = _Fork(parent, commit, frozenset(branches), branches)

    def next_branch(self) -> Process | None:
        """A held branch to run now, its work item withdrawn from the staged fork (the
        innermost fork's first), or None when every branch started or was handed on."""
        with self._lock:
            for fork in reversed(self._forks.values()):
                if fork.waiting:
                    branch_id = next(iter(fork.waiting))
                    branch = fork.waiting.pop(branch_id)
                    fork.commit.work = [item for item in fork.commit.work
                                        if not (isinstance(item, ExecuteItem) and item.process_id == branch_id)]
                    return branch
        return None

    def arrived(self, branch: Process) -> Process | None:
        """A branch run here reached its converge gateway. When it is the last of its fork
        and every one ran here since the last write, join here as the store would (the
        arrivals become the parent's resumption) and return the parent, resumed."""
        with self._lock:
            fork = self._forks.get(branch.parent_id)
            if fork is None:
                return None  # forked before the last write: the store counts the arrival
            fork.arrived += 1
            if fork.arrived < len(fork.branches):
                return None
            del self._forks[branch.parent_id]
            for commit in self._pending:
                commit.join_arrivals = [child for child in commit.join_arrivals if child not in fork.branches]
        resumed = joined(fork.parent)
        self.stage(Commit(root_id=resumed.root_id, processes=[resumed]))
        return resumed

    @contextlib.contextmanager
    def running(self, checkpoint: Commit) -> Iterator[None]:
        """Stage the checkpoint of a component about to run; if the run outlasts the
        window, write it (and everything staged before it) while the component runs."""
        self.stage(checkpoint)
        if self._window <= 0:
            self._write_landed()
            yield
            return
        alarm = WATCHDOG.arm(self._first_staged + self._window, self._write_landed)
        try:
            yield
        finally:
            alarm.disarm()  # waits for a write in flight; raises what it raised

    def _write_landed(self) -> None:
        commit = self._take(keep_effects=True)
        if commit is not None:
            self._engine.store.commit(commit)

    def _take(self, *, keep_effects: bool = False) -> Commit | None:
        """The staged steps as one commit, removed from the stage (None if nothing is staged).

        The branches held and not started go with it: their work items are in it."""
        with self._lock:
            if not self._pending:
                return None
            commit = merge(self._pending)
            self._pending = []
            self._forks.clear()
            if keep_effects:  # landed effects run on the chain's thread, not the watchdog's
                self._landed += self._effects
                self._effects = []
            return commit

    def _after_write(self) -> None:
        with self._lock:
            effects, self._landed, self._effects = [*self._landed, *self._effects], [], []
        self.base = None
        for effect in effects:
            effect()


def _commit_and_load(store: Any, commit: Commit, process_id: str, node_id: str,
                     ahead: Sequence[str]) -> StepSnapshot | None:
    """Commit, then load, in one round trip when the store offers ``commit_and_load``."""
    both = getattr(store, "commit_and_load", None)
    if both is not None:
        snap: StepSnapshot | None = both(commit, process_id, node_id, ahead)
        return snap
    store.commit(commit)
    loaded: StepSnapshot | None = store.load_step(process_id, node_id, ahead=ahead)
    return loaded


# The watchdog looks at its alarms at least every TICK seconds while any were armed in
# the last LINGER seconds, and an alarm only wakes it from a longer sleep: an alarm fires
# at most TICK late, and arming one costs no thread switch (that cost ~0.2 ms of CPU).
TICK = 0.02
LINGER = 1.0


class _Alarm:
    __slots__ = ("when", "action", "state", "error")

    ARMED, FIRING, DONE, CANCELLED = range(4)

    def __init__(self, when: float, action: Callable[[], None]) -> None:
        self.when = when
        self.action = action
        self.state = _Alarm.ARMED
        self.error: BaseException | None = None

    def disarm(self) -> None:
        """Cancel the alarm, or wait until its action ran and raise what it raised."""
        with WATCHDOG.lock:
            if self.state == _Alarm.ARMED:
                self.state = _Alarm.CANCELLED
                return
            while self.state == _Alarm.FIRING:
                WATCHDOG.lock.wait()
        if self.error is not None:
            raise self.error


class _Watchdog:
    """One daemon thread that fires alarms at their deadlines (monotonic time).

    One thread for the whole process, which wakes on its own (see TICK): most alarms
    are cancelled long before they are due, and a thread (or a wake-up) per alarm would
    cost more than the step it guards.
    """

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self._heap: list[tuple[float, int, _Alarm]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._wake_at = math.inf  # the deadline the thread sleeps towards

    def arm(self, when: float, action: Callable[[], None]) -> _Alarm:
        alarm = _Alarm(when, action)
        with self.lock:
            heapq.heappush(self._heap, (when, next(self._order), alarm))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="bamboo-chain-watchdog", daemon=True)
                self._thread.start()
            elif self._wake_at == math.inf:
                self.lock.notify_all()
        return alarm

    def _run(self) -> None:
        while True:
            with self.lock:
                alarm = self._next_due()
                alarm.state = _Alarm.FIRING
            try:
                alarm.action()
            except BaseException as exc:  # noqa: BLE001 - handed to the chain's thread by disarm
                alarm.error = exc
            with self.lock:
                alarm.state = _Alarm.DONE
                self.lock.notify_all()

    def _next_due(self) -> _Alarm:
        idle_until = time.monotonic() + LINGER
        while True:
            while self._heap and self._heap[0][2].state == _Alarm.CANCELLED:
                heapq.heappop(self._heap)
            now = time.monotonic()
            if self._heap and self._heap[0][0] <= now:
                self._wake_at = math.inf
                return heapq.heappop(self._heap)[2]
            if self._heap:
                self._wake_at, idle_until = min(self._heap[0][0], now + TICK), now + LINGER
            else:
                self._wake_at = now + TICK if now < idle_until else math.inf
            self.lock.wait(None if self._wake_at == math.inf else self._wake_at - now)


WATCHDOG = _Watchdog()
