"""Engine settings: one frozen object, passed in, never mutated at run time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
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
    # A chain's steps are written together (engine.chain): at most this many per write,
    # and none waits longer than ``commit_window`` seconds for it (nor does a running
    # component's RUNNING state). 1 and 0 write every step, and every checkpoint, at once.
    batch_steps: int = 64
    commit_window: float = 0.05


# bamboo-engine reads these from Django settings; a Bamboo cluster's services read them
# from their environment, and every service must be given the same values.
STRATEGY_ENV = "BAMBOO_EXCLUSIVE_GATEWAY_STRATEGY"  # PIPELINE_EXCLUSIVE_GATEWAY_STRATEGY
RERUN_LIMIT_ENV = "BAMBOO_NODE_RERUN_LIMIT"  # BAMBOO_DJANGO_ERI_NODE_RERUN_LIMIT
RERUN_INDEX_OFFSET_ENV = "BAMBOO_RERUN_INDEX_OFFSET"  # RERUN_INDEX_OFFSET
# Bamboo's own: how a chain's steps are written together (see EngineConfig).
BATCH_STEPS_ENV = "BAMBOO_BATCH_STEPS"
COMMIT_WINDOW_ENV = "BAMBOO_COMMIT_WINDOW_MS"


def engine_config_from_env(environ: Mapping[str, str] = os.environ) -> EngineConfig:
    """The engine settings in ``environ`` (unset or blank: the default).

    A bad value raises ValueError whose message is ``"<VARIABLE>: <what is wrong>"``.
    """
    default = EngineConfig()
    return replace(
        default,
        exclusive_gateway_strategy=_strategy(environ.get(STRATEGY_ENV, "").strip(), default.exclusive_gateway_strategy),
        rerun_limit=_integer(environ, RERUN_LIMIT_ENV, default.rerun_limit, low=1),
        rerun_index_offset=_integer(environ, RERUN_INDEX_OFFSET_ENV, default.rerun_index_offset, low=0),
        batch_steps=_integer(environ, BATCH_STEPS_ENV, default.batch_steps, low=1),
        commit_window=_integer(environ, COMMIT_WINDOW_ENV, round(default.commit_window * 1000), low=0) / 1000,
    )


def _strategy(text: str, default: GatewayStrategy) -> GatewayStrategy:
    if not text:
        return default
    for strategy in GatewayStrategy:
        if text.upper() == strategy.name or text == str(strategy.value):
            return strategy
    raise ValueError(f"{STRATEGY_ENV}: expected ONLY (1) or FIRST (2), got {text!r}")


def _integer(environ: Mapping[str, str], name: str, default: int, *, low: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}: expected an integer, got {text!r}") from None
    if value < low:
        raise ValueError(f"{name}: expected at least {low}, got {value}")
    return value
