"""``python -m bamboo_gateway`` (or ``bamboo-gateway``): run the api-gateway.

Configured only through ``GATEWAY_*`` variables (see ``config.py``); logs go to stdout.
"""

from __future__ import annotations

import logging
import sys

from bamboo_gateway.config import ConfigError, Settings
from bamboo_gateway.server import serve

EXIT_BAD_CONFIG = 2


def main() -> int:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        logging.getLogger("bamboo_gateway").error("invalid configuration: %s", exc)
        return EXIT_BAD_CONFIG
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
