"""State-store benchmark: step commits per second through gRPC, on PostgreSQL.

Starts ``python -m bamboo_state_store`` as a separate process on a fresh PostgreSQL
database (created here, dropped at the end), creates one pipeline per client, and
measures "step commits": each one a realistic ``Commit`` of an executor's node step
on a node of its own —

    guards    the node's state at its version, the process at its version
    writes    the node's NodeState (FINISHED), the process (version + 1, next node),
              the node's execution data (inputs and outputs)
    outbox    one ExecuteItem for the next node

— sent through ``RemoteStore`` (the client executors use), sequentially from one
client and from 8 concurrent clients (threads, each with its own channel). Each case
runs for a bounded time; prints commits/s and p50/p99 latency against the targets
(≥ 2,500 commits/s with 8 clients, p50 ≤ 1.5 ms sequential).

    .venv/bin/python bench/state_store.py [--seconds 2] [--clients 1 8] [--group-commit on off]
        [--floor] [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

``--floor`` adds the same cases against the same service over engine-core's
MemoryStore: the cost of gRPC, the codec and the servicer alone, which bounds
what any database work can reach on the machine. The CPU columns say where each
commit's CPU time went (this client process, the state-store, local PostgreSQL):
on 2 cores, 1 / (their sum) is the most the machine can do.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import psycopg2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

from bamboo_core.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_core.model import build_model
from bamboo_core.ports import Commit, Guard, GuardKind
from bamboo_core.records import ExecuteItem, ExecutionData, NodeState, Process, ProcessStatus
from bamboo_core.states import State
from bamboo_core.validation import validate_and_process_pipeline
from bamboo_state_store.client import RemoteStore

TARGET_CONCURRENT_PER_SECOND = 2_500
TARGET_SEQUENTIAL_P50_MS = 1.5
CONCURRENT_CLIENTS = 8
SETUP_BATCH = 500  # node states created per setup commit


# -- the database and the server process ------------------------------------------------


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new database on the server of ``admin_url``; yields its SQLAlchemy URL, drops it after."""
    admin = make_url(admin_url)
    name = f"bamboo_bench_{uuid.uuid4().hex[:10]}"
    params = {"host": admin.host, "port": admin.port or 5432, "user": admin.username, "dbname": admin.database}
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v is not None})
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield admin.set(drivername="postgresql+psycopg2", database=name).render_as_string(hide_password=False)
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    address: str
    pid: int


# The same servicer and gRPC server over engine-core's MemoryStore: what the service
# costs when the database costs nothing (``--floor``).
FLOOR_SERVER = """
from bamboo_core.memory_store import MemoryStore
from bamboo_state_store.config import Settings
from bamboo_state_store.server import build_server
server, _ = build_server(Settings.from_env(), MemoryStore())
server.start()
server.wait_for_termination()
"""


@contextmanager
def state_store_process(db_url: str, group_commit: bool, *, floor: bool = False) -> Iterator[Server]:
    """``python -m bamboo_state_store`` on a free port; yields it once it is SERVING."""
    port = free_port()
    env = {**os.environ, "STATE_STORE_DB_URL": db_url, "STATE_STORE_HOST": "127.0.0.1",
           "STATE_STORE_PORT": str(port), "STATE_STORE_WORKERS": "16", "STATE_STORE_NATS_URL": "",
           "STATE_STORE_GROUP_COMMIT": "1" if group_commit else "0"}
    command = ["-c", FLOOR_SERVER] if floor else ["-m", "bamboo_state_store"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, *command], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            address = f"127.0.0.1:{port}"
            wait_serving(address, process, log)
            yield Server(address, process.pid)
        finally:
            process.terminate()
            if process.wait(timeout=15) != 0:
                log.seek(0)
                print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)


