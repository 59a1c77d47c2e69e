"""The timer pump: due timers move into the outbox once, across restarts and replicas."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from nats_fixtures import NatsServer, fetch_all, nats_server_fixture, wait_until  # noqa: F401  (the nats_server fixture)

from bamboo_core.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_core.clock import ManualClock
from bamboo_core.engine.engine import Engine
from bamboo_core.engine.pipeline_operations import run_pipeline
from bamboo_core.ports import Commit
from bamboo_core.records import ExecuteItem, ScheduleItem, WorkItem
from bamboo_proto.v1 import records_pb2
from bamboo_state_store.codec import work_item_from_pb
from bamboo_state_store.nats_setup import STREAM_WORK, SUBJECT_EXECUTE, SUBJECT_SCHEDULE
from bamboo_state_store.relay import OutboxRelay
from bamboo_state_store.sql_store import SqlStore
from bamboo_state_store.timers import TimerPump


@pytest.fixture
def store(sql_url: str) -> Iterator[SqlStore]:
    store = SqlStore(sql_url)
    try:
        yield store
    finally:
        store.close()


def new_root(store: SqlStore) -> str:
    """A stored pipeline to hang timers on; its own first-step rows are cleared from the outbox."""
    start, act, end = EmptyStartEvent(), ServiceActivity(component_code="timer_test"), EmptyEndEvent()
    start.extend(act).extend(end)
    root_id = run_pipeline(Engine(store), build_tree(start))
    store.delete_outbox([row.id for row in store.pending_outbox(100)])
    return root_id


def poll(root_id: str, n: int) -> ScheduleItem:
    return ScheduleItem(root_id, "p1", "n1", f"schedule-{n}")


def outbox_items(store: SqlStore) -> list[tuple[str, WorkItem]]:
    items = []
    for row in store.pending_outbox(10_000):
        message = records_pb2.WorkItem()
        message.ParseFromString(row.payload)
        items.append((row.subject, work_item_from_pb(message)))
    return items


def test_due_timers_fire_once_and_future_ones_wait(store: SqlStore) -> None:
    root_id = new_root(store)
    clock = ManualClock(2_000_000_000.0)
    retry = ExecuteItem(root_id, "p1", "n2", 3)
    store.commit(Commit(root_id=root_id, timers=[(clock.now() - 5, poll(root_id, 1)), (clock.now() - 1, retry),
                                                 (clock.now() + 60, poll(root_id, 2))]))
    fired: list[int] = []
    pump = TimerPump(store, clock=clock.now, on_fired=fired.append)

    pump.run_once()
    assert outbox_items(store) == [(SUBJECT_SCHEDULE, poll(root_id, 1)), (SUBJECT_EXECUTE, retry)]
    assert fired == [2]
    pump.run_once()  # nothing more is due: no second copy
    assert len(outbox_items(store)) == 2 and fired == [2]
    assert store.next_timer_due() == clock.now() + 60

    clock.advance(60)
    pump.run_once()
    assert outbox_items(store)[-1] == (SUBJECT_SCHEDULE, poll(root_id, 2))
    assert store.next_timer_due() is None and pump.fired == 3


def test_run_once_sleeps_until_the_next_timer_but_no_longer_than_the_interval(store: SqlStore) -> None:
    root_id = new_root(store)
    clock = ManualClock(2_000_000_000.0)
    pump = TimerPump(store, interval=0.5, clock=clock.now)
    assert pump.run_once() == 0.5  # no timers at all
    store.commit(Commit(root_id=root_id, timers=[(clock.now() + 0.2, poll(root_id, 1))]))
    assert pump.run_once() == pytest.approx(0.2)
    store.commit(Commit(root_id=root_id, timers=[(clock.now() + 0.05, poll(root_id, 2))]))
    assert pump.run_once() == pytest.approx(0.05)  # an earlier timer added later wins


def test_a_timer_survives_a_restart_and_reaches_jetstream_when_due(
        sqlite_url: str, nats_server: NatsServer) -> None:
    """Timers are rows: the store that wrote one is closed (a restart), a new one fires it."""
    writer = SqlStore(sqlite_url)
    root_id = new_root(writer)
    due = time.time() + 0.3
    writer.commit(Commit(root_id=root_id, timers=[(due, poll(root_id, 1))]))
    writer.close()

    store = SqlStore(sqlite_url)
    relay = OutboxRelay(store, nats_server.url, poll_interval=30.0)  # only the pump's wake-up sends it
    pump = TimerPump(store, interval=0.02, on_fired=lambda _n: relay.wake())
    relay.start()
    pump.start()
    try:
        work = fetch_all(nats_server.url, STREAM_WORK, "bamboo.work.>", expect=1, linger=0.3)
        received = time.time()
    finally:
        pump.stop()
        relay.stop()
        store.close()
    assert [w.subject for w in work] == [SUBJECT_SCHEDULE]
    message = records_pb2.WorkItem()
    message.ParseFromString(work[0].data)
    assert work_item_from_pb(message) == poll(root_id, 1)
    assert received >= due


class FlakyStore:
    """Fails the first calls, as a database does during a fail-over."""

    def __init__(self, store: SqlStore, failures: int) -> None:
        self._store = store
        self._failures = failures

    def next_timer_due(self) -> float | None:
        if self._failures > 0:
            self._failures -= 1
            raise ConnectionError("database unavailable")
        return self._store.next_timer_due()

    def fire_due_timers(self, now: float, limit: int) -> int:
        return self._store.fire_due_timers(now, limit)


def test_the_pump_thread_keeps_going_after_database_errors(sqlite_url: str) -> None:
    store = SqlStore(sqlite_url)
    try:
        root_id = new_root(store)
        store.commit(Commit(root_id=root_id, timers=[(time.time() - 1, poll(root_id, 1))]))
        pump = TimerPump(FlakyStore(store, failures=2), interval=0.01)
        pump.start()
        try:
            wait_until(lambda: pump.fired == 1, timeout=10)
        finally:
            pump.stop()
        assert pump.last_error is not None and "database unavailable" in pump.last_error
        assert [item for _, item in outbox_items(store)] == [poll(root_id, 1)]
    finally:
        store.close()


@pytest.mark.parametrize("sql_url", ["postgres"], indirect=True)
def test_four_pumps_on_postgresql_fire_each_timer_exactly_once(sql_url: str, store: SqlStore) -> None:
    root_id = new_root(store)
    past = time.time() - 10
    expected = [poll(root_id, n) for n in range(400)]
    for start in range(0, 400, 100):
        store.commit(Commit(root_id=root_id, timers=[(past + n * 1e-3, expected[n])
                                                     for n in range(start, start + 100)]))
    replicas = [SqlStore(sql_url) for _ in range(4)]
    pumps = [TimerPump(replica, interval=0.01, limit=20) for replica in replicas]
    barrier = threading.Barrier(4)
    threads = [threading.Thread(target=run_pump_after_barrier, args=(pump, barrier)) for pump in pumps]
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: store.next_timer_due() is None, timeout=20)
    finally:
        for pump in pumps:
            pump.stop()
        for thread in threads:
            thread.join(5)
        for replica in replicas:
            replica.close()
    items = [item for _, item in outbox_items(store)]
    assert len(items) == 400 and sorted(items, key=str) == sorted(expected, key=str)
    assert sum(pump.fired for pump in pumps) == 400


def run_pump_after_barrier(pump: TimerPump, barrier: threading.Barrier) -> Any:
    """Start all pumps at the same moment so they really race for the same rows."""
    barrier.wait()
    pump.start()
