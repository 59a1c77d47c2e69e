"""The gateway's settings, read once from ``GATEWAY_*`` variables at start-up.

``GATEWAY_HOST``
    Address the gRPC server binds. Default ``127.0.0.1`` (``0.0.0.0`` in a container).
``GATEWAY_PORT``
    gRPC port of the public Workflow service. Default ``50051``; ``0`` lets the OS pick.
``GATEWAY_STATE_STORE``
    ``host:port`` of the state-store. Default ``127.0.0.1:50061``.
``GATEWAY_NATS_URL``
    NATS server whose ``bamboo.events.<root_id>`` subjects feed ``Watch``. Empty (the
    default): ``Watch`` answers UNAVAILABLE, every other call works.
``GATEWAY_WORKERS``
    gRPC threads (calls served at once, open ``Watch`` streams included). Default ``32``.
``GATEWAY_GRACE_SECONDS``
    On SIGTERM/SIGINT, how long in-flight calls may take to finish. Default ``5``.
``GATEWAY_MAX_MESSAGE_MB``
    Largest request or response, in MiB (trees travel as JSON). Default ``16``.
``GATEWAY_STORE_TIMEOUT``
    Seconds each state-store call may take. Default ``10``.

The engine settings every service must share (``BAMBOO_EXCLUSIVE_GATEWAY_STRATEGY``,
``BAMBOO_NODE_RERUN_LIMIT``, ``BAMBOO_RERUN_INDEX_OFFSET``) are read without a prefix.

An invalid value raises ``ConfigError`` naming the variable: a gateway that silently
ignored a setting is harder to debug than one that refuses to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bamboo_core.engine.config import EngineConfig
from bamboo_state_store.config import ConfigError, engine_settings  # shared by every service

PREFIX = "GATEWAY_"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 50051
    state_store: str = "127.0.0.1:50061"
    nats_url: str = ""
    workers: int = 32
    grace_seconds: float = 5.0
    max_message_mb: int = 16
    store_timeout: float = 10.0
    engine: EngineConfig = EngineConfig()

    @property
    def max_message_bytes(self) -> int:
        return self.max_message_mb * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from ``environ``; unset or blank variables keep their defaults."""
        d = cls()
        r = _Reader(environ)
        return cls(
            host=r.text("HOST", d.host),
            port=int(r.number("PORT", d.port, low=0, high=65535, integral=True)),
            state_store=r.address("STATE_STORE", d.state_store),
            nats_url=r.nats_url("NATS_URL", d.nats_url),
            workers=int(r.number("WORKERS", d.workers, low=1, high=1024, integral=True)),
            grace_seconds=r.number("GRACE_SECONDS", d.grace_seconds, low=0.0, high=3600.0),
            max_message_mb=int(r.number("MAX_MESSAGE_MB", d.max_message_mb, low=1, high=1024, integral=True)),
            store_timeout=r.number("STORE_TIMEOUT", d.store_timeout, low=0.1, high=3600.0),
            engine=engine_settings(environ),
        )


class _Reader:
    """Parses one variable at a time, naming it in every error."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str, default: str) -> str:
        return self._environ.get(PREFIX + name, "").strip() or default

    def address(self, name: str, default: str) -> str:
        raw = self.text(name, default)
        host, sep, port = raw.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(PREFIX + name, f"expected host:port, got {raw!r}")
        return raw

    def nats_url(self, name: str, default: str) -> str:
        raw = self.text(name, default)
        for server in filter(None, (part.strip() for part in raw.split(","))):
            if not server.startswith(("nats://", "tls://", "ws://", "wss://")):
                raise ConfigError(PREFIX + name, f"expected nats://host:port, got {server!r}")
        return raw

    def number(self, name: str, default: float, *, low: float, high: float, integral: bool = False) -> float:
        raw = self._environ.get(PREFIX + name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw) if integral else float(raw)
        except ValueError:
            kind = "an integer" if integral else "a number"
            raise ConfigError(PREFIX + name, f"expected {kind}, got {raw!r}") from None
        if not low <= value <= high:  # also rejects nan
            raise ConfigError(PREFIX + name, f"must be between {low:g} and {high:g}, got {raw}")
        return value
