"""The runtime under test for scenarios: the embedded runtime with a manual clock.

A later cluster suite binds the same scenarios to the SDK client instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bamboo_core.clock import ManualClock
from bamboo_core.examples import register_examples
from bamboo_core.runtime import InMemoryRuntime
from tests.scenarios.harness import Harness


register_examples()  # the SPEC §8 test components and lazy variables


@pytest.fixture
def harness() -> Iterator[Harness]:
    runtime = InMemoryRuntime(clock=ManualClock(), workers=4)
    try:
        yield Harness(runtime)
    finally:
        runtime.close()
