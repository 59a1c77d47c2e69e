"""Commit with ``then_load``: a chain's commit brings back the next step's snapshot in the same call."""

from __future__ import annotations

import grpc
import pytest

from bamboo_core.errors import StateConflictError
from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import ProcessStatus, evolve
from bamboo_proto.v1 import state_store_pb2
from bamboo_state_store import codec
from tests.state_store.test_server_support import RunningServer, running_fixture, seed  # noqa: F401  (fixture)


def move_to(seeded, node_id: str, guard_version: int) -> Commit:  # type: ignore[no-untyped-def]
    """The root process steps on to ``node_id`` (guarded by the version it read)."""
    moved = evolve(seeded.process, current_node_id=node_id, version=seeded.process.version + 1)
    return Commit(root_id=seeded.root_id, guards=[Guard(GuardKind.PROCESS, moved.id, guard_version)],
                  processes=[moved])


def test_the_snapshot_is_the_step_after_the_commit(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote)
    commit = move_to(seeded, seeded.activity, seeded.process.version)

    snapshot = remote.commit_and_load(commit, seeded.process.id, seeded.activity)

    assert snapshot is not None
    assert snapshot == remote.load_step(seeded.process.id, seeded.activity)
    assert (snapshot.process.current_node_id, snapshot.process.version) == (seeded.activity, 2)
    assert snapshot.process.status is ProcessStatus.RUNNING


def test_a_lost_race_commits_nothing_and_loads_nothing(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote)
    with pytest.raises(StateConflictError):
        remote.commit_and_load(move_to(seeded, seeded.activity, 99), seeded.process.id, seeded.activity)
    assert remote.get_processes(seeded.root_id) == [seeded.process]


def test_an_unknown_process_to_load_is_none_and_the_commit_holds(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote)
    commit = move_to(seeded, seeded.activity, seeded.process.version)
    assert remote.commit_and_load(commit, "no-such-process", seeded.activity) is None
    assert remote.get_processes(seeded.root_id)[0].current_node_id == seeded.activity


def test_a_malformed_then_load_is_refused_before_anything_is_committed(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote)
    commit = codec.commit_to_pb(move_to(seeded, seeded.activity, seeded.process.version))
    request = state_store_pb2.CommitRequest(commit=commit, then_load=state_store_pb2.LoadStepRequest(node_id="n"))
    with pytest.raises(grpc.RpcError) as raised:
        running.stub().Commit(request)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "then_load.process_id" in str(raised.value.details())
    assert remote.get_processes(seeded.root_id) == [seeded.process]
