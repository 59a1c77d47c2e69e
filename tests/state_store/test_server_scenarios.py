"""SPEC §8 scenarios with every store call going through the state-store service.

The scenario suite (tests/scenarios) drives ``InMemoryRuntime`` through a harness.
Here the runtime's store is a ``RemoteStore`` on a real server over SQLite or
PostgreSQL: every ``load_step``, ``commit`` and query of the engine crosses gRPC, the
codec and SQL. Committed work reaches the runtime's workers through the server-side
store's ``on_commit`` hook, standing in for the relay and NATS (the cluster tests
cover those), and timers stay on the runtime's manual clock.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from test_server_support import RunningServer, running_fixture  # noqa: F401

from bamboo_core.clock import ManualClock
from bamboo_core.examples import register_examples
from bamboo_core.runtime import InMemoryRuntime
from tests.scenarios.harness import Harness

register_examples()  # the SPEC §8 components and lazy variables

# A cross-section: every node type and gateway, subprocesses, data passing, loops,
# callbacks and polling, operator controls, pauses and revokes, races.
SCENARIOS = {
    "tests.scenarios.test_execution_shapes": (
        "test_s01_single_activity", "test_s03_parallel_branches", "test_s04_nested_parallel",
        "test_s05_exclusive_gateway", "test_s13_conditional_parallel", "test_s19_parallel_subprocesses",
        "test_s20_three_nested_subprocesses", "test_s21_subprocess_context", "test_s23_executable_end_event_raises",
    ),
    "tests.scenarios.test_data_passing": (
        "test_s26_all_variable_types", "test_s28_subprocess_output_two_levels", "test_s35_splice_chains",
        "test_s38_root_outputs", "test_s39_pre_render_keys_freeze_lazy_value",
    ),
    "tests.scenarios.test_loops": ("test_s67_loop_by_cycle", "test_s69_loop_around_parallel_gateway",
                                   "test_s71_retry_inside_loop"),
    "tests.scenarios.test_operator_controls": (
        "test_s42_retry_with_new_data", "test_s46_recover_failures_in_nested_parallel_subprocess",
        "test_s47_skip_failed_node", "test_s49_skip_exclusive_gateway", "test_s53_multi_callback",
        "test_s55_callback_fail_then_retry", "test_s56_stale_callback", "test_s57_forced_fail_polling_timer",
    ),
    "tests.scenarios.test_pause_revoke": (
        "test_s62_appointed_pause_in_nested_parallel", "test_s64_pause_pipeline_during_timers",
        "test_s65_pause_one_of_two_parallel_subprocesses", "test_s66_revoke_during_timers",
    ),
    "tests.scenarios.test_hooks_robustness": (
        "test_s75_execute_raises", "test_s77_multi_callback_hooks", "test_s78_effects_land_once",
        "test_s79_concurrent_callbacks",
    ),
}
# Fixtures the scenario modules define for themselves (e.g. counters reset per test).
MODULE_FIXTURES = {"tests.scenarios.test_hooks_robustness": ("fresh_counts",)}
for _module, _names in SCENARIOS.items():
    _scenarios = importlib.import_module(_module)
    for _name in (*_names, *MODULE_FIXTURES.get(_module, ())):
        globals()[_name] = getattr(_scenarios, _name)


@pytest.fixture
def harness(running: RunningServer) -> Iterator[Harness]:
    """Overrides the scenarios' harness: the same runtime, its store behind gRPC."""
    runtime = InMemoryRuntime(clock=ManualClock(), workers=4, store=running.remote())
    try:
        yield Harness(runtime)
    finally:
        runtime.close()
