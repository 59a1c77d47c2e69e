"""Fixtures of the gateway tests: an in-process cluster on SQLite, and its harness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bamboo_core.examples import register_examples
from tests.gateway.cluster import Cluster, ClusterHarness, start_cluster

register_examples()  # the SPEC §8 test components (debug, fail_ctrl, ...) the flows use


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    running = start_cluster(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def harness(cluster: Cluster) -> ClusterHarness:
    return ClusterHarness(cluster)
