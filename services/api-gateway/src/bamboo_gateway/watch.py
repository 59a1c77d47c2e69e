"""Watch streams: a pipeline's events from NATS, relayed to gRPC clients.

The state-store's relay publishes every committed event to ``bamboo.events.<root_id>``
(the ``BAMBOO_EVENTS`` stream). A watcher gets an *ordered JetStream consumer* on
its subject, so it first receives the events already committed (the stream keeps an
hour of them) and then live ones, in commit order — a client that starts watching
just after ``RunPipeline`` misses nothing. Where the stream does not exist yet (no
relay has run), a plain subscription delivers live events only.

nats-py is asyncio; the gRPC server is threaded. One ``EventSource`` per gateway owns
a loop on its own thread and one NATS connection; each watch is a subscription on it
feeding a thread-safe queue that the gRPC handler thread drains.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import grpc
import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription

from bamboo_core.events import EventKind
from bamboo_core.states import ARCHIVED_STATES
from bamboo_proto.v1 import records_pb2 as pb
from bamboo_state_store.nats_setup import events_subject

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
CONNECT_TIMEOUT = 5.0
POLL_SECONDS = 0.25  # how often a quiet stream checks whether its client went away
_END_STATES = {state.value for state in ARCHIVED_STATES}


class EventsUnavailableError(RuntimeError):
    """NATS cannot be reached: Watch answers UNAVAILABLE."""


class Subscription:
    """One watcher's feed: raw ``Event`` payloads in commit order."""

    def __init__(self, source: EventSource) -> None:
        self.messages: queue.Queue[bytes] = queue.Queue()
        self._source = source
        self._nats: NatsSubscription | None = None

    async def on_message(self, msg: Msg) -> None:
        self.messages.put(msg.data)

    def close(self) -> None:
        if self._nats is not None:
            self._source.unsubscribe(self._nats)
            self._nats = None


class EventSource:
    """A lazily connected NATS client shared by every Watch of one gateway."""

    def __init__(self, nats_url: str) -> None:
        self._url = nats_url
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: Client | None = None

    def _run(self, coroutine: Coroutine[Any, Any, _T], timeout: float = CONNECT_TIMEOUT) -> _T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _connected(self) -> Client:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="gateway-nats", daemon=True)
                self._thread.start()
            if self._client is None or self._client.is_closed:
                try:
                    self._client = self._run(nats.connect(self._url, connect_timeout=CONNECT_TIMEOUT,
                                                          max_reconnect_attempts=-1, allow_reconnect=True))
                except Exception as exc:  # noqa: BLE001 - any connect failure means "not now"
                    raise EventsUnavailableError(f"NATS at {self._url} is unavailable: {exc}") from exc
            return self._client

    def open(self, root_id: str) -> Subscription:
        """Start feeding ``root_id``'s events (past ones first, when the stream has them)."""
        client = self._connected()
        subscription = Subscription(self)
        subscription._nats = self._run(self._subscribe(client, events_subject(root_id), subscription))
        return subscription

    @staticmethod
    async def _subscribe(client: Client, subject: str, subscription: Subscription) -> NatsSubscription:
        try:
            return await client.jetstream().subscribe(subject, cb=subscription.on_message, ordered_consumer=True)
        except Exception as exc:  # noqa: BLE001 - no stream yet: live events only
            logger.info("no JetStream events for %s (%s); watching live events only", subject, exc)
            return await client.subscribe(subject, cb=subscription.on_message)

    def unsubscribe(self, subscription: NatsSubscription) -> None:
        try:
            self._run(subscription.unsubscribe())
        except Exception:  # noqa: BLE001 - the connection may already be gone
            logger.debug("unsubscribe failed", exc_info=True)

    def close(self) -> None:
        with self._lock:
            if self._client is not None and not self._client.is_closed:
                try:
                    self._run(self._client.close())
                except Exception:  # noqa: BLE001
                    logger.debug("closing NATS failed", exc_info=True)
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)
            if self._loop is not None and not (self._thread is not None and self._thread.is_alive()):
                self._loop.close()  # its self-pipe sockets would otherwise leak
            self._client = self._loop = self._thread = None


def ends_watch(event: pb.Event, root_id: str) -> bool:
    """The root pipeline reached a final state: nothing more will happen to it."""
    if event.kind != EventKind.POST_SET_STATE.value or event.node_id != root_id:
        return False
    return _state_of(event) in _END_STATES


def _state_of(event: pb.Event) -> str:
    try:
        data = json.loads(event.data_json or "{}")
    except ValueError:
        return ""
    return str(data.get("state", "")) if isinstance(data, dict) else ""


def watch_events(subscription: Subscription, root_id: str, context: grpc.ServicerContext) -> Iterator[pb.Event]:
    """Yield events until the pipeline ends or the client goes away; always unsubscribes."""
    try:
        while context.is_active():
            try:
                payload = subscription.messages.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            for event in pb.EventBatch.FromString(payload).events:  # one commit's events
                yield event
                if ends_watch(event, root_id):
                    return
    finally:
        subscription.close()
