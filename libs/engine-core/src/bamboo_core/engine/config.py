"""Engine settings: one frozen object, passed in, never mutated at run time."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class GatewayStrategy(IntEnum):
    ONLY = 1  # exactly one condition may hold
    FIRST = 2  # the first condition that holds wins


@dataclass(frozen=True, slots=True)
class EngineConfig:
    rerun_limit: int = 100  # a node runs at most this many times in one pipeline
    exclusive_gateway_strategy: GatewayStrategy = GatewayStrategy.ONLY
    rerun_index_offset: int = 0  # added to the _loop / _inner_loop inputs
    # Steps one execute work item may run before it yields to other work.
    max_chain: int = 1000
