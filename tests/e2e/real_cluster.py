"""A real Bamboo cluster for end-to-end tests: every service its own process, NATS from the wheel.

``RealCluster`` starts nats-server (JetStream, private store directory), then
``python -m bamboo_state_store``, executors, schedulers and ``bamboo_gateway``, each
configured only by environment variables and waited for through its gRPC health
check, and an SDK ``Client`` in front of the gateway.

Scenario node ids are fixed strings ("A", "EG" ...) and the store refuses a second
node with the same id. So ``reset()`` gives each test an empty store: it purges the work
stream (stale work of the previous test), empties every data table and sends the
state-store SIGHUP, which makes it drop what it cached about the ids it saw. Every
process keeps running: restarting even one costs more than a whole small scenario.

Every service also gets what the scenarios need from a test cluster: the scenarios'
own components (``BAMBOO_COMPONENTS=tests.scenarios.components``, the repository on
``PYTHONPATH``), one examples ledger file that every process notes component calls in
(``BAMBOO_EXAMPLES_LEDGER``), and one clock-skew file (``BAMBOO_CLOCK_SKEW_FILE``), so a
test skips the whole cluster past a timer instead of sleeping through it.

The SQL database is also read directly, for the one thing no API exposes: whether
work is still in flight (outbox rows, due timers), which is what ``settle`` waits on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nats
import sqlalchemy
from nats.js.errors import NotFoundError

from bamboo_core.clock import SKEW_FILE_ENV, SkewedClock
from bamboo_core.component.discovery import ENV_VAR as COMPONENTS_ENV
from bamboo_core.examples import ledger
from bamboo_core.examples.ledger import LEDGER_ENV
from bamboo_sdk import Client
from bamboo_state_store.db.schema import DATA_TABLES
from bamboo_state_store.nats_setup import STREAM_WORK
from bamboo_state_store.server import CACHES_DROPPED
from tests.e2e.processes import ServiceProcess, spawn
from tests.state_store.nats_fixtures import NatsServer, free_port

WORKER_ENV = {"ACK_WAIT": "3", "GRACE_SECONDS": "2"}  # a killed worker's work comes back within seconds
REPO = Path(__file__).resolve().parents[2]
SCENARIO_COMPONENTS = "tests.scenarios.components"


@dataclass
class RealCluster:
    """nats-server + state-store + executors + schedulers + gateway, all separate processes."""

    work_dir: Path
    db_url: str
    executors: int = 1
    schedulers: int = 1
    worker_env: Mapping[str, str] = field(default_factory=lambda: dict(WORKER_ENV))
    env: Mapping[str, str] = field(default_factory=dict)  # for every service, e.g. shared engine settings
    nats: NatsServer | None = None
    state_store: ServiceProcess | None = None
    workers: list[ServiceProcess] = field(default_factory=list)
    gateway: ServiceProcess | None = None
    client: Client | None = None
    _store_port: int = 0
    _url: str = ""
    _db: sqlalchemy.Engine | None = None

    # -- life -----------------------------------------------------------------------------

    @property
    def clock(self) -> SkewedClock:
        """The time every service sees (move it with ``skip_to``)."""
        return SkewedClock(self.work_dir / "clock-skew")

    @property
    def ledger_path(self) -> Path:
        return self.work_dir / "ledger.db"

    def service_env(self) -> dict[str, str]:
        """What every service gets besides its own settings (see the module docstring)."""
        python_path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))
        return {COMPONENTS_ENV: SCENARIO_COMPONENTS, "PYTHONPATH": python_path,
                LEDGER_ENV: str(self.ledger_path), SKEW_FILE_ENV: str(self.clock.path), **self.env}

    @contextlib.contextmanager
    def running(self) -> Iterator[RealCluster]:
        """Started for the block, with this process noting component calls in the cluster's
        ledger like its services (the previous ledger is restored afterwards)."""
        previous = ledger.use(ledger.SqliteLedger(str(self.ledger_path)))
        try:
            yield self.start()
        finally:
            self.stop()
            ledger.use(previous)

    def start(self) -> RealCluster:
        self.nats = NatsServer(self.work_dir / "nats")
        self.nats.start()
        self._store_port = free_port()
        self._start_state_store()
        address = f"127.0.0.1:{self._store_port}"
        for kind, count in (("executor", self.executors), ("scheduler", self.schedulers)):
            for _ in range(count):
                self.workers.append(self._spawn_worker(kind, address))
        gateway_port = free_port()
        self.gateway = spawn("gateway", "bamboo_gateway", {
            "GATEWAY_PORT": str(gateway_port), "GATEWAY_STATE_STORE": address,
            "GATEWAY_NATS_URL": self.nats.url, **self.service_env()}, gateway_port, self.work_dir)
        self.client = Client(f"127.0.0.1:{gateway_port}", timeout=10.0)
        return self

    def _spawn_worker(self, kind: str, state_store: str) -> ServiceProcess:
        assert self.nats is not None
        prefix = kind.upper() + "_"
        port = free_port()
        env = {prefix + "NATS_URL": self.nats.url, prefix + "STATE_STORE": state_store,
               prefix + "HEALTH_PORT": str(port), **{prefix + k: v for k, v in self.worker_env.items()},
               **self.service_env()}
        return spawn(kind, f"bamboo_{kind}", env, port, self.work_dir)

    def _start_state_store(self) -> None:
        assert self.nats is not None
        self.state_store = spawn("state-store", "bamboo_state_store", {
            "STATE_STORE_DB_URL": self.db_url, "STATE_STORE_PORT": str(self._store_port),
            "STATE_STORE_NATS_URL": self.nats.url, **self.service_env()}, self._store_port, self.work_dir)
        self._db = sqlalchemy.create_engine(self.db_url, poolclass=sqlalchemy.pool.NullPool)

    def reset(self) -> None:
        """An empty store behind the same address (see the module docstring)."""
        assert self.state_store is not None and self.nats is not None and self._db is not None
        purge_stream(self.nats.url, STREAM_WORK)
        with self._db.begin() as conn:
            for table in DATA_TABLES:
                conn.execute(table.delete())
        self.state_store.signal_and_wait(signal.SIGHUP, CACHES_DROPPED)

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for service in (self.gateway, *self.workers, self.state_store):
            if service is not None:
                service.terminate(timeout=5.0)
        if self._db is not None:
            self._db.dispose()
        if self.nats is not None:
            self.nats.stop()

    # -- looking behind the API -------------------------------------------------------------

    def _scalar(self, sql: str) -> float | None:
        assert self._db is not None
        with self._db.connect() as conn:
            value = conn.execute(sqlalchemy.text(sql)).scalar()
        return None if value is None else float(value)

    def in_flight(self) -> bool:
        """Work is committed but not yet done: outbox rows, overdue timers, or unacked stream messages."""
        assert self.nats is not None
        if self._scalar("SELECT COUNT(*) FROM outbox"):
            return True
        if self._scalar(f"SELECT COUNT(*) FROM timers WHERE due <= {self.clock.now():.6f}"):
            return True
        return stream_messages(self.nats.url, STREAM_WORK) > 0

    def next_timer_due(self) -> float | None:
        return self._scalar("SELECT MIN(due) FROM timers")

    def wait_idle(self, timeout: float = 20.0) -> None:
        """Until nothing is in flight at two reads in a row (a step may be between commit and publish)."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            quiet = 0 if self.in_flight() else quiet + 1
            if time.monotonic() > deadline:
                raise AssertionError(f"cluster still busy after {timeout} s")
            time.sleep(0.02)

    def worker_logs(self) -> list[ServiceProcess]:
        return list(self.workers)


# -- JetStream ------------------------------------------------------------------------------


def stream_messages(url: str, stream: str) -> int:
    """Messages the stream holds (0 if the relay has not created it yet)."""

    async def count() -> int:
        nc = await nats.connect(url, allow_reconnect=False)
        try:
            return int((await nc.jetstream().stream_info(stream)).state.messages)
        except NotFoundError:
            return 0
        finally:
            await nc.close()

    return asyncio.run(count())


def purge_stream(url: str, stream: str) -> None:
    async def purge() -> None:
        nc = await nats.connect(url, allow_reconnect=False)
        try:
            await nc.jetstream().purge_stream(stream)
        except NotFoundError:
            pass
        finally:
            await nc.close()

    asyncio.run(purge())
