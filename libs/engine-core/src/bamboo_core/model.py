"""The typed, immutable model of a validated pipeline tree.

The engine never walks the raw tree dict at run time: ``build_model`` flattens the tree
(subprocesses included) into one map of node definitions plus one ``Scope`` per
pipeline (the root and every subprocess), so a step finds everything about its node
with one dict lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from bamboo_core.errors import TreeSchemaError


class NodeType(str, Enum):
    EMPTY_START_EVENT = "EmptyStartEvent"
    EMPTY_END_EVENT = "EmptyEndEvent"
    EXECUTABLE_END_EVENT = "ExecutableEndEvent"
    SERVICE_ACTIVITY = "ServiceActivity"
    SUBPROCESS = "SubProcess"
    EXCLUSIVE_GATEWAY = "ExclusiveGateway"
    PARALLEL_GATEWAY = "ParallelGateway"
    CONDITIONAL_PARALLEL_GATEWAY = "ConditionalParallelGateway"
    CONVERGE_GATEWAY = "ConvergeGateway"


class VarType(str, Enum):
    PLAIN = "plain"
    SPLICE = "splice"
    LAZY = "lazy"


@dataclass(frozen=True, slots=True)
class DataInput:
    """A node input as stored: its raw value and whether it is rendered."""

    need_render: bool
    value: Any


@dataclass(frozen=True, slots=True)
class Condition:
    flow_id: str
    expression: str
    target_id: str


@dataclass(frozen=True, slots=True)
class NodeDef:
    """One node of the flattened tree; fields unused by a type keep their defaults."""

    id: str
    type: NodeType
    name: str
    scope_id: str
    targets: tuple[tuple[str, str], ...] = ()  # (flow_id, target node id) in outgoing order
    can_skip: bool = False
    can_retry: bool = True
    error_ignorable: bool = False
    code: str = ""  # component code, or the custom end event type
    version: str = "legacy"
    inputs: Mapping[str, DataInput] = field(default_factory=dict)
    # source key -> context keys it is copied to when the node completes
    outputs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()
    default_flow: tuple[str, str] | None = None  # (flow_id, target id)
    extra_info: Mapping[str, Any] = field(default_factory=dict)
    converge_gateway_id: str = ""
    start_event_id: str = ""  # SubProcess: its child's start event

    @property
    def next_id(self) -> str:
        return self.targets[0][1]


@dataclass(frozen=True, slots=True)
class ContextSeed:
    """A context variable as declared in the tree, before the run stores it."""

    key: str
    type: VarType
    value: Any
    code: str = ""


@dataclass(frozen=True, slots=True)
class Scope:
    """One pipeline: the root, or a subprocess (whose id is the SubProcess node id)."""

    id: str
    parent_id: str  # "" for the root
    start_event_id: str
    end_event_id: str
    seeds: tuple[ContextSeed, ...]
    outputs: tuple[str, ...]
    pre_render_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PipelineModel:
    root_id: str
    nodes: Mapping[str, NodeDef]
    scopes: Mapping[str, Scope]
    tree: Mapping[str, Any]  # the validated tree, kept for preview and re-export

    def node(self, node_id: str) -> NodeDef:
        return self.nodes[node_id]


def build_model(tree: Mapping[str, Any]) -> PipelineModel:
    """Flatten a tree that ``validation.validate_and_process_pipeline`` accepted."""
    nodes: dict[str, NodeDef] = {}
    scopes: dict[str, Scope] = {}
    _add_scope(tree, "", nodes, scopes)
    return PipelineModel(root_id=tree["id"], nodes=nodes, scopes=scopes, tree=tree)


def _add_scope(
    tree: Mapping[str, Any], parent_id: str, nodes: dict[str, NodeDef], scopes: dict[str, Scope]
) -> None:
    scope_id = tree["id"]
    flows = tree["flows"]
    seeds: list[ContextSeed] = []
    # Output mappings point at source nodes; collect them before building those nodes.
    mappings: dict[str, dict[str, list[str]]] = {}
    for key, var in (tree.get("data") or {}).get("inputs", {}).items():
        _declare_context_input(key, var, seeds, mappings)

    start = tree["start_event"]
    nodes[start["id"]] = NodeDef(
        id=start["id"], type=NodeType.EMPTY_START_EVENT, name=start.get("name") or "",
        scope_id=scope_id, targets=_targets(start, flows), can_skip=True,
    )
    end = tree["end_event"]
    end_type = end.get("type", NodeType.EMPTY_END_EVENT.value)
    is_empty_end = end_type == NodeType.EMPTY_END_EVENT.value
    nodes[end["id"]] = NodeDef(
        id=end["id"],
        type=NodeType.EMPTY_END_EVENT if is_empty_end else NodeType.EXECUTABLE_END_EVENT,
        name=end.get("name") or "", scope_id=scope_id, code="" if is_empty_end else end_type,
    )
    for act in tree.get("activities", {}).values():
        if act["type"] == NodeType.SUBPROCESS.value:
            _add_scope(act["pipeline"], scope_id, nodes, scopes)
            nodes[act["id"]] = _subprocess_node(act, scope_id, flows, mappings, seeds)
        else:
            nodes[act["id"]] = _activity_node(act, scope_id, flows, mappings, seeds)
    for gw in tree.get("gateways", {}).values():
        nodes[gw["id"]] = _gateway_node(gw, scope_id, flows)

    data = tree.get("data") or {}
    scopes[scope_id] = Scope(
        id=scope_id, parent_id=parent_id, start_event_id=start["id"], end_event_id=end["id"],
        seeds=tuple(seeds), outputs=tuple(data.get("outputs") or ()),
        pre_render_keys=tuple(data.get("pre_render_keys") or ()),
    )


def _declare_context_input(
    key: str, var: Mapping[str, Any], seeds: list[ContextSeed], mappings: dict[str, dict[str, list[str]]]
) -> None:
    source = var.get("source_act")
    if source:
        pairs = source if isinstance(source, list) else [{"source_act": source, "source_key": var["source_key"]}]
        for pair in pairs:
            mappings.setdefault(pair["source_act"], {}).setdefault(pair["source_key"], []).append(key)
        if not var.get("need_initialization"):
            return
        seeds.append(ContextSeed(key=key, type=VarType.PLAIN, value=var.get("value")))
        return
    seeds.append(
        ContextSeed(key=key, type=_var_type(var, key), value=var.get("value"), code=var.get("custom_type") or "")
    )


def _var_type(var: Mapping[str, Any], key: str) -> VarType:
    try:
        return VarType(var.get("type", "plain"))
    except ValueError:
        raise TreeSchemaError(f"variable {key!r} has unknown type {var.get('type')!r}", field=key) from None


def _targets(node: Mapping[str, Any], flows: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    outgoing = node.get("outgoing") or []
    if isinstance(outgoing, str):
        outgoing = [outgoing]
    return tuple((flow_id, flows[flow_id]["target"]) for flow_id in outgoing)


def assemble_inputs(
    owner_id: str, raw: Mapping[str, Any], seeds: list[ContextSeed]
) -> dict[str, DataInput]:
    """Turn declared vars into node Data inputs (SPEC §3.2).

    A lazy input becomes a COMPUTE context value ``${<key>_<node id>}`` in the node's
    scope, and the input becomes a reference to it, so it is computed when rendered.
    """
    inputs: dict[str, DataInput] = {}
    for key, var in raw.items():
        if not isinstance(var, Mapping):
            raise TreeSchemaError(f"input {key!r} of node {owner_id!r} must be an object", (owner_id,), key)
        kind = _var_type(var, key)
        need_render = kind is not VarType.PLAIN
        value = var.get("value")
        if kind is VarType.LAZY:
            bare = key[2:-1] if key.startswith("${") and key.endswith("}") else key
            ref = f"${{{bare}_{owner_id}}}"
            seeds.append(ContextSeed(key=ref, type=VarType.LAZY, value=value, code=var.get("custom_type") or ""))
            value = ref
        if var.get("need_render") is False:
            need_render = False
        inputs[key] = DataInput(need_render=need_render, value=value)
    return inputs


def _activity_node(
    act: Mapping[str, Any], scope_id: str, flows: Mapping[str, Any],
    mappings: dict[str, dict[str, list[str]]], seeds: list[ContextSeed],
) -> NodeDef:
    component = act.get("component") or {}
    return NodeDef(
        id=act["id"], type=NodeType.SERVICE_ACTIVITY, name=act.get("name") or "", scope_id=scope_id,
        targets=_targets(act, flows), can_skip=bool(act.get("skippable", True)),
        can_retry=bool(act.get("retryable", True)), error_ignorable=bool(act.get("error_ignorable", False)),
        code=component.get("code") or "", version=component.get("version") or "legacy",
        inputs=assemble_inputs(act["id"], component.get("inputs") or {}, seeds),
        outputs=_freeze_mapping(mappings.get(act["id"], {})),
    )


def _subprocess_node(
    act: Mapping[str, Any], scope_id: str, flows: Mapping[str, Any],
    mappings: dict[str, dict[str, list[str]]], seeds: list[ContextSeed],
) -> NodeDef:
    # Lazy params become COMPUTE values of the *parent* scope, like activity inputs.
    inputs = assemble_inputs(act["id"], act.get("params") or {}, seeds)
    return NodeDef(
        id=act["id"], type=NodeType.SUBPROCESS, name=act.get("name") or "", scope_id=scope_id,
        targets=_targets(act, flows), inputs=inputs, outputs=_freeze_mapping(mappings.get(act["id"], {})),
        start_event_id=act["pipeline"]["start_event"]["id"],
    )


def _gateway_node(gw: Mapping[str, Any], scope_id: str, flows: Mapping[str, Any]) -> NodeDef:
    kind = NodeType(gw["type"])
    targets = _targets(gw, flows)
    target_of = dict(targets)
    conditions = tuple(
        Condition(flow_id=flow_id, expression=str(cond.get("evaluate", "")), target_id=target_of[flow_id])
        for flow_id, cond in (gw.get("conditions") or {}).items()
        if flow_id in target_of
    )
    # Conditions are evaluated in outgoing order, whatever order the dict had.
    order = {flow_id: i for i, (flow_id, _) in enumerate(targets)}
    conditions = tuple(sorted(conditions, key=lambda c: order[c.flow_id]))
    default = (gw.get("default_condition") or {}).get("flow_id")
    return NodeDef(
        id=gw["id"], type=kind, name=gw.get("name") or "", scope_id=scope_id, targets=targets,
        can_skip=kind is NodeType.EXCLUSIVE_GATEWAY, conditions=conditions,
        default_flow=(default, target_of[default]) if default in target_of else None,
        extra_info=dict(gw.get("extra_info") or {}), converge_gateway_id=gw.get("converge_gateway_id") or "",
    )


def _freeze_mapping(mapping: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {source: tuple(keys) for source, keys in mapping.items()}
