"""Every SPEC §8 scenario, unchanged, on a real cluster: five processes, real NATS, SQLite and PostgreSQL."""

from __future__ import annotations

from tests.gateway.cluster import cluster_scenarios
from tests.scenarios import (
    test_data_passing,
    test_execution_shapes,
    test_hooks_robustness,
    test_loops,
    test_operator_controls,
    test_pause_revoke,
)

for _module in (test_execution_shapes, test_data_passing, test_operator_controls, test_pause_revoke, test_loops,
                test_hooks_robustness):
    globals().update(cluster_scenarios(_module))
