"""The engine: execute / schedule steps, operations and queries over a StateStore."""

from bamboo_core.engine.config import EngineConfig, GatewayStrategy
from bamboo_core.engine.engine import Engine

__all__ = ["Engine", "EngineConfig", "GatewayStrategy"]
