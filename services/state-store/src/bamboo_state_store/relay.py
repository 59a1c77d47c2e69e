"""The transactional-outbox relay: outbox rows -> JetStream, exactly once into the stream.

Every commit that produces work or events writes outbox rows in its own transaction,
so nothing is lost if the process dies right after committing. This relay drains
those rows: it publishes each with ``Nats-Msg-Id = "<store_id>:<outbox_id>"`` and
deletes a row only after JetStream acknowledged it. A crash between the PubAck and
the delete leaves the row pending; the next relay republishes it and JetStream's
duplicate window (see ``nats_setup``) drops the copy. So every row reaches the
stream once, however often the relay restarts (within the 2-minute window).

Throughput comes from batching (LIMITS.md §2.2: awaiting each PubAck gives ~5k
msgs/s, ``publish_async`` + gathering the acks ~50k/s): a batch of rows is sent
back to back on one connection and the acks are collected together, then deleted
in one statement.

The relay runs on its own thread with its own asyncio loop, so the synchronous
store (SQLAlchemy) and a gRPC server can live in the same process. A commit wakes
it through ``store.set_on_commit``; otherwise it polls every ``poll_interval`` so
rows written by another replica or before a restart are found too.

Several replicas on one database each run a relay; they may publish the same rows
at the same time, which the duplicate window absorbs (wasted work, not duplicates).
Order on a subject follows outbox order except around retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck

from bamboo_state_store.nats_setup import ensure_streams

_log = logging.getLogger(__name__)


class OutboxRow(Protocol):
    """One pending message (the store's ``OutboxRow``; only these fields are read)."""

    @property
    def id(self) -> int: ...

    @property
    def subject(self) -> str: ...

    @property
    def payload(self) -> bytes | bytearray | memoryview: ...


class OutboxStore(Protocol):
    """The part of ``SqlStore`` the relay needs."""

    @property
    def store_id(self) -> str: ...

    def pending_outbox(self, limit: int) -> Sequence[OutboxRow]: ...

    def delete_outbox(self, ids: Sequence[int]) -> None: ...

    def set_on_commit(self, callback: Callable[[Any], None]) -> None: ...


class PublishError(RuntimeError):
    """No row of a batch was acknowledged (NATS itself is in trouble); they stay pending."""


class OutboxRelay:
    """Publishes a store's outbox to JetStream from a background thread.

    ``start()`` returns at once; the relay keeps connecting (and reconnecting) to
    ``nats_url`` in the background, so a state-store can start before NATS. Errors
    from NATS or the database never lose rows: they stay pending and are retried
    with a capped exponential back-off. ``stop()`` drains what is pending while NATS
    is reachable (bounded by its timeout), then closes the connection.
    """

    def __init__(
        self,
        store: OutboxStore,
        nats_url: str,
        *,
        batch: int = 500,
        poll_interval: float = 0.05,
        publish_timeout: float = 5.0,
        max_backoff: float = 2.0,
        wake_on_commit: bool = True,
    ) -> None:
        if batch < 1 or poll_interval <= 0 or publish_timeout <= 0:
            raise ValueError("batch must be >= 1 and poll_interval, publish_timeout > 0")
        self._store = store
        self._url = nats_url
        self._batch = batch
        self._poll_interval = poll_interval
        self._publish_timeout = publish_timeout
        self._max_backoff = max_backoff
        self._wake_on_commit = wake_on_commit
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_event: asyncio.Event | None = None
        self._stop_event: asyncio.Event | None = None
        self._started = threading.Event()
        self._stopping = False
        self._drain_deadline = float("inf")
        self._wake_scheduled = False
        self._held: dict[int, tuple[int, float]] = {}  # row id -> (failures, retry not before)
        self.published = 0  # rows acknowledged by JetStream and deleted
        self.last_error: str | None = None  # for health checks and logs

    # -- lifecycle (any thread) ---------------------------------------------------------

    def start(self) -> None:
        """Start the relay thread; hooks the store's commits as a wake-up signal."""
        if self._thread is not None:
            raise RuntimeError("relay already started")
        self._thread = threading.Thread(target=self._run, name="bamboo-outbox-relay", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._wake_on_commit:
            self._store.set_on_commit(lambda _commit: self.wake())

    def stop(self, timeout: float = 10.0) -> None:
        """Publish what is pending (if NATS is up, for at most ~``timeout`` s), then close."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._drain_deadline = time.monotonic() + timeout * 0.8
        self._stopping = True
        self._call_in_loop(self._request_stop)
        thread.join(timeout)
        if thread.is_alive():
            _log.warning("outbox relay did not stop within %.1f s", timeout)

    def wake(self) -> None:
        """Look at the outbox now instead of at the next poll (called after each commit)."""
        if self._wake_scheduled:  # one pending wake-up is enough
            return
        self._wake_scheduled = True
        if not self._call_in_loop(self._on_wake):
            self._wake_scheduled = False

    def _call_in_loop(self, callback: Callable[[], None]) -> bool:
        loop = self._loop
        if loop is None:
            return False
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:  # the loop already closed
            return False
        return True

    # -- inside the relay's loop ----------------------------------------------------------

    def _on_wake(self) -> None:
        self._wake_scheduled = False
        assert self._wake_event is not None
        self._wake_event.set()

    def _request_stop(self) -> None:
        assert self._stop_event is not None and self._wake_event is not None
        self._stop_event.set()
        self._wake_event.set()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:  # pragma: no cover - a bug; never let the thread die silently
            _log.exception("outbox relay crashed")
        finally:
            self._started.set()  # unblock start() even if the loop never came up

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake_event = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._started.set()
        try:
            nc = await self._connect()
            if nc is not None:
                await self._run_connected(nc)
        finally:
            self._loop = None  # later wake() calls become no-ops

    async def _run_connected(self, nc: Client) -> None:
        try:
            await self._pump(nc.jetstream(publish_async_max_pending=max(4000, self._batch)))
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), 5.0)

    async def _connect(self) -> Client | None:
        """Connect, retrying for ever (nats-py reconnects by itself once connected); None if stopped first."""
        assert self._stop_event is not None
        connecting = asyncio.create_task(nats.connect(
            self._url, name="bamboo-outbox-relay", max_reconnect_attempts=-1, reconnect_time_wait=0.25,
            connect_timeout=2, error_cb=self._on_nats_error, disconnected_cb=self._on_disconnected,
        ))
        stopping = asyncio.create_task(self._stop_event.wait())
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not connecting.done():
            await _cancel_for_sure(connecting)
            return None
        return connecting.result()

    async def _on_nats_error(self, exc: Exception) -> None:
        self.last_error = f"nats: {exc!r}"
        _log.debug("outbox relay NATS error: %r", exc)

    async def _on_disconnected(self) -> None:
        _log.info("outbox relay disconnected from NATS; reconnecting")

    async def _pump(self, js: JetStreamContext) -> None:
        """Drain batches until stopped; ensure the streams after every failure (a NATS restart)."""
        streams_ready = False
        backoff = 0.0
        while True:
            if self._stopping and time.monotonic() > self._drain_deadline:
                return
            try:
                if not streams_ready:
                    await ensure_streams(js)
                    streams_ready = True
                count = await self.relay_batch(js)
            except Exception as exc:  # NATS or database trouble: rows stay pending
                streams_ready = False
                backoff = min(self._max_backoff, max(0.05, backoff * 2))
                self.last_error = repr(exc)
                _log.warning("outbox relay: %r; retrying in %.2f s", exc, backoff)
                await self._idle(backoff)
                continue
            backoff = 0.0
            if count < self._batch:
                if self._stopping:
                    return  # drained
                await self._idle(self._poll_interval)

    async def _idle(self, seconds: float) -> None:
        """Sleep until woken (a commit, stop) or ``seconds`` passed."""
        assert self._wake_event is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake_event.wait(), seconds)

    async def relay_batch(self, js: JetStreamContext) -> int:
        """Publish one batch of pending rows and delete the acknowledged ones.

        Returns how many rows were read. Raises ``PublishError`` when none was
        acknowledged — NATS as a whole is in trouble, so the caller backs off. When only
        some fail, the problem is those rows (too large, a bad subject): they stay
        pending but are held back with their own back-off, so they neither spin the
        relay nor delay the rows behind them.
        """
        assert self._wake_event is not None
        self._wake_event.clear()  # before reading: a commit after this point wakes us again
        rows = self._store.pending_outbox(self._batch)
        if not rows:
            return 0
        now = time.monotonic()
        ready = [row for row in rows if self._held.get(row.id, (0, 0.0))[1] <= now]
        if not ready:
            return len(rows)
        outcomes = await self._publish(js, ready)
        acked = [row.id for row, ack in zip(ready, outcomes, strict=True) if not isinstance(ack, BaseException)]
        if acked:
            self._store.delete_outbox(acked)
            self.published += len(acked)
        failed = [(row, ack) for row, ack in zip(ready, outcomes, strict=True) if isinstance(ack, BaseException)]
        if failed:
            message = f"{len(failed)} of {len(ready)} outbox rows not acknowledged: {failed[0][1]!r}"
            if not acked:
                raise PublishError(message)
            self.last_error = message
            _log.warning("outbox relay: %s (first row id %d)", message, failed[0][0].id)
        self._update_held(rows, {row.id for row, _ in failed}, set(acked), now)
        return len(rows)

    def _update_held(self, rows: Sequence[OutboxRow], failed: set[int], acked: set[int], now: float) -> None:
        """Hold rows that failed alone back, doubling per failure (max 60 s); forget gone rows."""
        first = rows[0].id  # ids below the oldest pending row were deleted
        held = {row_id: entry for row_id, entry in self._held.items()
                if row_id >= first and row_id not in failed and row_id not in acked}
        for row_id in failed:
            failures = self._held.get(row_id, (0, 0.0))[0] + 1
            held[row_id] = (failures, now + min(60.0, 0.5 * 2 ** min(failures, 7)))
        self._held = held

    async def _publish(self, js: JetStreamContext, rows: Sequence[OutboxRow]) -> list[PubAck | BaseException]:
        """Send every row back to back, then collect the PubAcks (or errors) in row order."""
        prefix = f"{self._store.store_id}:"
        sent: list[asyncio.Future[PubAck] | BaseException] = []
        try:
            for row in rows:
                try:
                    headers = {"Nats-Msg-Id": prefix + str(row.id)}
                    sent.append(await js.publish_async(row.subject, bytes(row.payload), headers=headers))
                except (nats.errors.MaxPayloadError, nats.errors.BadSubjectError) as exc:  # this row only
                    sent.append(exc)
            futures = [item for item in sent if isinstance(item, asyncio.Future)]
            if futures:
                await asyncio.wait(futures, timeout=self._ack_timeout())
        finally:
            for item in sent:  # unanswered publishes free their slot; a retry republishes them
                if isinstance(item, asyncio.Future):
                    item.cancel()
        return [_outcome(item) for item in sent]

    def _ack_timeout(self) -> float:
        if self._stopping:
            return max(0.05, min(self._publish_timeout, self._drain_deadline - time.monotonic()))
        return self._publish_timeout


async def _cancel_for_sure(task: asyncio.Task[Any], attempts: int = 50) -> None:
    """Cancel ``task`` and wait for it to end.

    One cancel is not always enough: on Python 3.11, ``asyncio.wait_for`` (used inside
    nats-py's connect) swallows a cancellation that races with its inner call
    finishing, and nats-py's connect loop then simply tries again.
    """
    for _ in range(attempts):
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=0.1)
        if done:
            break
    if task.done() and not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved
    elif not task.done():
        _log.warning("outbox relay: could not cancel the NATS connect attempt")


def _outcome(item: asyncio.Future[PubAck] | BaseException) -> PubAck | BaseException:
    if isinstance(item, BaseException):
        return item
    future = item
    if future.cancelled():
        return PublishError("no PubAck within the publish timeout")
    exc = future.exception()
    return exc if exc is not None else future.result()
