"""Reading ahead over gRPC: LoadStep and Commit's then_load bring back the rows of the nodes in ``ahead``.

A chain's worker asks for the next nodes' rows with the step it loads, so it can run
them without another call; each id asked for gets an entry, empty for a node with
nothing stored. Bad ``ahead`` lists are refused before anything is committed.
"""

from __future__ import annotations

import grpc
import pytest

from bamboo_core.model import DataInput
from bamboo_core.ports import MAX_AHEAD, Commit, Guard, GuardKind, NodeRows
from bamboo_core.records import ExecutionData, NodeState, evolve
from bamboo_core.states import State
from bamboo_proto.v1 import state_store_pb2 as spb
from bamboo_state_store import codec
from tests.state_store.test_server_support import RunningServer, Seeded, running_fixture, seed  # noqa: F401  (fixture)


def node_state(seeded: Seeded, node_id: str, version: str) -> NodeState:
    return NodeState(node_id, seeded.root_id, seeded.root_id, State.READY, version, created_time=2.0)


def rows_commit(seeded: Seeded, *, move_to: str = "") -> Commit:
    """Rows for the second and third activities (the first and the end have none); with
    ``move_to``, the root process also steps on to that node, guarded."""
    a1, a2 = f"{seeded.root_id}a1", f"{seeded.root_id}a2"
    commit = Commit(seeded.root_id, states=[node_state(seeded, a1, "v1")],
                    execution_data={a1: ExecutionData({"i": 1}, {"o": [1]}), a2: ExecutionData({"i": 2}, {})},
                    node_inputs={a2: {"x": DataInput(True, "${y}")}})
    if move_to:
        moved = evolve(seeded.process, current_node_id=move_to, version=seeded.process.version + 1)
        commit.guards.append(Guard(GuardKind.PROCESS, moved.id, seeded.process.version))
        commit.processes.append(moved)
    return commit


def expected_ahead(seeded: Seeded) -> dict[str, NodeRows]:
    root = seeded.root_id
    return {
        f"{root}a1": NodeRows(node_state(seeded, f"{root}a1", "v1"), ExecutionData({"i": 1}, {"o": [1]})),
        f"{root}a2": NodeRows(execution_data=ExecutionData({"i": 2}, {}), node_inputs={"x": DataInput(True, "${y}")}),
        f"{root}e": NodeRows(),
    }


def test_load_step_brings_the_rows_ahead(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote, activities=3)
    remote.commit(rows_commit(seeded))
    ahead = list(expected_ahead(seeded))

    snapshot = remote.load_step(seeded.process.id, seeded.activity, ahead=ahead)

    assert snapshot is not None
    assert list(snapshot.ahead) == ahead and snapshot.ahead == expected_ahead(seeded)
    assert snapshot == running.store.load_step(seeded.process.id, seeded.activity, ahead=ahead)
    without = remote.load_step(seeded.process.id, seeded.activity)
    assert without is not None and without.ahead == {}
    assert remote.load_step("no-such-process", seeded.activity, ahead=ahead) is None


def test_commit_and_load_brings_the_rows_ahead_as_committed(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote, activities=3)
    ahead = list(expected_ahead(seeded))

    snapshot = remote.commit_and_load(rows_commit(seeded, move_to=seeded.activity), seeded.process.id,
                                      seeded.activity, ahead)

    assert snapshot is not None
    assert snapshot.process.current_node_id == seeded.activity
    assert list(snapshot.ahead) == ahead and snapshot.ahead == expected_ahead(seeded)
    assert snapshot == remote.load_step(seeded.process.id, seeded.activity, ahead=ahead)


def test_commit_and_load_without_ahead_has_no_rows_ahead(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote, activities=3)
    snapshot = remote.commit_and_load(rows_commit(seeded, move_to=seeded.activity), seeded.process.id,
                                      seeded.activity)
    assert snapshot is not None and snapshot.ahead == {}


def test_the_most_ahead_allowed_is_read(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote, activities=3)
    remote.commit(rows_commit(seeded))
    ahead = [f"{seeded.root_id}a1", *(f"ghost{index}" for index in range(MAX_AHEAD - 1))]
    snapshot = remote.load_step(seeded.process.id, seeded.activity, ahead=ahead)
    assert snapshot is not None and list(snapshot.ahead) == ahead
    assert snapshot.ahead[ahead[0]] == expected_ahead(seeded)[ahead[0]]
    assert all(snapshot.ahead[node_id] == NodeRows() for node_id in ahead[1:])


BAD_AHEAD = {
    "too many": ([f"n{index}" for index in range(MAX_AHEAD + 1)], f"ahead: at most {MAX_AHEAD}"),
    "an empty id": (["n", ""], "ahead[1]: required"),
}


@pytest.mark.parametrize(("ahead", "message"), list(BAD_AHEAD.values()), ids=list(BAD_AHEAD))
def test_a_bad_ahead_is_invalid(running: RunningServer, ahead: list[str], message: str) -> None:
    seeded = seed(running.remote())
    request = spb.LoadStepRequest(process_id=seeded.process.id, node_id=seeded.activity, ahead=ahead)
    with pytest.raises(grpc.RpcError) as raised:
        running.stub().LoadStep(request)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert message in str(raised.value.details())


@pytest.mark.parametrize(("ahead", "message"), list(BAD_AHEAD.values()), ids=list(BAD_AHEAD))
def test_a_bad_then_load_ahead_is_refused_before_anything_is_committed(
    running: RunningServer, ahead: list[str], message: str
) -> None:
    remote = running.remote()
    seeded = seed(remote, activities=3)
    commit = codec.commit_to_pb(rows_commit(seeded, move_to=seeded.activity))
    then_load = spb.LoadStepRequest(process_id=seeded.process.id, node_id=seeded.activity, ahead=ahead)
    with pytest.raises(grpc.RpcError) as raised:
        running.stub().Commit(spb.CommitRequest(commit=commit, then_load=then_load))
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert f"then_load.{message}" in str(raised.value.details())
    assert remote.get_processes(seeded.root_id) == [seeded.process]
    assert remote.get_state(f"{seeded.root_id}a1") is None
    assert remote.get_execution_data(f"{seeded.root_id}a1") is None
