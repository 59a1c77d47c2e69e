"""``python -m bamboo_state_store`` (or ``bamboo-state-store``): run the service.

Configured only through ``STATE_STORE_*`` variables (see ``config.py``). Logs go to
stdout, one line per record, so a container runtime or a test can collect them.
"""

from __future__ import annotations

import logging
import sys

from bamboo_state_store.config import ConfigError, Settings
from bamboo_state_store.server import serve

EXIT_BAD_CONFIG = 2


def main() -> int:
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        logging.getLogger("bamboo_state_store").error("invalid configuration: %s", exc)
        return EXIT_BAD_CONFIG
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
