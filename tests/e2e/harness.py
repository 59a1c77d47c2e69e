"""The scenarios' ``Harness`` over a real cluster: the SDK ``Client`` as runtime, time skipped.

Nothing here runs work: the cluster's executors and schedulers do. ``settle`` waits
until no work is in flight (nothing in the outbox, no overdue timer, nothing in the
JetStream work stream, twice in a row). Time is the cluster's skewed clock
(``RealCluster.clock``): ``advance`` skips every service to each timer due on the way,
lets what it starts run, and ends at the target time, as the embedded harness moves its
manual clock, so an hour of polling takes as long as the polls themselves. Engine
errors surface as "failed on delivery" lines in the workers' logs, which
``check_errors`` asserts there are none of (the embedded harness asserts its runtime's
error list is empty).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from tests.e2e.real_cluster import RealCluster
from tests.e2e.renaming import RootRenamingClient
from tests.scenarios.components import END_EVENTS
from tests.scenarios.harness import Harness

ENGINE_ERROR = "failed on delivery"
_TESTS = itertools.count()


class RealClusterHarness(Harness):
    def __init__(self, cluster: RealCluster) -> None:
        assert cluster.client is not None
        renaming = RootRenamingClient(cluster.client, f"t{next(_TESTS)}")
        super().__init__(renaming)  # type: ignore[arg-type]
        self.cluster = cluster
        self.clock = cluster.clock
        END_EVENTS.pipeline_names = renaming.scenario_ids  # the end events saw the cluster's ids
        self._offsets = {id(worker): worker.log_size() for worker in cluster.workers}

    def settle(self) -> None:
        self.cluster.wait_idle()
        self.check_errors()

    def advance(self, seconds: float) -> None:
        target = self.now() + seconds
        self.settle()
        while (due := self.next_timer_due()) is not None and due <= target:
            self.clock.skip_to(due)
            self.settle()
        self.clock.skip_to(target)
        self.settle()

    def next_timer_due(self) -> float | None:
        return self.cluster.next_timer_due()

    def now(self) -> float:
        return self.clock.now()

    def check_errors(self) -> None:
        errors = [line for worker in self.cluster.workers
                  for line in worker.log_since(self._offsets[id(worker)]).splitlines() if ENGINE_ERROR in line]
        assert not errors, "engine errors in the workers:\n" + "\n".join(errors)


def fresh_harness(cluster: RealCluster) -> Iterator[RealClusterHarness]:
    """A harness on an emptied store (a fixture's body); the end-event log forgets the test's ids after."""
    cluster.reset()
    yield RealClusterHarness(cluster)
    END_EVENTS.pipeline_names = {}
