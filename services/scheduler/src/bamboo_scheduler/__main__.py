"""``python -m bamboo_scheduler`` (or ``bamboo-scheduler``): run the scheduler.

Configured only through ``SCHEDULER_*`` variables (see ``config.py``).
"""

from __future__ import annotations

import sys

from bamboo_executor.service import main_for
from bamboo_scheduler.app import SchedulerApp
from bamboo_scheduler.config import from_env


def main() -> int:
    return main_for(from_env, SchedulerApp)


if __name__ == "__main__":
    sys.exit(main())
