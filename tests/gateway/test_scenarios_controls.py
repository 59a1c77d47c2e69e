"""SPEC §8 scenarios of ``tests/scenarios/test_operator_controls.py``, unchanged, through SDK -> gateway -> state-store."""

from __future__ import annotations

from tests.gateway.cluster import SLEEPING_EXECUTE, cluster_scenarios
from tests.scenarios import test_operator_controls

globals().update(cluster_scenarios(test_operator_controls, skip={"test_s58_forced_fail_during_execute": SLEEPING_EXECUTE}))
