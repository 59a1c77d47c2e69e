"""SPEC §8 scenarios 61–66: appointed node pause, pipeline pause/resume and revoke."""

from __future__ import annotations

from bamboo_core import api
from tests.scenarios.flows import (
    NESTED_DEBUGS,
    NESTED_TIMERS,
    act,
    assert_all_finished,
    assert_states,
    line,
    nested_timer_parallel,
    parallel,
    subprocess,
    timer,
    tree,
)
from tests.scenarios.harness import FINISHED, REVOKED, RUNNING, SUSPENDED, Harness

# Every node of nested_timer_parallel() plus the root "P".
NESTED_ALL = 1 + 2 + 4 + 10


def test_s61_appointed_pause_then_resume(harness: Harness) -> None:
    """61: "pause_node_appoint(A1) where start→A0(timer 3)→A1(debug)→end, called right after run → after A0
    finishes: A1 SUSPENDED, pipeline RUNNING, A0 FINISHED; end no state; resume_node_appoint(A1) → all FINISHED." """
    h = harness
    h.run(tree(line(timer("A0", 3), act("A1"))))
    h.ok(api.pause_node_appoint(h.runtime, "A1"))
    assert h.state("A1") == SUSPENDED
    h.finish("P")
    assert_states(h, {"P": RUNNING, "start": FINISHED, "A0": FINISHED, "A1": SUSPENDED, "end": None})
    h.ok(api.resume_node_appoint(h.runtime, "A1"))
    h.settle()
    assert_all_finished(h, "P", count=5)


def test_s61_appointed_pause_resumed_before_reached(harness: Harness) -> None:
    """61: "If resumed before A0 finishes, A1 simply runs when reached." """
    h = harness
    h.run(tree(line(timer("A0", 3), act("A1"))))
    h.ok(api.pause_node_appoint(h.runtime, "A1"))
    h.advance(1)
    h.ok(api.resume_node_appoint(h.runtime, "A1"))
    assert h.state("A0") == RUNNING
    assert h.finish("P") == FINISHED
    assert_all_finished(h, "P", count=5)
    assert h.exec_data("A1")["outputs"]["_loop"] == 1


def test_s62_appointed_pause_in_nested_parallel(harness: Harness) -> None:
    """62: "Appointed pause of 4 activities spread over nested parallel branches (each behind a 3 s timer) →
    those 4 SUSPENDED, all other branch nodes FINISHED, CGs/end no state; resuming each → everything FINISHED." """
    h = harness
    h.run(tree(nested_timer_parallel(3)))
    paused = ["D1", "D3", "D4", "D5"]
    for node_id in paused:
        h.ok(api.pause_node_appoint(h.runtime, node_id))
    h.finish("P")
    assert_states(h, {node_id: SUSPENDED for node_id in paused})
    assert_states(h, {node_id: FINISHED for node_id in [*NESTED_TIMERS, "D2", "PG1", "PG2", "start"]})
    assert_states(h, {"P": RUNNING, "CG1": None, "CG2": None, "end": None})
    for node_id in paused:
        h.ok(api.resume_node_appoint(h.runtime, node_id))
    h.settle()
    assert_all_finished(h, "P", count=NESTED_ALL)


def test_s63_appointed_pause_in_nested_subprocess(harness: Harness) -> None:
    """63: "Appointed pause of an activity inside a subprocess that sits in a parallel branch of another
    subprocess → sibling subprocess branch finishes; enclosing subprocesses and pipeline RUNNING; CG/ends no
    state; resume → all FINISHED." """
    h = harness
    inner = subprocess("SPa", timer("Ta", 1), act("X"))
    sibling = subprocess("SPb", timer("Tb", 1), act("Y"))
    h.run(tree(line(subprocess("SPo", parallel("PG", "CG", inner, sibling)))))
    h.ok(api.pause_node_appoint(h.runtime, "X"))
    h.finish("P")
    assert_states(h, {"X": SUSPENDED, "Ta": FINISHED, "SPa": RUNNING, "SPa_end": None})
    assert_states(h, {"SPb": FINISHED, "Tb": FINISHED, "Y": FINISHED, "SPb_end": FINISHED})
    assert_states(h, {"SPo": RUNNING, "P": RUNNING, "CG": None, "SPo_end": None, "end": None})
    h.ok(api.resume_node_appoint(h.runtime, "X"))
    h.settle()
    assert_all_finished(h, "P", count=1 + 3 + 4 + 2 * 5)


