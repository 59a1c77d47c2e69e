"""The process around a ``Worker``: state-store channel, health server, signals, life cycle.

Shared by the executor and the scheduler (each has an ``app.py`` that only picks
its settings). Start-up order: health server (NOT_SERVING) -> state-store channel
ready -> NATS connected, streams and durable consumer bound -> SERVING. Shutdown
(SIGTERM/SIGINT or ``stop()``): NOT_SERVING, stop fetching, finish in-flight
items (bounded by ``grace_seconds``), drain NATS, close the channel.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import sys
import threading
from collections.abc import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from bamboo_core.clock import clock_from_env
from bamboo_core.component import load_components
from bamboo_core.engine import Engine
from bamboo_core.examples import register_examples
from bamboo_executor.config import ConfigError, WorkerSettings
from bamboo_executor.worker import Worker
from bamboo_state_store.client import RemoteStore

_log = logging.getLogger(__name__)

EXIT_BAD_CONFIG = 2


class WorkerApp:
    """One consumer process. ``run()`` blocks (the CLI); ``start()``/``stop()`` run it on a thread (tests)."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.ready = threading.Event()  # set once health reports SERVING
        self.health_port = 0  # the bound port, known once started
        self.worker: Worker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def service_name(self) -> str:
        """The health-check service name, e.g. ``bamboo.executor``."""
        return f"bamboo.{self.settings.name}"

    def run(self) -> None:
        """Serve until SIGTERM/SIGINT (or ``stop()``)."""
        asyncio.run(self.serve(install_signals=threading.current_thread() is threading.main_thread()))

    def start(self, timeout: float = 20.0) -> None:
        """Run on a background thread; returns once SERVING (raises if not within ``timeout``)."""
        self._thread = threading.Thread(target=self.run, name=f"bamboo-{self.settings.name}-app", daemon=True)
        self._thread.start()
        if not self.ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"{self.settings.name} not ready within {timeout}s")

    def stop(self, timeout: float = 30.0) -> None:
        """Ask for a graceful stop (any thread) and wait for the background thread to end."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    async def serve(self, *, install_signals: bool = False) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        if install_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(signum, self._on_signal, signum)
        health_servicer = health.HealthServicer()
        server = self._health_server(health_servicer)
        limit = self.settings.max_message_mb * 1024 * 1024
        channel = grpc.insecure_channel(self.settings.state_store, options=[
            ("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit)])
        try:
            if await _channel_ready(channel, self._stop, self.settings.state_store):
                self.worker = Worker(self.settings, RemoteStore(channel, group_commits=True),
                                     engine_for=functools.partial(Engine, clock=clock_from_env(),
                                                                  config=self.settings.engine),
                                     on_ready=lambda: self._serving(health_servicer))
                await self.worker.run(self._stop)
        finally:
            health_servicer.enter_graceful_shutdown()
            server.stop(1.0).wait(2.0)
            channel.close()
            _log.info("%s stopped", self.settings.name)

    def _on_signal(self, signum: int) -> None:
        _log.info("received %s: finishing in-flight work", signal.Signals(signum).name)
        assert self._stop is not None
        self._stop.set()

    def _health_server(self, servicer: health.HealthServicer) -> grpc.Server:
        from concurrent.futures import ThreadPoolExecutor

        server = grpc.server(ThreadPoolExecutor(max_workers=2), options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        host = self.settings.health_host
        bind_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        self.health_port = server.add_insecure_port(f"{bind_host}:{self.settings.health_port}")
        if self.health_port == 0:
            raise OSError(f"cannot bind the health port {host}:{self.settings.health_port}")
        for name in ("", self.service_name):
            servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        server.start()
        _log.info("%s health service on %s:%d", self.settings.name, host, self.health_port)
        return server

    def _serving(self, servicer: health.HealthServicer) -> None:
        for name in ("", self.service_name):
            servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        self.ready.set()


async def _channel_ready(channel: grpc.Channel, stop: asyncio.Event, address: str) -> bool:
    """Wait until the state-store answers connections; False if asked to stop first."""
    future = grpc.channel_ready_future(channel)
    waited = 0.0
    while not stop.is_set():
        try:
            await asyncio.to_thread(future.result, 0.5)
            return True
        except grpc.FutureTimeoutError:
            waited += 0.5
            if waited % 5 == 0:
                _log.warning("state-store at %s not reachable yet (%.0fs)", address, waited)
    future.cancel()
    return False


def load_all_components() -> list[str]:
    """Plugins from ``BAMBOO_COMPONENTS`` and entry points, plus the built-in examples."""
    loaded = load_components()
    register_examples()
    return loaded


def main_for(settings_from_env: Callable[[], WorkerSettings], app_type: type[WorkerApp]) -> int:
    """The body of a service's ``main()``: logging, settings, components, run."""
    logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = settings_from_env()
    except ConfigError as exc:
        logging.getLogger("bamboo_executor").error("invalid configuration: %s", exc)
        return EXIT_BAD_CONFIG
    loaded = load_all_components()
    _log.info("%s: loaded component modules %s", settings.name, loaded or "(examples only)")
    app_type(settings).run()
    return 0
