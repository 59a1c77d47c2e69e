"""The execute chain: steps staged and written together (``bamboo_core.engine.chain``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from bamboo_core.builder import (
    ConvergeGateway,
    Data,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ParallelGateway,
    ServiceActivity,
    SubProcess,
    build_tree,
)
from bamboo_core.component import Component, Service
from bamboo_core.engine import Engine, chain
from bamboo_core.engine import node_operations as node_ops
from bamboo_core.engine import pipeline_operations as ops
from bamboo_core.engine.chain import ahead_of, merge
from bamboo_core.engine.config import EngineConfig
from bamboo_core.examples import register_examples
from bamboo_core.memory_store import MemoryStore
from bamboo_core.model import build_model
from bamboo_core.ports import MAX_AHEAD, Commit, Guard, GuardKind
from bamboo_core.records import ExecutionData, NodeState, Process, ProcessStatus, WorkItem
from bamboo_core.states import State

register_examples()


class CountingStore(MemoryStore):
    """Counts writes and reads, and queues the work items commits hand out."""

    def __init__(self) -> None:
        self.work: list[WorkItem] = []
        super().__init__(on_commit=lambda commit: self.work.extend(commit.work))
        self.commits = 0
        self.loads = 0

    def commit(self, commit: Commit) -> None:
        self.commits += 1
        super().commit(commit)

    def load_step(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.loads += 1
        return super().load_step(*args, **kwargs)


def line(length: int, code: str = "debug") -> dict:
    start = EmptyStartEvent(id="s")
    tail = start
    for index in range(length):
        tail = tail.extend(ServiceActivity(component_code=code, id=f"a{index}"))
    tail.extend(EmptyEndEvent(id="e"))
    return build_tree(start, id="P")


def run(engine: Engine, store: CountingStore, tree: dict) -> str:
    root = ops.run_pipeline(engine, tree)
    store.commits = store.loads = 0  # count the flow's steps, not its creation
    while store.work:
        engine.run(store.work.pop(0))
    return root


# -- what is read ahead ------------------------------------------------------------------


def test_ahead_follows_single_flows_into_and_out_of_subprocesses() -> None:
    inner = EmptyStartEvent(id="is")
    inner.extend(ServiceActivity(component_code="debug", id="ia")).extend(EmptyEndEvent(id="ie"))
    start = EmptyStartEvent(id="s")
    start.extend(ServiceActivity(component_code="debug", id="a")).extend(SubProcess(start=inner, id="sp")) \
        .extend(ServiceActivity(component_code="debug", id="b")).extend(EmptyEndEvent(id="e"))
    model = build_model(build_tree(start, id="P"))

    assert ahead_of(model, "s", 10) == ["a", "sp", "is", "ia", "ie", "b", "e"]
    assert ahead_of(model, "s", 3) == ["a", "sp", "is"]
    assert ahead_of(model, "e", 10) == []  # the root's end: the process ends there


def test_ahead_goes_down_every_branch_of_an_exclusive_gateway_nearest_first() -> None:
    start = EmptyStartEvent(id="s")
    gateway = ExclusiveGateway(id="g", conditions={0: "True", 1: "False"})
    start.extend(ServiceActivity(component_code="debug", id="a")).extend(gateway).connect(
        ServiceActivity(component_code="debug", id="x"), ServiceActivity(component_code="debug", id="y"),
    ).converge(ConvergeGateway(id="c")).extend(EmptyEndEvent(id="e"))
    model = build_model(build_tree(start, id="P", data=Data()))

    assert ahead_of(model, "s", 10) == ["a", "g", "x", "y", "c", "e"]
    assert ahead_of(model, "s", 3) == ["a", "g", "x"]


def test_ahead_goes_down_every_branch_of_a_fork_to_its_converge_gateway() -> None:
    start = EmptyStartEvent(id="s")
    gateway = ParallelGateway(id="g")
    start.extend(ServiceActivity(component_code="debug", id="a")).extend(gateway).connect(
        ServiceActivity(component_code="debug", id="x"), ServiceActivity(component_code="debug", id="y"),
    ).converge(ConvergeGateway(id="c")).extend(EmptyEndEvent(id="e"))
    model = build_model(build_tree(start, id="P", data=Data()))

    assert ahead_of(model, "s", 10) == ["a", "g", "x", "y", "c", "e"]  # the chain may run the branches
    assert ahead_of(model, "s", 3) == ["a", "g", "x"]
    assert ahead_of(model, "c", 10) == ["e"]


# -- merging staged commits -------------------------------------------------------------


def _state(node_id: str, version: str, name: State = State.RUNNING) -> NodeState:
    return NodeState(node_id=node_id, root_id="P", parent_id="P", name=name, version=version)


def test_merge_drops_guards_on_rows_the_batch_wrote_and_keeps_the_last_write() -> None:
    process = Process(id="p", root_id="P", parent_id="", stack=("P",), current_node_id="a",
                      status=ProcessStatus.RUNNING)
    first = Commit(root_id="P", guards=[Guard(GuardKind.PROCESS, "p", 1), Guard(GuardKind.STATE, "a", None)],
                   states=[_state("a", "v1")], processes=[process])
    second = Commit(root_id="P", guards=[Guard(GuardKind.PROCESS, "p", 2), Guard(GuardKind.STATE, "a", "v1"),
                                         Guard(GuardKind.STATE, "b", None)],
                    states=[_state("a", "v1", State.FINISHED), _state("b", "v2")], processes=[process])

    merged = merge([first, second])

    # What the first step read is checked; what the second read of the first's writes is not.
    assert merged.guards == [Guard(GuardKind.PROCESS, "p", 1), Guard(GuardKind.STATE, "a", None),
                             Guard(GuardKind.STATE, "b", None)]
    assert [(s.node_id, s.name) for s in merged.states] == [("a", State.FINISHED), ("b", State.RUNNING)]
    assert len(merged.processes) == 1


def test_merge_applies_outputs_over_data_written_earlier_in_the_batch() -> None:
    first = Commit(root_id="P", execution_data={"sp": ExecutionData({"x": 1}, {})})
    second = Commit(root_id="P", execution_outputs={"sp": {"y": 2}}, contexts={"sp": {}})
    merged = merge([first, second])
    assert merged.execution_data == {"sp": ExecutionData({"x": 1}, {"y": 2})}
    assert merged.execution_outputs == {}


# -- how often a chain writes -----------------------------------------------------------


@pytest.mark.parametrize(("config", "most_writes"), [
    (EngineConfig(batch_steps=64, commit_window=60), 1),  # the whole line in one write
    (EngineConfig(batch_steps=4, commit_window=60), 6),  # 22 steps, 4 per write
])
def test_a_chain_writes_its_steps_together(config: EngineConfig, most_writes: int) -> None:
    store = CountingStore()
    engine = Engine(store, config=config)
    root = run(engine, store, line(10))
    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]
    assert [store.get_state(f"a{i}").name for i in range(10)] == [State.FINISHED] * 10  # type: ignore[union-attr]
    assert 1 <= store.commits <= most_writes
    assert store.loads <= most_writes  # the first read; the rest was read ahead, or read after a write


def test_writing_every_step_at_once_is_the_old_behaviour() -> None:
    store = CountingStore()
    engine = Engine(store, config=EngineConfig(batch_steps=1, commit_window=0))
    run(engine, store, line(10))
    assert store.commits == 2 * 10 + 2  # a checkpoint and a result per activity; start and end


# -- a component that runs long ---------------------------------------------------------


def _blocking_component(started: threading.Event, release: threading.Event) -> str:
    class BlockingService(Service):
        def execute(self, data, parent_data):  # type: ignore[no-untyped-def]
            started.set()
            release.wait(10)
            return True

    class Blocking(Component):
        code = "test_chain_blocking"
        name = "blocking"
        bound_service = BlockingService

    return Blocking.code


def _in_thread(action: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_long_running_component_is_seen_running_and_the_steps_before_it_are_written() -> None:
    started, release = threading.Event(), threading.Event()
    store = CountingStore()
    engine = Engine(store, config=EngineConfig(batch_steps=64, commit_window=0.05))
    start = EmptyStartEvent(id="s")
    start.extend(ServiceActivity(component_code="debug", id="a")) \
        .extend(ServiceActivity(component_code=_blocking_component(started, release), id="b")) \
        .extend(EmptyEndEvent(id="e"))
    root = ops.run_pipeline(engine, build_tree(start, id="P"))
    worker = _in_thread(lambda: engine.run(store.work.pop(0)))
    started.wait(5)

    _wait_for(lambda: store.get_state("b") is not None)  # written by the watchdog while b runs
    assert store.get_state("a").name is State.FINISHED  # type: ignore[union-attr]
    assert store.get_state("b").name is State.RUNNING  # type: ignore[union-attr]
    release.set()
    worker.join(5)
    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]


def test_a_forced_fail_of_a_long_running_component_wins_over_its_late_result() -> None:
    started, release = threading.Event(), threading.Event()
    store = CountingStore()
    engine = Engine(store, config=EngineConfig(batch_steps=64, commit_window=0.05))
    start = EmptyStartEvent(id="s")
    start.extend(ServiceActivity(component_code=_blocking_component(started, release), id="b")) \
        .extend(EmptyEndEvent(id="e"))
    root = ops.run_pipeline(engine, build_tree(start, id="P"))
    worker = _in_thread(lambda: engine.run(store.work.pop(0)))
    started.wait(5)
    _wait_for(lambda: store.get_state("b") is not None)

    node_ops.forced_fail_activity(engine, "b", "stuck")
    release.set()
    worker.join(5)

    assert not worker.is_alive()
    assert store.get_state("b").name is State.FAILED  # type: ignore[union-attr]
    assert store.get_execution_data("b").outputs["ex_data"] == "stuck"  # type: ignore[union-attr]
    assert store.get_state(root).name is State.RUNNING  # type: ignore[union-attr]


@pytest.mark.parametrize("linger", [0.0, 60.0], ids=["asleep", "ticking"])
def test_the_watchdog_fires_an_alarm_whether_it_sleeps_or_ticks(monkeypatch: pytest.MonkeyPatch,
                                                                 linger: float) -> None:
    """Asleep (nothing armed for LINGER), arming wakes the watchdog; ticking, it finds the
    alarm on its own within TICK of the deadline."""
    monkeypatch.setattr(chain, "LINGER", linger)
    watchdog = chain._Watchdog()
    watchdog.arm(time.monotonic(), lambda: None).disarm()  # start its thread, let it settle
    time.sleep(0.05)
    fired = threading.Event()
    due = time.monotonic() + 0.01
    alarm = watchdog.arm(due, fired.set)
    assert fired.wait(5), "the alarm never fired"
    alarm.disarm()
    assert time.monotonic() - due < 1.0


# -- a fork's branches run in the chain ---------------------------------------------------


def fork_of(*branch_codes: str) -> dict:
    """s → a → g ⟨b0 | b1 | ...⟩ → c → z → e"""
    start = EmptyStartEvent(id="s")
    branches = [ServiceActivity(component_code=code, id=f"b{index}") for index, code in enumerate(branch_codes)]
    start.extend(ServiceActivity(component_code="debug", id="a")).extend(ParallelGateway(id="g")) \
        .connect(*branches).converge(ConvergeGateway(id="c")) \
        .extend(ServiceActivity(component_code="debug", id="z")).extend(EmptyEndEvent(id="e"))
    return build_tree(start, id="P")


def test_short_branches_run_and_join_in_the_chain_one_read_and_one_write() -> None:
    store = CountingStore()
    engine = Engine(store, config=EngineConfig(batch_steps=64, commit_window=60))

    root = run(engine, store, fork_of("debug", "debug", "debug"))

    assert (store.loads, store.commits) == (1, 1)
    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]
    for node in ("a", "g", "b0", "b1", "b2", "c", "z", "e"):
        state = store.get_state(node)
        assert state is not None and state.name is State.FINISHED and state.loop == 1, node
    processes = store.get_processes(root)
    assert len(processes) == 4 and all(p.status is ProcessStatus.DEAD for p in processes)


def test_a_write_while_branches_wait_hands_them_to_other_workers() -> None:
    store = CountingStore()
    engine = Engine(store, config=EngineConfig(batch_steps=6, commit_window=60))
    root = ops.run_pipeline(engine, fork_of("debug", "debug", "debug", "debug"))

    engine.run(store.work.pop(0))  # s, a, g, then b0 until six steps are staged: written

    assert len(store.work) >= 2  # the branches not started, each with a work item of its own
    assert {item.node_id for item in store.work} <= {"b1", "b2", "b3"}
    while store.work:
        engine.run(store.work.pop(0))
    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]
    assert all(store.get_state(f"b{index}").loop == 1 for index in range(4))  # type: ignore[union-attr]
    assert store.get_state("z").loop == 1  # type: ignore[union-attr]


def test_a_long_running_branch_hands_its_siblings_to_other_workers_while_it_runs() -> None:
    started, release = threading.Event(), threading.Event()
    store = CountingStore()
    engine = Engine(store, config=EngineConfig(batch_steps=64, commit_window=0.05))
    root = ops.run_pipeline(engine, fork_of(_blocking_component(started, release), "debug", "debug"))
    worker = _in_thread(lambda: engine.run(store.work.pop(0)))
    started.wait(5)

    _wait_for(lambda: len(store.work) == 2)  # the watchdog's write, while b0 runs
    assert {item.node_id for item in store.work} == {"b1", "b2"}
    while store.work:  # another worker runs the siblings meanwhile
        engine.run(store.work.pop(0))
    assert store.get_state("b1").name is State.FINISHED  # type: ignore[union-attr]
    assert store.get_state("b0").name is State.RUNNING  # type: ignore[union-attr]
    release.set()
    worker.join(5)
    while store.work:  # b0's arrival was the last: the store resumes the parent
        engine.run(store.work.pop(0))

    assert not worker.is_alive()
    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]
    assert store.get_state("z").loop == 1  # type: ignore[union-attr]


def test_a_chain_reads_ahead_no_more_nodes_than_the_store_takes() -> None:
    store = CountingStore()
    asked: list[int] = []
    load_step = store.load_step

    def counting_load(*args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(len(kwargs.get("ahead", ())))
        return load_step(*args, **kwargs)

    store.load_step = counting_load  # type: ignore[method-assign]
    engine = Engine(store, config=EngineConfig(batch_steps=1000, commit_window=60))

    root = run(engine, store, line(400))

    assert store.get_state(root).name is State.FINISHED  # type: ignore[union-attr]
    assert asked and max(asked) == MAX_AHEAD
