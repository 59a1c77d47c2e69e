"""Pieces of a real cluster for the end-to-end tests: a state-store in this process, workers
in threads or as subprocesses, and waits that end.

The state-store runs in-process (its gRPC server, SQLite store, outbox relay and timer
pump, exactly as ``bamboo_state_store.server.serve`` wires them) so a test can look
behind the API; executors and schedulers run either as ``WorkerApp`` threads (fast) or
as real ``python -m bamboo_executor`` processes that a test can SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from bamboo_core.engine.engine import Engine
from bamboo_core.states import State
from bamboo_executor.config import DEFAULTS as EXECUTOR_DEFAULTS
from bamboo_executor.config import WorkerSettings
from bamboo_executor.service import WorkerApp
from bamboo_scheduler.config import DEFAULTS as SCHEDULER_DEFAULTS
from bamboo_state_store.client import RemoteStore
from bamboo_state_store.config import Settings
from bamboo_state_store.relay import OutboxRelay
from bamboo_state_store.server import build_server
from bamboo_state_store.sql_store import SqlStore
from bamboo_state_store.timers import TimerPump
from tests.state_store.nats_fixtures import free_port


@dataclass
class StateStoreInProcess:
    """A started state-store: gRPC server + relay + timer pump over one SQLite file."""

    store: SqlStore
    server: grpc.Server
    port: int
    relay: OutboxRelay
    pump: TimerPump
    channels: list[grpc.Channel] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def remote(self) -> RemoteStore:
        channel = grpc.insecure_channel(self.address)
        self.channels.append(channel)
        return RemoteStore(channel)

    def engine(self) -> Engine:
        """An engine whose every read and write goes through gRPC, as a gateway's would."""
        return Engine(self.remote())

    def stop(self) -> None:
        for channel in self.channels:
            channel.close()
        self.pump.stop()
        self.relay.stop()
        self.server.stop(None).wait(5)
        self.store.close()


def start_state_store(db_url: str, nats_url: str) -> StateStoreInProcess:
    store = SqlStore(db_url)
    settings = Settings(db_url=db_url, host="127.0.0.1", port=0, nats_url=nats_url, workers=32)
    server, port = build_server(settings, store, health_servicer=health.HealthServicer())
    relay = OutboxRelay(store, nats_url)
    pump = TimerPump(store, on_fired=lambda _count: relay.wake())
    relay.start()
    pump.start()
    server.start()
    return StateStoreInProcess(store, server, port, relay, pump)


def worker_settings(kind: str, nats_url: str, state_store: str, **changes: Any) -> WorkerSettings:
    """Settings for an in-process worker: OS-picked health port, quick fetches so stops are quick."""
    defaults = EXECUTOR_DEFAULTS if kind == "executor" else SCHEDULER_DEFAULTS
    return replace(defaults, nats_url=nats_url, state_store=state_store, health_port=0, fetch_timeout=0.2,
                   ack_wait=5.0, grace_seconds=5.0, **changes)


def start_app(settings: WorkerSettings) -> WorkerApp:
    app = WorkerApp(settings)
    app.start(timeout=20.0)
    return app


# -- subprocesses -------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    """A ``python -m bamboo_executor`` / ``bamboo_scheduler`` process and its log file."""

    proc: subprocess.Popen[bytes]
    health_port: int
    log_path: Path
    _log: IO[bytes]

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no acks for what it holds."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def terminate(self, timeout: float = 20.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def spawn_worker(kind: str, nats_url: str, state_store: str, log_dir: Path,
                 extra: Mapping[str, str] | None = None) -> WorkerProcess:
    """Start a worker process; returns once its health service reports SERVING."""
    module, prefix = ("bamboo_executor", "EXECUTOR_") if kind == "executor" else ("bamboo_scheduler", "SCHEDULER_")
    port = free_port()
    env = {**os.environ, f"{prefix}NATS_URL": nats_url, f"{prefix}STATE_STORE": state_store,
           f"{prefix}HEALTH_PORT": str(port), **{prefix + key: value for key, value in (extra or {}).items()}}
    log_path = log_dir / f"{kind}-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed by kill()/terminate()
    proc = subprocess.Popen([sys.executable, "-m", module], env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = WorkerProcess(proc, port, log_path, log)
    try:
        wait_until(lambda: _serving(port) or proc.poll() is not None, timeout=30.0, interval=0.05)
    except AssertionError:
        worker.kill()
        raise
    if proc.poll() is not None:
        log.close()
        raise RuntimeError(f"{module} exited with {proc.returncode}:\n{worker.log()}")
    return worker


def _serving(port: int) -> bool:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=0.5)
        except grpc.RpcError:
            return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


# -- waiting ------------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(interval)


def state_name(remote: RemoteStore, node_id: str) -> State | None:
    state = remote.get_state(node_id)
    return None if state is None else state.name


def wait_finished(remote: RemoteStore, root_ids: list[str], timeout: float) -> float:
    """Poll every root until FINISHED; returns the seconds it took (fails on FAILED or timeout)."""
    started = time.monotonic()
    pending = list(root_ids)
    while pending:
        pending = [root for root in pending if state_name(remote, root) is not State.FINISHED]
        for root in pending:
            assert state_name(remote, root) not in (State.FAILED, State.REVOKED), remote.get_states(root)
        if pending:
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{len(pending)} of {len(root_ids)} flows not FINISHED in {timeout}s")
            time.sleep(0.05)
    return time.monotonic() - started

