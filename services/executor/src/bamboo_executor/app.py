"""The executor application: the shared worker process on ``bamboo.work.execute``."""

from __future__ import annotations

from bamboo_executor.config import WorkerSettings, from_env
from bamboo_executor.service import WorkerApp


class ExecutorApp(WorkerApp):
    """Durable consumer ``bamboo-executor``: runs node steps (a ServiceActivity's ``execute``)."""

    def __init__(self, settings: WorkerSettings | None = None) -> None:
        super().__init__(settings or from_env())
