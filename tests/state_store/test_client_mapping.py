"""RemoteStore against a real in-process gRPC server with a tiny scripted servicer.

The servicer here is a test double of the *service*, not of gRPC: calls cross a real
channel and a real server on 127.0.0.1, so status codes, deadlines and message
encoding are exactly what a RemoteStore meets in production. The full client
against the real state-store servicer is tested with that servicer.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest

from bamboo_core.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_core.errors import (
    AlreadyExistsError,
    EngineError,
    InvalidOperationError,
    InvalidTreeError,
    NotFoundError,
    StateConflictError,
)
from bamboo_core.model import PipelineModel, build_model
from bamboo_core.ports import Commit, Guard, GuardKind, NodeRows, StateStore, StepSnapshot
from bamboo_core.records import ExecuteItem, NodeState, Process, ProcessStatus
from bamboo_core.states import State
from bamboo_core.validation import validate_and_process_pipeline
from bamboo_proto.v1 import state_store_pb2 as spb
from bamboo_proto.v1 import state_store_pb2_grpc
from bamboo_state_store import codec
from bamboo_state_store.client import RemoteStore


class ScriptedServicer(state_store_pb2_grpc.StateStoreServicer):
    """Aborts every call with ``abort_with`` when set; otherwise answers from a few fields."""

    def __init__(self) -> None:
        self.abort_with: tuple[grpc.StatusCode, str] | None = None
        self.hang = threading.Event()  # set: release calls held by ``hold_calls``
        self.hold_calls = False
        self.requests: list[Any] = []
        self.tree_json = ""
        self.snapshot: spb.StepSnapshot | None = None

    def _enter(self, request: Any, context: grpc.ServicerContext) -> None:
        self.requests.append(request)
        if self.hold_calls:
            self.hang.wait(5)
        if self.abort_with is not None:
            context.abort(*self.abort_with)

    def CreatePipeline(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._enter(request, context)
        self.tree_json = request.tree_json
        return spb.CreatePipelineResponse()

    def GetModel(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._enter(request, context)
        return spb.GetModelResponse(tree_json=self.tree_json)

    def Commit(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._enter(request, context)
        if request.HasField("then_load"):
            return spb.CommitResponse(snapshot=self.snapshot)
        return spb.CommitResponse()

    def LoadStep(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._enter(request, context)
        return spb.LoadStepResponse(snapshot=self.snapshot)

    def GetState(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._enter(request, context)
        return spb.GetStateResponse()

    def RootOf(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._enter(request, context)
        return spb.RootOfResponse(root_id="root" if request.node_id == "known" else None)

    def GetRootData(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._enter(request, context)
        return spb.GetRootDataResponse(root_data_json='{"who":"root"}')

    def FireDueTimers(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._enter(request, context)
        return spb.FireDueTimersResponse(fired=request.limit + 1)


@pytest.fixture
def servicer() -> ScriptedServicer:
    return ScriptedServicer()


@pytest.fixture
def channel(servicer: ScriptedServicer) -> Iterator[grpc.Channel]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    state_store_pb2_grpc.add_StateStoreServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel
    finally:
        servicer.hang.set()
        channel.close()
        server.stop(None).wait(5)


@pytest.fixture
def store(channel: grpc.Channel) -> RemoteStore:
    return RemoteStore(channel, timeout=5.0)


def a_model(root_id: str = "pipe") -> PipelineModel:
    start = EmptyStartEvent(id=f"{root_id}-s")
    start.extend(ServiceActivity(component_code="debug", id=f"{root_id}-a")).extend(EmptyEndEvent(id=f"{root_id}-e"))
    tree = build_tree(start, id=root_id)
    validate_and_process_pipeline(tree)
    return build_model(tree)


# -- status -> domain error -----------------------------------------------------------

STATUSES = [
    (grpc.StatusCode.ABORTED, StateConflictError),
    (grpc.StatusCode.NOT_FOUND, NotFoundError),
    (grpc.StatusCode.ALREADY_EXISTS, AlreadyExistsError),
    (grpc.StatusCode.INVALID_ARGUMENT, InvalidTreeError),
    (grpc.StatusCode.FAILED_PRECONDITION, InvalidOperationError),
    (grpc.StatusCode.INTERNAL, EngineError),
    (grpc.StatusCode.PERMISSION_DENIED, EngineError),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, EngineError),
]


@pytest.mark.parametrize(("code", "error"), STATUSES, ids=[code.name for code, _ in STATUSES])
def test_status_becomes_the_domain_error_with_the_server_message(
    servicer: ScriptedServicer, store: RemoteStore, code: grpc.StatusCode, error: type[EngineError]
) -> None:
    servicer.abort_with = (code, f"node 'n1' refused with {code.name}")
    with pytest.raises(EngineError) as caught:
        store.get_state("n1")
    assert type(caught.value) is error
    assert f"node 'n1' refused with {code.name}" in str(caught.value)
    assert isinstance(caught.value.__cause__, grpc.RpcError)  # the status stays inspectable


def test_unmapped_status_names_the_code(servicer: ScriptedServicer, store: RemoteStore) -> None:
    servicer.abort_with = (grpc.StatusCode.INTERNAL, "boom")
    with pytest.raises(EngineError, match=r"INTERNAL.*boom"):
        store.get_root_data("r")


def test_lost_guard_on_commit_is_a_state_conflict(servicer: ScriptedServicer, store: RemoteStore) -> None:
    servicer.abort_with = (grpc.StatusCode.ABORTED, "state 'n1' is at 'v2', expected 'v1'")
    with pytest.raises(StateConflictError, match="expected 'v1'"):
        store.commit(Commit("r", guards=[Guard(GuardKind.STATE, "n1", "v1")]))


def test_taken_ids_on_create_are_already_exists(servicer: ScriptedServicer, store: RemoteStore) -> None:
    servicer.abort_with = (grpc.StatusCode.ALREADY_EXISTS, "ids already used: ['pipe']")
    with pytest.raises(AlreadyExistsError, match="pipe"):
        store.create_pipeline(a_model(), {}, Commit("pipe"))


def test_unknown_model_is_not_found(servicer: ScriptedServicer, store: RemoteStore) -> None:
    servicer.abort_with = (grpc.StatusCode.NOT_FOUND, "pipeline 'ghost' does not exist")
    with pytest.raises(NotFoundError, match="ghost"):
        store.model("ghost")


def test_deadline_is_an_engine_error(servicer: ScriptedServicer, channel: grpc.Channel) -> None:
    servicer.hold_calls = True
    with pytest.raises(EngineError, match="DEADLINE_EXCEEDED"):
        RemoteStore(channel, timeout=0.2).fire_due_timers()


def test_unreachable_store_is_an_engine_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with grpc.insecure_channel(f"127.0.0.1:{port}") as dead:
        with pytest.raises(EngineError, match="UNAVAILABLE"):
            RemoteStore(dead, timeout=5.0).get_state("n1")


# -- requests and responses -----------------------------------------------------------


def test_remote_store_offers_the_whole_port_but_no_on_commit_hook() -> None:
    port_methods = {name for name in vars(StateStore) if not name.startswith("_")}
    assert {"load_step", "commit", "create_pipeline", "get_root_data"} <= port_methods
    assert port_methods <= set(dir(RemoteStore))
    assert not hasattr(RemoteStore, "set_on_commit")


def test_create_pipeline_sends_the_tree_and_seeds_the_model_cache(
    servicer: ScriptedServicer, store: RemoteStore
) -> None:
    model = a_model()
    first = Commit("pipe", work=[ExecuteItem("pipe", "p1", "pipe-s", 1)])
    store.create_pipeline(model, {"k": 1}, first)
    request = servicer.requests[-1]
    assert codec.from_json_object(request.tree_json, "tree_json") == model.tree
    assert codec.from_json_object(request.root_data_json, "root_data_json") == {"k": 1}
    assert codec.commit_from_pb(request.commit) == first
    assert store.model("pipe") is model
    assert len(servicer.requests) == 1  # no GetModel: the created model is cached


def test_model_is_rebuilt_from_the_tree_once_per_root(servicer: ScriptedServicer, store: RemoteStore) -> None:
    model = a_model()
    servicer.tree_json = codec.to_json(model.tree, "tree")
    fetched = store.model("pipe")
    assert fetched.root_id == "pipe" and set(fetched.nodes) == set(model.nodes)
    assert store.model("pipe") is fetched
    assert sum(isinstance(r, spb.GetModelRequest) for r in servicer.requests) == 1


def test_commit_sends_the_encoded_commit(servicer: ScriptedServicer, store: RemoteStore) -> None:
    commit = Commit(
        "r", guards=[Guard(GuardKind.PROCESS, "p", 2)],
        states=[NodeState("n", "r", "r", State.RUNNING, "v2", started_time=3.5)],
    )  # fmt: skip
    store.commit(commit)
    assert codec.commit_from_pb(servicer.requests[-1].commit) == commit


def test_load_step_absent_and_present(servicer: ScriptedServicer, store: RemoteStore) -> None:
    assert store.load_step("p", "n") is None
    snapshot = StepSnapshot(
        Process("p", "r", "", ("r",), "n", ProcessStatus.RUNNING, 4), {}, None, None, None, {"r": {}}, {"a": [1]}
    )
    servicer.snapshot = codec.snapshot_to_pb(snapshot)
    assert store.load_step("p", "n", "sched-1") == snapshot
    request = servicer.requests[-1]
    assert (request.process_id, request.node_id, request.schedule_id) == ("p", "n", "sched-1")


def test_load_step_and_commit_and_load_send_ahead_and_decode_its_rows(
    servicer: ScriptedServicer, store: RemoteStore
) -> None:
    snapshot = StepSnapshot(
        Process("p", "r", "", ("r",), "n", ProcessStatus.RUNNING, 4), {}, None, None, None, {"r": {}}, {},
        ahead={"a": NodeRows(state=NodeState("a", "r", "r", State.READY, "v1")), "b": NodeRows()},
    )
    servicer.snapshot = codec.snapshot_to_pb(snapshot)
    assert store.load_step("p", "n", ahead=["a", "b"]) == snapshot
    assert list(servicer.requests[-1].ahead) == ["a", "b"]
    assert store.commit_and_load(Commit("r"), "p", "n", ["a", "b"]) == snapshot
    assert list(servicer.requests[-1].then_load.ahead) == ["a", "b"]
    store.load_step("p", "n")
    assert list(servicer.requests[-1].ahead) == []


def test_small_reads(servicer: ScriptedServicer, store: RemoteStore) -> None:
    assert store.get_state("n") is None
    assert store.root_of("known") == "root" and store.root_of("other") is None
    assert store.get_root_data("root") == {"who": "root"}
    assert store.fire_due_timers(now=12.5, limit=7) == 8
    assert servicer.requests[-1].now == 12.5
