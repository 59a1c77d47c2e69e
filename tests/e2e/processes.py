"""Service processes of the end-to-end cluster: start one, wait for its health check, stop it.

Every Bamboo service is started exactly as a user would start it
(``python -m bamboo_<service>`` configured only by environment variables), with its
output in a log file that a failing test can show and that the harness scans for
engine errors.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

START_TIMEOUT = 30.0


@dataclass
class ServiceProcess:
    """One running service: its process, the port its health service answers on, its log."""

    name: str
    proc: subprocess.Popen[bytes]
    health_port: int
    log_path: Path
    _log: IO[bytes] = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")

    def signal_and_wait(self, sig: signal.Signals, logged: str, timeout: float = 10.0) -> None:
        """Send ``sig``, then wait until the service logs a line containing ``logged``."""
        offset = self.log_size()
        self.proc.send_signal(sig)
        deadline = time.monotonic() + timeout
        while logged not in self.log_since(offset):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not log {logged!r} after {sig.name}:\n{self.log()[-2000:]}")
            time.sleep(0.005)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, nothing acked or flushed."""
        self._stop(signal.SIGKILL, 10.0)

    def terminate(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if the graceful stop takes longer than ``timeout``."""
        try:
            self._stop(signal.SIGTERM, timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def _stop(self, sig: signal.Signals, timeout: float) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)
        self._log.close()


def spawn(name: str, module: str, env: Mapping[str, str], health_port: int, log_dir: Path) -> ServiceProcess:
    """Start ``python -m module`` with ``env`` added; return once its health check says SERVING."""
    log_path = log_dir / f"{name}-{time.monotonic_ns()}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed when the process is stopped
    proc = subprocess.Popen([sys.executable, "-m", module], env={**os.environ, **env},
                            stdout=log, stderr=subprocess.STDOUT)
    service = ServiceProcess(name, proc, health_port, log_path, log)
    deadline = time.monotonic() + START_TIMEOUT
    while not serving(health_port):
        if proc.poll() is not None:
            service.kill()
            raise RuntimeError(f"{module} exited with {proc.returncode}:\n{service.log()}")
        if time.monotonic() > deadline:
            service.kill()
            raise RuntimeError(f"{module} not SERVING within {START_TIMEOUT} s:\n{service.log()}")
        time.sleep(0.02)
    return service


def serving(port: int) -> bool:
    """True when the gRPC health service on ``port`` reports SERVING (overall status)."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""),
                                                                 timeout=0.5)
        except grpc.RpcError:
            return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)
