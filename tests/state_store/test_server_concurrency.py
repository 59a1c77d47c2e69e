"""Many clients at once, each on its own channel, against one server.

The issue's race: 32 clients commit a step on the same node with the same expected
version at the same moment; exactly one wins, every other gets ABORTED, and only the
winner's writes (state, process, outbox) are stored. Also: many clients committing on
distinct nodes all succeed, whichever of them share a transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeAlias

import grpc
import pytest
from test_server_support import RunningServer, seed, start_server

from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import ExecuteItem, ExecutionData
from bamboo_core.states import State
from bamboo_proto.v1 import records_pb2, state_store_pb2_grpc
from bamboo_proto.v1 import state_store_pb2 as spb
from bamboo_state_store import codec

RACERS = 32
JOIN_TIMEOUT = 30.0


@pytest.fixture(params=["per-request", "grouped"])
def running(request: pytest.FixtureRequest, sql_url: str) -> Iterator[RunningServer]:
    """Each Commit in its own transaction, or gathered by the servicer's group committer."""
    server = start_server(sql_url, grouped=request.param == "grouped")
    try:
        yield server
    finally:
        server.stop()


Stub: TypeAlias = state_store_pb2_grpc.StateStoreStub


def race(running: RunningServer, count: int, work: Callable[[Stub, int], Any]) -> list[Any]:
    """Run ``work(stub, index)`` on ``count`` threads released together; each result or error."""
    stubs = [running.stub() for _ in range(count)]
    for stub in stubs:  # connect every channel before the start line
        stub.RootOf(spb.RootOfRequest(node_id="warm-up"), timeout=10)
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = work(stubs[index], index)
        except grpc.RpcError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a client never got an answer"
    return outcomes


@pytest.mark.parametrize("existing", [True, False], ids=["at-a-version", "not-yet-created"])
def test_racing_steps_on_one_node_let_exactly_one_win(running: RunningServer, existing: bool) -> None:
    remote = running.remote()
    seeded = seed(remote)
    node_id, process = seeded.activity, seeded.process
    entered = seeded.root_state._replace(node_id=node_id, name=State.RUNNING, version="v1")
    if existing:
        remote.commit(Commit(seeded.root_id, states=[entered]))
    expected = "v1" if existing else None
    before_outbox = len(running.store.pending_outbox(1000))

    def step(stub: Stub, index: int) -> int:
        commit = Commit(
            seeded.root_id,
            guards=[Guard(GuardKind.STATE, node_id, expected), Guard(GuardKind.PROCESS, process.id, 1)],
            states=[entered._replace(name=State.FINISHED, version=f"win-{index}")],
            processes=[process._replace(version=2, current_node_id=f"next-{index}")],
            execution_data={node_id: ExecutionData({"racer": index}, {"won": True})},
            work=[ExecuteItem(seeded.root_id, process.id, f"next-{index}", 2)],
        )  # fmt: skip
        stub.Commit(spb.CommitRequest(commit=codec.commit_to_pb(commit)), timeout=JOIN_TIMEOUT)
        return index

    outcomes = race(running, RACERS, step)
    winners = [outcome for outcome in outcomes if isinstance(outcome, int)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, grpc.RpcError)]
    assert len(winners) == 1, outcomes
    assert len(losers) == RACERS - 1
    assert {loser.code() for loser in losers} == {grpc.StatusCode.ABORTED}
    winner = winners[0]
    # Only the winner's step is stored: its state, its process, its data, its work item.
    assert remote.get_state(node_id).version == f"win-{winner}"
    assert remote.get_processes(seeded.root_id)[0].current_node_id == f"next-{winner}"
    assert remote.get_execution_data(node_id) == ExecutionData({"racer": winner}, {"won": True})
    rows = running.store.pending_outbox(1000)[before_outbox:]
    items = [codec.work_item_from_pb(records_pb2.WorkItem.FromString(row.payload)) for row in rows]
    assert items == [ExecuteItem(seeded.root_id, process.id, f"next-{winner}", 2)]


def test_concurrent_steps_on_distinct_nodes_all_succeed(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote)
    clients, steps = 16, 12

    def walk(stub: Stub, index: int) -> int:
        process = seeded.process._replace(id=f"{seeded.root_id}-proc-{index}")
        stub.Commit(spb.CommitRequest(commit=codec.commit_to_pb(Commit(seeded.root_id, processes=[process]))))
        for step in range(steps):
            node_id = f"{seeded.root_id}-{index}-{step}"
            moved = process._replace(version=process.version + 1, current_node_id=node_id)
            commit = Commit(
                seeded.root_id,
                guards=[Guard(GuardKind.PROCESS, process.id, process.version), Guard(GuardKind.STATE, node_id, None)],
                states=[seeded.root_state._replace(node_id=node_id, name=State.FINISHED, version=f"v{step}")],
                processes=[moved], execution_data={node_id: ExecutionData({"step": step}, {})},
                work=[ExecuteItem(seeded.root_id, process.id, node_id, moved.version)],
            )  # fmt: skip
            stub.Commit(spb.CommitRequest(commit=codec.commit_to_pb(commit)), timeout=JOIN_TIMEOUT)
            process = moved
        return index

    outcomes = race(running, clients, walk)
    assert outcomes == list(range(clients))
    processes = {p.id: p for p in remote.get_processes(seeded.root_id)}
    for index in range(clients):
        assert processes[f"{seeded.root_id}-proc-{index}"].version == 1 + steps
        for step in range(steps):
            node_id = f"{seeded.root_id}-{index}-{step}"
            assert remote.get_state(node_id).version == f"v{step}"
            assert remote.get_execution_data(node_id) == ExecutionData({"step": step}, {})
    work = [row for row in running.store.pending_outbox(10_000) if row.subject == "bamboo.work.execute"]
    assert len(work) == 1 + clients * steps  # the pipeline's first item, then one per step
