"""The consumer loop shared by the executor and the scheduler.

One durable JetStream pull consumer per service (``bamboo-executor`` on
``bamboo.work.execute``, ``bamboo-scheduler`` on ``bamboo.work.schedule``); every
replica binds the same durable, so replicas are competing consumers and JetStream
spreads the work. For each message:

- decode it (``records_pb2.WorkItem``); a message that does not decode is *poison*:
  it can never succeed, so it is terminated and logged, never retried;
- run ``engine.run(item)`` in a worker thread (engine code is synchronous);
- ack only after it returned: its commit landed in the state-store (which now owns
  the follow-up work through its outbox), or the engine dropped it as stale or a
  duplicate. A process killed before the ack loses nothing: JetStream redelivers
  after ``ack_wait`` and the engine's version checks make a replay a no-op;
- on a transient failure (the state-store unreachable, a deadline) nak with a
  growing delay, so an outage costs retries, not work;
- on any other failure nak with the same back-off, and terminate after
  ``poison_after`` deliveries so one broken item cannot loop for ever.

A step that runs long sends progress acks every ``ack_wait / 3`` so JetStream does
not hand it to a second consumer meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import Enum

import grpc
import nats
from google.protobuf.message import DecodeError
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from bamboo_core.engine.engine import Engine
from bamboo_core.ports import Commit, StateStore
from bamboo_core.records import ExecuteItem, Process, ProcessStatus, WorkItem
from bamboo_executor.config import WorkerSettings
from bamboo_proto.v1 import records_pb2
from bamboo_state_store.codec import work_item_from_pb
from bamboo_state_store.nats_setup import STREAM_WORK, ensure_streams

_log = logging.getLogger(__name__)

# gRPC codes that say "the state-store could not answer now", not "the item is wrong".
TRANSIENT_CODES = frozenset({
    grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED, grpc.StatusCode.CANCELLED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN,
})
BACKOFF_BASE = 0.25  # seconds before the first redelivery of a failed item
BACKOFF_MAX = 30.0


class Outcome(Enum):
    ACK = "ack"
    NAK = "nak"
    TERM = "term"


def decode(data: bytes) -> WorkItem:
    """The work item in a message body; ValueError if it is not one (poison)."""
    message = records_pb2.WorkItem()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise ValueError(f"not a WorkItem: {exc}") from exc
    return work_item_from_pb(message)


def is_transient(exc: BaseException) -> bool:
    """True if ``exc`` (or what caused it) is an unreachable or overloaded state-store."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, grpc.RpcError) and isinstance(current, grpc.Call):
            return current.code() in TRANSIENT_CODES
        if isinstance(current, (ConnectionError, TimeoutError)):
            return True
        current = current.__cause__ or current.__context__
    return False


def backoff(deliveries: int) -> float:
    """Delay before the next delivery after ``deliveries`` failed ones (doubling, capped)."""
    return float(min(BACKOFF_MAX, BACKOFF_BASE * 2 ** min(max(deliveries - 1, 0), 16)))


def failure_outcome(exc: BaseException, deliveries: int, poison_after: int) -> tuple[Outcome, float]:
    """What to do with a message whose item raised ``exc`` on its ``deliveries``-th delivery."""
    if is_transient(exc) or deliveries < poison_after:
        return Outcome.NAK, backoff(deliveries)
    return Outcome.TERM, 0.0


def continue_orphaned_chain(engine: Engine, item: ExecuteItem) -> None:
    """Resume a process whose in-process chain died with the consumer that ran it.

    The engine runs nodes that need no waiting back to back inside one work item,
    committing each but writing no work item for the next: the chain lives only in
    the running consumer until it yields. If that consumer dies mid-chain, JetStream
    redelivers the *first* item, which is stale by then and dropped — and the process
    would sit RUNNING with nobody to move it. So on a redelivery, a process still
    RUNNING past the item's version is continued from where it stands. If it was not
    orphaned after all (another consumer is moving it), the versioned commits let
    exactly one of the two land; the other is dropped as stale.

    The same holds for the branches of a fork the chain ran itself (``engine.chain``):
    one it was running when it wrote has no work item of its own, so when the process
    is JOINING, each of its branches still moving gets a work item at the step it stands
    (a branch that had one is then moved by whichever of the two lands first).
    """
    snap = engine.store.load_step(item.process_id, item.node_id)
    if snap is None:
        return
    process = snap.process
    if process.status is ProcessStatus.RUNNING and process.version > item.process_version:
        _log.info("continuing process %s at %s (version %d) after a redelivery",
                  process.id, process.current_node_id, process.version)
        engine.execute(_item_at(process))
    elif process.status is ProcessStatus.JOINING:
        branches = _moving_branches(engine.store.get_processes(process.root_id), process.id)
        if branches:
            _log.info("continuing %d branches of process %s after a redelivery", len(branches), process.id)
            engine.store.commit(Commit(root_id=process.root_id, work=[_item_at(branch) for branch in branches]))


