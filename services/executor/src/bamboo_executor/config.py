"""Settings of a work consumer (executor or scheduler), read once from the environment.

Both services run the same consumer loop (``worker.py``) and share this settings
type; each reads its own prefix, ``EXECUTOR_`` or ``SCHEDULER_``, so services
sharing one environment (a compose file, a CI job) never read each other's values.
For the executor:

``EXECUTOR_NATS_URL``
    NATS server(s) with JetStream, comma-separated. Default ``nats://127.0.0.1:4222``.
``EXECUTOR_STATE_STORE``
    ``host:port`` of the state-store's gRPC service. Default ``127.0.0.1:50061``.
``EXECUTOR_HEALTH_HOST`` / ``EXECUTOR_HEALTH_PORT``
    Where the gRPC health service listens. Defaults ``127.0.0.1`` and ``50071``
    (scheduler: ``50072``); port ``0`` lets the OS pick (tests; it is logged).
``EXECUTOR_CONCURRENCY``
    Work items run at once (each in a worker thread). Default ``16``.
``EXECUTOR_BATCH``
    Most messages one fetch asks JetStream for. Default ``64``.
``EXECUTOR_ACK_WAIT``
    Seconds JetStream waits for an ack before redelivering to another consumer.
    Default ``30``; a long step keeps its message by sending progress acks.
``EXECUTOR_GRACE_SECONDS``
    On SIGTERM/SIGINT, how long in-flight items may take to finish. Default ``10``.
``EXECUTOR_POISON_AFTER``
    Deliveries after which an item that keeps failing with a non-transient error is
    terminated (and logged) rather than retried for ever. Default ``10``.
``EXECUTOR_MAX_MESSAGE_MB``
    Largest gRPC message to and from the state-store, in MiB. Default ``16``, like the
    state-store's: a big pipeline's model arrives in one message.

The engine settings every service must share are read without a prefix
(``bamboo_core.engine.config.engine_config_from_env``): ``BAMBOO_EXCLUSIVE_GATEWAY_STRATEGY``,
``BAMBOO_NODE_RERUN_LIMIT``, ``BAMBOO_RERUN_INDEX_OFFSET``; and how an executor writes a
chain's steps together: ``BAMBOO_BATCH_STEPS`` (at most this many steps per write, default
64) and ``BAMBOO_COMMIT_WINDOW_MS`` (no staged step, nor a running component's RUNNING
state, waits longer than this for its write; default 50). ``1`` and ``0`` write every step
and every checkpoint at once.

An invalid value raises ``ConfigError`` naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from bamboo_core.engine.config import EngineConfig
from bamboo_state_store.config import ConfigError, engine_settings  # shared by every service
from bamboo_state_store.nats_setup import SUBJECT_EXECUTE


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """Everything one consumer process needs; ``name``/``durable``/``subject`` are fixed per service."""

    name: str = "executor"
    durable: str = "bamboo-executor"
    subject: str = SUBJECT_EXECUTE
    nats_url: str = "nats://127.0.0.1:4222"
    state_store: str = "127.0.0.1:50061"
    health_host: str = "127.0.0.1"
    health_port: int = 50071
    concurrency: int = 16
    batch: int = 64
    ack_wait: float = 30.0
    grace_seconds: float = 10.0
    poison_after: int = 10
    max_message_mb: int = 16
    engine: EngineConfig = EngineConfig()
    fetch_timeout: float = 1.0  # bounds how long a stop request waits for the current fetch


PREFIX = "EXECUTOR_"
DEFAULTS = WorkerSettings()


def settings_from_env(prefix: str, defaults: WorkerSettings,
                      environ: Mapping[str, str] = os.environ) -> WorkerSettings:
    """``defaults`` with every ``<prefix>*`` variable that is set applied; blank means unset."""
    read = _Reader(prefix, environ)
    return replace(
        defaults,
        nats_url=read.nats_url("NATS_URL", defaults.nats_url),
        state_store=read.address("STATE_STORE", defaults.state_store),
        health_host=read.text("HEALTH_HOST", defaults.health_host),
        health_port=read.integer("HEALTH_PORT", defaults.health_port, low=0, high=65535),
        concurrency=read.integer("CONCURRENCY", defaults.concurrency, low=1, high=1024),
        batch=read.integer("BATCH", defaults.batch, low=1, high=10_000),
        ack_wait=read.number("ACK_WAIT", defaults.ack_wait, low=1.0, high=3600.0),
        grace_seconds=read.number("GRACE_SECONDS", defaults.grace_seconds, low=0.0, high=3600.0),
        poison_after=read.integer("POISON_AFTER", defaults.poison_after, low=1, high=1_000_000),
        max_message_mb=read.integer("MAX_MESSAGE_MB", defaults.max_message_mb, low=1, high=1024),
        engine=engine_settings(environ),
    )


def from_env(environ: Mapping[str, str] = os.environ) -> WorkerSettings:
    """The executor's settings (``EXECUTOR_*``)."""
    return settings_from_env(PREFIX, DEFAULTS, environ)


class _Reader:
    """Parses one variable at a time, naming it in every error."""

    def __init__(self, prefix: str, environ: Mapping[str, str]) -> None:
        self._prefix = prefix
        self._environ = environ

    def _raw(self, name: str) -> str | None:
        value = self._environ.get(self._prefix + name, "").strip()
        return value or None

    def _error(self, name: str, message: str) -> ConfigError:
        return ConfigError(self._prefix + name, message)

    def text(self, name: str, default: str) -> str:
        raw = self._raw(name)
        return default if raw is None else raw

    def nats_url(self, name: str, default: str) -> str:
        raw = self.text(name, default)
        servers = [part.strip() for part in raw.split(",") if part.strip()]
        if not servers:
            raise self._error(name, "no NATS server given")
        for server in servers:
            if not server.startswith(("nats://", "tls://", "ws://", "wss://")):
                raise self._error(name, f"expected nats://host:port, got {server!r}")
        return raw

    def address(self, name: str, default: str) -> str:
        raw = self.text(name, default)
        host, sep, port = raw.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise self._error(name, f"expected host:port, got {raw!r}")
        return raw

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self._error(name, f"expected an integer, got {raw!r}") from None
        if not low <= value <= high:
            raise self._error(name, f"must be between {low} and {high}, got {value}")
        return value

    def number(self, name: str, default: float, *, low: float, high: float) -> float:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise self._error(name, f"expected a number, got {raw!r}") from None
        if not low <= value <= high:  # also rejects nan
            raise self._error(name, f"must be between {low:g} and {high:g}, got {raw}")
        return value
