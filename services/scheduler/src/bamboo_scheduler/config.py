"""The scheduler's settings: the executor's ``WorkerSettings`` read from ``SCHEDULER_*``.

Same variables as the executor (see ``bamboo_executor.config``) with the
``SCHEDULER_`` prefix; the health port defaults to ``50072``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from bamboo_executor.config import WorkerSettings, settings_from_env
from bamboo_state_store.nats_setup import SUBJECT_SCHEDULE

PREFIX = "SCHEDULER_"
DEFAULTS = WorkerSettings(name="scheduler", durable="bamboo-scheduler", subject=SUBJECT_SCHEDULE, health_port=50072)


def from_env(environ: Mapping[str, str] = os.environ) -> WorkerSettings:
    """The scheduler's settings (``SCHEDULER_*``)."""
    return settings_from_env(PREFIX, DEFAULTS, environ)
