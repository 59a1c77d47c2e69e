"""``python -m bamboo_state_store`` as a real process: start-up, serving, shutdown.

Each test starts the service the way a container would (environment only), waits for
gRPC health to say SERVING, talks to it, then signals it and expects a clean exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nats_fixtures import STREAM_WORK, NatsServer, fetch_all, free_port, nats_server_fixture  # noqa: F401
from test_server_support import seed

from bamboo_core.ports import Commit
from bamboo_core.records import ExecuteItem
from bamboo_proto.v1 import records_pb2
from bamboo_state_store import codec
from bamboo_state_store.client import RemoteStore
from bamboo_state_store.sql_store import SqlStore

STARTUP_TIMEOUT = 30.0
EXIT_TIMEOUT = 10.0


class ServiceProcess:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = int(env.get("STATE_STORE_PORT", "0"))
        clean = {key: value for key, value in os.environ.items() if not key.startswith("STATE_STORE_")}
        self.log = cwd / "service.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "bamboo_state_store"], env={**clean, **env},
                                         cwd=cwd, stdout=log, stderr=subprocess.STDOUT)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def health(self, channel: grpc.Channel) -> int:
        stub = health_pb2_grpc.HealthStub(channel)
        return int(stub.Check(health_pb2.HealthCheckRequest(service="bamboo.v1.StateStore"), timeout=1).status)

    def wait_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        with grpc.insecure_channel(self.address) as channel:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, f"exited with {self.proc.returncode}:\n{self.output()}"
                try:
                    if self.health(channel) == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.05)
        raise AssertionError(f"not SERVING within {STARTUP_TIMEOUT} s:\n{self.output()}")

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, float]:
        begin = time.monotonic()
        self.proc.send_signal(signum)
        code = self.proc.wait(EXIT_TIMEOUT)
        return code, time.monotonic() - begin

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def services() -> Iterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    yield started
    for service in started:
        service.kill()


def start(services: list[ServiceProcess], cwd: Path, **env: str) -> ServiceProcess:
    service = ServiceProcess({"STATE_STORE_PORT": str(free_port()), "STATE_STORE_GRACE_SECONDS": "2", **env}, cwd)
    services.append(service)
    return service


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_service_serves_then_stops_cleanly_on_a_signal(
    services: list[ServiceProcess], tmp_path: Path, signum: int
) -> None:
    service = start(services, tmp_path)  # no DB URL: the embedded default ./data/bamboo.db
    service.wait_serving()
    with grpc.insecure_channel(service.address) as channel:
        seeded = seed(RemoteStore(channel))
    code, took = service.stop(signum)
    assert code == 0, service.output()
    assert took < EXIT_TIMEOUT
    output = service.output()
    for line in ("state-store serving on 127.0.0.1", "shutting down", "state-store stopped"):
        assert line in output
    store = SqlStore(f"sqlite:///{tmp_path / 'data' / 'bamboo.db'}")  # what it wrote survives
    try:
        assert store.get_state(seeded.root_id) == seeded.root_state
    finally:
        store.close()


def test_on_postgresql_too(services: list[ServiceProcess], tmp_path: Path, pg_url: str) -> None:
    service = start(services, tmp_path, STATE_STORE_DB_URL=pg_url)
    service.wait_serving()
    with grpc.insecure_channel(service.address) as channel:
        remote = RemoteStore(channel)
        seeded = seed(remote)
        assert remote.get_state(seeded.root_id) == seeded.root_state
    code, _ = service.stop()
    assert code == 0, service.output()
    assert "postgres@" in service.output()  # the URL is logged, its password would not be


def test_an_invalid_setting_stops_start_up_naming_the_variable(
    services: list[ServiceProcess], tmp_path: Path
) -> None:
    service = start(services, tmp_path, STATE_STORE_WORKERS="many")
    assert service.proc.wait(STARTUP_TIMEOUT) == 2
    assert "STATE_STORE_WORKERS" in service.output() and "many" in service.output()


def test_an_unreachable_database_fails_start_up_after_the_wait(
    services: list[ServiceProcess], tmp_path: Path
) -> None:
    nowhere = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/bamboo"
    service = start(services, tmp_path, STATE_STORE_DB_URL=nowhere, STATE_STORE_DB_WAIT_SECONDS="0.5")
    assert service.proc.wait(STARTUP_TIMEOUT) != 0
    assert "database not reachable yet" in service.output() and "OperationalError" in service.output()


def test_a_signal_while_waiting_for_the_database_stops_at_once(
    services: list[ServiceProcess], tmp_path: Path
) -> None:
    nowhere = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/bamboo"
    service = start(services, tmp_path, STATE_STORE_DB_URL=nowhere, STATE_STORE_DB_WAIT_SECONDS="60")
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while "database not reachable yet" not in service.output():
        assert time.monotonic() < deadline, service.output()
        time.sleep(0.05)
    code, took = service.stop()
    assert code == 0 and took < 5, service.output()


def work_items(url: str, expect: int) -> list[Any]:
    received = fetch_all(url, STREAM_WORK, "bamboo.work.>", expect=expect)
    return [codec.work_item_from_pb(records_pb2.WorkItem.FromString(message.data)) for message in received]


def test_with_nats_committed_work_and_due_timers_reach_jetstream(
    services: list[ServiceProcess], tmp_path: Path, nats_server: NatsServer, sql_url: str
) -> None:
    # The timer fires after the first rows were published and deleted: its outbox id
    # must still be new, or JetStream drops it as a duplicate of an earlier message.
    service = start(services, tmp_path, STATE_STORE_DB_URL=sql_url, STATE_STORE_NATS_URL=nats_server.url)
    service.wait_serving()
    with grpc.insecure_channel(service.address) as channel:
        remote = RemoteStore(channel)
        seeded = seed(remote)
        later = ExecuteItem(seeded.root_id, seeded.process.id, "after-a-timer", 2)
        remote.commit(Commit(seeded.root_id, timers=[(time.time() + 0.2, later)]))
        first = ExecuteItem(seeded.root_id, seeded.process.id, f"{seeded.root_id}s", 1)
        assert work_items(nats_server.url, expect=2) == [first, later]  # the pump fired the timer
    code, _ = service.stop()
    assert code == 0, service.output()


def test_the_service_killed_after_a_commit_delivers_its_work_once_after_restart(
    services: list[ServiceProcess], tmp_path: Path, sql_url: str
) -> None:
    """The issue's crash test on the real service: SIGKILL between commit and publish.

    NATS is not up while the first service runs, so its relay cannot publish the
    committed work; the service is then killed outright. A restarted service on the
    same database, now with NATS up, publishes the work — and a consumer sees it once.
    """
    nats = NatsServer(tmp_path / "nats")  # picked port, not started yet
    first = start(services, tmp_path, STATE_STORE_DB_URL=sql_url, STATE_STORE_NATS_URL=nats.url)
    first.wait_serving()
    with grpc.insecure_channel(first.address) as channel:
        seeded = seed(RemoteStore(channel))  # its commit carries the run's first work item
    first.kill()

    nats.start()
    try:
        second = start(services, tmp_path, STATE_STORE_DB_URL=sql_url, STATE_STORE_NATS_URL=nats.url)
        second.wait_serving()
        expected = ExecuteItem(seeded.root_id, seeded.process.id, f"{seeded.root_id}s", 1)
        time.sleep(0.5)  # let a second copy, if there were one, reach the stream too
        assert work_items(nats.url, expect=1) == [expected]  # fetches what is there, lingering for more
        store = SqlStore(sql_url)
        try:
            assert store.pending_outbox(10) == []  # published and acknowledged, so deleted
        finally:
            store.close()
        code, _ = second.stop()
        assert code == 0, second.output()
    finally:
        nats.stop()
