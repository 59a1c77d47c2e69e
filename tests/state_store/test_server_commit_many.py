"""CommitMany: a batch of steps in one call and one transaction, each holding alone."""

from __future__ import annotations

from bamboo_core.errors import StateConflictError
from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import evolve
from bamboo_core.states import State
from bamboo_proto.v1 import records_pb2, state_store_pb2
from bamboo_state_store import codec
from tests.state_store.test_server_support import RunningServer, running_fixture, seed  # noqa: F401  (fixture)


def step_on_root(seeded_root_state, version: str, name: State) -> Commit:  # type: ignore[no-untyped-def]
    moved = evolve(seeded_root_state, name=name, version=version + "x")
    return Commit(root_id=moved.root_id, guards=[Guard(GuardKind.STATE, moved.node_id, version)], states=[moved])


def test_each_commit_of_a_batch_holds_or_fails_on_its_own(running: RunningServer) -> None:
    remote = running.remote()
    first, second = seed(remote), seed(remote)
    good = step_on_root(first.root_state, first.root_state.version, State.SUSPENDED)
    stale = step_on_root(second.root_state, "not-the-version", State.SUSPENDED)

    outcomes = remote.commit_many([good, stale])

    assert outcomes[0] is None
    assert isinstance(outcomes[1], StateConflictError)
    assert remote.get_state(first.root_id).name is State.SUSPENDED  # type: ignore[union-attr]
    assert remote.get_state(second.root_id).name is State.RUNNING  # type: ignore[union-attr]


def test_a_malformed_commit_in_a_batch_is_refused_alone(running: RunningServer) -> None:
    remote = running.remote()
    seeded = seed(remote)
    good = codec.commit_to_pb(step_on_root(seeded.root_state, seeded.root_state.version, State.SUSPENDED))
    bad = state_store_pb2.Commit(root_id=seeded.root_id, states=[records_pb2.NodeState(node_id="x", name=99)])

    response = running.stub().CommitMany(state_store_pb2.CommitManyRequest(commits=[bad, good]))

    assert [o.ok for o in response.outcomes] == [False, True]
    assert response.outcomes[0].code == 3  # INVALID_ARGUMENT
    assert "commits[0]" in response.outcomes[0].message
    assert remote.get_state(seeded.root_id).name is State.SUSPENDED  # type: ignore[union-attr]
    assert remote.get_state("x") is None
