"""The pipeline builder, re-exported: ``from bamboo_sdk.builder import *`` works as
``from bamboo_core.builder import *`` (and as bamboo-engine's ``from bamboo_engine.builder import *``)."""

from __future__ import annotations

from bamboo_core.builder import *  # noqa: F403 - a re-export by design
from bamboo_core.builder import __all__ as __all__  # noqa: PLE0604
