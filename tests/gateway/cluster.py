"""A cluster in one test process: state-store and gateway over real gRPC, the SDK in front.

No executor service runs here; ``OutboxExecutor`` stands in for executors and
schedulers: it takes committed work straight from the state-store's outbox (what
the relay would publish), runs it with engine-core over a ``RemoteStore``, and
fires due timers on a manual clock. So a whole flow runs with every operation and
query going through ``Client`` -> gateway -> state-store, and hours of polling take
milliseconds. ``ClusterHarness`` is the scenarios' ``Harness`` over that cluster.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import grpc
import pytest
from _pytest.fixtures import FixtureFunctionDefinition

from bamboo_core.clock import ManualClock
from bamboo_core.engine import Engine
from bamboo_gateway.config import Settings
from bamboo_gateway.server import Gateway, build_server
from bamboo_proto.v1 import records_pb2 as pb
from bamboo_sdk import Client
from bamboo_state_store import codec
from bamboo_state_store.client import RemoteStore
from bamboo_state_store.sql_store import SqlStore
from tests.scenarios.harness import Harness
from tests.state_store.test_server_support import RunningServer, start_server

MAX_STEPS = 20_000  # a bound on work items per drain, so a runaway flow fails instead of hanging


class OutboxExecutor:
    """Runs the work a state-store's outbox holds, in order, in the calling thread."""

    def __init__(self, store: SqlStore, channel: grpc.Channel, clock: ManualClock) -> None:
        self.store = store
        self.clock = clock
        self.engine = Engine(RemoteStore(channel), clock=clock, emit_events=False)
        self.errors: list[BaseException] = []
        self.ran = 0

    def drain(self) -> int:
        """Run work until the outbox is empty (events are dropped: no watcher here)."""
        ran = 0
        while ran < MAX_STEPS:
            rows = self.store.pending_outbox(100)
            if not rows:
                return ran
            self.store.delete_outbox([row.id for row in rows])
            for row in rows:
                if not row.subject.startswith("bamboo.work."):
                    continue
                item = codec.work_item_from_pb(pb.WorkItem.FromString(row.payload))
                try:
                    self.engine.run(item)
                except Exception as exc:  # noqa: BLE001 - recorded, asserted by the harness
                    self.errors.append(exc)
                ran += 1
                self.ran += 1
        raise AssertionError(f"outbox still not empty after {MAX_STEPS} work items")

    def next_timer_due(self) -> float | None:
        return self.store.next_timer_due()

    def advance(self, seconds: float) -> None:
        """Move the clock forward, firing each due timer at its time and running what it starts."""
        target = self.clock.now() + seconds
        self.drain()
        while (due := self.store.next_timer_due()) is not None and due <= target:
            self.clock.set(due)
            self.store.fire_due_timers(due, 1000)
            self.drain()
        self.clock.set(target)


@dataclass
class Cluster:
    """A state-store, a gateway in front of it, an SDK client and the outbox executor."""

    state_store: RunningServer
    gateway: Gateway
    client: Client
    executor: OutboxExecutor
    channels: list[grpc.Channel] = field(default_factory=list)

    @property
    def remote(self) -> RemoteStore:
        """The state-store seen directly (to check what the gateway stored, or did not)."""
        return RemoteStore(self.state_store.channel())

    @staticmethod
    def client_json(value: Any) -> str:
        """``value`` as the JSON text a raw stub call sends."""
        return codec.to_json(value, "value")

    def stop(self) -> None:
        self.client.close()
        self.gateway.stop(None)
        self.state_store.stop()


def start_cluster(db_url: str, *, nats_url: str = "") -> Cluster:
    state_store = start_server(db_url)
    gateway = build_server(Settings(port=0, state_store=state_store.address, nats_url=nats_url, workers=8))
    gateway.server.start()
    client = Client(f"127.0.0.1:{gateway.port}", timeout=10.0)
    executor = OutboxExecutor(state_store.store, state_store.channel(), ManualClock(time.time()))
    return Cluster(state_store, gateway, client, executor)


class ClusterHarness(Harness):
    """``Harness`` whose runtime is the SDK ``Client``; time and work move through ``OutboxExecutor``."""

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster.client)  # type: ignore[arg-type]
        self.cluster = cluster
        self.executor = cluster.executor

    def settle(self) -> None:
        self.executor.drain()
        self.check_errors()

    def advance(self, seconds: float) -> None:
        self.executor.advance(seconds)
        self.check_errors()

    def next_timer_due(self) -> float | None:
        return self.executor.next_timer_due()

    def now(self) -> float:
        return self.executor.clock.now()

    def check_errors(self) -> None:
        assert not self.executor.errors, f"engine errors: {self.executor.errors!r}"


def cluster_scenarios(module: ModuleType, *, skip: Mapping[str, str] = {}) -> dict[str, Any]:
    """The scenario tests of ``module`` that take a ``harness``, for a test module to re-export.

    Re-exported functions are collected again where ``harness`` is the cluster's, so
    the scenario code itself runs unchanged. ``skip`` maps names to why they cannot
    run here (they are marked skipped, with the reason, rather than silently dropped).
    """
    found: dict[str, Any] = {}
    for name, function in vars(module).items():
        if isinstance(function, FixtureFunctionDefinition) and name != "harness":
            found[name] = function  # the module's own (autouse) fixtures, e.g. counters reset per test
            continue
        if not name.startswith("test_") or not callable(function):
            continue
        if "harness" not in inspect.signature(function).parameters:
            continue  # builds its own embedded runtime: nothing cluster-specific to check
        found[name] = pytest.mark.skip(reason=skip[name])(function) if name in skip else function
    return found


SLEEPING_EXECUTE = ("needs an executor running concurrently with the test (a component that sleeps in execute); "
                    "OutboxExecutor runs work in the test's thread")
