"""Cluster benchmark: the issue's cases on a local Bamboo cluster over PostgreSQL.

Starts ``LocalCluster`` (a private NATS, the state-store on a fresh PostgreSQL
database created here and dropped at the end, executors, schedulers, the gateway),
runs each case through the SDK ``Client`` (``api.run_pipeline`` per flow, as the
bamboo-pipeline anchor does), then the same cases in embedded mode
(``InMemoryRuntime``, via ``embedded.run_once``), and prints one table:

    wall       first ``run_pipeline`` call -> every root FINISHED (polled by primary key in SQL)
    submit     the part of wall spent inside the ``run_pipeline`` calls
    nodes/s    node states written (every executed node, roots included) / wall
    steps/s    node steps (one per executed node, one more per activity's schedule call) / wall
    p50, p99   node-step latency from the stored started/archived times (``measure.py``)
    ×pipeline  bamboo-pipeline's wall time / ours (defaults: the anchor's best medians here)

then each service's peak RSS (VmHWM, reset before each case) and CPU seconds per
case, and the issue's targets with met / NOT MET.

    .venv/bin/python bench/cluster.py [--cases big multi chain huge] [--executors 1] [--schedulers 1]
        [--repeat 3] [--repeat-huge 1] [--anchor big=16.46] [--anchor-results results.jsonl] [--no-embedded]

Every run is bounded: it fails after ``--timeout`` seconds, or after ``--stall``
seconds without a step, or when a node FAILED; the other cases still run, the
services' last log lines are printed and the exit status is 1. The machine has
2 cores: other jobs running at the same time skew every figure (the header shows
the load average).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import psycopg2
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from embedded import TARGET_STEPS_PER_SECOND, EmbeddedRun  # noqa: E402
from embedded import run_once as run_embedded  # noqa: E402
from measure import node_steps, percentile, step_latencies  # noqa: E402
from shapes import CASES, big  # noqa: E402
from state_store import cpu_seconds, fresh_database  # noqa: E402

from bamboo_core import api  # noqa: E402
from bamboo_core.examples import register_examples  # noqa: E402
from bamboo_sdk import Client  # noqa: E402
from bamboo_sdk.cli.cluster import LocalCluster  # noqa: E402

# bamboo-pipeline 4.0.6 on this project's machine, best medians (concurrency 200), from
# ../shared/anchors/bamboo-pipeline-bench/RESULTS.md; side_by_side.py measures them afresh.
ANCHOR_SECONDS = {"big": 16.46, "multi": 21.72}
TARGET_WALL = {"big": 1.0, "multi": 1.3, "chain": 2.0}
TARGET_HUGE_OVER_BIG = 11.0
TARGET_RSS_MB = 150.0
POLL_SECONDS = 0.01  # one primary-key lookup of the roots: costs the database next to nothing
FAILURE_CHECK_SECONDS = 0.5


# -- processes: peak memory and CPU from /proc ---------------------------------------------


def _status_kb(pid: int, field_name: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak(pid: int) -> None:
    """Reset the kernel's peak RSS (VmHWM) of ``pid`` to its current RSS (``clear_refs`` 5).

    Where that is not allowed, VmHWM covers the process's whole life: an upper bound.
    """
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on the machine (other databases' backends included)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


@dataclass
class Usage:
    """Peak RSS (MB) and CPU seconds per process name over one run."""

    peak_mb: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)


class ProcessWatch:
    """Measures the cluster's children, this process and PostgreSQL across one run."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.pids = {child.name: child.pid for child in cluster.children}
        self.cpu_before: dict[str, float] = {}

    def begin(self) -> None:
        for pid in self.pids.values():
            reset_peak(pid)
        self.cpu_before = self._cpu()

    def end(self) -> Usage:
        cpu_after = self._cpu()
        return Usage(peak_mb={name: _status_kb(pid, "VmHWM") / 1024 for name, pid in self.pids.items()},
                     cpu_s={name: cpu_after[name] - self.cpu_before.get(name, 0.0) for name in cpu_after})

    def _cpu(self) -> dict[str, float]:
        cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        cpu["bench client"] = time.process_time()
        cpu["postgres (all)"] = sum(cpu_seconds(pid) for pid in postgres_pids())
        return cpu


