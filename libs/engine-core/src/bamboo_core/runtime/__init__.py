"""Runtimes: the public Protocol and the embedded in-memory runtime."""

from bamboo_core.clock import ManualClock, SystemClock
from bamboo_core.runtime.memory import InMemoryRuntime
from bamboo_core.runtime.protocol import Runtime

__all__ = ["InMemoryRuntime", "ManualClock", "Runtime", "SystemClock"]
