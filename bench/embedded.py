"""Embedded-mode benchmark: the "big" shape and a 1,000-node chain on InMemoryRuntime.

Every activity is the ``debug`` component (poll with interval 0: one execute, one
immediate schedule), like bamboo-engine's benchmark node. Prints node steps per
second against the issue's target (≥ 20,000 steps/s on this 2-core machine).

    .venv/bin/python bench/embedded.py [--workers N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from shapes import big, chain, node_steps  # noqa: E402

from bamboo_core import api  # noqa: E402
from bamboo_core.examples import register_examples  # noqa: E402
from bamboo_core.runtime import InMemoryRuntime  # noqa: E402

TARGET_STEPS_PER_SECOND = 20_000


def run_once(tree: dict[str, Any], workers: int) -> float:
    gc.collect()  # start each run clean: garbage left by the previous run is not this run's cost
    with InMemoryRuntime(workers=workers) as runtime:
        begin = time.perf_counter()
        result = api.run_pipeline(runtime, tree)
        assert result.result, result.exc_trace
        runtime.wait_idle(timeout=120)
        elapsed = time.perf_counter() - begin
        # Read the root's state from the store: the API's state query builds a dict
        # for every node, which would add its own cost to the measurement.
        root = runtime.store.get_state(tree["id"])
        assert root is not None and root.name.value == "FINISHED", root
        assert not runtime.errors, runtime.errors
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    register_examples()
    print(f"{'case':<8}{'workers':>8}{'nodes':>7}{'steps':>7}{'wall s':>9}{'steps/s':>10}  target ≥ {TARGET_STEPS_PER_SECOND}")
    for name, make in (("big", big), ("chain", chain)):
        for workers in args.workers:
            times = [run_once(make(), workers) for _ in range(args.repeat)]
            tree = make()
            steps = node_steps(tree)
            wall = statistics.median(times)
            rate = steps / wall
            verdict = "ok" if rate >= TARGET_STEPS_PER_SECOND else "BELOW TARGET"
            nodes = len(tree["activities"]) + len(tree["gateways"]) + 2
            print(f"{name:<8}{workers:>8}{nodes:>7}{steps:>7}{wall:>9.3f}{rate:>10.0f}  {verdict}")


if __name__ == "__main__":
    main()
