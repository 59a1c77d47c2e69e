"""Which SPEC §8 scenarios run on the real cluster, and a helper to re-export them.

Each test costs ~0.8 s here for its fresh store (a restarted state-store process), so
the real cluster runs a representative subset, on SQLite and on PostgreSQL, within
the suite's time budget: execution shapes (line, 100 in series, parallel, exclusive
and conditional gateways, subprocesses), data passing (node and subprocess outputs,
splices) and operator controls that need no long timers (retry, skip, callbacks,
a stale callback, forced fail while an executor sleeps in ``execute``). Every scenario
also runs through the gateway in-process (tests/gateway) with a simulated clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from _pytest.fixtures import FixtureFunctionDefinition

from tests.gateway.cluster import cluster_scenarios


def scenarios(module: ModuleType, names: Iterable[str]) -> dict[str, Any]:
    """``module``'s fixtures and the named harness scenarios, for a test module's globals()."""
    wanted = set(names)
    found = cluster_scenarios(module)
    missing = wanted - set(found)
    assert not missing, f"no such scenarios in {module.__name__}: {sorted(missing)}"
    return {name: item for name, item in found.items()
            if name in wanted or isinstance(item, FixtureFunctionDefinition)}
