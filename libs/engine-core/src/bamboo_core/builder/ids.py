"""Id generation for built trees.

bamboo-engine's builder makes 33-character ids: a one-letter kind prefix plus a
uuid4 in hex (``"p"`` pipelines, ``"e"`` elements, ``"f"`` flows). The reference
runtime stores ids in 33-character columns, so the length is part of the contract.
"""

from __future__ import annotations

import uuid

PIPELINE_PREFIX = "p"
ELEMENT_PREFIX = "e"
FLOW_PREFIX = "f"


def unique_id(prefix: str) -> str:
    """A fresh id: ``prefix`` followed by 32 hex digits of a random uuid."""
    return f"{prefix}{uuid.uuid4().hex}"