# -- one run on the cluster ---------------------------------------------------------------


@dataclass
class Run:
    wall: float
    nodes: int  # node states written (every executed node, roots included)
    steps: int
    latencies: list[float]  # sorted, seconds
    submit: float = 0.0  # time inside the run_pipeline calls
    usage: Usage = field(default_factory=Usage)


def pg_connect(db_url: str) -> Any:
    url = make_url(db_url)
    conn = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                            dbname=url.database)
    conn.autocommit = True  # every poll sees the latest commits
    return conn


class CaseFailed(Exception):
    """A run that did not finish: a node FAILED, no progress for ``--stall`` seconds, or the timeout."""


def _progress(cur: Any, roots: list[str]) -> tuple[int, float]:
    """How many node states the runs have and the latest time among them (moves with every step)."""
    cur.execute("SELECT count(*), max(greatest(started_time, archived_time)) FROM states WHERE root_id = ANY(%s)",
                (roots,))
    count, latest = cur.fetchone()
    return count, latest or 0.0


def _check(cur: Any, roots: list[str]) -> None:
    cur.execute("SELECT node_id FROM states WHERE root_id = ANY(%s) AND name = 'FAILED' LIMIT 1", (roots,))
    failed = cur.fetchone()
    if failed:
        raise CaseFailed(f"node {failed[0]} FAILED")


def _state_counts(cur: Any, roots: list[str]) -> str:
    cur.execute("SELECT name, count(*) FROM states WHERE root_id = ANY(%s) GROUP BY name", (roots,))
    return ", ".join(f"{count} {name}" for name, count in cur.fetchall())


def run_on_cluster(cluster: LocalCluster, client: Client, conn: Any, trees: list[dict[str, Any]],
                   timeout: float, stall: float) -> Run:
    roots = [tree["id"] for tree in trees]
    watch = ProcessWatch(cluster)
    watch.begin()
    begin = time.perf_counter()
    for tree in trees:
        result = api.run_pipeline(runtime=client, pipeline=tree)
        if not result.result:
            raise CaseFailed(f"run_pipeline failed: {result.message}")
    submit = time.perf_counter() - begin
    deadline, next_check = begin + timeout, begin + FAILURE_CHECK_SECONDS
    last_progress, moved_at = (0, 0.0), begin
    with conn.cursor() as cur:
        while True:
            cur.execute("SELECT count(*) FROM states WHERE node_id = ANY(%s) AND name = 'FINISHED'", (roots,))
            if cur.fetchone()[0] == len(roots):
                break
            now = time.perf_counter()
            if now > next_check:  # the costlier checks, twice a second
                next_check = now + FAILURE_CHECK_SECONDS
                cluster.check()
                _check(cur, roots)
                progress = _progress(cur, roots)
                if progress != last_progress:
                    last_progress, moved_at = progress, now
                elif now - moved_at > stall:
                    raise CaseFailed(f"no step for {stall:g}s; node states: {_state_counts(cur, roots)}")
            if now > deadline:
                raise CaseFailed(f"not FINISHED after {timeout:g}s; node states: {_state_counts(cur, roots)}")
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - begin
        usage = watch.end()
        cur.execute("SELECT node_id, started_time, archived_time FROM states WHERE root_id = ANY(%s)", (roots,))
        times = {node_id: (started, archived) for node_id, started, archived in cur.fetchall()}
    return Run(wall, len(times), node_steps(trees, times), step_latencies(trees, times), submit, usage)


class Timed(Protocol):
    wall: float


RunT = TypeVar("RunT", bound=Timed)


