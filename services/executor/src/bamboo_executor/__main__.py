"""``python -m bamboo_executor`` (or ``bamboo-executor``): run the executor.

Configured only through ``EXECUTOR_*`` variables (see ``config.py``); components
come from ``BAMBOO_COMPONENTS`` and ``bamboo.components`` entry points, plus the
built-in examples. Logs go to stdout.
"""

from __future__ import annotations

import sys

from bamboo_executor.app import ExecutorApp
from bamboo_executor.config import from_env
from bamboo_executor.service import main_for


def main() -> int:
    return main_for(from_env, ExecutorApp)


if __name__ == "__main__":
    sys.exit(main())
