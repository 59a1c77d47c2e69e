"""Embedded-mode benchmark: the issue's cases on InMemoryRuntime.

Every activity is the ``debug`` component (poll with interval 0: one execute, one
immediate schedule), like bamboo-engine's benchmark node. Prints node steps per
second against the issue's target (≥ 20,000 steps/s on big, on this 2-core machine).
``bench/cluster.py`` runs the same cases through this module's ``run_once``.

    .venv/bin/python bench/embedded.py [--cases big chain] [--workers 1 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import node_steps, percentile, step_latencies  # noqa: E402
from shapes import CASES  # noqa: E402

from bamboo_core import api  # noqa: E402
from bamboo_core.examples import register_examples  # noqa: E402
from bamboo_core.runtime import InMemoryRuntime  # noqa: E402

TARGET_STEPS_PER_SECOND = 20_000


@dataclass
class EmbeddedRun:
    wall: float  # first run_pipeline call -> the runtime is idle
    nodes: int  # node states written (every executed node, roots included)
    steps: int
    latencies: list[float]  # sorted, seconds


def run_once(trees: list[dict[str, Any]], workers: int, timeout: float = 300.0) -> EmbeddedRun:
    """Start every tree in ``trees`` on a fresh runtime and wait until all of them are FINISHED."""
    gc.collect()  # start each run clean: garbage left by the previous run is not this run's cost
    with InMemoryRuntime(workers=workers) as runtime:
        begin = time.perf_counter()
        for tree in trees:
            result = api.run_pipeline(runtime, tree)
            assert result.result, result.exc_trace
        idle = runtime.wait_idle(timeout=timeout)
        elapsed = time.perf_counter() - begin
        assert idle, f"not idle after {timeout:g}s"
        assert not runtime.errors, runtime.errors
        # Read states from the store: the API's state query builds a dict for every
        # node, which would add its own cost to the measurement.
        states = [state for tree in trees for state in runtime.store.get_states(tree["id"])]
        for tree in trees:
            root = runtime.store.get_state(tree["id"])
            assert root is not None and root.name.value == "FINISHED", root
    times = {state.node_id: (state.started_time, state.archived_time) for state in states}
    return EmbeddedRun(elapsed, len(states), node_steps(trees, times), step_latencies(trees, times))


def median_run(case: str, workers: int, repeat: int) -> EmbeddedRun:
    """``repeat`` runs of ``case``; the one with the median wall time."""
    runs = sorted((run_once(CASES[case](), workers) for _ in range(repeat)), key=lambda run: run.wall)
    return runs[(len(runs) - 1) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=["big", "chain"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    register_examples()
    print(f"{'case':<8}{'workers':>8}{'nodes':>7}{'steps':>7}{'wall s':>9}{'steps/s':>10}{'p50 ms':>8}{'p99 ms':>8}"
          f"  target ≥ {TARGET_STEPS_PER_SECOND} steps/s on big")
    for case in args.cases:
        for workers in args.workers:
            run = median_run(case, workers, args.repeat)
            rate = run.steps / run.wall
            verdict = ("ok" if rate >= TARGET_STEPS_PER_SECOND else "BELOW TARGET") if case == "big" else ""
            p50, p99 = percentile(run.latencies, 0.5) * 1e3, percentile(run.latencies, 0.99) * 1e3
            print(f"{case:<8}{workers:>8}{run.nodes:>7}{run.steps:>7}{run.wall:>9.3f}{rate:>10.0f}"
                  f"{p50:>8.2f}{p99:>8.2f}  {verdict}")


if __name__ == "__main__":
    main()
