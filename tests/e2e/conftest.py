"""Fixtures of the end-to-end tests: a real cluster per database kind, started once for the e2e package.

The cluster (``real_cluster.RealCluster``) is five separate processes: nats-server,
state-store, one executor, one scheduler, gateway. It runs on SQLite and on
PostgreSQL (a fresh database of its own, tests/pg.py dedicated_database); pytest groups the tests
by database kind so each cluster starts once. ``harness`` gives each test a fresh
store (``RealCluster.reset``: a restarted state-store on an empty database) because
scenario node ids are fixed. While a cluster runs, this process notes and reads
component calls in the cluster's ledger file, like its services.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.e2e.harness import RealClusterHarness, fresh_harness
from tests.e2e.real_cluster import RealCluster
from tests.pg import dedicated_database

DB_KINDS = ["sqlite", "postgres"]


@pytest.fixture(scope="package", params=DB_KINDS)
def real_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCluster]:
    """One cluster per database kind, stopped when the e2e tests are done: its relay and
    workers must never touch another test's database (the PostgreSQL one is its own)."""
    work_dir = tmp_path_factory.mktemp(f"e2e-{request.param}")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            db_url = f"sqlite:///{work_dir / 'store.db'}"
        else:
            db_url = stack.enter_context(dedicated_database())
        yield stack.enter_context(RealCluster(work_dir, db_url).running())


@pytest.fixture
def harness(real_cluster: RealCluster) -> Iterator[RealClusterHarness]:
    yield from fresh_harness(real_cluster)


def service_logs(cluster: RealCluster) -> str:
    """Every service's log, for a failing test's message."""
    services = [cluster.state_store, *cluster.workers, cluster.gateway]
    return "\n".join(f"== {s.name} ==\n{s.log()[-4000:]}" for s in services if s is not None)
