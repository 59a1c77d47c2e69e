"""``validate_and_process_pipeline``: check a whole tree, then write bamboo's results into it."""

from __future__ import annotations

from collections.abc import Collection

from bamboo_core.validation.analysis import Analysis, analyse
from bamboo_core.validation.model import FORK_KINDS, NodeKind, Pipeline
from bamboo_core.validation.schema import parse_tree


def validate_and_process_pipeline(
    tree: dict[str, object],
    cycle_tolerate: bool = False,
    end_event_types: Collection[str] = (),
) -> None:
    """Validate ``tree`` (subprocesses first) and mutate it the way bamboo-engine does.

    Raises an ``InvalidTreeError`` subclass naming the nodes (and, for schema errors,
    the field) at fault. On success every node's ``incoming`` is a list and every
    parallel / conditional-parallel gateway carries ``converge_gateway_id`` (exclusive
    gateways too when their branches meet at one). Nothing is written unless the whole
    tree is valid, so a rejected tree is left exactly as given.
    """
    if isinstance(end_event_types, str):  # a lone name, not a collection of letters
        end_event_types = (end_event_types,)
    elif end_event_types is None:  # not "accept any", which ``analyse`` reads None as
        end_event_types = ()
    root = parse_tree(tree)
    checked = [(pipeline, analyse(pipeline, cycle_tolerate, end_event_types)) for pipeline in root.walk()]
    for pipeline, analysis in checked:
        _apply(pipeline, analysis)


def _apply(pipeline: Pipeline, analysis: Analysis) -> None:
    for node in pipeline.nodes.values():
        if not isinstance(node.raw["incoming"], list):
            node.raw["incoming"] = list(node.incoming)
        matched = analysis.converge.get(node.id)
        if node.kind in FORK_KINDS or (node.kind is NodeKind.EXCLUSIVE and matched):
            node.raw["converge_gateway_id"] = matched
