"""Schema sanity: turn a raw pipeline tree into a checked ``Pipeline`` or say what is wrong.

Checks every field the later passes and the engine rely on (required keys, types,
flows naming known nodes, nodes naming known flows, the two sides of every flow
agreeing) plus ids unique across the whole tree, subprocesses included. Sizes are
counted *before* anything is walked so hostile input is refused cheaply, and
subprocess nesting is bounded so no input can exhaust the stack.

Ids share one namespace: node ids, flow ids and pipeline ids (a subprocess's tree id
is its node id, by design) may not repeat anywhere in the tree, which keeps every id
in an error message, a state row or an API call unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from bamboo_core.errors import TreeSchemaError, UnknownNodeTypeError
from bamboo_core.validation.fields import (
    MAX_SUBPROCESS_DEPTH,
    MAX_TOTAL_FLOWS,
    MAX_TOTAL_NODES,
    check_id,
    check_optional,
    flow_list,
    optional_dict,
    require_dict,
    require_str,
    schema_error,
    single_flow,
    type_label,
)
from bamboo_core.validation.model import (
    ACTIVITY_KINDS,
    GATEWAY_KINDS,
    Flow,
    Node,
    NodeKind,
    Pipeline,
)

_SINGLE_OUT = frozenset({NodeKind.START, NodeKind.ACTIVITY, NodeKind.SUBPROCESS, NodeKind.CONVERGE})
_CONDITIONAL = frozenset({NodeKind.EXCLUSIVE, NodeKind.CONDITIONAL_PARALLEL})


@dataclass(slots=True)
class _Budget:
    """Whole-tree counters: sizes spent so far and every id already declared."""

    nodes: int = 0
    flows: int = 0
    ids: dict[str, str] = field(default_factory=dict)

    def spend(self, pipeline_id: str, nodes: int, flows: int) -> None:
        self.nodes += nodes
        self.flows += flows
        if self.nodes > MAX_TOTAL_NODES:
            raise schema_error(pipeline_id, "activities", f"makes the tree exceed {MAX_TOTAL_NODES} nodes")
        if self.flows > MAX_TOTAL_FLOWS:
            raise schema_error(pipeline_id, "flows", f"makes the tree exceed {MAX_TOTAL_FLOWS} flows")

    def claim(self, ident: str, what: str) -> None:
        first = self.ids.get(ident)
        if first is not None:
            raise TreeSchemaError(f"id {ident!r} is used twice: by {first} and by {what}", (ident,), "id")
        self.ids[ident] = what


def parse_tree(tree: object) -> Pipeline:
    """Check ``tree`` (and its subprocesses) and return the read-only view of it."""
    return _parse_pipeline(tree, None, 0, _Budget())


def _parse_pipeline(raw: object, node_id: str | None, depth: int, budget: _Budget) -> Pipeline:
    """One (sub)pipeline; sizes are charged to the budget before any node is read."""
    owner = node_id or ""
    if depth > MAX_SUBPROCESS_DEPTH:
        raise schema_error(owner, "pipeline", f"nests subprocesses deeper than {MAX_SUBPROCESS_DEPTH} levels")
    if not isinstance(raw, dict):
        raise schema_error(owner, "pipeline", f"must be an object, got {type_label(raw)}")
    tree = cast(dict[str, object], raw)
    pid = check_id(tree.get("id"), owner, "id")
    if node_id is None:
        budget.claim(pid, f"pipeline {pid!r}")
    elif pid != node_id:
        raise schema_error(node_id, "pipeline", f"has id {pid!r}; a subprocess tree's id must equal its node id")
    sections = [require_dict(tree, key, pid) for key in ("activities", "gateways", "flows")]
    activities, gateways, raw_flows = sections
    start_raw = require_dict(tree, "start_event", pid)
    end_raw = require_dict(tree, "end_event", pid)
    budget.spend(pid, len(activities) + len(gateways) + 2, len(raw_flows))
    flows = _parse_flows(raw_flows, pid, budget)
    nodes = _parse_nodes(start_raw, end_raw, activities, gateways, len(flows), budget)
    _check_links(nodes, flows)
    for node in nodes.values():
        _check_node_fields(node)
    children = tuple(
        _parse_pipeline(node.raw.get("pipeline"), node.id, depth + 1, budget)
        for node in nodes.values()
        if node.kind is NodeKind.SUBPROCESS
    )
    start_id = next(iter(nodes))
    end_id = next(reversed(nodes))
    return Pipeline(pid, nodes, flows, start_id, end_id, children)


def _parse_flows(raw_flows: dict[str, object], pid: str, budget: _Budget) -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    for key, value in raw_flows.items():
        key = check_id(key, pid, "flows")
        if not isinstance(value, dict):
            raise schema_error(key, "flows", f"must be an object, got {type_label(value)}")
        raw = cast(dict[str, object], value)
        if check_id(raw.get("id"), key, "id") != key:
            raise schema_error(key, "id", f"is {raw.get('id')!r} but the flow is stored under {key!r}")
        source = check_id(raw.get("source"), key, "source")
        target = check_id(raw.get("target"), key, "target")
        check_optional(raw, "is_default", key, (bool,), "a boolean")
        budget.claim(key, f"flow {key!r}")
        flows[key] = Flow(key, source, target)
    return flows


def _parse_nodes(
    start_raw: dict[str, object],
    end_raw: dict[str, object],
    activities: dict[str, object],
    gateways: dict[str, object],
    flow_count: int,
    budget: _Budget,
) -> dict[str, Node]:
    parsed = [_parse_node(start_raw, None, "start_event", flow_count)]
    parsed += [_parse_node(raw, key, "activities", flow_count) for key, raw in activities.items()]
    parsed += [_parse_node(raw, key, "gateways", flow_count) for key, raw in gateways.items()]
    parsed.append(_parse_node(end_raw, None, "end_event", flow_count))
    nodes: dict[str, Node] = {}
    for node in parsed:
        budget.claim(node.id, f"node {node.id!r}")
        nodes[node.id] = node
    return nodes


def _parse_node(value: object, key: object, section: str, flow_count: int) -> Node:
    """One node; ``key`` is its key in ``activities``/``gateways``, None for the events."""
    owner = "" if key is None else check_id(key, "", section)
    if not isinstance(value, dict):
        raise schema_error(owner, section, f"must be an object, got {type_label(value)}")
    raw = cast(dict[str, object], value)
    node_id = check_id(raw.get("id"), owner, "id" if key is not None else f"{section}.id")
    if key is not None and node_id != key:
        raise schema_error(owner, "id", f"is {node_id!r} but the node is stored under {key!r}")
    kind = _node_kind(raw, node_id, section)
    incoming = flow_list(raw, "incoming", node_id, flow_count)
    if kind in _SINGLE_OUT:
        outgoing = single_flow(raw, "outgoing", node_id)
    else:
        outgoing = flow_list(raw, "outgoing", node_id, flow_count, allow_str=kind is NodeKind.END)
    return Node(node_id, kind, cast(str, raw["type"]), incoming, outgoing, raw)


def _node_kind(raw: dict[str, object], node_id: str, section: str) -> NodeKind:
    type_name = require_str(raw, "type", node_id)
    if section == "end_event":
        return NodeKind.END  # whether this end type is registered is checked later
    if section == "start_event":
        kind = NodeKind.START if type_name == NodeKind.START.value else None
    else:
        kind = (ACTIVITY_KINDS if section == "activities" else GATEWAY_KINDS).get(type_name)
    if kind is None:
        raise UnknownNodeTypeError(f"node {node_id!r} in {section} has unknown type {type_name!r}", (node_id,))
    return kind


def _check_links(nodes: dict[str, Node], flows: dict[str, Flow]) -> None:
    """Flows name known nodes, nodes name known flows, and both sides agree."""
    for flow in flows.values():
        for end, ident in (("source", flow.source), ("target", flow.target)):
            if ident not in nodes:
                raise schema_error(flow.id, end, f"names unknown node {ident!r}")
    out_count: dict[str, int] = dict.fromkeys(nodes, 0)
    in_count: dict[str, int] = dict.fromkeys(nodes, 0)
    for flow in flows.values():
        out_count[flow.source] += 1
        in_count[flow.target] += 1
    for node in nodes.values():
        _check_side(node, "outgoing", node.outgoing, flows, out_count[node.id])
        _check_side(node, "incoming", node.incoming, flows, in_count[node.id])


def _check_side(node: Node, side: str, listed: tuple[str, ...], flows: dict[str, Flow], actual: int) -> None:
    """``listed`` (the node's own field) names exactly the ``actual`` flows that end here."""
    end = "source" if side == "outgoing" else "target"
    for flow_id in listed:
        flow = flows.get(flow_id)
        if flow is None:
            raise schema_error(node.id, side, f"names unknown flow {flow_id!r}")
        other = flow.source if end == "source" else flow.target
        if other != node.id:
            raise schema_error(node.id, side, f"lists flow {flow_id!r}, whose {end} is {other!r}")
    if actual != len(listed):
        known = set(listed)
        ends = (f for f in flows.values() if f.id not in known)
        missing = next(f.id for f in ends if (f.source if end == "source" else f.target) == node.id)
        raise schema_error(node.id, side, f"does not list flow {missing!r}, whose {end} is this node")


def _check_node_fields(node: Node) -> None:
    """The type-specific fields the engine reads when it runs the node."""
    raw, owner = node.raw, node.id
    check_optional(raw, "name", owner, (str, type(None)), "a string")
    if node.kind is NodeKind.ACTIVITY:
        _check_component(raw, owner)
        for flag in ("error_ignorable", "skippable", "retryable"):
            check_optional(raw, flag, owner, (bool,), "a boolean")
        check_optional(raw, "loop_config", owner, (dict, type(None)), "an object")
    elif node.kind is NodeKind.SUBPROCESS:
        optional_dict(raw, "params", owner)
    elif node.kind in _CONDITIONAL:
        _check_conditions(raw, owner, node.outgoing)


def _check_component(raw: dict[str, object], owner: str) -> None:
    component = require_dict(raw, "component", owner)
    # The builder leaves ``code`` null until one is set; whether a component with that
    # code is registered is the runner's question, not the tree's.
    check_optional(component, "code", owner, (str, type(None)), "a string")
    check_optional(component, "version", owner, (str, type(None)), "a string")
    optional_dict(component, "inputs", owner)


def _check_conditions(raw: dict[str, object], owner: str, flows_out: tuple[str, ...]) -> None:
    outgoing = set(flows_out)
    conditions = require_dict(raw, "conditions", owner)
    for flow_id, condition in conditions.items():
        if flow_id not in outgoing:
            raise schema_error(owner, "conditions", f"has a condition for {flow_id!r}, which is not an outgoing flow")
        if not isinstance(condition, dict):
            raise schema_error(owner, "conditions", f"entry {flow_id!r} must be an object")
        if not isinstance(cast(dict[str, object], condition).get("evaluate"), str):
            raise schema_error(owner, "conditions", f"entry {flow_id!r} needs an 'evaluate' string")
    default = optional_dict(raw, "default_condition", owner)
    if default and default.get("flow_id") not in flows_out:
        raise schema_error(owner, "default_condition", f"names {default.get('flow_id')!r}, not an outgoing flow")
    check_optional(raw, "extra_info", owner, (dict, type(None)), "an object")
