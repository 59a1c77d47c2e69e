"""``preview_node_inputs``: render a node's inputs from the tree alone (SPEC §3.7).

Nothing runs and nothing is stored: the tree's declared variables (NodeOutputs with
their declared, usually empty, value) and the given parent params form the context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bamboo_core.context import Hydrator
from bamboo_core.errors import InvalidOperationError, NotFoundError
from bamboo_core.expressions import references, render
from bamboo_core.model import NodeType, VarType
from bamboo_core.records import ContextValue
from bamboo_core.variables import VariableLibrary


def preview_node_inputs(
    pipeline: Mapping[str, Any],
    node_id: str,
    subprocess_stack: Sequence[str] = (),
    root_pipeline_data: Mapping[str, Any] | None = None,
    parent_params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    root_data = dict(root_pipeline_data or {})
    hydrator = Hydrator(_context(pipeline, parent_params or {}), root_data, _compute)
    activities = pipeline.get("activities") or {}
    if subprocess_stack:
        subprocess = activities.get(subprocess_stack[0])
        if subprocess is None or subprocess.get("type") != NodeType.SUBPROCESS.value:
            raise NotFoundError(f"subprocess {subprocess_stack[0]!r} is not in pipeline {pipeline.get('id')!r}")
        params = _render_vars(subprocess.get("params") or {}, hydrator)
        return preview_node_inputs(subprocess["pipeline"], node_id, subprocess_stack[1:], root_data, params)
    node = activities.get(node_id)
    if node is None:
        raise InvalidOperationError(f"node {node_id!r} is not an activity of pipeline {pipeline.get('id')!r}")
    if node.get("type") == NodeType.SUBPROCESS.value:
        return _render_vars(node.get("params") or {}, hydrator)
    return _render_vars((node.get("component") or {}).get("inputs") or {}, hydrator)


def _context(pipeline: Mapping[str, Any], parent_params: Mapping[str, Any]) -> dict[str, ContextValue]:
    values: dict[str, ContextValue] = {}
    for key, var in ((pipeline.get("data") or {}).get("inputs") or {}).items():
        kind = VarType.PLAIN if var.get("source_act") else VarType(var.get("type", "plain"))
        values[key] = ContextValue(key, kind, var.get("value"), var.get("custom_type") or "")
    for key, value in parent_params.items():
        values[key] = ContextValue(key, VarType.PLAIN, value)
    return values


def _render_vars(variables: Mapping[str, Any], hydrator: Hydrator) -> dict[str, Any]:
    raw = {key: var.get("value") if isinstance(var, Mapping) else var for key, var in variables.items()}
    names = hydrator.hydrate(set().union(*(references(value) for value in raw.values())) if raw else set())
    return {key: render(value, names) for key, value in raw.items()}


def _compute(code: str, name: str, value: Any, root_data: Mapping[str, Any]) -> Any:
    return VariableLibrary.get_var_class(code)(name, value, {}, dict(root_data)).get_value()
