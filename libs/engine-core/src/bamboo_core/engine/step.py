"""StepContext: what a node handler sees and the changes it stages.

A step reads one snapshot and writes one ``Commit``. The context keeps the node's
latest staged state and guards the commit with the versions it read, so a step that
raced with an operator writes nothing. ``component_running`` stages the commit so far
on its own, for a service activity whose state must read RUNNING while its component
runs.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bamboo_core.context import Hydrator
from bamboo_core.errors import InvalidTransitionError
from bamboo_core.events import EventKind
from bamboo_core.model import NodeDef, PipelineModel, VarType
from bamboo_core.ports import Commit, Guard, GuardKind, StepSnapshot
from bamboo_core.records import ContextValue, Event, ExecutionData, NodeState, Process, evolve
from bamboo_core.states import ARCHIVED_STATES, State, can_transit

if TYPE_CHECKING:
    from bamboo_core.engine.chain import ChainRun
    from bamboo_core.engine.engine import Engine


# Ids are a random per-process prefix plus a counter: unique across processes like a
# uuid4, at a fraction of its cost (the engine makes two per node step).
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(1)


def new_version() -> str:
    return new_id("v")


def new_id(prefix: str) -> str:
    return f"{prefix}{_ID_PREFIX}{next(_ID_COUNTER):016x}"


@dataclass(frozen=True, slots=True)
class Decision:
    """Where the process goes after a handler ran."""

    next_node_id: str = ""  # continue there, in the same process
    sleep: bool = False  # park at this node (failed, or waiting for its schedule)
    die: bool = False  # the root pipeline ended
    forks: tuple[str, ...] = ()  # start a child process at each of these nodes
    join_node_id: str = ""  # with forks: the converge gateway where the parent resumes
    stack: tuple[str, ...] | None = None  # the process's new stack (subprocess entry / exit)
    suspended_by: str = ""  # blocked by this paused pipeline or appointed node


SLEEP = Decision(sleep=True)


class StepContext:
    def __init__(self, engine: Engine, model: PipelineModel, node: NodeDef, snap: StepSnapshot,
                 chain: ChainRun | None = None) -> None:
        self.engine = engine
        self.chain = chain  # the execute chain staging this step's commits, if any
        self.model = model
        self.node = node
        self.snap = snap
        self.process: Process = snap.process
        self.state: NodeState | None = snap.state
        self.now = engine.clock.now()
        self.commit = self._fresh_commit()
        # Effects that must follow a landed commit (completion hooks), never a lost one.
        self.after_commit: list[Callable[[], object]] = []

    def run_after_commit(self) -> None:
        for effect in self.after_commit:
            effect()

    # -- identity -------------------------------------------------------------------

    @property
    def root_id(self) -> str:
        return self.process.root_id

    @property
    def scope_id(self) -> str:
        return self.process.stack[-1]

    @property
    def loop(self) -> int:
        assert self.state is not None
        return self.state.loop + self.engine.config.rerun_index_offset

    @property
    def inner_loop(self) -> int:
        assert self.state is not None
        return self.state.inner_loop + self.engine.config.rerun_index_offset

    # -- staging --------------------------------------------------------------------

    def _fresh_commit(self) -> Commit:
        return Commit(
            root_id=self.process.root_id,
            guards=[
                Guard(GuardKind.PROCESS, self.process.id, self.process.version),
                Guard(GuardKind.STATE, self.node.id, self.state.version if self.state else None),
            ],
        )

    def set_state(self, name: State, **changes: Any) -> NodeState:
        """Stage the node's next state, checked against the transition table."""
        assert self.state is not None
        if name is not self.state.name and not can_transit(self.state.name, name):
            raise InvalidTransitionError(f"node {self.node.id}: {self.state.name.value} -> {name.value}")
        if name in ARCHIVED_STATES and "archived_time" not in changes:
            changes["archived_time"] = self.now
        self.state = evolve(self.state, name=name, **changes)
        self.put_state(self.state)
        return self.state

    def put_state(self, state: NodeState) -> None:
        self.commit.states.append(state)
        self.event(EventKind.POST_SET_STATE, state.node_id, state=state.name.value, version=state.version,
                   root_id=state.root_id, parent_id=state.parent_id, loop=state.loop)

    def put_pipeline_state(self, pipeline_id: str, name: State) -> NodeState:
        """Move a pipeline on the stack (root or subprocess), guarded by the version read."""
        current = self.snap.pipeline_states[pipeline_id]
        self.commit.guards.append(Guard(GuardKind.STATE, pipeline_id, current.version))
        changes: dict[str, Any] = {"name": name}
        if name in ARCHIVED_STATES:
            changes["archived_time"] = self.now
        state = evolve(current, **changes)
        self.put_state(state)
        return state

    def set_execution_data(self, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> None:
        self.commit.execution_data[self.node.id] = ExecutionData(inputs=dict(inputs), outputs=dict(outputs))

    def put_context(self, scope_id: str, values: Mapping[str, Any]) -> None:
        """Upsert plain values into a scope's context."""
        staged = self.commit.contexts.setdefault(scope_id, {})
        for key, value in values.items():
            staged[key] = ContextValue(key=key, type=VarType.PLAIN, value=value)

    def extract_outputs(self, outputs: Mapping[str, Any], node: NodeDef | None = None) -> None:
        """Copy mapped outputs into the context of the node's scope (SPEC §3.4)."""
        node = node or self.node
        found = {key: outputs[source] for source, keys in node.outputs.items() if source in outputs for key in keys}
        if found:
            self.put_context(node.scope_id, found)

    def event(self, kind: EventKind, node_id: str = "", **data: Any) -> None:
        if not self.engine.emit_events:
            return
        self.commit.events.append(Event(kind=kind, root_id=self.root_id, node_id=node_id, data=data, time=self.now))

    @contextlib.contextmanager
    def component_running(self) -> Iterator[None]:
        """Checkpoint what is staged now (the node RUNNING) for the component's run; later
        changes go to a new commit guarded on it. Outside a chain it is written at once;
        in one, it is written with the chain, or while the component runs if it runs long."""
        self.process = evolve(self.process, version=self.process.version + 1)
        self.commit.processes.append(self.process)
        checkpoint, self.commit = self.commit, self._fresh_commit()
        if self.chain is None:
            self.engine.store.commit(checkpoint)
            yield
            return
        with self.chain.running(checkpoint):
            yield

    # -- reading the context --------------------------------------------------------

    def context_values(self, scope_id: str | None = None) -> Mapping[str, ContextValue]:
        scope_id = scope_id or self.scope_id
        stored = self.snap.contexts.get(scope_id, {})
        staged = self.commit.contexts.get(scope_id)
        return {**stored, **staged} if staged else stored

    def hydrator(self, scope_id: str | None = None) -> Hydrator:
        """A hydrator over the scope's context, with the node's own upcoming ``_loop`` /
        ``_inner_loop`` under the keys they map to (SPEC §3.4: a node's inputs may
        depend on its own upcoming loop number)."""
        values = self.context_values(scope_id)
        if self.state is not None and self.node.outputs and scope_id in (None, self.node.scope_id):
            loops = {key: ContextValue(key=key, type=VarType.PLAIN, value=value)
                     for source, value in (("_loop", self.loop), ("_inner_loop", self.inner_loop))
                     for key in self.node.outputs.get(source, ())}
            if loops:
                values = {**values, **loops}
        return Hydrator(values, self.snap.root_data, self.engine.compute_variable)
