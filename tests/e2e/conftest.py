"""Fixtures of the end-to-end tests: a real cluster per database kind, started once per session.

The cluster (``real_cluster.RealCluster``) is five separate processes: nats-server,
state-store, one executor, one scheduler, gateway. It runs on SQLite and on
PostgreSQL (the session's fresh database from tests/pg.py); pytest groups the tests
by database kind so each cluster starts once. ``harness`` gives each test a fresh
store (``RealCluster.reset``: a restarted state-store on an empty database) because
scenario node ids are fixed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import RealClusterHarness
from tests.e2e.real_cluster import RealCluster
from tests.pg import pg_url  # noqa: F401  (session fixture)

DB_KINDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session", params=DB_KINDS)
def real_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCluster]:
    work_dir = tmp_path_factory.mktemp(f"e2e-{request.param}")
    if request.param == "sqlite":
        counter = itertools.count()

        def db_url() -> str:
            return f"sqlite:///{work_dir / f'store-{next(counter)}.db'}"
    else:
        url = str(request.getfixturevalue("pg_url"))

        def db_url() -> str:
            return url
    cluster = RealCluster(work_dir, db_url)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def harness(real_cluster: RealCluster) -> RealClusterHarness:
    real_cluster.reset()
    return RealClusterHarness(real_cluster)


def service_logs(cluster: RealCluster) -> str:
    """Every service's log, for a failing test's message."""
    services = [cluster.state_store, *cluster.workers, cluster.gateway]
    return "\n".join(f"== {s.name} ==\n{s.log()[-4000:]}" for s in services if s is not None)
