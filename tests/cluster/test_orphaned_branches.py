"""A chain that dies while running a branch of its own fork: the redelivered item of the
process that forked continues the branch (``worker.continue_orphaned_chain``).

The chain ran the branch itself, so after the watchdog's write (the component ran long)
the branch stands RUNNING with no work item of its own; only the forking process's item,
redelivered by JetStream when its consumer died, can bring it back. Pure engine and
``MemoryStore``: the death is an exception no handler catches, raised mid-component.
"""

from __future__ import annotations

import time

from bamboo_core.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    ServiceActivity,
    build_tree,
)
from bamboo_core.component import Component, Service
from bamboo_core.engine import Engine
from bamboo_core.engine import pipeline_operations as ops
from bamboo_core.engine.config import EngineConfig
from bamboo_core.examples import register_examples
from bamboo_core.memory_store import MemoryStore
from bamboo_core.records import ExecuteItem, ProcessStatus, WorkItem
from bamboo_core.states import State
from bamboo_executor.worker import continue_orphaned_chain

register_examples()

class _ConsumerDied(BaseException):
    """What a killed consumer looks like to the chain: nothing after it runs."""


class DiesOnceService(Service):
    """Runs past the commit window (so the watchdog writes), then dies the first time."""

    keys: list[str] = []  # the idempotency key of each run

    def execute(self, data, parent_data):  # type: ignore[no-untyped-def]
        DiesOnceService.keys.append(self.idempotency_key)
        time.sleep(0.15)
        if len(DiesOnceService.keys) == 1:
            raise _ConsumerDied
        return True


class DiesOnce(Component):
    code = "test_orphan_dies_once"
    name = "dies once"
    bound_service = DiesOnceService


def test_a_branch_whose_chain_died_is_continued_by_the_forking_process_redelivered_item() -> None:
    DiesOnceService.keys = []
    work: list[WorkItem] = []
    store = MemoryStore(on_commit=lambda commit: work.extend(commit.work))
    engine = Engine(store, config=EngineConfig(batch_steps=64, commit_window=0.05))
    start = EmptyStartEvent(id="s")
    start.extend(ParallelGateway(id="g")).connect(
        ServiceActivity(component_code=DiesOnce.code, id="b0"), ServiceActivity(component_code="debug", id="b1"),
    ).converge(ConvergeGateway(id="c")).extend(EmptyEndEvent(id="e"))
    root = ops.run_pipeline(engine, build_tree(start, id="P"))
    first = work.pop(0)
    assert isinstance(first, ExecuteItem)

    try:
        engine.run(first)
        raise AssertionError("the component did not die")
    except _ConsumerDied:
        pass
    branch = next(p for p in store.get_processes(root) if p.current_node_id == "b0")
    assert branch.status is ProcessStatus.RUNNING and store.get_state("b0").name is State.RUNNING  # type: ignore[union-attr]
    assert all(item.process_id != branch.id for item in work)  # no work item of its own: orphaned

    engine.run(first)  # the redelivery: stale, dropped ...
    continue_orphaned_chain(engine, first)  # ... and its branches continued
    while work:
        engine.run(work.pop(0))

    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]
    assert store.get_state("b0").loop == 1  # type: ignore[union-attr]  # the same attempt, run again
    assert len(DiesOnceService.keys) == 2 and DiesOnceService.keys[0] == DiesOnceService.keys[1]
