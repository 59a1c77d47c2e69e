"""What only the SQL stores have: the outbox, timers, durability, and races between writers.

Runs against SQLite and PostgreSQL (see conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from sql_builders import decoded, history, linear_model, process, run_threads, state

from bamboo_core.errors import StateConflictError
from bamboo_core.events import EventKind
from bamboo_core.model import VarType
from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import ContextValue, Event, ExecuteItem, ProcessStatus, ScheduleItem
from bamboo_state_store.db.migrations import MIGRATIONS
from bamboo_state_store.sql_store import SqlStore

# -- outbox ---------------------------------------------------------------------------------------


def test_a_commit_writes_its_work_and_events_to_the_outbox(sql_store: SqlStore) -> None:
    execute = ExecuteItem("R", "p", "n", 2)
    poll = ScheduleItem("R", "p", "n", "s", {"cb": [1]}, True)
    event = Event(EventKind.NODE_FINISH, "R", "n", {"k": "v"}, 12.5)
    sql_store.commit(Commit("R", work=[execute, poll], events=[event]))
    assert decoded(sql_store) == [("bamboo.work.execute", execute), ("bamboo.work.schedule", poll),
                                  ("bamboo.events.R", [event])]
    ids = [row.id for row in sql_store.pending_outbox(10)]
    assert ids == sorted(ids) and [row.id for row in sql_store.pending_outbox(2)] == ids[:2]


def test_a_failed_commit_writes_no_outbox_rows_or_timers(sql_store: SqlStore) -> None:
    sql_store.commit(Commit("R", states=[state("n", "v1")]))
    with pytest.raises(StateConflictError):
        sql_store.commit(Commit("R", guards=[Guard(GuardKind.STATE, "n", "v0")], work=[ExecuteItem("R", "p", "n", 1)],
                                timers=[(1.0, ExecuteItem("R", "p", "n", 1))], events=[Event(EventKind.NODE_ENTER, "R")]))
    assert sql_store.pending_outbox(10) == [] and sql_store.next_timer_due() is None


def test_the_work_of_a_resumed_parent_reaches_the_outbox(sql_store: SqlStore) -> None:
    sql_store.commit(Commit("R", processes=[process("P", node_id="cg", status=ProcessStatus.JOINING, need_ack=1),
                                            process("c", parent_id="P")]))
    sql_store.commit(Commit("R", join_arrivals=["c"]))
    assert decoded(sql_store) == [("bamboo.work.execute", ExecuteItem("R", "P", "cg", 2))]


def test_delete_outbox_forgets_only_the_given_rows(sql_store: SqlStore) -> None:
    sql_store.commit(Commit("R", work=[ExecuteItem("R", "p", f"n{i}", 1) for i in range(5)]))
    rows = sql_store.pending_outbox(10)
    sql_store.delete_outbox([rows[1].id, rows[3].id, 10**12])
    assert [row.id for row in sql_store.pending_outbox(10)] == [rows[0].id, rows[2].id, rows[4].id]
    sql_store.delete_outbox([])


def test_outbox_ids_are_never_reused(sql_store: SqlStore) -> None:
    """The relay's message ids are store_id:outbox id: a reused id would be dropped as a duplicate."""
    sql_store.commit(Commit("R", work=[ExecuteItem("R", "p", "a", 1)]))
    first = sql_store.pending_outbox(10)
    sql_store.delete_outbox([row.id for row in first])  # the highest id is gone
    sql_store.commit(Commit("R", work=[ExecuteItem("R", "p", "b", 1)], timers=[(0.0, ExecuteItem("R", "p", "c", 1))]))
    sql_store.fire_due_timers(1.0, 10)
    assert [row.id > first[-1].id for row in sql_store.pending_outbox(10)] == [True, True]


def test_values_that_are_not_json_fail_naming_the_field_and_write_nothing(sql_store: SqlStore) -> None:
    bad = Commit("R", states=[state("n")], contexts={"S": {"k": ContextValue("k", VarType.PLAIN, {1, 2})}})
    with pytest.raises(ValueError, match=r"contexts\['S'\]\['k'\]"):
        sql_store.commit(bad)
    with pytest.raises(ValueError, match="root_data"):
        sql_store.create_pipeline(linear_model("P"), {"x": object()}, Commit("P"))
    assert sql_store.get_state("n") is None and sql_store.root_of("P") is None


# -- timers ---------------------------------------------------------------------------------------


def test_fire_due_timers_moves_only_due_timers_earliest_first(sql_store: SqlStore) -> None:
    items = {due: ScheduleItem("R", "p", "n", f"s{due}") for due in (30.0, 10.0, 20.0)}
    sql_store.commit(Commit("R", timers=[(due, item) for due, item in items.items()]))
    assert sql_store.next_timer_due() == 10.0
    assert sql_store.fire_due_timers(5.0, 100) == 0 and sql_store.pending_outbox(10) == []
    assert sql_store.fire_due_timers(25.0, 100) == 2
    assert decoded(sql_store) == [("bamboo.work.schedule", items[10.0]), ("bamboo.work.schedule", items[20.0])]
    assert sql_store.next_timer_due() == 30.0
    assert sql_store.fire_due_timers(25.0, 100) == 0  # each timer moves once
    assert sql_store.fire_due_timers(99.0, 0) == 0 and sql_store.fire_due_timers(99.0, 1) == 1
    assert sql_store.next_timer_due() is None and len(sql_store.pending_outbox(10)) == 3


