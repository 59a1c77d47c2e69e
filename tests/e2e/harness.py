"""The scenarios' ``Harness`` over a real cluster: the SDK ``Client`` as runtime, the real clock.

Nothing here runs work: the cluster's executors and schedulers do. ``settle`` waits
until no work is in flight (nothing in the outbox, no overdue timer, nothing in the
JetStream work stream, twice in a row); ``advance`` really sleeps and then settles, so
only scenarios whose timers are short belong on this harness. Engine errors surface
as "failed on delivery" lines in the workers' logs, which ``check_errors`` asserts
there are none of (the embedded harness asserts its runtime's error list is empty).
"""

from __future__ import annotations

import itertools
import time

from tests.e2e.real_cluster import RealCluster
from tests.e2e.renaming import RootRenamingClient
from tests.scenarios.harness import ARCHIVED, Harness

REAL_WAIT_LIMIT = 20.0  # seconds ``finish`` may really wait, whatever simulated time it is asked for
ENGINE_ERROR = "failed on delivery"
_TESTS = itertools.count()


class RealClusterHarness(Harness):
    def __init__(self, cluster: RealCluster) -> None:
        assert cluster.client is not None
        super().__init__(RootRenamingClient(cluster.client, f"t{next(_TESTS)}"))  # type: ignore[arg-type]
        self.cluster = cluster
        self.renaming: RootRenamingClient = self.runtime  # type: ignore[assignment]
        self._offsets = {id(worker): worker.log_size() for worker in cluster.workers}

    def settle(self) -> None:
        self.cluster.wait_idle()
        self.check_errors()

    def advance(self, seconds: float) -> None:
        time.sleep(seconds)
        self.settle()

    def finish(self, root_id: str, max_seconds: float = 3600) -> str:
        deadline = time.monotonic() + min(max_seconds, REAL_WAIT_LIMIT)
        while True:
            self.settle()
            state = self.state(root_id)
            due = self.cluster.next_timer_due()
            if state in ARCHIVED or due is None or time.monotonic() > deadline:
                return state or ""
            time.sleep(min(max(due - time.time(), 0.01), max(deadline - time.monotonic(), 0.0)))

    def check_errors(self) -> None:
        errors = [line for worker in self.cluster.workers
                  for line in worker.log_since(self._offsets[id(worker)]).splitlines() if ENGINE_ERROR in line]
        assert not errors, "engine errors in the workers:\n" + "\n".join(errors)
