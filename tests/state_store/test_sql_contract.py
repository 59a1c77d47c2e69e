"""The StateStore contract, run against MemoryStore (the reference), SQLite and PostgreSQL.

Every test here passes on all three stores: ``SqlStore`` must behave exactly as
``MemoryStore`` does. (Outbox, timers and races, which only SQL stores have, are in
test_sql_outbox.py.)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sql_builders import history, linear_model, process, schedule, state

from bamboo_core.errors import AlreadyExistsError, NotFoundError, StateConflictError
from bamboo_core.events import EventKind
from bamboo_core.model import DataInput, VarType
from bamboo_core.ports import Commit, Guard, GuardKind, NodeRows
from bamboo_core.records import ContextValue, Event, ExecuteItem, ExecutionData, ProcessStatus, ScheduleItem
from bamboo_core.states import State


def commits_seen(store: Any) -> list[Commit]:
    seen: list[Commit] = []
    store.set_on_commit(seen.append)
    return seen


# -- create_pipeline, model, root_of ------------------------------------------------------------


def test_create_pipeline_stores_the_model_root_data_and_the_first_commit(store: Any) -> None:
    model = linear_model("P")
    first = Commit("P", states=[state("P", root_id="P")], processes=[process("p", root_id="P", stack=("P",))],
                   work=[ExecuteItem("P", "p", "P.start", 1)])
    seen = commits_seen(store)
    store.create_pipeline(model, {"k": [1, "two"], "n": None}, first)

    again = store.model("P")
    assert again.root_id == "P" and again.nodes == model.nodes and again.scopes == model.scopes
    assert {node: store.root_of(node) for node in ("P", "P.start", "P.act", "P.end")} == dict.fromkeys(
        ("P", "P.start", "P.act", "P.end"), "P")
    assert store.get_root_data("P") == {"k": [1, "two"], "n": None}
    assert store.get_state("P") == state("P", root_id="P")
    assert store.get_processes("P") == [process("p", root_id="P", stack=("P",))]
    assert seen == [first]


def test_create_pipeline_with_a_taken_id_raises_and_changes_nothing(store: Any) -> None:
    store.create_pipeline(linear_model("P"), {}, Commit("P"))
    clash = linear_model("Q", prefix="P.")  # Q's nodes reuse P's ids
    seen = commits_seen(store)
    with pytest.raises(AlreadyExistsError):
        store.create_pipeline(clash, {"a": 1}, Commit("Q", states=[state("Q", root_id="Q")],
                                                      processes=[process("q", root_id="Q")],
                                                      work=[ExecuteItem("Q", "q", "P.start", 1)]))
    with pytest.raises(AlreadyExistsError):
        store.create_pipeline(linear_model("P", prefix="other."), {}, Commit("P"))  # the root id itself
    assert store.root_of("Q") is None and store.root_of("other.start") is None
    assert store.get_state("Q") is None and store.get_processes("Q") == []
    assert store.get_root_data("Q") == {}
    with pytest.raises(NotFoundError):
        store.model("Q")
    assert seen == []


def test_unknown_ids_read_as_absent(store: Any) -> None:
    with pytest.raises(NotFoundError):
        store.model("nope")
    assert store.root_of("nope") is None
    assert store.load_step("nope", "n") is None
    assert store.get_state("nope") is None and store.get_states("nope") == []
    assert store.get_execution_data("nope") is None and store.get_node_inputs("nope") is None
    assert store.get_histories("nope") == [] and store.get_context("nope") == {}
    assert store.get_processes("nope") == [] and store.get_schedule("nope", "v") is None
    assert store.get_root_data("nope") == {}


# -- load_step -------------------------------------------------------------------------------------


def test_load_step_reads_everything_a_step_needs(store: Any) -> None:
    store.create_pipeline(linear_model("R"), {"root": True}, Commit("R"))
    ctx = {"R": {"a": ContextValue("a", VarType.PLAIN, 1)},
           "SUB": {"b": ContextValue("b", VarType.SPLICE, "${a}", "c")},
           "OTHER": {"z": ContextValue("z", VarType.PLAIN, 0)}}
    proc = process("p", stack=("R", "SUB"), node_id="n", version=3)
    inputs = {"x": DataInput(True, "${a}"), "y": DataInput(False, {"deep": [1]})}
    store.commit(Commit("R", states=[state("SUB", "vs", parent_id="R"), state("n", "vn", parent_id="SUB"),
                                     state("R", "vr"), state("elsewhere")],
                        processes=[proc], schedules=[schedule("s1", "n", "vn", process_id="p")],
                        execution_data={"n": ExecutionData({"i": 1}, {"o": 2})},
                        node_inputs={"n": inputs}, contexts=ctx))

    snap = store.load_step("p", "n")
    assert snap.process == proc
    # (A dict, not in stack order: engines look states up by the stack, and a wire map has no order.)
    assert snap.pipeline_states == {"R": state("R", "vr"), "SUB": state("SUB", "vs", parent_id="R")}
    assert snap.state == state("n", "vn", parent_id="SUB")
    assert snap.execution_data == ExecutionData({"i": 1}, {"o": 2})
    assert snap.node_inputs == inputs
    assert snap.contexts == {"R": ctx["R"], "SUB": ctx["SUB"]}
    assert snap.root_data == {"root": True}
    assert snap.schedule is None
    assert store.load_step("p", "n", "s1").schedule == schedule("s1", "n", "vn", process_id="p")


def test_load_step_of_a_fresh_node_has_no_state_and_empty_scopes(store: Any) -> None:
    store.create_pipeline(linear_model("R"), {}, Commit("R", processes=[process("p", node_id="new")]))
    snap = store.load_step("p", "new")
    assert (snap.state, snap.execution_data, snap.node_inputs) == (None, None, None)
    assert snap.pipeline_states == {} and snap.contexts == {"R": {}}


def test_load_step_reads_the_rows_of_the_nodes_ahead(store: Any) -> None:
    """(MemoryStore's side of ``ahead`` is engine-core's; the SQL stores must match it row for row.)"""
    store.create_pipeline(linear_model("R"), {}, Commit("R"))
    inputs = {"x": DataInput(True, "${a}")}
    store.commit(Commit("R", states=[state("R", "vr"), state("n", "vn"), state("a1", "v1"), state("a2", "v2")],
                        processes=[process("p", node_id="n")],
                        execution_data={"n": ExecutionData({"i": 0}, {}), "a1": ExecutionData({"i": 1}, {"o": [1]}),
                                        "a3": ExecutionData({"i": 3}, {})},
                        execution_outputs={"a5": {"o": 5}},  # a row with outputs only
                        node_inputs={"a1": inputs, "a4": {"y": DataInput(False, [4])}}))
    ahead = ["a1", "a2", "a3", "a4", "a5", "nothing", "R", "n"]

    snap = store.load_step("p", "n", ahead=ahead)

    assert list(snap.ahead) == ahead
    assert snap.ahead == {
        "a1": NodeRows(state("a1", "v1"), ExecutionData({"i": 1}, {"o": [1]}), inputs),
        "a2": NodeRows(state=state("a2", "v2")),
        "a3": NodeRows(execution_data=ExecutionData({"i": 3}, {})),
        "a4": NodeRows(node_inputs={"y": DataInput(False, [4])}),
        "a5": NodeRows(execution_data=ExecutionData({}, {"o": 5})),
        "nothing": NodeRows(),
        "R": NodeRows(state=state("R", "vr")),  # a pipeline on the stack may be read ahead too
        "n": NodeRows(state("n", "vn"), ExecutionData({"i": 0}, {})),
    }
    plain = store.load_step("p", "n")
    assert plain.ahead == {}
    assert replace(snap, ahead={}) == plain  # reading ahead changes nothing else in the snapshot
    assert store.load_step("p", "n", ahead=["a2", "a2"]).ahead == {"a2": NodeRows(state=state("a2", "v2"))}
    assert store.load_step("nope", "n", ahead=["a1"]) is None


def test_the_contexts_of_subprocesses_ahead_come_with_the_stacks(store: Any) -> None:
    store.create_pipeline(linear_model("R"), {}, Commit("R"))
    ctx = {"R": {"a": ContextValue("a", VarType.PLAIN, 1)}, "SUB": {"b": ContextValue("b", VarType.PLAIN, 2)},
           "OTHER": {"z": ContextValue("z", VarType.PLAIN, 0)}}
    store.commit(Commit("R", processes=[process("p", node_id="n")], contexts=ctx))

    snap = store.load_step("p", "n", ahead=["x", "SUB", "EMPTY"])

    # A chain entering SUB needs its context; a scope with no values has no entry.
    assert snap.contexts == {"R": ctx["R"], "SUB": ctx["SUB"]}
    assert store.load_step("p", "n").contexts == {"R": ctx["R"]}


def test_rows_read_ahead_are_the_latest_committed(store: Any) -> None:
    store.create_pipeline(linear_model("R"), {}, Commit("R", processes=[process("p", node_id="n")]))
    assert store.load_step("p", "n", ahead=["a"]).ahead == {"a": NodeRows()}
    store.commit(Commit("R", states=[state("a", "v2")], execution_data={"a": ExecutionData({"i": 2}, {})},
                        node_inputs={"a": {"k": DataInput(False, 2)}}))
    assert store.load_step("p", "n", ahead=["a"]).ahead == {
        "a": NodeRows(state("a", "v2"), ExecutionData({"i": 2}, {}), {"k": DataInput(False, 2)})}


# -- guards ------------------------------------------------------------------------------------------


def _seed(store: Any) -> None:
    store.commit(Commit("R", states=[state("n", "v1")], processes=[process("p", version=2)],
                        schedules=[schedule("s", rev=4)], contexts={"R": {"a": ContextValue("a", VarType.PLAIN, 1)}},
                        execution_data={"n": ExecutionData({"i": 0}, {})}))


STALE_GUARDS = {
    "stale state": Guard(GuardKind.STATE, "n", "v0"),
    "stale process": Guard(GuardKind.PROCESS, "p", 1),
    "stale schedule": Guard(GuardKind.SCHEDULE, "s", 3),
    "absent expected, state exists": Guard(GuardKind.STATE, "n", None),
    "version expected, state absent": Guard(GuardKind.STATE, "ghost", "v1"),
    "version expected, process absent": Guard(GuardKind.PROCESS, "ghost", 1),
    "wrong type": Guard(GuardKind.PROCESS, "p", "2"),
}


@pytest.mark.parametrize("bad", STALE_GUARDS.values(), ids=STALE_GUARDS.keys())
def test_a_guard_that_does_not_hold_raises_and_writes_nothing(store: Any, bad: Guard) -> None:
    _seed(store)
    seen = commits_seen(store)
    good = [Guard(GuardKind.STATE, "n", "v1"), Guard(GuardKind.PROCESS, "p", 2), Guard(GuardKind.SCHEDULE, "s", 4)]
    commit = Commit("R", guards=[*good, bad], states=[state("n", "v2"), state("new")],
                    processes=[process("p", version=3), process("child", parent_id="p")],
                    schedules=[schedule("s", rev=5)], execution_data={"n": ExecutionData({"i": 9}, {"o": 9})},
                    execution_outputs={"m": {"o": 1}}, node_inputs={"n": {"x": DataInput(False, 1)}},
                    contexts={"R": {"a": ContextValue("a", VarType.PLAIN, 2)}}, histories=[history("n")],
                    work=[ExecuteItem("R", "p", "n", 3)], timers=[(5.0, ExecuteItem("R", "p", "n", 3))],
                    events=[Event(EventKind.NODE_FINISH, "R", "n")])
    with pytest.raises(StateConflictError):
        store.commit(commit)
    assert store.get_state("n") == state("n", "v1") and store.get_state("new") is None
    assert store.get_processes("R") == [process("p", version=2)]
    assert store.get_schedule("n", "v1") == schedule("s", rev=4)
    assert store.get_execution_data("n") == ExecutionData({"i": 0}, {}) and store.get_execution_data("m") is None
    assert store.get_node_inputs("n") is None and store.get_histories("n") == []
    assert store.get_context("R") == {"a": ContextValue("a", VarType.PLAIN, 1)}
    assert seen == []


def test_guards_that_hold_apply_the_commit(store: Any) -> None:
    _seed(store)
    store.commit(Commit("R", guards=[Guard(GuardKind.STATE, "n", "v1"), Guard(GuardKind.PROCESS, "p", 2),
                                     Guard(GuardKind.SCHEDULE, "s", 4), Guard(GuardKind.STATE, "new", None)],
                        states=[state("n", "v2"), state("new")], processes=[process("p", version=3)],
                        schedules=[schedule("s", rev=5, times=1)]))
    assert store.get_state("n") == state("n", "v2") and store.get_state("new") == state("new")
    assert store.get_processes("R") == [process("p", version=3)]
    assert store.get_schedule("n", "v1") == schedule("s", rev=5, times=1)


# -- join arrivals -------------------------------------------------------------------------------------


def test_join_arrivals_resume_the_parent_exactly_once(store: Any) -> None:
    parent = process("P", node_id="cg", status=ProcessStatus.JOINING, need_ack=3, version=7)
    children = [process(f"c{i}", parent_id="P", node_id=f"b{i}") for i in range(3)]
    store.commit(Commit("R", processes=[parent, *children]))
    seen = commits_seen(store)

    first = Commit("R", join_arrivals=["c0"])
    store.commit(first)
    assert store.get_processes("R")[0] == parent._replace(need_ack=2) and first.work == []
    # Both remaining children in one commit, one of them also rewritten by that commit.
    last = Commit("R", processes=[children[2]._replace(status=ProcessStatus.DEAD)], join_arrivals=["c1", "c2"])
    store.commit(last)
    resumed = parent._replace(need_ack=0, status=ProcessStatus.RUNNING, version=8)
    assert store.get_processes("R")[0] == resumed
    assert last.work == [ExecuteItem("R", "P", "cg", 8)]
    assert seen == [last]


def test_a_single_arrival_resumes_a_parent_waiting_for_one(store: Any) -> None:
    store.commit(Commit("R", processes=[process("P", status=ProcessStatus.JOINING, need_ack=1, node_id="cg"),
                                        process("c", parent_id="P")]))
    commit = Commit("R", join_arrivals=["c"], work=[ExecuteItem("R", "x", "y", 1)])
    store.commit(commit)
    assert commit.work == [ExecuteItem("R", "x", "y", 1), ExecuteItem("R", "P", "cg", 2)]
    assert store.get_processes("R")[0].status is ProcessStatus.RUNNING


# -- data ------------------------------------------------------------------------------------------------


def test_execution_outputs_replace_outputs_and_keep_inputs(store: Any) -> None:
    store.commit(Commit("R", execution_data={"n": ExecutionData({"i": 1}, {"o": 1})}))
    store.commit(Commit("R", execution_outputs={"n": {"o": 2, "p": [3]}, "fresh": {"o": 4}}))
    assert store.get_execution_data("n") == ExecutionData({"i": 1}, {"o": 2, "p": [3]})
    assert store.get_execution_data("fresh") == ExecutionData({}, {"o": 4})
    # In one commit, execution_outputs apply after execution_data.
    store.commit(Commit("R", execution_data={"n": ExecutionData({"i": 5}, {"o": 5})}, execution_outputs={"n": {"o": 6}}))
    assert store.get_execution_data("n") == ExecutionData({"i": 5}, {"o": 6})


def test_context_values_are_upserted_per_key_in_first_insertion_order(store: Any) -> None:
    def cv(key: str, value: Any, type_: VarType = VarType.PLAIN) -> ContextValue:
        return ContextValue(key, type_, value)

    store.commit(Commit("R", contexts={"S": {"b": cv("b", 1), "a": cv("a", {"x": 1})}, "T": {"a": cv("a", 0)}}))
    store.commit(Commit("R", contexts={"S": {"a": cv("a", "new", VarType.LAZY), "c": cv("c", None)}}))
    assert list(store.get_context("S").items()) == [("b", cv("b", 1)), ("a", cv("a", "new", VarType.LAZY)),
                                                    ("c", cv("c", None))]
    assert store.get_context("T") == {"a": cv("a", 0)}


def test_node_inputs_round_trip(store: Any) -> None:
    inputs = {"x": DataInput(True, "${y}"), "z": DataInput(False, [1, {"a": None}])}
    store.commit(Commit("R", node_inputs={"n": inputs}))
    assert store.get_node_inputs("n") == inputs


def test_histories_are_listed_in_order_with_store_assigned_ids(store: Any) -> None:
    store.commit(Commit("R", histories=[history("n", 1), history("m", 1)]))
    store.commit(Commit("R", histories=[history("n", 2, started_time=None, archived_time=None, skip=True),
                                        history("n", 3)]))
    listed = store.get_histories("n")
    assert [(h.loop, h.skip, h.started_time) for h in listed] == [(1, False, 1.5), (2, True, None), (3, False, 1.5)]
    ids = [h.id for h in listed]
    assert all(i > 0 for i in ids) and ids == sorted(ids) and len(set(ids)) == 3
    assert listed[0].inputs == {"i": 1} and listed[0].outputs == {"o": [1, "x"]}
    assert store.get_histories("m")[0].id not in ids


def test_schedules_are_found_by_attempt(store: Any) -> None:
    store.commit(Commit("R", schedules=[schedule("s1", "n", "v1"), schedule("s2", "n", "v2", times=3)]))
    assert store.get_schedule("n", "v1") == schedule("s1", "n", "v1")
    assert store.get_schedule("n", "v2") == schedule("s2", "n", "v2", times=3)
    assert store.get_schedule("n", "v3") is None
    updated = schedule("s1", "n", "v1", rev=2, finished=True, expired=True, locked_until=12.25)
    store.commit(Commit("R", schedules=[updated]))
    assert store.get_schedule("n", "v1") == updated


def test_states_and_processes_are_listed_per_root_in_first_insertion_order(store: Any) -> None:
    store.commit(Commit("R", states=[state("b"), state("a"), state("x", root_id="OTHER")],
                        processes=[process("q"), process("p")]))
    store.commit(Commit("R", states=[state("c"), state("a", "v2", name=State.FINISHED, archived_time=3.0)],
                        processes=[process("p", version=2)]))
    assert store.get_states("R") == [state("b"), state("a", "v2", name=State.FINISHED, archived_time=3.0), state("c")]
    assert [p.id for p in store.get_processes("R")] == ["q", "p"]


def test_on_commit_sees_only_commits_with_work_timers_or_events(store: Any) -> None:
    seen = commits_seen(store)
    quiet = Commit("R", states=[state("n")])
    item = ScheduleItem("R", "p", "n", "s", {"cb": 1}, True)
    loud = [Commit("R", work=[item]), Commit("R", timers=[(1.0, item)]), Commit("R", events=[Event(EventKind.NODE_ENTER, "R")])]
    for commit in (quiet, *loud):
        store.commit(commit)
    assert seen == loud
