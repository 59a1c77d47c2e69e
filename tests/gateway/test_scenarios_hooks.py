"""SPEC §8 scenarios of ``tests/scenarios/test_hooks_robustness.py``, unchanged, through SDK -> gateway -> state-store."""

from __future__ import annotations

from tests.gateway.cluster import cluster_scenarios
from tests.scenarios import test_hooks_robustness

globals().update(cluster_scenarios(test_hooks_robustness, skip={}))
