"""Scaling: 2 executors and 2 schedulers (separate processes), 50 flows at once, one executor SIGKILLed.

Every flow is a parallel shape of callback-free nodes (``debug`` and ``sleep_exec``,
whose short sleep makes sure work is in flight when the kill lands). The killed
executor's unacked work must be redelivered (``ACK_WAIT`` 3 s) and finished by the
other, and no step may be committed twice: every node ends FINISHED with loop 1 and
no history (a history would mean an earlier, overwritten attempt).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bamboo_core.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    ServiceActivity,
    Var,
    build_tree,
)
from bamboo_sdk import Client
from tests.e2e.conftest import service_logs
from tests.e2e.real_cluster import RealCluster

log = logging.getLogger(__name__)

FLOWS = 50
BRANCHES = 3
FINISH_TIMEOUT = 25.0


def activity(node_id: str, code: str, **inputs: Any) -> ServiceActivity:
    node = ServiceActivity(component_code=code, id=node_id)
    for key, value in inputs.items():
        node.component.inputs[key] = Var(type=Var.PLAIN, value=value)
    return node


def flow(index: int) -> dict[str, Any]:
    """start -> PG -> BRANCHES x (debug -> sleep_exec 0.6 s -> debug) -> CG -> end."""
    p = f"f{index}_"
    start, pg, cg = EmptyStartEvent(id=f"{p}start"), ParallelGateway(id=f"{p}PG"), ConvergeGateway(id=f"{p}CG")
    start.extend(pg)
    for branch in range(BRANCHES):
        pg.extend(activity(f"{p}b{branch}a", "debug")).extend(
            activity(f"{p}b{branch}s", "sleep_exec", time=0.6)).extend(
            activity(f"{p}b{branch}z", "debug")).extend(cg)
    cg.extend(EmptyEndEvent(id=f"{p}end"))
    return build_tree(start, id=f"{p}P")


@pytest.fixture
def scaled_cluster(tmp_path: Path) -> Iterator[RealCluster]:
    cluster = RealCluster(tmp_path, f"sqlite:///{tmp_path / 'scale.db'}", executors=2, schedulers=2,
                          worker_env={"ACK_WAIT": "3", "GRACE_SECONDS": "2", "CONCURRENCY": "16"})
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def wait_all_finished(client: Client, roots: list[str], timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {root: client.get_children_states(root)[root]["state"] for root in roots}
        if all(state == "FINISHED" for state in states.values()):
            break
        time.sleep(0.1)
    return states


def test_fifty_flows_survive_a_sigkilled_executor(scaled_cluster: RealCluster) -> None:
    client = scaled_cluster.client
    assert client is not None
    started = time.monotonic()
    roots = [client.start_pipeline(flow(index)) for index in range(FLOWS)]
    unfinished = [root for root in roots if client.get_children_states(root)[root]["state"] != "FINISHED"]
    victim = next(worker for worker in scaled_cluster.workers if worker.name == "executor")
    victim.kill()
    killed_at = time.monotonic() - started
    states = wait_all_finished(client, roots, FINISH_TIMEOUT)
    took = time.monotonic() - started
    log.warning("%d flows: executor SIGKILLed at %.2fs with %d unfinished; all finished at %.2fs",
                FLOWS, killed_at, len(unfinished), took)
    assert unfinished, "the kill came after every flow had finished: nothing was tested"
    not_finished = {root: state for root, state in states.items() if state != "FINISHED"}
    assert not not_finished, f"{not_finished}\n{service_logs(scaled_cluster)}"
    for root in roots:
        nodes = client.get_pipeline_states(root)[root]["children"]
        assert len(nodes) == 1 + 1 + 3 * BRANCHES + 1 + 1, root  # start, PG, activities, CG, end
        for node_id, node in nodes.items():
            assert node["state"] == "FINISHED" and node["loop"] == 1, (node_id, node)
            assert client.get_node_histories(node_id) == [], node_id