def test_s64_pause_pipeline_during_timers(harness: Harness) -> None:
    """64: "pause_pipeline(root) 2 s into nested parallel timer(3) branches → timers still finish; pipeline
    SUSPENDED; the debug activities after them, CGs and end no state; resume_pipeline → all FINISHED." """
    h = harness
    h.run(tree(nested_timer_parallel(3)))
    h.advance(2)
    h.ok(api.pause_pipeline(h.runtime, "P"))
    h.finish("P")
    assert h.state("P") == SUSPENDED
    assert_states(h, {node_id: FINISHED for node_id in NESTED_TIMERS})
    assert_states(h, {node_id: None for node_id in [*NESTED_DEBUGS, "CG1", "CG2", "end"]})
    h.ok(api.resume_pipeline(h.runtime, "P"))
    h.settle()
    assert_all_finished(h, "P", count=NESTED_ALL)


def test_s64_pause_then_resume_at_once(harness: Harness) -> None:
    """64: "Pause immediately followed by resume → all FINISHED." """
    h = harness
    h.run(tree(nested_timer_parallel(3)), settle=False)
    h.ok(api.pause_pipeline(h.runtime, "P"))
    h.ok(api.resume_pipeline(h.runtime, "P"))
    assert h.finish("P") == FINISHED
    assert_all_finished(h, "P", count=NESTED_ALL)


def test_s65_pause_root_during_subprocess_timer(harness: Harness) -> None:
    """65: "pause_pipeline(root) while a subprocess's timer runs → timer FINISHED, subprocess RUNNING, its end and
    root end no state, root SUSPENDED; resume → FINISHED." """
    h = harness
    h.run(tree(line(subprocess("SP", timer("T", 3)))))
    h.advance(1)
    h.ok(api.pause_pipeline(h.runtime, "P"))
    h.finish("P")
    assert_states(h, {"P": SUSPENDED, "SP": RUNNING, "T": FINISHED, "SP_end": None, "end": None})
    h.ok(api.resume_pipeline(h.runtime, "P"))
    h.settle()
    assert_all_finished(h, "P", count=7)


def test_s65_pause_subprocess(harness: Harness) -> None:
    """65: "pause_pipeline(subprocess id) → subprocess SUSPENDED, root RUNNING; resume_pipeline(subprocess id) →
    FINISHED." """
    h = harness
    h.run(tree(line(subprocess("SP", timer("T", 3)))))
    h.advance(1)
    h.ok(api.pause_pipeline(h.runtime, "SP"))
    h.finish("P")
    assert_states(h, {"P": RUNNING, "SP": SUSPENDED, "T": FINISHED, "SP_end": None, "end": None})
    h.ok(api.resume_pipeline(h.runtime, "SP"))
    h.settle()
    assert_all_finished(h, "P", count=7)


def test_s65_pause_one_of_two_parallel_subprocesses(harness: Harness) -> None:
    """65: "Pausing one of two parallel subprocesses lets the other finish; CG waits." """
    h = harness
    block = parallel("PG", "CG", subprocess("SPa", timer("Ta", 3)), subprocess("SPb", timer("Tb", 3)))
    h.run(tree(line(block)))
    h.advance(1)
    h.ok(api.pause_pipeline(h.runtime, "SPa"))
    h.finish("P")
    assert_states(h, {"SPa": SUSPENDED, "Ta": FINISHED, "SPa_end": None})
    assert_states(h, {"SPb": FINISHED, "Tb": FINISHED, "SPb_end": FINISHED})
    assert_states(h, {"P": RUNNING, "CG": None, "end": None})
    h.ok(api.resume_pipeline(h.runtime, "SPa"))
    h.settle()
    assert_all_finished(h, "P", count=1 + 4 + 2 * 4)


def test_s66_revoke_during_timers(harness: Harness) -> None:
    """66: "revoke_pipeline(root) 2 s into nested parallel timer branches → running timers still end FINISHED;
    root REVOKED; no successor ever gets a state; resume on a REVOKED pipeline fails." """
    h = harness
    h.run(tree(nested_timer_parallel(3)))
    h.advance(2)
    h.ok(api.revoke_pipeline(h.runtime, "P"))
    assert h.finish("P") == REVOKED
    h.advance(10)
    assert h.state("P") == REVOKED
    assert_states(h, {node_id: FINISHED for node_id in NESTED_TIMERS})
    assert_states(h, {node_id: None for node_id in [*NESTED_DEBUGS, "CG1", "CG2", "end"]})
    result = api.resume_pipeline(h.runtime, "P")
    assert not result.result
    h.settle()
    assert h.state("P") == REVOKED
    assert_states(h, {node_id: None for node_id in [*NESTED_DEBUGS, "CG1", "CG2", "end"]})
