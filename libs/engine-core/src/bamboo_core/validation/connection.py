"""Connection rules (SPEC §2.6.1): in/out degree per node type and forbidden edges.

The rules are a table so that a reader can check them against the spec at a glance.
Every broken node is reported at once (not only the first) because a tree editor
wants to highlight all of them.
"""

from __future__ import annotations

from collections.abc import Collection

from bamboo_core.errors import ConnectionValidateError, UnknownNodeTypeError
from bamboo_core.validation.model import NodeKind, Pipeline

MAX_DEGREE = 1000

# kind -> (min in, max in, min out, max out)
_DEGREES: dict[NodeKind, tuple[int, int, int, int]] = {
    NodeKind.START: (0, 0, 1, 1),
    NodeKind.END: (1, MAX_DEGREE, 0, 0),
    NodeKind.ACTIVITY: (1, MAX_DEGREE, 1, 1),
    NodeKind.SUBPROCESS: (1, MAX_DEGREE, 1, 1),
    NodeKind.CONVERGE: (1, MAX_DEGREE, 1, 1),
    NodeKind.PARALLEL: (1, MAX_DEGREE, 1, MAX_DEGREE),
    NodeKind.CONDITIONAL_PARALLEL: (1, MAX_DEGREE, 1, MAX_DEGREE),
    NodeKind.EXCLUSIVE: (1, MAX_DEGREE, 1, MAX_DEGREE),
}


def check_end_event_type(pipeline: Pipeline, end_event_types: Collection[str]) -> None:
    """The end event is ``EmptyEndEvent`` or a custom end type someone registered."""
    end = pipeline.nodes[pipeline.end_id]
    if end.type_name != NodeKind.END.value and end.type_name not in end_event_types:
        raise UnknownNodeTypeError(
            f"end event {end.id!r} has type {end.type_name!r}, which is neither EmptyEndEvent "
            "nor a registered end event type",
            (end.id,),
        )


def check_connections(pipeline: Pipeline) -> None:
    """Raise ``ConnectionValidateError`` listing every node that breaks a rule."""
    problems: dict[str, list[str]] = {}
    for node in pipeline.nodes.values():
        found = _degree_problems(node.kind, len(node.incoming), len(node.outgoing))
        for _, target in pipeline.targets(node.id):
            target_kind = pipeline.nodes[target].kind
            if target_kind is NodeKind.START:
                found.append("must not point to the start event")
            elif node.kind is NodeKind.START and target_kind is NodeKind.END:
                found.append("must not point straight to the end event")
        if found:
            problems[node.id] = found
    if problems:
        detail = "; ".join(f"{node_id}: {', '.join(found)}" for node_id, found in problems.items())
        raise ConnectionValidateError(list(problems), detail)


def _degree_problems(kind: NodeKind, n_in: int, n_out: int) -> list[str]:
    min_in, max_in, min_out, max_out = _DEGREES[kind]
    found: list[str] = []
    if not min_in <= n_in <= max_in:
        found.append(f"{_label(kind)} needs {_bounds(min_in, max_in)} incoming flows, has {n_in}")
    if not min_out <= n_out <= max_out:
        found.append(f"{_label(kind)} needs {_bounds(min_out, max_out)} outgoing flows, has {n_out}")
    return found


def _bounds(low: int, high: int) -> str:
    return str(low) if low == high else f"{low} to {high}"


def _label(kind: NodeKind) -> str:
    if kind is NodeKind.START:
        return "the start event"
    return "the end event" if kind is NodeKind.END else kind.value
