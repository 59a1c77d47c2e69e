"""Races between steps and operators, replayed deterministically.

The store below lets a test slip another commit in between an operation's read and
its commit — the window real threads hit only now and then.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from bamboo_core.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_core.engine import Engine
from bamboo_core.engine import pipeline_operations as ops
from bamboo_core.examples import register_examples
from bamboo_core.memory_store import MemoryStore
from bamboo_core.ports import Commit
from bamboo_core.records import Process, ProcessStatus, WorkItem
from bamboo_core.states import State

register_examples()


class InterleavingStore(MemoryStore):
    """Runs ``between`` once, right after an operation has read the processes."""

    def __init__(self) -> None:
        self.work: deque[WorkItem] = deque()
        super().__init__(on_commit=self._collect)
        self.between: Callable[[], None] | None = None

    def _collect(self, commit: Commit) -> None:
        self.work.extend(commit.work)

    def get_processes(self, root_id: str) -> Sequence[Process]:
        processes = super().get_processes(root_id)
        if self.between is not None:
            between, self.between = self.between, None
            between()
        return processes


def drain(engine: Engine, store: InterleavingStore) -> None:
    while store.work:
        engine.run(store.work.popleft())


def test_a_suspension_landing_inside_resume_is_woken() -> None:
    """The lost wake-up: resume reads no suspended process, a step suspends, resume commits."""
    store = InterleavingStore()
    engine = Engine(store)
    start = EmptyStartEvent(id="s")
    start.extend(ServiceActivity(component_code="debug", id="a")).extend(EmptyEndEvent(id="e"))
    root = ops.run_pipeline(engine, build_tree(start, id="P"))
    first_step = store.work.popleft()
    ops.pause_pipeline(engine, root)

    # The step sees the pause and suspends — between resume's read and its commit.
    store.between = lambda: engine.run(first_step)
    ops.resume_pipeline(engine, root)
    drain(engine, store)

    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]
    assert [p.status for p in store.get_processes(root)] == [ProcessStatus.DEAD]


def test_a_step_that_read_the_pause_before_resume_landed_retries() -> None:
    """A step deciding to suspend on a pause that a resume has since replaced loses its guard."""
    store = InterleavingStore()
    engine = Engine(store)
    start = EmptyStartEvent(id="s")
    start.extend(ServiceActivity(component_code="debug", id="a")).extend(EmptyEndEvent(id="e"))
    root = ops.run_pipeline(engine, build_tree(start, id="Q"))
    ops.pause_pipeline(engine, root)
    paused = store.get_state(root)
    ops.resume_pipeline(engine, root)
    resumed = store.get_state(root)

    assert paused is not None and resumed is not None
    assert paused.version != resumed.version  # so a guard on the paused version fails
    drain(engine, store)
    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]


class _WorkerDied(BaseException):
    """Stands for the death of the process running a step (not an error the engine handles)."""


def _dies_once(keys: list[str]) -> str:
    """A component that kills its worker on its first run, recording each run's key."""
    from bamboo_core.component import Component, Service

    class DiesOnceService(Service):
        def execute(self, data, parent_data):  # type: ignore[no-untyped-def]
            keys.append(str(self.idempotency_key))
            if len(keys) == 1:
                raise _WorkerDied()
            return True

    class DiesOnce(Component):
        code = "test_races_dies_once"
        name = "dies once"
        bound_service = DiesOnceService

    return DiesOnce.code


def test_an_execute_cut_off_after_its_checkpoint_runs_again_as_the_same_attempt() -> None:
    from bamboo_core.engine.config import EngineConfig
    from bamboo_core.records import ExecuteItem

    keys: list[str] = []
    store = InterleavingStore()
    engine = Engine(store, config=EngineConfig(commit_window=0))  # every checkpoint written at once
    start = EmptyStartEvent(id="rs")
    start.extend(ServiceActivity(component_code=_dies_once(keys), id="ra")).extend(EmptyEndEvent(id="re"))
    root = ops.run_pipeline(engine, build_tree(start, id="R"))
    try:
        drain(engine, store)
    except _WorkerDied:
        pass
    assert store.get_state("ra").name is State.RUNNING  # type: ignore[union-attr]

    # What a redelivery does for a process left RUNNING: continue it where it stands.
    (process,) = store.get_processes(root)
    engine.execute(ExecuteItem(root, process.id, process.current_node_id, process.version))
    drain(engine, store)

    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]
    assert len(keys) == 2 and keys[0] == keys[1]  # the same attempt, replayed


def test_a_chain_cut_off_before_its_write_replays_its_components_with_the_same_keys() -> None:
    keys: list[str] = []
    store = InterleavingStore()
    engine = Engine(store)  # the chain's steps are staged, not written one by one
    start = EmptyStartEvent(id="rs")
    start.extend(ServiceActivity(component_code=_dies_once(keys), id="ra")).extend(EmptyEndEvent(id="re"))
    root = ops.run_pipeline(engine, build_tree(start, id="R"))
    (item,) = store.work
    try:
        drain(engine, store)
    except _WorkerDied:
        pass
    assert store.get_state("ra") is None  # nothing of the chain was written

    engine.execute(item)  # the redelivery of the work item the dead worker held
    drain(engine, store)

    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]
    assert len(keys) == 2 and keys[0] == keys[1]  # the same attempt, replayed
