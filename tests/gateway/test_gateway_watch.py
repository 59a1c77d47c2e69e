"""Watch over real NATS: the state-store's relay publishes committed events, the gateway streams them.

No executor runs, so the pipeline stays where ``run_pipeline`` and the operator put
it: the events are those of run_pipeline's commit, then of pause/resume/revoke,
which ends the stream (the root reached a final state).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bamboo_core.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_core.errors import NotFoundError
from bamboo_state_store.relay import OutboxRelay
from tests.gateway.cluster import Cluster, start_cluster
from tests.state_store.nats_fixtures import NatsServer


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[Cluster]:
    nats_server = NatsServer(tmp_path / "nats")
    nats_server.start()
    cluster = start_cluster(f"sqlite:///{tmp_path / 'store.db'}", nats_url=nats_server.url)
    relay = OutboxRelay(cluster.state_store.store, nats_server.url)
    relay.start()
    try:
        yield cluster
    finally:
        relay.stop()
        cluster.stop()
        nats_server.stop()


def test_watch_streams_past_and_live_events_until_the_pipeline_ends(nats_cluster: Cluster) -> None:
    start = EmptyStartEvent(id="start")
    start.extend(ServiceActivity(component_code="callback", id="A")).extend(EmptyEndEvent(id="end"))
    client = nats_cluster.client
    client.run_pipeline(build_tree(start, id="P"))
    seen: list[tuple[str, str, str]] = []
    first_two = threading.Event()

    def consume() -> None:
        for event in client.watch("P", timeout=20):
            seen.append((event.kind, event.node_id, str(event.data.get("state", ""))))
            if len(seen) >= 2:
                first_two.set()

    reader = threading.Thread(target=consume)
    reader.start()
    assert first_two.wait(10), f"no events from before the watch started: {seen}"
    client.pause_pipeline("P")
    client.revoke_pipeline("P")
    reader.join(15)
    assert not reader.is_alive(), f"the stream did not end after revoke: {seen}"
    assert seen[:2] == [("post_set_state", "P", "RUNNING"), ("post_prepare_run_pipeline", "P", "")]
    assert ("post_set_state", "P", "SUSPENDED") in seen
    assert seen[-1] == ("post_set_state", "P", "REVOKED")


def test_watch_of_an_unknown_pipeline_is_not_found(nats_cluster: Cluster) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        next(nats_cluster.client.watch("ghost"))