def test_concurrent_fire_due_timers_move_each_timer_exactly_once(sql_store: SqlStore) -> None:
    count = 120
    sql_store.commit(Commit("R", timers=[(float(i % 7), ExecuteItem("R", "p", f"n{i}", i)) for i in range(count)]))
    sql_store.commit(Commit("R", timers=[(1000.0, ExecuteItem("R", "p", "later", 0))]))
    fired = [0] * 4

    def fire(index: int) -> None:
        for _ in range(count):  # bounded: each productive call moves at least one timer
            moved = sql_store.fire_due_timers(100.0, 5)
            if moved == 0:
                return
            fired[index] += moved

    run_threads(4, fire)
    nodes = [item.node_id for _, item in decoded(sql_store)]
    assert sum(fired) == count and sorted(nodes) == sorted(f"n{i}" for i in range(count))
    assert sql_store.next_timer_due() == 1000.0


# -- races between writers ------------------------------------------------------------------------------


@pytest.mark.parametrize("expected", ["v1", None], ids=["same version", "both expect no state"])
def test_racing_commits_on_one_node_let_exactly_one_win(sql_url: str, expected: str | None) -> None:
    store = SqlStore(sql_url, pool_size=16)
    try:
        if expected is not None:
            store.commit(Commit("R", states=[state("n", expected)]))
        outcomes: list[str] = [""] * 16

        def step(index: int) -> None:
            commit = Commit("R", guards=[Guard(GuardKind.STATE, "n", expected)], states=[state("n", f"w{index}")],
                            histories=[history("n", index)], work=[ExecuteItem("R", "p", "n", index)])
            try:
                store.commit(commit)
                outcomes[index] = "won"
            except StateConflictError:
                outcomes[index] = "conflict"

        run_threads(16, step)
        assert sorted(outcomes) == ["conflict"] * 15 + ["won"]
        winner = outcomes.index("won")
        assert store.get_state("n") == state("n", f"w{winner}")
        assert [h.loop for h in store.get_histories("n")] == [winner]
        assert decoded(store) == [("bamboo.work.execute", ExecuteItem("R", "p", "n", winner))]
    finally:
        store.close()


def test_racing_join_arrivals_resume_the_parent_once(sql_url: str) -> None:
    store = SqlStore(sql_url, pool_size=8)
    try:
        children = [process(f"c{i}", parent_id="P") for i in range(8)]
        store.commit(Commit("R", processes=[process("P", node_id="cg", status=ProcessStatus.JOINING, need_ack=8),
                                            *children]))
        resumed: list[list[Any]] = []

        def arrive(index: int) -> None:
            commit = Commit("R", guards=[Guard(GuardKind.PROCESS, f"c{index}", 1)],
                            processes=[children[index]._replace(status=ProcessStatus.DEAD, version=2)],
                            join_arrivals=[f"c{index}"])
            store.commit(commit)
            resumed.append(commit.work)

        run_threads(8, arrive)
        assert sorted(map(len, resumed)) == [0] * 7 + [1]
        parent = store.get_processes("R")[0]
        assert (parent.status, parent.version, parent.need_ack) == (ProcessStatus.RUNNING, 2, 0)
        assert decoded(store) == [("bamboo.work.execute", ExecuteItem("R", "P", "cg", 2))]
    finally:
        store.close()


# -- durability and migrations --------------------------------------------------------------------------


def test_a_reopened_store_sees_everything_and_keeps_its_id(sql_url: str) -> None:
    first = SqlStore(sql_url)
    model = linear_model("P")
    first.create_pipeline(model, {"r": 1}, Commit("P", states=[state("P", root_id="P")],
                                                  processes=[process("p", root_id="P", stack=("P",))],
                                                  work=[ExecuteItem("P", "p", "P.start", 1)]))
    store_id = first.store_id
    first.close()

    second = SqlStore(sql_url)  # migrations already applied: nothing to do
    try:
        assert second.store_id == store_id and len(store_id) == 32
        rebuilt = second.model("P")
        assert rebuilt.nodes == model.nodes and rebuilt.scopes == model.scopes
        assert second.root_of("P.act") == "P" and second.get_root_data("P") == {"r": 1}
        assert second.load_step("p", "P.start").pipeline_states == {"P": state("P", root_id="P")}
        assert decoded(second) == [("bamboo.work.execute", ExecuteItem("P", "p", "P.start", 1))]
        with second._db.reading() as conn:  # noqa: SLF001 - the schema version is not public API
            assert conn.exec_driver_sql("SELECT version FROM schema_version").scalar() == MIGRATIONS[-1].version
    finally:
        second.close()


def test_an_unsupported_url_is_refused() -> None:
    with pytest.raises(ValueError, match="in-memory"):
        SqlStore("sqlite://")
    with pytest.raises(ValueError, match="unsupported database"):
        SqlStore("mysql://localhost/x")