def middle(runs: Sequence[RunT]) -> RunT:
    """The run with the median wall time (the lower one of an even count)."""
    return sorted(runs, key=lambda run: run.wall)[(len(runs) - 1) // 2]


def median(runs: list[Run]) -> Run:
    """The median run, with each process's highest peak RSS over all the runs."""
    chosen = middle(runs)
    for run in runs:
        for name, mb in run.usage.peak_mb.items():
            chosen.usage.peak_mb[name] = max(chosen.usage.peak_mb.get(name, 0.0), mb)
    return chosen


@contextmanager
def cluster_on_postgres(admin_url: str, executors: int, schedulers: int) -> Iterator[tuple[LocalCluster, str]]:
    """A cluster on a fresh database; its data folder (services' logs) is kept if anything fails."""
    data = tempfile.mkdtemp(prefix="bamboo-bench-")
    with fresh_database(admin_url) as db_url:
        cluster = LocalCluster(port=0, db_url=db_url, data_dir=data, executors=executors, schedulers=schedulers,
                               ready_timeout=120)
        try:
            with cluster:
                yield cluster, db_url
        except BaseException:
            print(f"services' logs kept in {data}/logs", file=sys.stderr)
            raise
    shutil.rmtree(data, ignore_errors=True)


# -- bamboo-pipeline figures -------------------------------------------------------------


def anchor_figures(pairs: list[str], results_file: str | None) -> dict[str, float]:
    """The anchor's wall seconds per case: defaults, then a results file, then ``case=seconds`` options.

    A results file is the anchor's ``results.jsonl`` (one JSON object per run with
    ``case``, ``wall_s`` and ``label``): per case, the best of the labels' median walls.
    """
    figures = dict(ANCHOR_SECONDS)
    if results_file:
        walls: dict[tuple[str, str], list[float]] = {}
        for line in Path(results_file).read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                walls.setdefault((row["case"], row.get("label", "")), []).append(float(row["wall_s"]))
        best: dict[str, float] = {}
        for (case, _label), values in walls.items():
            best[case] = min(best.get(case, float("inf")), statistics.median(values))
        figures.update(best)
    for pair in pairs:
        case, _, seconds = pair.partition("=")
        figures[case] = float(seconds)
    return figures


# -- printing -----------------------------------------------------------------------------


def row(mode: str, case: str, runs: Sequence[Run | EmbeddedRun], anchor: float | None) -> str:
    walls = sorted(run.wall for run in runs)
    chosen = middle(runs)
    wall = chosen.wall
    ratio = f"{anchor / wall:.1f}×" if anchor else ""
    submit = f"{chosen.submit:.3f}" if isinstance(chosen, Run) else ""
    each = ", ".join(f"{w:.3f}" for w in walls)
    return (f"{mode:<9}{case:<7}{chosen.nodes:>7}{wall:>9.3f}{submit:>8}{chosen.nodes / wall:>9.0f}"
            f"{chosen.steps / wall:>9.0f}{percentile(chosen.latencies, 0.5) * 1e3:>8.2f}"
            f"{percentile(chosen.latencies, 0.99) * 1e3:>9.2f}{ratio:>10}   {each}")


HEADER = (f"{'mode':<9}{'case':<7}{'nodes':>7}{'wall s':>9}{'submit':>8}{'nodes/s':>9}{'steps/s':>9}"
          f"{'p50 ms':>8}{'p99 ms':>9}{'×pipeline':>10}   wall of each run")


def print_usage(results: Mapping[str, Run]) -> None:
    cases = list(results)
    names = list(next(iter(results.values())).usage.cpu_s)
    print("\nper process, median run of each case: peak RSS MB (VmHWM) | CPU seconds")
    print(f"{'process':<16}" + "".join(f"{case:>18}" for case in cases))
    for name in names:
        cells = []
        for case in cases:
            usage = results[case].usage
            peak = f"{usage.peak_mb[name]:.0f}" if name in usage.peak_mb else "-"
            cells.append(f"{peak:>8} | {usage.cpu_s.get(name, 0.0):>6.2f}")
        print(f"{name:<16}" + "".join(f"{cell:>18}" for cell in cells))


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def print_targets(cluster: Mapping[str, Run], embedded: Mapping[str, list[EmbeddedRun]],
                  failures: list[str]) -> None:
    print("\ntargets (issue #5: 2-core machine, PostgreSQL, 1 executor + 1 scheduler):")
    for case, limit in TARGET_WALL.items():
        if case in cluster:
            wall = cluster[case].wall
            print(f"  {case} ≤ {limit:g} s: {wall:.3f} s — {verdict(wall <= limit)}")
        elif case in failures:
            print(f"  {case} ≤ {limit:g} s: the run failed — NOT MET")
    if "huge" in cluster and "big" in cluster:
        ratio = cluster["huge"].wall / cluster["big"].wall
        print(f"  huge ≤ {TARGET_HUGE_OVER_BIG:g} × big: {ratio:.1f} × — {verdict(ratio <= TARGET_HUGE_OVER_BIG)}")
    elif "huge" in failures:
        print(f"  huge ≤ {TARGET_HUGE_OVER_BIG:g} × big: the run failed — NOT MET")
    if "big" in embedded:
        chosen = middle(embedded["big"])
        rate = chosen.steps / chosen.wall
        print(f"  embedded ≥ {TARGET_STEPS_PER_SECOND:,} steps/s on big: {rate:,.0f} — "
              f"{verdict(rate >= TARGET_STEPS_PER_SECOND)}")
    if "big" in cluster:
        peaks = {name: mb for name, mb in cluster["big"].usage.peak_mb.items()}
        worst = max(peaks, key=lambda name: peaks[name])
        print(f"  every service's peak RSS ≤ {TARGET_RSS_MB:g} MB during big: highest {worst} "
              f"{peaks[worst]:.0f} MB — {verdict(peaks[worst] <= TARGET_RSS_MB)}")


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--executors", type=int, default=1)
    parser.add_argument("--schedulers", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (the median is shown)")
    parser.add_argument("--repeat-huge", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one run may take")
    parser.add_argument("--stall", type=float, default=30.0, help="seconds without any step before a run fails")
    parser.add_argument("--anchor", action="append", default=[], metavar="CASE=SECONDS",
                        help="bamboo-pipeline's wall time for a case (default big=16.46 multi=21.72)")
    parser.add_argument("--anchor-results", help="the anchor's results.jsonl; per case its best median wall")
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded-mode cases")
    parser.add_argument("--embedded-workers", type=int, default=1)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    anchor = anchor_figures(args.anchor, args.anchor_results)
    register_examples()

    print(f"load average (1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; cluster: "
          f"{args.executors} executor(s), {args.schedulers} scheduler(s), PostgreSQL; starting ...", flush=True)
    print(HEADER, flush=True)
    cluster_runs: dict[str, Run] = {}
    lines: list[str] = []
    failures: list[str] = []
    with cluster_on_postgres(args.admin_url, args.executors, args.schedulers) as (cluster, db_url):
        conn = pg_connect(db_url)
        client = Client(cluster.target, timeout=60)
        try:
            run_on_cluster(cluster, client, conn, [big(10, 3)], args.timeout, args.stall)  # warm-up: connections
            for case in args.cases:
                repeat = args.repeat_huge if case == "huge" else args.repeat
                try:
                    runs = [run_on_cluster(cluster, client, conn, CASES[case](), args.timeout, args.stall)
                            for _ in range(repeat)]
                except CaseFailed as failure:
                    failures.append(case)
                    lines.append(f"{'cluster':<9}{case:<7}FAILED: {failure}")
                    for child in cluster.children:  # the logs go with the cluster's temporary folder
                        print(f"--- last lines of {child.name}'s log:\n{child.tail(4)}", file=sys.stderr)
                else:
                    cluster_runs[case] = median(runs)
                    lines.append(row("cluster", case, runs, anchor.get(case)))
                print(lines[-1], flush=True)
        finally:
            client.close()
            conn.close()

    embedded_runs: dict[str, list[EmbeddedRun]] = {}
    if not args.no_embedded:
        for case in args.cases:
            repeat = args.repeat_huge if case == "huge" else args.repeat
            embedded_runs[case] = [run_embedded(CASES[case](), args.embedded_workers, args.timeout)
                                   for _ in range(repeat)]
            lines.append(row("embedded", case, embedded_runs[case], None))
            print(lines[-1], flush=True)

    print(f"\n{HEADER}")
    print("\n".join(lines))
    if cluster_runs:
        print_usage(cluster_runs)
    print_targets(cluster_runs, embedded_runs, failures)
    if failures:
        raise SystemExit(f"failed on the cluster: {', '.join(failures)} (the services' last log lines are above)")


if __name__ == "__main__":
    main()
