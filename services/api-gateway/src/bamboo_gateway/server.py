"""The gateway's gRPC server and its composition root.

``build_server`` wires a channel to the state-store (and optionally NATS) into a not
yet started server: the Workflow service, health checking and reflection. ``serve``
is the process's life: health says NOT_SERVING until the state-store answers, so a
load balancer or ``bamboo up`` only sends traffic to a gateway that can serve it.
"""

from __future__ import annotations

import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from bamboo_core.clock import clock_from_env
from bamboo_core.component.discovery import load_components
from bamboo_gateway.config import Settings
from bamboo_gateway.servicer import WorkflowServicer
from bamboo_gateway.watch import EventSource
from bamboo_proto.v1 import workflow_pb2, workflow_pb2_grpc
from bamboo_state_store.client import RemoteStore

logger = logging.getLogger(__name__)

SERVICE_NAME: str = workflow_pb2.DESCRIPTOR.services_by_name["Workflow"].full_name  # "bamboo.v1.Workflow"
STORE_WAIT_SECONDS = 60.0


@dataclass
class Gateway:
    """A built (not started) gateway and what it owns, so a test or ``serve`` can stop it."""

    server: grpc.Server
    port: int
    health: health.HealthServicer
    store_channel: grpc.Channel
    events: EventSource | None

    def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for service in ("", SERVICE_NAME):
            self.health.set(service, status)

    def stop(self, grace: float | None = None) -> None:
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        if self.events is not None:
            self.events.close()
        self.store_channel.close()


def build_server(settings: Settings, *, serving: bool = True) -> Gateway:
    """A gateway bound to ``settings.host:port`` (port 0: the OS picks; see ``Gateway.port``)."""
    options = [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.so_reuseport", 0),
    ]
    store_channel = grpc.insecure_channel(settings.state_store, options=options[:2])
    events = EventSource(settings.nats_url) if settings.nats_url else None
    servicer = WorkflowServicer(RemoteStore(store_channel, timeout=settings.store_timeout), events=events,
                                clock=clock_from_env(), config=settings.engine)
    executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="gateway-rpc")
    server = grpc.server(executor, options=options)
    workflow_pb2_grpc.add_WorkflowServicer_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    host = f"[{settings.host}]" if ":" in settings.host and not settings.host.startswith("[") else settings.host
    port = server.add_insecure_port(f"{host}:{settings.port}")
    if port == 0:
        raise OSError(f"cannot bind {settings.host}:{settings.port}")
    gateway = Gateway(server, port, health_servicer, store_channel, events)
    gateway.set_serving(serving)
    return gateway


def serve(settings: Settings, *, stop: threading.Event | None = None) -> None:
    """Run the gateway until ``stop`` is set or the process gets SIGTERM/SIGINT."""
    stop = stop or threading.Event()
    _install_signal_handlers(stop)
    # Operator hooks of components run in the gateway (SPEC §6.6): load the same plugins as workers.
    loaded = load_components()
    gateway = build_server(settings, serving=False)
    gateway.server.start()
    logger.info("gateway listening on %s:%d (state-store %s, NATS %s, %d plugin modules)", settings.host,
                gateway.port, settings.state_store, settings.nats_url or "off", len(loaded))
    _wait_for_store(gateway, stop)
    stop.wait()
    logger.info("shutting down: draining calls for up to %gs", settings.grace_seconds)
    gateway.stop(settings.grace_seconds)
    logger.info("gateway stopped")


def _wait_for_store(gateway: Gateway, stop: threading.Event) -> None:
    """Report SERVING once the state-store channel connects (it may start after us)."""
    ready = grpc.channel_ready_future(gateway.store_channel)

    def mark(_future: grpc.Future[None]) -> None:
        if not stop.is_set() and not ready.cancelled():
            logger.info("state-store reachable: serving")
            gateway.set_serving(True)

    ready.add_done_callback(mark)
    threading.Thread(target=lambda: stop.wait() and ready.cancel(), daemon=True).start()


def _install_signal_handlers(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def request_stop(signum: int, _frame: object) -> None:
        logger.info("received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
