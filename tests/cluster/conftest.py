"""Fixtures of the cluster tests: a private NATS, an in-process state-store, in-process workers.

Everything is real and on loopback: nats-server from the wheel with JetStream in
``tmp_path``, the state-store's gRPC server on SQLite with its outbox relay and timer
pump publishing to that NATS, and an executor and a scheduler (``WorkerApp`` threads)
consuming from it. Tests that need to kill a worker start subprocesses themselves
(``cluster_support.spawn_worker``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bamboo_core.examples import register_examples
from bamboo_executor.service import WorkerApp
from tests.cluster.cluster_support import StateStoreInProcess, start_app, start_state_store, worker_settings
from tests.state_store.nats_fixtures import NatsServer


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def state_store(tmp_path: Path, nats_server: NatsServer) -> Iterator[StateStoreInProcess]:
    running = start_state_store(f"sqlite:///{tmp_path / 'bamboo.db'}", nats_server.url)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class Workers:
    executor: WorkerApp
    scheduler: WorkerApp


@pytest.fixture
def workers(nats_server: NatsServer, state_store: StateStoreInProcess) -> Iterator[Workers]:
    """One executor and one scheduler on threads of this process, SERVING."""
    register_examples()
    executor = start_app(worker_settings("executor", nats_server.url, state_store.address))
    try:
        scheduler = start_app(worker_settings("scheduler", nats_server.url, state_store.address))
    except BaseException:
        executor.stop()
        raise
    try:
        yield Workers(executor, scheduler)
    finally:
        scheduler.stop()
        executor.stop()
