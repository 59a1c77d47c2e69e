"""SPEC §8 scenarios, unchanged, on a real cluster: five processes, real NATS, SQLite and PostgreSQL.

The subset and why it is one: see ``subset.py``.
"""

from __future__ import annotations

from tests.e2e.subset import scenarios
from tests.scenarios import test_data_passing, test_execution_shapes, test_operator_controls

globals().update(scenarios(test_execution_shapes, [
    "test_s01_single_activity", "test_s02_hundred_activities_in_series", "test_s03_parallel_branches",
    "test_s05_exclusive_gateway", "test_s13_conditional_parallel", "test_s19_parallel_subprocesses",
]))
globals().update(scenarios(test_data_passing, [
    "test_s28_subprocess_output", "test_s35_splice_chains",
]))
globals().update(scenarios(test_operator_controls, [
    "test_s42_retry_with_new_data", "test_s47_skip_failed_node", "test_s49_skip_exclusive_gateway",
    "test_s52_callback_completes_node", "test_s56_stale_callback",
    "test_s58_forced_fail_during_execute",  # s53 (multi-callback) passes but waits out a long timer: 20 s
]))
