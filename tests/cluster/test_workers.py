"""Executor and scheduler end to end: real NATS, a real state-store, flows driven over gRPC.

Each flow is started the way a gateway would (``run_pipeline`` on an ``Engine`` over a
``RemoteStore``); from then on only the cluster moves it: the relay publishes work to
JetStream, the workers consume it, timers fire in the state-store's pump.
"""

from __future__ import annotations

import logging
import time
import uuid
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
from bamboo_core.engine import node_operations
from bamboo_core.engine.pipeline_operations import run_pipeline
from bamboo_core.errors import InvalidOperationError
from bamboo_core.states import State
from bamboo_executor.worker import Outcome
from tests.cluster.cluster_support import (
    StateStoreInProcess,
    spawn_worker,
    state_name,
    wait_finished,
    wait_until,
)
from tests.cluster.conftest import Workers
from tests.state_store.nats_fixtures import NatsServer

log = logging.getLogger(__name__)


# -- flows ------------------------------------------------------------------------------------


def act(node_id: str, code: str = "debug", **inputs: Any) -> ServiceActivity:
    node = ServiceActivity(component_code=code, id=node_id)
    for key, value in inputs.items():
        node.component.inputs[key] = Var(type=Var.PLAIN, value=value)
    return node


def line(prefix: str, *nodes: ServiceActivity) -> dict[str, Any]:
    start: Any = EmptyStartEvent(id=f"{prefix}start")
    node = start
    for nxt in nodes:
        node = node.extend(nxt)
    node.extend(EmptyEndEvent(id=f"{prefix}end"))
    return build_tree(start, id=f"{prefix}P")


def parallel(prefix: str, branches: int, length: int, code: str = "debug", **inputs: Any) -> dict[str, Any]:
    """start -> PG -> ``branches`` x (``length`` activities) -> CG -> end."""
    start = EmptyStartEvent(id=f"{prefix}start")
    pg, cg = ParallelGateway(id=f"{prefix}PG"), ConvergeGateway(id=f"{prefix}CG")
    start.extend(pg)
    for branch in range(branches):
        node: Any = pg
        for index in range(length):
            node = node.extend(act(f"{prefix}b{branch}n{index}", code, **inputs))
        node.extend(cg)
    cg.extend(EmptyEndEvent(id=f"{prefix}end"))
    return build_tree(start, id=f"{prefix}P")


def prefix() -> str:
    return f"f{uuid.uuid4().hex[:8]}"


def assert_each_step_once(state_store: StateStoreInProcess, root_id: str) -> None:
    """Every node ran exactly once: loop 1 and no history of an earlier attempt."""
    remote = state_store.remote()
    states = remote.get_states(root_id)
    assert states, root_id
    for state in states:
        assert state.name is State.FINISHED, state
        assert state.loop == 1, state
        assert not remote.get_histories(state.node_id), state.node_id


# -- in-process workers -------------------------------------------------------------------------


def test_a_line_and_a_wide_parallel_flow_finish(state_store: StateStoreInProcess, workers: Workers) -> None:
    engine = state_store.engine()
    simple = run_pipeline(engine, line(p := prefix(), act(f"{p}A")))
    wide = run_pipeline(engine, parallel(prefix(), branches=5, length=3))
    took = wait_finished(engine.store, [simple, wide], timeout=15.0)  # type: ignore[arg-type]
    log.warning("line + 5x3 parallel finished in %.3fs", took)
    assert_each_step_once(state_store, simple)
    assert_each_step_once(state_store, wide)
    assert len(state_store.remote().get_states(wide)) == 1 + 1 + 1 + 15 + 1 + 1  # root, start, PG, 15, CG, end
    assert workers.executor.worker is not None and workers.executor.worker.counts[Outcome.TERM] == 0


def test_a_model_over_grpcs_default_4_mb_reaches_the_executor(
        state_store: StateStoreInProcess, workers: Workers) -> None:
    """A big pipeline's model is one GetModel message: the executor's channel must take
    what the state-store sends (16 MiB), not gRPC's default 4 MiB."""
    engine = state_store.engine()
    p = prefix()
    root = run_pipeline(engine, line(p, act(f"{p}A", blob="x" * 5_000_000)))
    wait_finished(engine.store, [root], timeout=15.0)  # type: ignore[arg-type]
    assert_each_step_once(state_store, root)


