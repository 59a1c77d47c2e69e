"""The outbox relay against a real nats-server and a real SqlStore (SQLite, and PostgreSQL where marked)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.api import RetentionPolicy, StorageType
from nats_fixtures import (  # noqa: F401  (the nats_server fixture)
    NatsServer,
    fetch_all,
    nats_server_fixture,
    publish_pending_like_relay,
    stream_message_count,
    streams_exist,
    wait_until,
)

from bamboo_core.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_core.engine.engine import Engine
from bamboo_core.engine.pipeline_operations import run_pipeline
from bamboo_core.events import EventKind
from bamboo_core.ports import Commit
from bamboo_core.records import Event, ExecuteItem
from bamboo_proto.v1 import records_pb2
from bamboo_state_store.codec import event_from_pb, work_item_from_pb
from bamboo_state_store.nats_setup import (
    STREAM_EVENTS,
    STREAM_WORK,
    SUBJECT_EXECUTE,
    ensure_streams,
    events_subject,
    nats_server_binary,
)
from bamboo_state_store.relay import OutboxRelay
from bamboo_state_store.sql_store import SqlStore

RelayFactory = Callable[..., OutboxRelay]


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[SqlStore]:
    store = SqlStore(sqlite_url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def relay_factory() -> Iterator[RelayFactory]:
    """Start relays that are stopped after the test, even when it fails."""
    relays: list[OutboxRelay] = []

    def make(store: SqlStore, url: str, **options: Any) -> OutboxRelay:
        relay = OutboxRelay(store, url, **options)
        relay.start()
        relays.append(relay)
        return relay

    yield make
    for relay in relays:
        relay.stop()


def start_pipeline(store: SqlStore) -> str:
    """Commit a run's first step: one ExecuteItem and two events go into the outbox."""
    start, act, end = EmptyStartEvent(), ServiceActivity(component_code="relay_test"), EmptyEndEvent()
    start.extend(act).extend(end)
    return run_pipeline(Engine(store), build_tree(start))


def outbox_empty(store: SqlStore) -> bool:
    return not store.pending_outbox(10)


def parse_work(data: bytes) -> Any:
    message = records_pb2.WorkItem()
    message.ParseFromString(data)
    return work_item_from_pb(message)


def parse_events(data: bytes) -> list[Any]:
    """The events of one published message: one commit's ``EventBatch``."""
    return [event_from_pb(event) for event in records_pb2.EventBatch.FromString(data).events]


# -- streams ----------------------------------------------------------------------------------


def test_nats_server_binary_comes_from_the_wheel() -> None:
    assert Path(nats_server_binary()).is_file()


def stream_settings(url: str) -> dict[str, tuple[Any, ...]]:
    """Run ensure_streams twice (a second replica, a reconnect) and read both streams' settings."""

    async def read() -> dict[str, tuple[Any, ...]]:
        nc = await nats.connect(url, allow_reconnect=False)
        try:
            js = nc.jetstream()
            await ensure_streams(js)
            await ensure_streams(js)
            out = {}
            for name in (STREAM_WORK, STREAM_EVENTS):
                c = (await js.stream_info(name)).config
                out[name] = (c.subjects, c.retention, c.storage, c.duplicate_window, c.max_age)
            return out
        finally:
            await nc.close()

    return asyncio.run(read())


def test_ensure_streams_creates_both_streams_idempotently(nats_server: NatsServer) -> None:
    settings = stream_settings(nats_server.url)
    assert settings[STREAM_WORK] == (["bamboo.work.>"], RetentionPolicy.WORK_QUEUE, StorageType.FILE, 120.0, 0.0)
    assert settings[STREAM_EVENTS][:3] == (["bamboo.events.>"], RetentionPolicy.LIMITS, StorageType.FILE)
    assert settings[STREAM_EVENTS][4] == 3600.0


def test_ensure_streams_repairs_a_drifted_stream(nats_server: NatsServer) -> None:
    async def drift() -> None:
        nc = await nats.connect(nats_server.url, allow_reconnect=False)
        try:
            await nc.jetstream().add_stream(name=STREAM_EVENTS, subjects=["bamboo.events.>"], max_age=5.0)
        finally:
            await nc.close()

    asyncio.run(drift())
    assert stream_settings(nats_server.url)[STREAM_EVENTS][4] == 3600.0


def test_events_subject_rejects_ids_that_would_change_the_subject() -> None:
    assert events_subject("p1") == "bamboo.events.p1"
    for bad in ("", "a.b", "a b", "a*", "a>"):
        with pytest.raises(ValueError):
            events_subject(bad)


# -- publishing -------------------------------------------------------------------------------


def test_commit_reaches_the_right_subjects_and_empties_the_outbox(
        sql_url: str, nats_server: NatsServer, relay_factory: RelayFactory) -> None:
    store = SqlStore(sql_url)
    try:
        relay = relay_factory(store, nats_server.url)
        root_id = start_pipeline(store)
        wait_until(lambda: outbox_empty(store))
        work = fetch_all(nats_server.url, STREAM_WORK, "bamboo.work.>", expect=1)
        assert [w.subject for w in work] == [SUBJECT_EXECUTE]
        item = parse_work(work[0].data)
        assert isinstance(item, ExecuteItem) and item.root_id == root_id and item.process_version == 1
        assert work[0].msg_id is not None and work[0].msg_id.startswith(f"{store.store_id}:")
        events = fetch_all(nats_server.url, STREAM_EVENTS, "bamboo.events.>", expect=1)  # one per commit
        assert [e.kind for e in parse_events(events[0].data)] == [EventKind.POST_SET_STATE,
                                                                  EventKind.POST_PREPARE_RUN_PIPELINE]
        assert [e.subject for e in events] == [events_subject(root_id)]
        assert relay.published == 2
    finally:
        store.close()