def _moving_branches(processes: Sequence[Process], parent_id: str) -> list[Process]:
    """The RUNNING descendants of ``parent_id`` through JOINING ones (nested forks)."""
    children: dict[str, list[Process]] = {}
    for process in processes:
        children.setdefault(process.parent_id, []).append(process)
    moving, joining = [], [parent_id]
    while joining:
        for branch in children.get(joining.pop(), ()):
            if branch.status is ProcessStatus.RUNNING:
                moving.append(branch)
            elif branch.status is ProcessStatus.JOINING:
                joining.append(branch.id)
    return moving


def _item_at(process: Process) -> ExecuteItem:
    return ExecuteItem(process.root_id, process.id, process.current_node_id, process.version)


class Worker:
    """Consumes one subject until ``stop`` is set; see the module docstring.

    ``engine_for`` builds the engine for one item: a fresh ``Engine`` each time is
    cheap and keeps a long-running process from caching every model it ever saw
    (the ``RemoteStore`` keeps a bounded cache of its own).
    """

    def __init__(self, settings: WorkerSettings, store: StateStore, *,
                 engine_for: Callable[[StateStore], Engine] = Engine,
                 on_ready: Callable[[], None] | None = None) -> None:
        self._settings = settings
        self._store = store
        self._engine_for = engine_for
        self._on_ready = on_ready
        self._pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix=f"bamboo-{settings.name}")
        self.counts: dict[Outcome, int] = dict.fromkeys(Outcome, 0)

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, bind the consumer, consume until ``stop``; finish in-flight items, drain."""
        nc = await _connect(self._settings.nats_url, stop)
        if nc is None:
            return
        sub: JetStreamContext.PullSubscription | None = None
        try:
            sub = await self._subscribe(nc.jetstream(), stop)
            if sub is not None:
                if self._on_ready is not None:
                    self._on_ready()
                _log.info("%s consuming %s as %r", self._settings.name, self._settings.subject,
                          self._settings.durable)
                await self._consume(sub, stop)
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)
            await _close(nc, sub)

    async def _subscribe(self, js: JetStreamContext, stop: asyncio.Event) -> JetStreamContext.PullSubscription | None:
        """Ensure the streams and the durable consumer exist and bind it, retrying until ``stop``."""
        config = ConsumerConfig(
            durable_name=self._settings.durable, filter_subject=self._settings.subject,
            ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._settings.ack_wait, max_deliver=-1,
        )
        delay = 0.1
        while not stop.is_set():
            try:
                await ensure_streams(js)  # replicas may race here; every step is idempotent
                return await js.pull_subscribe(self._settings.subject, durable=self._settings.durable,
                                               stream=STREAM_WORK, config=config)
            except Exception as exc:  # noqa: BLE001 - NATS starting up or a racing replica: retry
                _log.warning("%s: cannot bind consumer yet (%r); retrying in %.1fs", self._settings.name, exc, delay)
                await _wait(stop, delay)
                delay = min(delay * 2, 2.0)
        return None

    async def _consume(self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event) -> None:
        in_flight: set[asyncio.Task[None]] = set()
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                free = self._settings.concurrency - len(in_flight)
                if free <= 0:
                    await asyncio.wait({*in_flight, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    continue
                for msg in await self._fetch(sub, min(self._settings.batch, free), stop):
                    task = asyncio.create_task(self._process(msg))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
        finally:
            stopping.cancel()
            await self._finish(in_flight)

    async def _fetch(self, sub: JetStreamContext.PullSubscription, batch: int, stop: asyncio.Event) -> list[Msg]:
        """Up to ``batch`` messages; none after the fetch timeout or while NATS is away."""
        try:
            return await sub.fetch(batch, timeout=self._settings.fetch_timeout)
        except nats.errors.TimeoutError:
            return []
        except Exception as exc:  # noqa: BLE001 - disconnected: nats-py reconnects meanwhile
            _log.warning("%s: fetch failed (%r)", self._settings.name, exc)
            await _wait(stop, 0.5)
            return []

    async def _finish(self, in_flight: set[asyncio.Task[None]]) -> None:
        """Let started items commit and ack; what is still running after the grace is redelivered."""
        if not in_flight:
            return
        _log.info("%s: finishing %d in-flight items", self._settings.name, len(in_flight))
        _done, pending = await asyncio.wait(set(in_flight), timeout=self._settings.grace_seconds)
        if pending:
            _log.warning("%s: %d items still running after %.1fs; they will be redelivered",
                         self._settings.name, len(pending), self._settings.grace_seconds)
            for task in pending:
                task.cancel()

    async def _process(self, msg: Msg) -> None:
        outcome, delay = await self._outcome(msg)
        self.counts[outcome] += 1
        try:
            if outcome is Outcome.ACK:
                await msg.ack()
            elif outcome is Outcome.NAK:
                await msg.nak(delay=delay)
            else:
                await msg.term()
        except Exception as exc:  # noqa: BLE001 - connection gone: JetStream redelivers after ack_wait
            _log.warning("%s: could not %s a message (%r)", self._settings.name, outcome.value, exc)

    async def _outcome(self, msg: Msg) -> tuple[Outcome, float]:
        try:
            item = decode(msg.data)
        except ValueError as exc:
            _log.error("%s: terminating an undecodable message on %s: %s", self._settings.name, msg.subject, exc)
            return Outcome.TERM, 0.0
        try:
            await self._with_progress(msg, self._run_in_thread(item, _deliveries(msg) > 1))
        except Exception as exc:  # noqa: BLE001 - every failure is classified, none kills the loop
            deliveries = _deliveries(msg)
            outcome, delay = failure_outcome(exc, deliveries, self._settings.poison_after)
            level = logging.WARNING if outcome is Outcome.NAK else logging.ERROR
            _log.log(level, "%s: %s failed on delivery %d (%r); %s", self._settings.name, item, deliveries, exc,
                     f"retrying in {delay:.2f}s" if outcome is Outcome.NAK else "terminated")
            return outcome, delay
        return Outcome.ACK, 0.0

    def _run_in_thread(self, item: WorkItem, redelivered: bool) -> Awaitable[None]:
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._pool, self._run, item, redelivered)

    def _run(self, item: WorkItem, redelivered: bool) -> None:
        engine = self._engine_for(self._store)
        engine.run(item)
        if redelivered and isinstance(item, ExecuteItem):
            continue_orphaned_chain(engine, item)

    async def _with_progress(self, msg: Msg, work: Awaitable[None]) -> None:
        """Await ``work``, telling JetStream every ``ack_wait / 3`` that the item is still being worked on."""
        future = asyncio.ensure_future(work)
        interval = self._settings.ack_wait / 3
        while True:
            done, _ = await asyncio.wait({future}, timeout=interval)
            if done:
                return future.result()
            with contextlib.suppress(Exception):
                await msg.in_progress()


async def _close(nc: Client, sub: JetStreamContext.PullSubscription | None) -> None:
    """Unsubscribe, flush the last acks to the server, close.

    Not ``nc.drain()``: on a pull subscription nats-py's drain waits for a pending
    queue that fetch never marks done, so it would hang until its 30 s timeout.
    """
    with contextlib.suppress(Exception):
        if sub is not None:
            await asyncio.wait_for(sub.unsubscribe(), 2.0)
    with contextlib.suppress(Exception):
        await nc.flush(timeout=2)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(nc.close(), 5.0)


def _deliveries(msg: Msg) -> int:
    try:
        return int(msg.metadata.num_delivered or 1)
    except Exception:  # noqa: BLE001 - not a JetStream message (cannot happen on a bound consumer)
        return 1


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _connect(url: str, stop: asyncio.Event) -> Client | None:
    """Connect to NATS, waiting until it answers (it may start after us); None if stopped first.

    With ``max_reconnect_attempts=-1`` nats-py retries the first connect for ever as
    well as every later reconnect, so the attempt races ``stop`` instead of a timeout.
    """
    servers = [part.strip() for part in url.split(",") if part.strip()]
    connecting = asyncio.create_task(nats.connect(
        servers, max_reconnect_attempts=-1, reconnect_time_wait=0.25, connect_timeout=2,
        error_cb=_on_nats_error, disconnected_cb=_on_disconnected,
    ))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if connecting.done():
        return connecting.result()
    for _ in range(50):  # nats-py's connect may swallow one cancel (see relay._cancel_for_sure)
        connecting.cancel()
        done, _pending = await asyncio.wait({connecting}, timeout=0.1)
        if done:
            break
    if connecting.done() and not connecting.cancelled() and connecting.exception() is None:
        await connecting.result().close()
    return None


async def _on_nats_error(exc: Exception) -> None:
    _log.debug("NATS error: %r", exc)  # nats-py reconnects by itself; the default callback is noisy


async def _on_disconnected() -> None:
    _log.info("disconnected from NATS; reconnecting")
