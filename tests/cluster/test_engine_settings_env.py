"""Engine settings from the environment: how a cluster's services share bamboo-engine's settings."""

from __future__ import annotations

import pytest

from bamboo_core.engine.config import (
    BATCH_STEPS_ENV,
    COMMIT_WINDOW_ENV,
    RERUN_INDEX_OFFSET_ENV,
    RERUN_LIMIT_ENV,
    STRATEGY_ENV,
    EngineConfig,
    GatewayStrategy,
    engine_config_from_env,
)
from bamboo_state_store.config import ConfigError, engine_settings


def test_nothing_set_means_the_defaults() -> None:
    assert engine_config_from_env({}) == EngineConfig()
    assert engine_config_from_env({STRATEGY_ENV: " ", RERUN_LIMIT_ENV: ""}) == EngineConfig()


@pytest.mark.parametrize(("text", "strategy"), [("FIRST", GatewayStrategy.FIRST), ("first", GatewayStrategy.FIRST),
                                                 ("2", GatewayStrategy.FIRST), ("ONLY", GatewayStrategy.ONLY),
                                                 ("1", GatewayStrategy.ONLY)])
def test_strategy(text: str, strategy: GatewayStrategy) -> None:
    assert engine_config_from_env({STRATEGY_ENV: text}).exclusive_gateway_strategy is strategy


def test_numbers() -> None:
    config = engine_config_from_env({RERUN_LIMIT_ENV: "5", RERUN_INDEX_OFFSET_ENV: "1"})
    assert (config.rerun_limit, config.rerun_index_offset) == (5, 1)


def test_chain_writing() -> None:
    config = engine_config_from_env({BATCH_STEPS_ENV: "8", COMMIT_WINDOW_ENV: "20"})
    assert (config.batch_steps, config.commit_window) == (8, 0.02)
    config = engine_config_from_env({BATCH_STEPS_ENV: "1", COMMIT_WINDOW_ENV: "0"})
    assert (config.batch_steps, config.commit_window) == (1, 0.0)  # every step written at once


@pytest.mark.parametrize(("name", "value"), [(STRATEGY_ENV, "LAST"), (STRATEGY_ENV, "3"), (RERUN_LIMIT_ENV, "0"),
                                             (RERUN_LIMIT_ENV, "many"), (RERUN_INDEX_OFFSET_ENV, "-1"),
                                             (BATCH_STEPS_ENV, "0"), (COMMIT_WINDOW_ENV, "0.5"),
                                             (COMMIT_WINDOW_ENV, "-1")])
def test_a_bad_value_is_a_config_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"^{name}: "):
        engine_config_from_env({name: value})
    with pytest.raises(ConfigError) as raised:
        engine_settings({name: value})
    assert raised.value.key == name
