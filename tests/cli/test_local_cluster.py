"""``LocalCluster`` end to end: real nats-server from the wheel, the four services as
processes on SQLite, the seed quick start through the SDK, and a clean stop."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from bamboo_core import api
from bamboo_sdk import Client
from bamboo_sdk.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, builder
from bamboo_sdk.cli.cluster import ClusterError, LocalCluster
from tests.cli.cli_support import gone


def quickstart_tree() -> dict[str, object]:
    start = EmptyStartEvent()
    act = ServiceActivity(component_code="example_component")
    end = EmptyEndEvent()
    start.extend(act).extend(end)
    tree: dict[str, object] = builder.build_tree(start)
    return tree


def test_quick_start_finishes_through_the_sdk_and_stop_leaves_no_process(tmp_path: Path) -> None:
    lines: list[str] = []
    with LocalCluster(port=0, data_dir=tmp_path, progress=lines.append, ready_timeout=30) as cluster:
        pids = cluster.pids
        assert [c.name for c in cluster.children] == ["nats", "state-store", "executor-1", "scheduler-1", "gateway"]
        pipeline = quickstart_tree()
        with Client(cluster.target) as client:
            result = api.run_pipeline(runtime=client, pipeline=pipeline)
            assert result.result, result.exc_trace
            assert client.wait(str(pipeline["id"]), timeout=15) == "FINISHED"
            states = api.get_pipeline_states(runtime=client, root_id=str(pipeline["id"])).data
        assert states[pipeline["id"]]["state"] == "FINISHED"
        assert {child["state"] for child in states[pipeline["id"]]["children"].values()} == {"FINISHED"}
    assert gone(pids), "a child process survived stop()"
    assert cluster.children == []
    assert any(line.startswith("gateway ready") for line in lines)
    assert (tmp_path / "bamboo.db").is_file() and (tmp_path / "logs" / "gateway.log").is_file()


def test_a_dead_child_is_reported_with_its_log(tmp_path: Path) -> None:
    with LocalCluster(port=0, data_dir=tmp_path, ready_timeout=30) as cluster:
        executor = next(child for child in cluster.children if child.name == "executor-1")
        cluster.check()  # all alive: no error
        os.kill(executor.pid, signal.SIGKILL)
        executor.proc.wait(5)
        with pytest.raises(ClusterError, match=r"executor-1 \(pid \d+\) exited with code -9; last lines of"):
            cluster.check()
        pids = cluster.pids
    assert gone(pids)


def test_at_least_one_worker_of_each_kind() -> None:
    with pytest.raises(ValueError, match="at least one executor"):
        LocalCluster(port=0, executors=0)