def test_outbox_ids_are_never_reused_so_dedupe_never_drops_new_work(
        sqlite_store: SqlStore, nats_server: NatsServer, relay_factory: RelayFactory) -> None:
    """After the relay empties the outbox, new rows must get new ids: a reused id inside the
    duplicate window would make JetStream silently drop the new message as a duplicate."""
    relay_factory(sqlite_store, nats_server.url)
    roots = []
    for _ in range(3):
        roots.append(start_pipeline(sqlite_store))
        wait_until(lambda: outbox_empty(sqlite_store))
    work = fetch_all(nats_server.url, STREAM_WORK, "bamboo.work.>", expect=3)
    assert sorted(parse_work(w.data).root_id for w in work) == sorted(roots)


def test_rows_wait_while_nats_is_down_and_go_out_once_it_is_up(
        sqlite_store: SqlStore, tmp_path: Path, relay_factory: RelayFactory) -> None:
    server = NatsServer(tmp_path / "late-nats")  # not started yet
    try:
        relay = relay_factory(sqlite_store, server.url)
        root_id = start_pipeline(sqlite_store)
        time.sleep(0.3)
        assert len(sqlite_store.pending_outbox(10)) == 2 and relay.published == 0
        server.start()
        wait_until(lambda: outbox_empty(sqlite_store))
        work = fetch_all(server.url, STREAM_WORK, "bamboo.work.>", expect=1)
        assert [parse_work(w.data).root_id for w in work] == [root_id]
        # NATS goes away again (a restart): new rows wait, and follow once it is back.
        server.stop()
        second = start_pipeline(sqlite_store)
        time.sleep(0.3)
        assert len(sqlite_store.pending_outbox(10)) == 2
        server.start()
        wait_until(lambda: outbox_empty(sqlite_store))
        work = fetch_all(server.url, STREAM_WORK, "bamboo.work.>", expect=1)
        assert [parse_work(w.data).root_id for w in work] == [second]
    finally:
        server.stop()


def test_republished_rows_are_deduplicated(
        sqlite_store: SqlStore, nats_server: NatsServer, relay_factory: RelayFactory) -> None:
    """A relay that crashed after the PubAck but before the delete republishes: still one copy."""
    root_id = start_pipeline(sqlite_store)
    assert publish_pending_like_relay(nats_server.url, sqlite_store) == 2
    assert publish_pending_like_relay(nats_server.url, sqlite_store) == 2
    relay_factory(sqlite_store, nats_server.url)
    wait_until(lambda: outbox_empty(sqlite_store))
    work = fetch_all(nats_server.url, STREAM_WORK, "bamboo.work.>", expect=1)
    assert [parse_work(w.data).root_id for w in work] == [root_id]
    events = fetch_all(nats_server.url, STREAM_EVENTS, events_subject(root_id), expect=1)
    assert len(events) == 1 and len(parse_events(events[0].data)) == 2


def test_stop_publishes_what_is_pending(sqlite_store: SqlStore, nats_server: NatsServer) -> None:
    relay = OutboxRelay(sqlite_store, nats_server.url, poll_interval=60.0, wake_on_commit=False)
    relay.start()
    try:
        wait_until(lambda: streams_exist(nats_server.url))
        start_pipeline(sqlite_store)  # no wake-up and a one-minute poll: only stop() sends it
    finally:
        relay.stop()
    assert outbox_empty(sqlite_store)
    assert stream_message_count(nats_server.url, STREAM_WORK) == 1


def test_stop_returns_promptly_when_nats_never_came_up(sqlite_store: SqlStore, tmp_path: Path) -> None:
    relay = OutboxRelay(sqlite_store, NatsServer(tmp_path / "never").url)
    relay.start()
    start_pipeline(sqlite_store)
    began = time.monotonic()
    relay.stop(timeout=5.0)
    assert time.monotonic() - began < 2.0
    assert len(sqlite_store.pending_outbox(10)) == 2  # nothing lost: the next relay sends them


def test_large_backlog_is_published_in_batches(
        sqlite_store: SqlStore, nats_server: NatsServer, relay_factory: RelayFactory) -> None:
    for _ in range(150):  # 300 rows, sent 100 at a time
        start_pipeline(sqlite_store)
    relay = relay_factory(sqlite_store, nats_server.url, batch=100)
    wait_until(lambda: outbox_empty(sqlite_store))
    assert relay.published == 300
    assert stream_message_count(nats_server.url, STREAM_WORK) == 150
    assert stream_message_count(nats_server.url, STREAM_EVENTS) == 150


def test_a_row_nats_refuses_is_held_back_without_blocking_the_others(
        sqlite_store: SqlStore, nats_server: NatsServer, relay_factory: RelayFactory) -> None:
    """A message over NATS's max payload (1 MB) can never be published: it stays pending
    (nothing is dropped silently) while the rows behind it flow."""
    root_id = start_pipeline(sqlite_store)
    huge = Event(EventKind.NODE_FINISH, root_id, root_id, {"blob": "x" * 1_100_000}, time.time())
    sqlite_store.commit(Commit(root_id=root_id, events=[huge]))
    relay = relay_factory(sqlite_store, nats_server.url)
    wait_until(lambda: relay.published == 2)
    later = start_pipeline(sqlite_store)
    wait_until(lambda: relay.published == 4)
    work = fetch_all(nats_server.url, STREAM_WORK, "bamboo.work.>", expect=2)
    assert sorted(parse_work(w.data).root_id for w in work) == sorted([root_id, later])
    pending = sqlite_store.pending_outbox(10)
    assert [row.subject for row in pending] == [events_subject(root_id)] and len(pending[0].payload) > 1_000_000
    assert relay.last_error is not None and "MaxPayload" in relay.last_error
