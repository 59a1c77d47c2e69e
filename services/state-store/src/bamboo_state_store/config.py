"""The state-store's settings, read once from the environment at start-up.

Every variable is prefixed ``STATE_STORE_`` so that services sharing one
environment (a compose file, a CI job) never read each other's settings:

``STATE_STORE_DB_URL``
    SQLAlchemy URL of the database. Default ``sqlite:///./data/bamboo.db`` (the
    embedded default; the directory is created when missing). PostgreSQL:
    ``postgresql+psycopg2://user@host:5432/dbname``.
``STATE_STORE_HOST``
    Address the gRPC server binds. Default ``127.0.0.1`` (not reachable from other
    machines unless asked: ``0.0.0.0`` in a container).
``STATE_STORE_PORT``
    gRPC port. Default ``50061``; ``0`` lets the OS pick one (tests).
``STATE_STORE_NATS_URL``
    NATS server the outbox relay publishes to and the timer pump runs beside, e.g.
    ``nats://127.0.0.1:4222``. Empty (the default) runs no relay: outbox rows stay
    in the database for another process to publish, as in embedded tests.
``STATE_STORE_WORKERS``
    Size of the gRPC thread pool (requests served at once). Default ``16``.
``STATE_STORE_GRACE_SECONDS``
    On SIGTERM/SIGINT, how long in-flight requests may take to finish before they
    are cancelled. Default ``5``.
``STATE_STORE_MAX_MESSAGE_MB``
    Largest request accepted, in MiB. Default ``16``; a bigger one is refused with
    RESOURCE_EXHAUSTED before it reaches the store.
``STATE_STORE_DB_WAIT_SECONDS``
    How long start-up keeps retrying a PostgreSQL server that does not accept
    connections yet (it may start alongside this service). Default ``30``.
``STATE_STORE_GROUP_COMMIT``
    ``1`` (default) gathers Commit requests arriving together into one transaction;
    ``0`` gives each request its own transaction (useful to measure the gain).

An invalid value raises ``ConfigError`` naming the variable: a service that starts
with a setting it silently ignored is harder to debug than one that refuses to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bamboo_core.engine.config import EngineConfig, engine_config_from_env

PREFIX = "STATE_STORE_"
DEFAULT_DB_PATH = os.path.join(".", "data", "bamboo.db")


class ConfigError(ValueError):
    """A setting has a value the service cannot use (``key`` names the variable).

    Shared by every service's settings: each reads its own prefixed variables.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


def engine_settings(environ: Mapping[str, str] = os.environ) -> EngineConfig:
    """The engine settings every service shares (``BAMBOO_EXCLUSIVE_GATEWAY_STRATEGY`` …);
    a bad value is a ``ConfigError`` like any other setting."""
    try:
        return engine_config_from_env(environ)
    except ValueError as exc:  # "<VARIABLE>: <what is wrong>"
        key, _, message = str(exc).partition(": ")
        raise ConfigError(key, message) from None


@dataclass(frozen=True, slots=True)
class Settings:
    db_url: str = f"sqlite:///{DEFAULT_DB_PATH}"
    host: str = "127.0.0.1"
    port: int = 50061
    nats_url: str = ""
    workers: int = 16
    grace_seconds: float = 5.0
    max_message_mb: int = 16
    db_wait_seconds: float = 30.0
    group_commit: bool = True

    @property
    def max_message_bytes(self) -> int:
        return self.max_message_mb * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from ``environ``; unset or blank variables keep their defaults."""
        defaults = cls()
        reader = _Reader(environ)
        return cls(
            db_url=reader.db_url("DB_URL", defaults.db_url),
            host=reader.text("HOST", defaults.host),
            port=reader.integer("PORT", defaults.port, low=0, high=65535),
            nats_url=reader.nats_url("NATS_URL", defaults.nats_url),
            workers=reader.integer("WORKERS", defaults.workers, low=1, high=1024),
            grace_seconds=reader.number("GRACE_SECONDS", defaults.grace_seconds, low=0.0, high=3600.0),
            max_message_mb=reader.integer("MAX_MESSAGE_MB", defaults.max_message_mb, low=1, high=1024),
            db_wait_seconds=reader.number("DB_WAIT_SECONDS", defaults.db_wait_seconds, low=0.0, high=3600.0),
            group_commit=reader.flag("GROUP_COMMIT", defaults.group_commit),
        )


class _Reader:
    """Parses one variable at a time, naming it in every error."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def _raw(self, name: str) -> str | None:
        value = self._environ.get(PREFIX + name, "").strip()
        return value or None

    def text(self, name: str, default: str) -> str:
        raw = self._raw(name)
        return default if raw is None else raw

    def db_url(self, name: str, default: str) -> str:
        """A URL SQLAlchemy parses, for one of the two supported back ends."""
        raw = self.text(name, default)
        try:
            backend = make_url(raw).get_backend_name()
        except ArgumentError:
            raise ConfigError(PREFIX + name, f"not a database URL: {raw!r}") from None
        if backend not in ("sqlite", "postgresql"):
            raise ConfigError(PREFIX + name,
                              f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg2://")
        return raw

    def nats_url(self, name: str, default: str) -> str:
        """Empty, or one or more comma-separated nats:// / tls:// server URLs."""
        raw = self.text(name, default)
        for server in filter(None, (part.strip() for part in raw.split(","))):
            if not server.startswith(("nats://", "tls://", "ws://", "wss://")):
                raise ConfigError(PREFIX + name, f"expected nats://host:port, got {server!r}")
        return raw

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(PREFIX + name, f"expected an integer, got {raw!r}") from None
        if not low <= value <= high:
            raise ConfigError(PREFIX + name, f"must be between {low} and {high}, got {value}")
        return value

    def number(self, name: str, default: float, *, low: float, high: float) -> float:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(PREFIX + name, f"expected a number, got {raw!r}") from None
        if not low <= value <= high:  # also rejects nan
            raise ConfigError(PREFIX + name, f"must be between {low:g} and {high:g}, got {raw}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(PREFIX + name, f"expected 1/0, true/false, yes/no or on/off, got {raw!r}")
