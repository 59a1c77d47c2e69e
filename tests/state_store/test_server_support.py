"""Fixtures and helpers for the state-store service tests (no tests of its own).

A test gets a real gRPC server on 127.0.0.1 (port 0) over a real ``SqlStore`` on
conftest's ``sql_url`` (a fresh SQLite file, or the session's PostgreSQL database with
its tables emptied), and clients with their own channels. Test modules import what
they need::

    from test_server_support import running_fixture  # noqa: F401  (the ``running`` fixture)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health

from bamboo_core.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_core.events import EventKind
from bamboo_core.model import PipelineModel, VarType, build_model
from bamboo_core.ports import Commit
from bamboo_core.records import ContextValue, Event, ExecuteItem, NodeState, Process, ProcessStatus
from bamboo_core.states import State
from bamboo_core.validation import validate_and_process_pipeline
from bamboo_proto.v1 import state_store_pb2_grpc
from bamboo_state_store.client import RemoteStore
from bamboo_state_store.config import Settings
from bamboo_state_store.server import build_server
from bamboo_state_store.sql_store import SqlStore

TEST_MAX_MESSAGE_MB = 1  # small, so the oversized-request test stays fast


class WiredRemoteStore(RemoteStore):
    """``RemoteStore`` whose ``set_on_commit`` registers on the server's own store.

    In a cluster the relay carries committed work to consumers; in these tests the
    server runs in-process, so its store's hook stands in for the relay and lets
    code written for an ``on_commit`` store (the contract suite, InMemoryRuntime)
    run unchanged with every read and write going through gRPC.
    """

    def __init__(self, channel: grpc.Channel, server_store: SqlStore) -> None:
        super().__init__(channel, timeout=10.0)
        self._server_store = server_store

    def set_on_commit(self, on_commit: Callable[[Commit], None]) -> None:
        self._server_store.set_on_commit(on_commit)


@dataclass
class RunningServer:
    """A started server, its store (for looking behind the API) and client channels."""

    store: SqlStore
    server: grpc.Server
    port: int
    health: health.HealthServicer
    channels: list[grpc.Channel] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def channel(self) -> grpc.Channel:
        channel = grpc.insecure_channel(
            self.address, options=[("grpc.max_send_message_length", 64 * 1024 * 1024)]
        )
        self.channels.append(channel)
        return channel

    def remote(self) -> WiredRemoteStore:
        return WiredRemoteStore(self.channel(), self.store)

    def stub(self) -> state_store_pb2_grpc.StateStoreStub:
        return state_store_pb2_grpc.StateStoreStub(self.channel())

    def stop(self) -> None:
        for channel in self.channels:
            channel.close()
        self.server.stop(None).wait(5)
        self.store.close()


def start_server(url: str, *, grouped: bool = True, **settings: Any) -> RunningServer:
    """A started server; ``grouped`` (the default, as in production) routes Commit calls
    through the servicer's group committer and ``SqlStore.commit_many``."""
    store = SqlStore(url)
    settings.setdefault("group_commit", grouped)
    health_servicer = health.HealthServicer()
    options = {"host": "127.0.0.1", "port": 0, "workers": 40, "max_message_mb": TEST_MAX_MESSAGE_MB, **settings}
    server, port = build_server(Settings(db_url=url, **options), store, health_servicer=health_servicer)
    server.start()
    return RunningServer(store, server, port, health_servicer)


@pytest.fixture(name="running")
def running_fixture(sql_url: str) -> Iterator[RunningServer]:
    server = start_server(sql_url)
    try:
        yield server
    finally:
        server.stop()


# -- pipelines ------------------------------------------------------------------------


def unique(prefix: str) -> str:
    """Ids unique per call, so one test can make several pipelines."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def a_model(root_id: str | None = None, activities: int = 1) -> PipelineModel:
    root_id = root_id or unique("p")
    start = EmptyStartEvent(id=f"{root_id}s")
    node: Any = start
    for index in range(activities):
        node = node.extend(ServiceActivity(component_code="debug", id=f"{root_id}a{index}"))
    node.extend(EmptyEndEvent(id=f"{root_id}e"))
    tree = build_tree(start, id=root_id)
    validate_and_process_pipeline(tree)
    return build_model(tree)


@dataclass(frozen=True)
class Seeded:
    model: PipelineModel
    root_state: NodeState
    process: Process

    @property
    def root_id(self) -> str:
        return self.model.root_id

    @property
    def activity(self) -> str:
        return f"{self.root_id}a0"


def first_commit(model: PipelineModel) -> tuple[Commit, NodeState, Process]:
    """What ``run_pipeline`` commits: the root's state, its process, context, first work item."""
    root_id = model.root_id
    start = model.scopes[root_id].start_event_id
    root_state = NodeState(root_id, root_id, root_id, State.RUNNING, "v1", created_time=1.0, started_time=1.0)
    process = Process(unique("r"), root_id, "", (root_id,), start, ProcessStatus.RUNNING)
    commit = Commit(
        root_id=root_id, states=[root_state], processes=[process],
        contexts={root_id: {"${x}": ContextValue("${x}", VarType.PLAIN, 1)}},
        work=[ExecuteItem(root_id, process.id, start, process.version)],
        events=[Event(EventKind.POST_SET_STATE, root_id, root_id, {"state": "RUNNING"}, 1.0)],
    )  # fmt: skip
    return commit, root_state, process


def seed(remote: RemoteStore, activities: int = 1, root_data: dict[str, Any] | None = None) -> Seeded:
    model = a_model(activities=activities)
    commit, root_state, process = first_commit(model)
    remote.create_pipeline(model, root_data or {"who": "me"}, commit)
    return Seeded(model, root_state, process)


# -- the fixture's own promise ----------------------------------------------------------------


def test_servers_bind_loopback_on_ports_the_os_picks(tmp_path: Path) -> None:
    first, second = (start_server(f"sqlite:///{tmp_path / f'{name}.db'}") for name in ("a", "b"))
    try:
        assert first.port != second.port and 0 not in (first.port, second.port)
        for server in (first, second):
            assert server.remote().root_of("nothing") is None  # each answers on its own port
    finally:
        first.stop()
        second.stop()
