"""The state-store's gRPC server and its composition root.

``build_server`` wires one open store into a (not yet started) gRPC server: the
StateStore service, gRPC health checking and server reflection. ``serve`` is the
process's life: open the store (migrations run there), start the outbox relay and
the timer pump when NATS is configured, serve until SIGTERM/SIGINT, then shut down
in the reverse order so no acknowledged commit is left half-published.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any, Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bamboo_core.clock import clock_from_env
from bamboo_proto.v1 import state_store_pb2, state_store_pb2_grpc
from bamboo_state_store.config import Settings
from bamboo_state_store.servicer import StateStoreServicer, StoreBackend
from bamboo_state_store.sql_store import SqlStore

logger = logging.getLogger(__name__)

SERVICE_NAME: str = state_store_pb2.DESCRIPTOR.services_by_name["StateStore"].full_name  # "bamboo.v1.StateStore"
CACHES_DROPPED = "dropped cached models and id lookups"


class _Startable(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> Any: ...


def build_server(
    settings: Settings,
    store: StoreBackend,
    *,
    health_servicer: health.HealthServicer | None = None,
) -> tuple[grpc.Server, int]:
    """A gRPC server for ``store`` bound to ``settings.host:port``; returns it with the bound port.

    ``store`` must be open (migrations applied): health reports SERVING at once.
    The server is not started, so the caller decides what runs before it accepts calls.
    """
    options = [
        # A request bigger than this is refused with RESOURCE_EXHAUSTED before any
        # of it reaches the store; the server keeps serving everyone else.
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        # Two servers silently sharing a port would split the clients between them.
        ("grpc.so_reuseport", 0),
    ]
    executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="state-store-rpc")
    server = grpc.server(executor, options=options)
    servicer = StateStoreServicer(store, group_commit=settings.group_commit)
    state_store_pb2_grpc.add_StateStoreServicer_to_server(servicer, server)
    health_servicer = health_servicer or health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    port = server.add_insecure_port(f"{_host_for_bind(settings.host)}:{settings.port}")
    if port == 0:
        raise OSError(f"cannot bind {settings.host}:{settings.port}")
    for service in ("", SERVICE_NAME):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    return server, port


def _host_for_bind(host: str) -> str:
    """IPv6 literals need brackets in a gRPC address."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(settings: Settings, *, stop: threading.Event | None = None) -> None:
    """Run the state-store until ``stop`` is set or the process gets SIGTERM/SIGINT.

    SIGHUP makes it forget what it cached (models, which pipeline an id belongs to):
    send it after the database was restored from a backup or emptied under it.
    """
    stop = stop or threading.Event()
    _install_signal_handlers(stop)
    _create_sqlite_directory(settings.db_url)
    with ExitStack() as stack:
        store = _open_store(settings, stop)  # applies pending migrations before anything is served
        if store is None:
            logger.info("stopped before the database was reachable")
            return
        stack.callback(store.close)
        _on_sighup(store.clear_caches)
        health_servicer = health.HealthServicer()
        server, port = build_server(settings, store, health_servicer=health_servicer)
        for component in _background_components(settings, store):
            component.start()
            stack.callback(component.stop)
        server.start()
        logger.info("state-store serving on %s:%d (database %s, relay %s)", settings.host, port,
                    make_url(settings.db_url).render_as_string(hide_password=True),
                    settings.nats_url or "off")
        stop.wait()
        logger.info("shutting down: draining requests for up to %gs", settings.grace_seconds)
        # Load balancers and clients see NOT_SERVING first, then in-flight calls finish.
        health_servicer.enter_graceful_shutdown()
        server.stop(settings.grace_seconds).wait()
        # ExitStack: timer pump and relay stop (the relay publishes what it holds), then the store closes.
    logger.info("state-store stopped")


def _open_store(settings: Settings, stop: threading.Event) -> SqlStore | None:
    """Open the store, waiting up to ``db_wait_seconds`` for a PostgreSQL server that is still
    starting (a compose file starts both at once); None if asked to stop meanwhile."""
    deadline = time.monotonic() + settings.db_wait_seconds
    delay = 0.1
    while True:
        try:
            return SqlStore(settings.db_url)
        except OperationalError as exc:
            postgres = make_url(settings.db_url).get_backend_name() == "postgresql"
            if not postgres or time.monotonic() + delay > deadline:
                raise
            logger.warning("database not reachable yet, retrying in %.1fs: %s", delay, str(exc).splitlines()[0])
            if stop.wait(delay):
                return None
            delay = min(delay * 2, 2.0)


def _background_components(settings: Settings, store: SqlStore) -> list[_Startable]:
    """The relay (publishes the outbox) and the timer pump (fires due timers); none without NATS."""
    if not settings.nats_url:
        return []
    # Imported only when used: nats-py is not needed by an embedded store without a relay.
    from bamboo_state_store.relay import OutboxRelay
    from bamboo_state_store.timers import TimerPump

    relay = OutboxRelay(store, settings.nats_url)
    # Fired timers are outbox rows no commit announced: wake the relay for them too.
    return [relay, TimerPump(store, on_fired=lambda _count: relay.wake(), clock=clock_from_env().now)]


def _install_signal_handlers(stop: threading.Event) -> None:
    """SIGTERM and SIGINT ask for a graceful stop (only the main thread may install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def request_stop(signum: int, _frame: object) -> None:
        logger.info("received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


def _on_sighup(clear_caches: Callable[[], None]) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def clear(_signum: int, _frame: object) -> None:
        clear_caches()
        logger.info("received SIGHUP: %s", CACHES_DROPPED)

    signal.signal(signal.SIGHUP, clear)


def _create_sqlite_directory(db_url: str) -> None:
    """The embedded default ``sqlite:///./data/bamboo.db`` should work on a fresh checkout."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        directory = os.path.dirname(os.path.abspath(url.database))
        os.makedirs(directory, exist_ok=True)
