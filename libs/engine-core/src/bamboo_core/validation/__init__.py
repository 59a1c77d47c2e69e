"""Pipeline tree validation (SPEC §2.6): schema, connections, cycles, gateways, streams.

``validate_and_process_pipeline`` checks a raw tree exactly as bamboo-engine's
``build_tree`` emits it and fills in what the engine needs (``incoming`` lists,
``converge_gateway_id``). The start-position helpers answer where a run may begin.
Every failure is an ``InvalidTreeError`` subclass (``StartPositionInvalidError`` for
the helpers) naming the nodes at fault; no input makes them raise anything else.

Differences from bamboo-engine, on purpose:

* an exclusive gateway inside a parallel branch may share the parallel gateway's
  converge gateway (bamboo issue #162);
* node, flow and pipeline ids must be unique across the whole tree, a node's
  ``incoming``/``outgoing`` must agree with ``flows``, and a flow's ``id`` must equal
  its key;
* a node from which the end event cannot be reached (a loop without exit) is refused;
* nodes unreachable from the start event are reported before gateway matching;
* nothing is written into a tree that fails validation, and an exclusive gateway's
  ``converge_gateway_id`` is only written when its branches meet at one.
"""

from __future__ import annotations

from bamboo_core.validation.api import validate_and_process_pipeline
from bamboo_core.validation.fields import (
    MAX_ID_LENGTH,
    MAX_SUBPROCESS_DEPTH,
    MAX_TOTAL_FLOWS,
    MAX_TOTAL_NODES,
)
from bamboo_core.validation.start import (
    get_allowed_start_node_ids,
    get_skipped_execute_node_ids,
    validate_pipeline_start_node,
)

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_SUBPROCESS_DEPTH",
    "MAX_TOTAL_FLOWS",
    "MAX_TOTAL_NODES",
    "get_allowed_start_node_ids",
    "get_skipped_execute_node_ids",
    "validate_and_process_pipeline",
    "validate_pipeline_start_node",
]
