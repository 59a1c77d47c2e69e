"""The engine settings a cluster shares (bamboo-engine's Django settings), given to every service
through its environment: SPEC §8.11 with the global strategy FIRST, on a real cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bamboo_core.builder import ExclusiveGateway
from bamboo_core.engine.config import STRATEGY_ENV
from tests.e2e.harness import RealClusterHarness, fresh_harness
from tests.e2e.real_cluster import RealCluster
from tests.scenarios.harness import FAILED, FINISHED
from tests.scenarios.shapes import ROOT, run_flow
from tests.scenarios.test_execution_shapes import TWO_TRUE, assert_only_branches_ran, gateway_flow


@pytest.fixture(scope="module")
def first_strategy_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCluster]:
    work_dir: Path = tmp_path_factory.mktemp("e2e-first")
    with RealCluster(work_dir, f"sqlite:///{work_dir / 'store.db'}", env={STRATEGY_ENV: "FIRST"}).running() as cluster:
        yield cluster


@pytest.fixture
def first(first_strategy_cluster: RealCluster) -> Iterator[RealClusterHarness]:
    yield from fresh_harness(first_strategy_cluster)


def test_s11_global_first_strategy(first: RealClusterHarness) -> None:
    """Two true conditions under the cluster-wide FIRST: the first true branch in outgoing order runs."""
    start, branches = gateway_flow(ExclusiveGateway(id="EG", conditions=TWO_TRUE), 3)
    run_flow(first, start)
    assert_only_branches_ran(first, branches, {"A1"})
    assert first.state(ROOT) == FINISHED


def test_s11_gateway_only_overrides_global_first(first: RealClusterHarness) -> None:
    start, branches = gateway_flow(ExclusiveGateway(id="EG", conditions=TWO_TRUE, extra_info={"strategy": "ONLY"}), 3)
    run_flow(first, start)
    assert first.state("EG") == FAILED
    assert first.exec_data("EG")["outputs"]["ex_data"].startswith("multiple conditions meet")
