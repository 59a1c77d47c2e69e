"""Property tests: random valid trees run exactly the nodes they should, each exactly once.

The oracle comes from ``random_trees`` (built from the spec, not from the engine): all
parallel branches, true conditional branches (or the default), the one exclusive branch
and everything inside subprocesses on those paths must end FINISHED, once, with no
history; nothing in an untaken branch may get a state (SPEC §1.3, §2.4, §4.3).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, note, settings
from hypothesis import strategies as st

from bamboo_core import api
from bamboo_core.examples import register_examples
from bamboo_core.records import Event
from bamboo_core.runtime import InMemoryRuntime, ManualClock
from tests.engine_core.random_trees import Block, BuiltPipeline, blocks, build
from tests.scenarios.harness import FINISHED, RUNNING, SUSPENDED, Harness

register_examples()  # the `debug` / `loop_count` components the trees use

Snapshot = dict[str, tuple[Any, ...]]
PROPERTY = settings(max_examples=50, deadline=None)


@dataclass(slots=True)
class Watched:
    """A harness plus how many times each node was set RUNNING (from the event stream)."""

    harness: Harness
    running: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_event(self, event: Event) -> None:
        if event.kind == "post_set_state" and event.data.get("state") == RUNNING:
            with self.lock:  # listeners run on whichever worker thread committed
                self.running[event.node_id] += 1

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


@contextmanager
def workers_held(runtime: InMemoryRuntime) -> Iterator[None]:
    """Keep the (idle) workers from taking queued work until the block ends.

    Workers must hold the runtime's condition lock to pop a work item, and a commit
    only re-enters that (reentrant) lock from this thread, so operations issued
    inside the block land before any engine step runs — a deterministic "operator
    acts right after run_pipeline", impossible to arrange through the public API.
    Only safe while no work item is running (nothing may wait for the store).
    """
    with runtime._cond:
        yield


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
        assert api.get_node_histories(runtime, node_id).data == [], node_id
    for node_id in built.debug_activities:
        schedule = api.get_schedule(runtime, node_id).data
        assert (node_id, schedule["times"], schedule["finished"]) == (node_id, 1, True)
    expected_running = Counter(dict.fromkeys(built.expected, 1)) + Counter({root_id: root_runs})
    assert watched.running == expected_running, "a node was set RUNNING more or less than once"
    assert {p["status"] for p in process_statuses(runtime, root_id)} == {"DEAD"}


def run_to_end(watched: Watched, built: BuiltPipeline) -> None:
    watched.harness.run(built.tree)
    assert watched.harness.finish(built.root_id) == FINISHED


# --- properties -----------------------------------------------------------------------------


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
    start_id = built.tree["start_event"]["id"]
    with watched_runtime(workers=4) as watched:
        harness = watched.harness
        with workers_held(watched.runtime):
            harness.run(built.tree, settle=False)
            harness.ok(api.pause_pipeline(watched.runtime, root_id))
        harness.settle()
        harness.advance(3600)  # time passing changes nothing either
        assert harness.states(root_id) == {root_id: SUSPENDED}  # not even the start event ran
        [process] = process_statuses(watched.runtime, root_id)
        assert (process["status"], process["current_node_id"]) == (SUSPENDED, start_id)
        assert process["suspended_by"] == root_id
        harness.ok(api.resume_pipeline(watched.runtime, root_id))
        assert harness.finish(root_id) == FINISHED
        assert_ran_exactly_once(watched, built, root_runs=2)


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
    """Paused and idle: work in flight has finished, and no node is left mid-run."""
    root_id = built.root_id
    states = watched.harness.states(root_id)
    assert states.pop(root_id) == SUSPENDED
    assert set(states) <= built.expected
    assert set(states.values()) <= {FINISHED}, states
    statuses = {p["status"] for p in process_statuses(watched.runtime, root_id)}
    assert statuses <= {"SUSPENDED", "JOINING", "DEAD"}, statuses
