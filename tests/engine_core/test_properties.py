"""Property tests: random valid trees run exactly the nodes they should, each exactly once.

The oracle comes from ``random_trees`` (built from the spec, not from the engine): all
parallel branches, true conditional branches (or the default), the one exclusive branch
and everything inside subprocesses on those paths must end FINISHED, once, with no
history; nothing in an untaken branch may get a state (SPEC §1.3, §2.4, §4.3).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from bamboo_core import api
from bamboo_core.examples import register_examples
from bamboo_core.ports import Commit
from bamboo_core.records import Event
from bamboo_core.runtime import InMemoryRuntime, ManualClock
from tests.engine_core.random_trees import Activity, Block, BuiltPipeline, Parallel, Sub, blocks, build, count_nodes
from tests.scenarios.harness import FINISHED, RUNNING, SUSPENDED, Harness

register_examples()  # the `debug` / `loop_count` components the trees use

Snapshot = dict[str, tuple[Any, ...]]
PROPERTY = settings(max_examples=50, deadline=None)


@dataclass(slots=True)
class Watched:
    """A harness plus how many times each node was set RUNNING (from the event stream)."""

    harness: Harness
    running: Counter[str] = field(default_factory=Counter)
    finished_pipelines: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_event(self, fact: Event) -> None:
        if fact.kind == "post_set_state" and fact.data.get("state") == RUNNING:
            with self.lock:  # listeners run on whichever worker thread committed
                self.running[fact.node_id] += 1
        elif fact.kind == "pipeline_finish":
            with self.lock:
                self.finished_pipelines[fact.node_id or fact.root_id] += 1

    @property
    def runtime(self) -> InMemoryRuntime:
        return self.harness.runtime


@contextmanager
def watched_runtime(workers: int = 4) -> Iterator[Watched]:
    runtime = InMemoryRuntime(clock=ManualClock(), workers=workers)
    watched = Watched(Harness(runtime))
    runtime.subscribe(watched.on_event)
    try:
        yield watched
    finally:
        runtime.close()


class CommitGate:
    """Hands the runtime the first ``passes`` commits, then holds the rest back until ``release``.

    A commit's state changes are already stored when it is handed on; holding it only
    delays dispatching its work — exactly what a slow queue does. With the workers idle
    behind a closed gate, an operation lands at a chosen point of the run instead of
    wherever the race between threads puts it. The store's public ``set_on_commit``
    hook is borrowed and given back on release.
    """

    def __init__(self, runtime: InMemoryRuntime, passes: int) -> None:
        self.runtime = runtime
        self.forward: Callable[[Commit], None] = runtime._on_commit  # the runtime's own hand-off
        self.passes = passes
        self.held: list[Commit] = []
        self.lock = threading.Lock()
        runtime.store.set_on_commit(self)

    def __call__(self, commit: Commit) -> None:
        with self.lock:
            passing = self.passes > 0
            if passing:
                self.passes -= 1
            else:
                self.held.append(commit)
        if passing:
            self.forward(commit)

    def release(self) -> None:
        """Only once the runtime is idle, so no worker still commits through the gate."""
        self.runtime.store.set_on_commit(self.forward)
        with self.lock:
            held, self.held = self.held, []
        for commit in held:
            self.forward(commit)


# --- reading the outcome --------------------------------------------------------------------


def state_entries(runtime: InMemoryRuntime, root_id: str) -> dict[str, dict[str, Any]]:
    """{id: state dict} for the root and every node (subprocess contents included)."""
    result = api.get_pipeline_states(runtime, root_id)
    assert result.result, result.exc_trace
    root = result.data[root_id]
    return {root_id: root, **root["children"]}


def snapshot(runtime: InMemoryRuntime, root_id: str) -> Snapshot:
    return {
        node_id: (entry["state"], entry["loop"], entry["inner_loop"], entry["retry"], entry["skip"])
        for node_id, entry in state_entries(runtime, root_id).items()
    }


def process_statuses(runtime: InMemoryRuntime, root_id: str) -> list[dict[str, Any]]:
    info = api.get_pipeline_debug_info(runtime, root_id)
    assert info.result, info.exc_trace
    return list(info.data["processes"])


# --- the invariants -------------------------------------------------------------------------


def assert_ran_exactly_once(watched: Watched, built: BuiltPipeline, root_runs: int = 1) -> None:
    """Every expected node (and nothing else) FINISHED, entered once, no leftovers."""
    runtime, root_id = watched.runtime, built.root_id
    assert not runtime.errors, f"engine errors: {runtime.errors!r}"
    entries = state_entries(runtime, root_id)
    assert entries[root_id]["state"] == FINISHED
    nodes = {node_id: entry for node_id, entry in entries.items() if node_id != root_id}
    assert set(nodes) - built.expected == set(), "nodes in untaken branches got a state"
    assert built.expected - set(nodes) == set(), "nodes that should have run have no state"
    for node_id, entry in nodes.items():
        assert (node_id, entry["state"]) == (node_id, FINISHED)
        assert (node_id, entry["loop"], entry["inner_loop"]) == (node_id, 1, 1)
        assert (node_id, entry["retry"], entry["skip"]) == (node_id, 0, False)
        assert (node_id, entry["root_id"], entry["parent_id"]) == (node_id, root_id, built.parents[node_id])
        assert api.get_node_histories(runtime, node_id).data == [], node_id
    for node_id in built.debug_activities:
        schedule = api.get_schedule(runtime, node_id).data
        assert (node_id, schedule["times"], schedule["finished"]) == (node_id, 1, True)
    expected_running = Counter(dict.fromkeys(built.expected, 1)) + Counter({root_id: root_runs})
    assert watched.running == expected_running, "a node was set RUNNING more or less than once"
    assert watched.finished_pipelines == Counter({root_id: 1})
    assert {p["status"] for p in process_statuses(runtime, root_id)} == {"DEAD"}


def run_to_end(watched: Watched, built: BuiltPipeline) -> None:
    watched.harness.run(built.tree)
    assert watched.harness.finish(built.root_id) == FINISHED


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(block=blocks())
def test_generated_trees_respect_the_size_and_depth_bounds(block: Block) -> None:
    built = build(block)
    assert len(built.all_nodes) == count_nodes(block) + 2 <= 60
    assert nesting(block) <= 3
    assert built.expected <= built.all_nodes and set(built.parents) == built.all_nodes
    assert {built.tree["start_event"]["id"], built.tree["end_event"]["id"]} <= built.expected


def nesting(block: Block) -> int:
    """How many composites (forks, subprocesses) are nested at the deepest point."""
    depths = [0]
    for item in block:
        if isinstance(item, Sub):
            depths.append(1 + nesting(item.block))
        elif isinstance(item, Parallel):
            depths.extend(1 + nesting(body) for body in item.branches)
        elif not isinstance(item, Activity):
            depths.extend(1 + nesting(branch.block) for branch in item.branches)
    return max(depths)


@PROPERTY
@given(block=blocks())
def test_random_tree_runs_exactly_the_taken_nodes_once(block: Block) -> None:
    built = build(block)
    note("\n".join(built.outline))
    with watched_runtime(workers=4) as watched:
        run_to_end(watched, built)
        assert_ran_exactly_once(watched, built)


@settings(max_examples=30, deadline=None)
@given(block=blocks())
def test_one_worker_and_four_workers_reach_the_same_states(block: Block) -> None:
    built = build(block)
    note("\n".join(built.outline))
    snapshots: list[Snapshot] = []
    for workers in (1, 4):
        with watched_runtime(workers=workers) as watched:
            run_to_end(watched, built)
            snapshots.append(snapshot(watched.runtime, built.root_id))
    assert snapshots[0] == snapshots[1]
    assert set(snapshots[0]) == built.expected | {built.root_id}


@PROPERTY
@given(block=blocks())
def test_pause_before_the_first_step_blocks_everything_until_resume(block: Block) -> None:
    built = build(block)
    note("\n".join(built.outline))
    root_id = built.root_id
    with watched_runtime(workers=4) as watched:
        harness = watched.harness
        gate = CommitGate(watched.runtime, passes=0)
        harness.run(built.tree, settle=False)
        harness.ok(api.pause_pipeline(watched.runtime, root_id))
        assert gate.held, "run_pipeline's commit did not go through the store's on_commit hook"
        gate.release()
        harness.settle()
        harness.advance(3600)  # time passing changes nothing either
        assert harness.states(root_id) == {root_id: SUSPENDED}  # not even the start event ran
        [process] = process_statuses(watched.runtime, root_id)
        assert (process["status"], process["current_node_id"]) == (SUSPENDED, built.tree["start_event"]["id"])
        assert process["suspended_by"] == root_id
        harness.ok(api.resume_pipeline(watched.runtime, root_id))
        assert harness.finish(root_id) == FINISHED
        assert_ran_exactly_once(watched, built, root_runs=2)


@PROPERTY
@given(block=blocks(), passes=st.integers(1, 20))
def test_pause_at_a_random_point_then_resume_still_finishes(block: Block, passes: int) -> None:
    """Pause once ``passes`` commits have been dispatched (workers idle behind the gate)."""
    built = build(block)
    note("\n".join(built.outline))
    root_id = built.root_id
    with watched_runtime(workers=4) as watched:
        harness = watched.harness
        gate = CommitGate(watched.runtime, passes=passes)
        harness.run(built.tree, settle=False)
        harness.settle()
        paused = api.pause_pipeline(watched.runtime, root_id).result
        event(f"pause {'landed' if paused else 'came after the end'}")
        assert paused or harness.state(root_id) == FINISHED
        gate.release()
        harness.settle()
        if paused:
            assert_quiet_while_paused(watched, built)
            before = snapshot(watched.runtime, root_id)
            harness.advance(3600)  # nothing is waiting on time: a paused pipeline stays put
            assert snapshot(watched.runtime, root_id) == before
            harness.ok(api.resume_pipeline(watched.runtime, root_id))
        assert harness.finish(root_id) == FINISHED
        assert_ran_exactly_once(watched, built, root_runs=2 if paused else 1)


@PROPERTY
@given(block=blocks(), settle_while_paused=st.booleans())
def test_pause_racing_the_workers_then_resume_still_finishes(block: Block, settle_while_paused: bool) -> None:
    built = build(block)
    note("\n".join(built.outline))
    root_id = built.root_id
    with watched_runtime(workers=4) as watched:
        harness = watched.harness
        harness.run(built.tree, settle=False)
        paused = api.pause_pipeline(watched.runtime, root_id).result
        event(f"pause {'won' if paused else 'lost'} the race")
        if not paused:  # it can only lose the race by the pipeline having finished already
            harness.settle()
            assert harness.state(root_id) == FINISHED
        elif settle_while_paused:
            harness.settle()
            assert_quiet_while_paused(watched, built)
        if paused:
            harness.ok(api.resume_pipeline(watched.runtime, root_id))
        assert harness.finish(root_id) == FINISHED
        assert_ran_exactly_once(watched, built, root_runs=2 if paused else 1)


def assert_quiet_while_paused(watched: Watched, built: BuiltPipeline) -> None:
    """Paused and idle: work in flight has finished; only subprocesses (whose contents
    have not all run yet) may still be RUNNING, no activity or gateway is mid-run."""
    root_id = built.root_id
    states = watched.harness.states(root_id)
    assert states.pop(root_id) == SUSPENDED
    assert set(states) <= built.expected
    unfinished = {node_id: state for node_id, state in states.items() if state != FINISHED}
    assert set(unfinished.values()) <= {RUNNING} and set(unfinished) <= built.subprocesses, unfinished
    statuses = {p["status"] for p in process_statuses(watched.runtime, root_id)}
    assert statuses <= {"SUSPENDED", "JOINING", "DEAD"}, statuses
