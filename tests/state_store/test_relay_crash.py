"""The crash tests: a state-store process dies by SIGKILL, and its work still reaches JetStream once.

A child process plays the state-store: it opens the SqlStore, commits a run's first
step (one ExecuteItem, two events) and reports the root id, then waits to be killed.
In ``committed`` mode no relay ever ran (the kill lands between commit and publish);
in ``published`` mode it also published the rows exactly as the relay does but never
deleted them (the kill lands between PubAck and delete). A relay started afterwards
on the same database must deliver each message exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from nats_fixtures import (  # noqa: F401  (the nats_server fixture)
    NatsServer,
    fetch_all,
    nats_server_fixture,
    stream_message_count,
    wait_until,
)

from bamboo_core.records import ExecuteItem
from bamboo_proto.v1 import records_pb2
from bamboo_state_store.codec import work_item_from_pb
from bamboo_state_store.nats_setup import STREAM_EVENTS, STREAM_WORK, SUBJECT_EXECUTE, events_subject
from bamboo_state_store.relay import OutboxRelay
from bamboo_state_store.sql_store import SqlStore

_CHILD = r"""
import sys, time
sys.path.insert(0, {tests_dir!r})
from bamboo_core.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_core.engine.engine import Engine
from bamboo_core.engine.pipeline_operations import run_pipeline
from bamboo_state_store.sql_store import SqlStore

store = SqlStore({db_url!r})
start, act, end = EmptyStartEvent(), ServiceActivity(component_code="crash_test"), EmptyEndEvent()
start.extend(act).extend(end)
root_id = run_pipeline(Engine(store), build_tree(start))
if {mode!r} == "published":
    from nats_fixtures import publish_pending_like_relay
    publish_pending_like_relay({nats_url!r}, store)
print(root_id, flush=True)
time.sleep(60)  # killed long before this ends
"""


def run_state_store_until_killed(db_url: str, nats_url: str, mode: str) -> str:
    """Run the child until it committed (and maybe published), SIGKILL it; its root id."""
    code = _CHILD.format(tests_dir=str(Path(__file__).parent), db_url=db_url, nats_url=nats_url, mode=mode)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        root_id = child.stdout.readline().strip()
        assert root_id, f"child exited with {child.poll()} before committing"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return root_id


@pytest.mark.parametrize("mode", ["committed", "published"])
def test_work_committed_before_a_sigkill_reaches_jetstream_exactly_once(
        sql_url: str, nats_server: NatsServer, mode: str) -> None:
    root_id = run_state_store_until_killed(sql_url, nats_server.url, mode)

    store = SqlStore(sql_url)  # the restarted state-store
    relay = OutboxRelay(store, nats_server.url)
    try:
        assert [row.subject for row in store.pending_outbox(10)].count(SUBJECT_EXECUTE) == 1
        relay.start()
        # Once the outbox is empty every row was acknowledged: the stream holds all it ever will.
        wait_until(lambda: store.pending_outbox(10) == [])
        assert relay.published == 2  # in "published" mode these were republished, and deduplicated
        assert stream_message_count(nats_server.url, STREAM_WORK) == 1
        work = fetch_all(nats_server.url, STREAM_WORK, "bamboo.work.>", expect=1, linger=0.4)
        assert len(work) == 1, f"consumer saw {len(work)} copies"
        message = records_pb2.WorkItem()
        message.ParseFromString(work[0].data)
        item = work_item_from_pb(message)
        assert isinstance(item, ExecuteItem) and item.root_id == root_id
        events = fetch_all(nats_server.url, STREAM_EVENTS, events_subject(root_id), expect=1, linger=0.1)
        assert len(events) == 1 and len(records_pb2.EventBatch.FromString(events[0].data).events) == 2
    finally:
        relay.stop()
        store.close()
