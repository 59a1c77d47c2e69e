"""The scheduler application: the shared worker process on ``bamboo.work.schedule``."""

from __future__ import annotations

from bamboo_executor.config import WorkerSettings
from bamboo_executor.service import WorkerApp
from bamboo_scheduler.config import from_env


class SchedulerApp(WorkerApp):
    """Durable consumer ``bamboo-scheduler``: runs components' ``schedule`` (polls, callbacks)."""

    def __init__(self, settings: WorkerSettings | None = None) -> None:
        super().__init__(settings or from_env())
