"""Malformed and hostile requests: each gets a clear status, changes nothing stored,
and leaves the server answering.

Requests are built as raw protobuf messages (a RemoteStore would never send most of
them) and sent through the generated stub over a real channel. "Nothing changed" is
checked on the database itself: every data table is dumped before and after.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from sqlalchemy import create_engine, select
from test_server_support import (
    TEST_MAX_MESSAGE_MB,
    RunningServer,
    Seeded,
    a_model,
    first_commit,
    running_fixture,  # noqa: F401  (the ``running`` fixture)
    seed,
)

from bamboo_core.records import ExecuteItem
from bamboo_proto.v1 import records_pb2 as pb
from bamboo_proto.v1 import state_store_pb2 as spb
from bamboo_proto.v1 import state_store_pb2_grpc
from bamboo_state_store import codec
from bamboo_state_store.config import Settings
from bamboo_state_store.db.schema import DATA_TABLES
from bamboo_state_store.server import build_server


@dataclass
class World:
    running: RunningServer
    seeded: Seeded
    url: str

    def stub(self) -> Any:
        return self.running.stub()


@pytest.fixture
def world(running: RunningServer, sql_url: str) -> World:
    return World(running, seed(running.remote()), sql_url)


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every data table, in a stable order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {table.name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                    for table in DATA_TABLES}
    finally:
        engine.dispose()


def call(world: World, method: str, request: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        getattr(world.stub(), method)(request, timeout=10)
    return caught.value


def still_serving(world: World) -> None:
    reply = world.stub().GetState(spb.NodeRequest(node_id=world.seeded.root_id), timeout=5)
    assert codec.state_from_pb(reply.state) == world.seeded.root_state


# -- requests and the status each must get ------------------------------------------------------

Build = Callable[[Seeded], Any]


def commit_of(seeded: Seeded, **fields: Any) -> spb.CommitRequest:
    """A commit that would apply (guards hold, a real write) but for ``fields``."""
    root_id, process = seeded.root_id, seeded.process
    base: dict[str, Any] = {
        "root_id": root_id,
        "guards": [spb.Guard(kind=spb.GUARD_KIND_PROCESS, id=process.id, number=process.version)],
        "states": [codec.state_to_pb(seeded.root_state._replace(version="v2"))],
        "work": [codec.work_item_to_pb(ExecuteItem(root_id, process.id, "x", 2))],
    }
    base.update(fields)
    return spb.CommitRequest(commit=spb.Commit(**base))


def state_pb(seeded: Seeded, **fields: Any) -> pb.NodeState:
    message = codec.state_to_pb(seeded.root_state._replace(version="v2"))
    for name, value in fields.items():
        setattr(message, name, value)
    return message


def data_of(seeded: Seeded, inputs_json: str) -> dict[str, pb.ExecutionData]:
    return {seeded.activity: pb.ExecutionData(inputs_json=inputs_json, outputs_json="{}")}


def create_of(seeded: Seeded, tree_json: str | None = None, root_data_json: str = "{}",
              root_id: str | None = None) -> spb.CreatePipelineRequest:
    model = a_model()
    commit, _, _ = first_commit(model)
    commit.root_id = root_id or model.root_id
    return spb.CreatePipelineRequest(
        tree_json=codec.to_json(model.tree, "tree") if tree_json is None else tree_json,
        root_data_json=root_data_json, commit=codec.commit_to_pb(commit),
    )  # fmt: skip


INVALID = grpc.StatusCode.INVALID_ARGUMENT
CASES: dict[str, tuple[str, Build, grpc.StatusCode, str]] = {
    # unknown ids and missing ids
    "unknown model": ("GetModel", lambda s: spb.GetModelRequest(root_id="ghost"), grpc.StatusCode.NOT_FOUND, "ghost"),
    "empty root id": ("GetModel", lambda s: spb.GetModelRequest(), INVALID, "root_id"),
    "empty process id": ("LoadStep", lambda s: spb.LoadStepRequest(node_id="n"), INVALID, "process_id"),
    "empty node id": ("LoadStep", lambda s: spb.LoadStepRequest(process_id=s.process.id), INVALID, "node_id"),
    "empty scope id": ("GetContext", lambda s: spb.ScopeRequest(), INVALID, "scope_id"),
    "empty node version": ("GetSchedule", lambda s: spb.GetScheduleRequest(node_id="n"), INVALID, "node_version"),
    "no commit": ("Commit", lambda s: spb.CommitRequest(), INVALID, "commit"),
    "commit without root": ("Commit", lambda s: commit_of(s, root_id=""), INVALID, "root_id"),
    "state without node id": ("Commit", lambda s: commit_of(s, states=[state_pb(s, node_id="")]), INVALID,
                              "commit.states[0].node_id"),
    "guard without id": ("Commit", lambda s: commit_of(s, guards=[spb.Guard(kind=spb.GUARD_KIND_PROCESS, number=1)]),
                         INVALID, "commit.guards[0].id"),
    # versions that do not hold
    "stale process version": ("Commit", lambda s: commit_of(s, guards=[
        spb.Guard(kind=spb.GUARD_KIND_PROCESS, id=s.process.id, number=s.process.version + 5)]),
        grpc.StatusCode.ABORTED, "process"),
    "version of an unknown node": ("Commit", lambda s: commit_of(s, guards=[
        spb.Guard(kind=spb.GUARD_KIND_STATE, id="ghost", version="v1")]), grpc.StatusCode.ABORTED, "ghost"),
    "state expected absent but present": ("Commit", lambda s: commit_of(s, guards=[
        spb.Guard(kind=spb.GUARD_KIND_STATE, id=s.root_id)]), grpc.StatusCode.ABORTED, "state"),
    "number for a state guard": ("Commit", lambda s: commit_of(s, guards=[
        spb.Guard(kind=spb.GUARD_KIND_STATE, id=s.root_id, number=1)]), INVALID, "Guard.expected"),
    # enum values nobody defined
    "unknown state name": ("Commit", lambda s: commit_of(s, states=[state_pb(s, name=99)]), INVALID, "NodeState.name"),
    "unspecified state name": ("Commit", lambda s: commit_of(s, states=[state_pb(s, name=0)]), INVALID,
                               "NodeState.name"),
    "unknown guard kind": ("Commit", lambda s: commit_of(s, guards=[spb.Guard(kind=7, id="n", version="v")]),
                           INVALID, "Guard.kind"),
    "unknown process status": ("Commit", lambda s: commit_of(s, processes=[
        pb.Process(id="p9", root_id=s.root_id, status=42)]), INVALID, "Process.status"),
    "unknown schedule type": ("Commit", lambda s: commit_of(s, schedules=[
        pb.Schedule(id="s9", node_id="n", node_version="v", type=-3)]), INVALID, "Schedule.type"),
    "unknown var type": ("Commit", lambda s: commit_of(s, contexts={s.root_id: pb.ContextValues(values=[
        pb.ContextValue(key="k", type=17, value_json="1")])}), INVALID, "ContextValue.type"),
    "unknown event kind": ("Commit", lambda s: commit_of(s, events=[pb.Event(kind="rm -rf", root_id=s.root_id)]),
                           INVALID, "Event.kind"),
    "empty work item": ("Commit", lambda s: commit_of(s, work=[pb.WorkItem()]), INVALID, "WorkItem"),
    # JSON that is not JSON, or not the JSON a field needs
    "malformed json": ("Commit", lambda s: commit_of(s, execution_data=data_of(s, '{"a": ')), INVALID, "inputs_json"),
    "json that is not an object": ("Commit", lambda s: commit_of(s, execution_data=data_of(s, "[1, 2]")), INVALID,
                                   "inputs_json"),
    "NaN in json": ("Commit", lambda s: commit_of(s, execution_data=data_of(s, '{"a": NaN}')), INVALID, "inputs_json"),
    "deeply nested json": ("Commit", lambda s: commit_of(s, execution_data=data_of(s, "[" * 200_000)), INVALID,
                           "inputs_json"),
    "empty context json": ("Commit", lambda s: commit_of(s, contexts={s.root_id: pb.ContextValues(values=[
        pb.ContextValue(key="k", type=pb.VAR_TYPE_PLAIN, value_json="")])}), INVALID, "value_json"),
    # pipelines
    "tree that is not json": ("CreatePipeline", lambda s: create_of(s, tree_json="<xml/>"), INVALID, "tree_json"),
    "tree without an id": ("CreatePipeline", lambda s: create_of(s, tree_json='{"flows": {}}'), INVALID, "tree_json"),
    "tree without nodes": ("CreatePipeline", lambda s: create_of(s, tree_json='{"id": "bare"}'), INVALID, "tree_json"),
    "root data not an object": ("CreatePipeline", lambda s: create_of(s, root_data_json='"x"'), INVALID,
                                "root_data_json"),
    "commit for another root": ("CreatePipeline", lambda s: create_of(s, root_id="elsewhere"), INVALID,
                                "commit.root_id"),
    "pipeline that exists": ("CreatePipeline", lambda s: spb.CreatePipelineRequest(
        tree_json=codec.to_json(s.model.tree, "tree"), root_data_json="{}",
        commit=spb.Commit(root_id=s.root_id)), grpc.StatusCode.ALREADY_EXISTS, "already"),
    # timers
    "negative timer limit": ("FireDueTimers", lambda s: spb.FireDueTimersRequest(limit=-1), INVALID, "limit"),
    "NaN timer clock": ("FireDueTimers", lambda s: spb.FireDueTimersRequest(now=math.nan), INVALID, "now"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_bad_request_gets_a_clear_status_and_changes_nothing(
    world: World, case: tuple[str, Build, grpc.StatusCode, str]
) -> None:
    method, build, code, fragment = case
    before = dump(world.url)
    error = call(world, method, build(world.seeded))
    assert error.code() is code, error.details()
    assert fragment in (error.details() or "")
    assert dump(world.url) == before
    still_serving(world)


def test_unknown_ids_read_as_empty_answers(world: World) -> None:
    stub = world.stub()
    assert not stub.LoadStep(spb.LoadStepRequest(process_id="ghost", node_id="n"), timeout=5).HasField("snapshot")
    assert not stub.GetState(spb.NodeRequest(node_id="ghost"), timeout=5).HasField("state")
    assert not stub.RootOf(spb.RootOfRequest(node_id="ghost"), timeout=5).HasField("root_id")
    assert list(stub.GetStates(spb.RootRequest(root_id="ghost"), timeout=5).states) == []
    assert stub.GetRootData(spb.RootRequest(root_id="ghost"), timeout=5).root_data_json == "{}"
    assert not stub.GetSchedule(spb.GetScheduleRequest(node_id="g", node_version="v"), timeout=5).HasField("schedule")


def test_an_oversized_request_is_refused_and_the_server_keeps_serving(world: World) -> None:
    before = dump(world.url)
    big = '{"blob":"' + "x" * (TEST_MAX_MESSAGE_MB * 1024 * 1024 + 1024) + '"}'
    error = call(world, "Commit", commit_of(world.seeded, execution_data=data_of(world.seeded, big)))
    assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert dump(world.url) == before
    still_serving(world)
    # Just under the limit is fine.
    fits = '{"blob":"' + "x" * (TEST_MAX_MESSAGE_MB * 1024 * 1024 - 4096) + '"}'
    world.stub().Commit(commit_of(world.seeded, execution_data=data_of(world.seeded, fits)), timeout=10)
    assert world.running.store.get_execution_data(world.seeded.activity) is not None


def test_bytes_that_are_not_a_request_fail_without_harm(world: World) -> None:
    before = dump(world.url)
    raw = world.running.channel().unary_unary("/bamboo.v1.StateStore/Commit")
    for garbage in (b"\xff\xff\xff\xff", b"\x0a\x05\xc3\x28\xa0\xa1\xa2"):  # a truncated field; invalid UTF-8
        with pytest.raises(grpc.RpcError) as caught:
            raw(garbage, timeout=5)
        assert caught.value.code() is not grpc.StatusCode.OK
    assert dump(world.url) == before
    still_serving(world)


def test_a_request_for_an_unknown_method_is_unimplemented(world: World) -> None:
    raw = world.running.channel().unary_unary("/bamboo.v1.StateStore/DropEverything")
    with pytest.raises(grpc.RpcError) as caught:
        raw(b"", timeout=5)
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    still_serving(world)


class BrokenStore:
    """A store whose reads fail with something no table maps: a bug, or a lost database."""

    def get_state(self, node_id: str) -> Any:
        raise RuntimeError(f"connection to 10.0.0.7 lost while reading {node_id}")


@pytest.fixture
def broken_stub() -> Iterator[Any]:
    server, port = build_server(Settings(port=0, workers=2), BrokenStore())  # type: ignore[arg-type]
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield state_store_pb2_grpc.StateStoreStub(channel)
    finally:
        channel.close()
        server.stop(None).wait(5)


def test_an_unexpected_error_is_internal_logged_and_not_leaked(
    broken_stub: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("ERROR", logger="bamboo_state_store.errors")
    for _ in range(2):  # and the server keeps answering
        with pytest.raises(grpc.RpcError) as caught:
            broken_stub.GetState(spb.NodeRequest(node_id="n1"), timeout=5)
        assert caught.value.code() is grpc.StatusCode.INTERNAL
        assert "RuntimeError" in (caught.value.details() or "")
        assert "10.0.0.7" not in (caught.value.details() or "")
        assert ("bamboo-error", "RuntimeError") in (caught.value.trailing_metadata() or ())
    logged = [record for record in caplog.records if "GetState" in record.getMessage()]
    assert len(logged) == 2 and logged[0].exc_info is not None and "10.0.0.7" in str(logged[0].exc_info[1])
