"""``SqlStore.commit_many``: several commits in one transaction, each holding or failing alone.

Runs against SQLite and PostgreSQL (see conftest.py).
"""

from __future__ import annotations

from typing import Any

from sql_builders import decoded, history, process, run_threads, state

from bamboo_core.errors import StateConflictError
from bamboo_core.model import VarType
from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import ContextValue, ExecuteItem, ProcessStatus
from bamboo_state_store.sql_store import SqlStore


def _kinds(outcomes: list[BaseException | None]) -> list[str]:
    return ["ok" if outcome is None else type(outcome).__name__ for outcome in outcomes]


def test_each_commit_of_a_group_holds_or_fails_alone(sql_store: SqlStore) -> None:
    sql_store.commit(Commit("R", states=[state("a", "v1"), state("b", "v1")]))
    seen: list[Commit] = []
    sql_store.set_on_commit(seen.append)
    first = Commit("R", guards=[Guard(GuardKind.STATE, "a", "v1")], states=[state("a", "v2")],
                   histories=[history("a")], work=[ExecuteItem("R", "p", "a", 1)])
    stale = Commit("R", guards=[Guard(GuardKind.STATE, "b", "v0")], states=[state("b", "v9")],
                   work=[ExecuteItem("R", "p", "b", 1)])
    # Sees the first commit's write: commits apply in order, as if one after another.
    second = Commit("R", guards=[Guard(GuardKind.STATE, "a", "v2")], states=[state("a", "v3")],
                    work=[ExecuteItem("R", "p", "a", 2)])
    not_json = Commit("R", contexts={"S": {"k": ContextValue("k", VarType.PLAIN, object())}},
                      work=[ExecuteItem("R", "p", "x", 1)])
    lost = Commit("R", guards=[Guard(GuardKind.STATE, "a", "v2")], states=[state("a", "lost")])

    outcomes = sql_store.commit_many([first, stale, second, not_json, lost])

    assert _kinds(outcomes) == ["ok", "StateConflictError", "ok", "ValueError", "StateConflictError"]
    assert sql_store.get_state("a") == state("a", "v3") and sql_store.get_state("b") == state("b", "v1")
    assert len(sql_store.get_histories("a")) == 1 and sql_store.get_context("S") == {}
    assert [item.node_id for _, item in decoded(sql_store)] == ["a", "a"]
    assert seen == [first, second]


def test_join_arrivals_in_a_group_resume_the_parent_once(sql_store: SqlStore) -> None:
    sql_store.commit(Commit("R", processes=[process("P", node_id="cg", status=ProcessStatus.JOINING, need_ack=2),
                                            process("c0", parent_id="P"), process("c1", parent_id="P")]))
    batch = [Commit("R", join_arrivals=["c0"]), Commit("R", guards=[Guard(GuardKind.PROCESS, "P", 9)]),
             Commit("R", join_arrivals=["c1"], states=[state("n")]), Commit("R", states=[state("m")])]
    assert _kinds(sql_store.commit_many(batch)) == ["ok", "StateConflictError", "ok", "ok"]
    assert batch[0].work == [] and batch[2].work == [ExecuteItem("R", "P", "cg", 2)]
    assert decoded(sql_store) == [("bamboo.work.execute", ExecuteItem("R", "P", "cg", 2))]
    assert sql_store.get_state("m") == state("m")


def test_an_empty_group_and_a_group_of_failures_change_nothing(sql_store: SqlStore) -> None:
    assert sql_store.commit_many([]) == []
    bad = Commit("R", guards=[Guard(GuardKind.STATE, "ghost", "v1")], work=[ExecuteItem("R", "p", "n", 1)])
    assert _kinds(sql_store.commit_many([bad, bad])) == ["StateConflictError"] * 2
    assert sql_store.pending_outbox(10) == []


def test_racing_groups_on_one_node_let_exactly_one_commit_win(sql_url: str) -> None:
    store = SqlStore(sql_url, pool_size=8)
    try:
        store.commit(Commit("R", states=[state("n", "v1")]))
        outcomes: list[Any] = [None] * 8

        def group(index: int) -> None:
            mine = Commit("R", guards=[Guard(GuardKind.STATE, "n", "v1")], states=[state("n", f"w{index}")],
                          work=[ExecuteItem("R", "p", "n", index)])
            other = Commit("R", states=[state(f"own{index}")])  # no guard: always lands
            outcomes[index] = store.commit_many([other, mine])

        run_threads(8, group)
        assert all(result[0] is None for result in outcomes)
        wins = [index for index, result in enumerate(outcomes) if result[1] is None]
        assert len(wins) == 1 and all(isinstance(r[1], StateConflictError) for i, r in enumerate(outcomes) if i != wins[0])
        assert store.get_state("n") == state("n", f"w{wins[0]}")
        assert [item.process_version for _, item in decoded(store)] == wins
        assert len(store.get_states("R")) == 9
    finally:
        store.close()