def wait_serving(address: str, process: subprocess.Popen[bytes], log: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"state-store exited with {process.returncode}:\n{log.read().decode()}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service="bamboo.v1.StateStore"), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"state-store at {address} not SERVING after {timeout}s")


# -- one client's pipeline and its steps --------------------------------------------------


@dataclass
class Lane:
    """One client's pipeline: a process walking over ``nodes`` prepared node states."""

    root_id: str
    process: Process
    versions: dict[str, str]
    next_index: int = 0

    def step(self) -> Commit:
        """The commit of the next node's step (the node must have been prepared)."""
        node_id = f"{self.root_id}n{self.next_index}"
        self.next_index += 1
        process = self.process
        version = self.versions[node_id]
        moved = process._replace(version=process.version + 1, current_node_id=f"{self.root_id}n{self.next_index}")
        self.process = moved
        now = time.time()
        return Commit(
            root_id=self.root_id,
            guards=[Guard(GuardKind.PROCESS, process.id, process.version), Guard(GuardKind.STATE, node_id, version)],
            states=[NodeState(node_id, self.root_id, self.root_id, State.FINISHED, version,
                              created_time=now, started_time=now, archived_time=now)],
            processes=[moved],
            execution_data={node_id: ExecutionData({"url": "https://example.com", "retries": 3},
                                                   {"_result": True, "status": 200, "body": "ok" * 20})},
            work=[ExecuteItem(self.root_id, moved.id, moved.current_node_id, moved.version)],
        )  # fmt: skip


def new_lane(store: RemoteStore, nodes: int) -> Lane:
    """Create a pipeline and ``nodes`` RUNNING node states for its process to finish one by one."""
    root_id = f"b{uuid.uuid4().hex[:12]}"
    start = EmptyStartEvent(id=f"{root_id}s")
    start.extend(ServiceActivity(component_code="debug", id=f"{root_id}a")).extend(EmptyEndEvent(id=f"{root_id}e"))
    tree = build_tree(start, id=root_id)
    validate_and_process_pipeline(tree)
    now = time.time()
    process = Process(f"{root_id}r", root_id, "", (root_id,), f"{root_id}n0", ProcessStatus.RUNNING)
    root = NodeState(root_id, root_id, root_id, State.RUNNING, "v0", created_time=now, started_time=now)
    store.create_pipeline(build_model(tree), {}, Commit(root_id=root_id, states=[root], processes=[process]))
    versions = {f"{root_id}n{i}": uuid.uuid4().hex for i in range(nodes)}
    items = list(versions.items())
    for begin in range(0, nodes, SETUP_BATCH):
        states = [NodeState(node_id, root_id, root_id, State.RUNNING, version, created_time=now, started_time=now)
                  for node_id, version in items[begin:begin + SETUP_BATCH]]
        store.commit(Commit(root_id=root_id, states=states))
    return Lane(root_id, process, versions)


# -- measuring ---------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of every local ``postgres`` process (the server's share of the work)."""
    total = 0.0
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() != "postgres":
                        continue
            except OSError:
                continue
            total += cpu_seconds(int(entry))
    return total


@dataclass(frozen=True)
class CpuSample:
    client: float
    server: float
    database: float

    @classmethod
    def take(cls, server_pid: int) -> CpuSample:
        return cls(time.process_time(), cpu_seconds(server_pid), postgres_cpu_seconds())

    def __sub__(self, other: CpuSample) -> CpuSample:
        return CpuSample(self.client - other.client, self.server - other.server, self.database - other.database)


@dataclass
class Result:
    clients: int
    commits: int
    seconds: float
    latencies: list[float]
    cpu: CpuSample = CpuSample(0.0, 0.0, 0.0)

    def cpu_per_commit_us(self) -> tuple[float, float, float]:
        per = 1e6 / max(self.commits, 1)
        return self.cpu.client * per, self.cpu.server * per, self.cpu.database * per

    @property
    def rate(self) -> float:
        return self.commits / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def drive(address: str, lanes: list[Lane], seconds: float, batch: int = 1) -> Result:
    """Each lane's client commits steps until the deadline (or its nodes run out).

    With ``batch`` > 1 a client sends that many consecutive steps per CommitMany call,
    as an executor does with the steps of a fetched batch of work; latencies are then
    per call and the rate counts steps.
    """
    latencies: list[list[float]] = [[] for _ in lanes]
    committed = [0] * len(lanes)
    barrier = threading.Barrier(len(lanes) + 1)
    errors: list[BaseException] = []

    def client(index: int, lane: Lane, deadline_box: list[float]) -> None:
        with grpc.insecure_channel(address) as channel:
            store = RemoteStore(channel)
            store.get_root_data(lane.root_id)  # connect before the clock starts
            mine = latencies[index]
            limit = len(lane.versions) - 1
            barrier.wait()
            deadline = deadline_box[0]
            try:
                while lane.next_index + batch <= limit:
                    begin = time.perf_counter()
                    if begin >= deadline:
                        break
                    if batch == 1:
                        store.commit(lane.step())
                    else:
                        failed = [o for o in store.commit_many([lane.step() for _ in range(batch)]) if o is not None]
                        if failed:
                            raise failed[0]
                    mine.append(time.perf_counter() - begin)
                    committed[index] += batch
            except BaseException as exc:  # noqa: BLE001 - reported after the run
                errors.append(exc)

    deadline_box = [0.0]
    threads = [threading.Thread(target=client, args=(i, lane, deadline_box)) for i, lane in enumerate(lanes)]
    for thread in threads:
        thread.start()
    begin = time.perf_counter()
    deadline_box[0] = begin + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begin
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed; first: {errors[0]!r}")
    flat = [value for values in latencies for value in values]
    return Result(len(lanes), sum(committed), elapsed, flat)


def run_case(server: Server, clients: int, seconds: float, batch: int = 1) -> Result:
    """Prepare enough nodes for a fast server, warm up briefly, then measure."""
    with grpc.insecure_channel(server.address) as channel:
        setup = RemoteStore(channel)
        per_client = int(seconds * 6_000 * max(1, batch // 4) / clients) + 300
        lanes = [new_lane(setup, per_client) for _ in range(clients)]
    drive(server.address, lanes, 0.2, batch)  # warm-up: connections, pools, caches
    before = CpuSample.take(server.pid)
    result = drive(server.address, lanes, seconds, batch)
    result.cpu = CpuSample.take(server.pid) - before
    return result


def report(label: str, result: Result, batched: bool = False) -> None:
    if batched and result.clients == 1:  # latency is per call of many steps: no per-step target
        verdict, target = "", "-"
    elif result.clients == 1:
        verdict = "ok" if result.percentile(0.5) <= TARGET_SEQUENTIAL_P50_MS else "BELOW TARGET"
        target = f"p50 ≤ {TARGET_SEQUENTIAL_P50_MS} ms"
    else:
        verdict = "ok" if result.rate >= TARGET_CONCURRENT_PER_SECOND else "BELOW TARGET"
        target = f"≥ {TARGET_CONCURRENT_PER_SECOND}/s" if result.clients == CONCURRENT_CLIENTS else "-"
    client, server, database = result.cpu_per_commit_us()
    print(f"{label:<14}{result.clients:>8}{result.commits:>9}{result.rate:>11.0f}"
          f"{result.percentile(0.5):>9.2f}{result.percentile(0.99):>9.2f}"
          f"{client:>8.0f}{server:>8.0f}{database:>8.0f}  {target:<15}{verdict}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="measured time per case")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, CONCURRENT_CLIENTS])
    parser.add_argument("--group-commit", choices=("on", "off"), nargs="+", default=["on"])
    parser.add_argument("--batch", type=int, default=16,
                        help="steps per CommitMany call in the batched case (1: skip it)")
    parser.add_argument("--floor", action="store_true",
                        help="also run the same clients against the service over an in-memory store")
    parser.add_argument("--admin-url", default=os.environ.get(
        "BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print("CPU µs per commit: client = this process, server = the state-store, pg = local postgres processes")
    print(f"{'case':<14}{'clients':>8}{'commits':>9}{'commits/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'client':>8}{'server':>8}{'pg':>8}  target")
    for mode in args.group_commit:
        with fresh_database(args.admin_url) as db_url, state_store_process(db_url, mode == "on") as server:
            for clients in args.clients:
                report(f"group-commit {mode}", run_case(server, clients, args.seconds))
    if args.batch > 1:
        with fresh_database(args.admin_url) as db_url, state_store_process(db_url, True) as server:
            for clients in args.clients:
                report(f"CommitMany x{args.batch}", run_case(server, clients, args.seconds, args.batch), batched=True)
    if args.floor:
        with state_store_process("sqlite:///unused.db", False, floor=True) as server:
            for clients in args.clients:
                report("memory floor", run_case(server, clients, args.seconds))


if __name__ == "__main__":
    main()