def test_a_callback_goes_through_the_outbox_to_the_scheduler(
        state_store: StateStoreInProcess, workers: Workers) -> None:
    engine = state_store.engine()
    p = prefix()
    root = run_pipeline(engine, line(p, act(f"{p}C", "callback")))
    node = f"{p}C"

    def sleeping_at_callback() -> bool:
        state = engine.store.get_state(node)
        if state is None or state.name is not State.RUNNING:
            return False
        try:
            node_operations.callback(engine, node, state.version, {"bit": 1})
        except InvalidOperationError:  # the process is not parked at the node yet
            return False
        return True

    started = time.monotonic()
    wait_until(sleeping_at_callback, timeout=10.0)
    took = wait_finished(engine.store, [root], timeout=10.0)  # type: ignore[arg-type]
    log.warning("callback flow: parked after %.3fs, finished %.3fs after the callback",
                time.monotonic() - started - took, took)
    assert state_name(engine.store, node) is State.FINISHED  # type: ignore[arg-type]
    assert workers.scheduler.worker is not None and workers.scheduler.worker.counts[Outcome.ACK] >= 1


def test_a_timer_polls_through_state_store_timers(state_store: StateStoreInProcess, workers: Workers) -> None:
    engine = state_store.engine()
    p = prefix()
    started = time.monotonic()
    root = run_pipeline(engine, line(p, act(f"{p}T", "timer", bk_timing=2)))
    wait_finished(engine.store, [root], timeout=10.0)  # type: ignore[arg-type]
    took = time.monotonic() - started
    log.warning("timer(2) flow finished in %.3fs", took)
    assert 2.0 <= took < 6.0
    assert state_store.pump.fired >= 2  # the 1 s polls came back as fired timers
    assert workers.scheduler.worker is not None and workers.scheduler.worker.counts[Outcome.ACK] >= 2


def test_a_poison_message_is_terminated_and_the_loop_goes_on(
        nats_server: NatsServer, state_store: StateStoreInProcess, workers: Workers) -> None:
    import asyncio

    import nats

    from bamboo_state_store.nats_setup import SUBJECT_EXECUTE

    async def publish() -> None:
        nc = await nats.connect(nats_server.url)
        try:
            await nc.jetstream().publish(SUBJECT_EXECUTE, b"\xff\xff not a work item")
        finally:
            await nc.close()

    asyncio.run(publish())
    executor = workers.executor.worker
    assert executor is not None
    wait_until(lambda: executor.counts[Outcome.TERM] == 1, timeout=5.0)
    engine = state_store.engine()
    root = run_pipeline(engine, line(p := prefix(), act(f"{p}A")))
    wait_finished(engine.store, [root], timeout=10.0)  # type: ignore[arg-type]


# -- subprocesses ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigterm_stops_a_worker_process_gracefully(
        tmp_path: Path, nats_server: NatsServer, state_store: StateStoreInProcess) -> None:
    worker = spawn_worker("scheduler", nats_server.url, state_store.address, tmp_path)
    assert worker.terminate(timeout=15.0) == 0
    assert "scheduler stopped" in worker.log()


@pytest.mark.slow
def test_killing_an_executor_mid_run_loses_no_work_and_repeats_no_step(
        tmp_path: Path, nats_server: NatsServer, state_store: StateStoreInProcess) -> None:
    quick_redelivery = {"ACK_WAIT": "2", "CONCURRENCY": "8", "GRACE_SECONDS": "2"}
    executors = [spawn_worker("executor", nats_server.url, state_store.address, tmp_path, quick_redelivery)
                 for _ in range(2)]
    scheduler = spawn_worker("scheduler", nats_server.url, state_store.address, tmp_path, quick_redelivery)
    try:
        engine = state_store.engine()
        started = time.monotonic()
        roots = [run_pipeline(engine, parallel(prefix(), branches=4, length=2, code="sleep_exec", time=0.3))
                 for _ in range(10)]
        time.sleep(0.5)  # branches are inside their sleeps now
        unfinished = [root for root in roots if state_name(engine.store, root) is not State.FINISHED]  # type: ignore[arg-type]
        executors[0].kill()
        killed_at = time.monotonic() - started
        took = wait_finished(engine.store, roots, timeout=8.0)  # type: ignore[arg-type]
        log.warning("10 flows (4x2 sleep_exec 0.3s): executor killed at %.2fs with %d unfinished; "
                    "all finished %.2fs later", killed_at, len(unfinished), took)
        assert unfinished, "the kill came too late to test anything"
        for root in roots:
            assert_each_step_once(state_store, root)
    finally:
        for worker in (*executors[1:], scheduler):
            worker.terminate()
