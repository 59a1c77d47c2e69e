"""``build_tree``: turn wired builder elements into a pipeline tree (SPEC §2.1).

The walk is breadth-first from the start element, so nodes and flows appear in
the tree in the order bamboo-engine's builder emits them. Each element is
emitted once however many edges reach it, which also makes cycles (an edge back
to an earlier element, used for loops) terminate. Incoming flow lists are filled
in after the walk, once every edge is known.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bamboo_core.builder.flow.activity import ServiceActivity, SubProcess
from bamboo_core.builder.flow.base import Element
from bamboo_core.builder.flow.data import Data, vars_to_dict
from bamboo_core.builder.flow.event import EmptyEndEvent, EmptyStartEvent, ExecutableEndEvent
from bamboo_core.builder.flow.gateway import ConditionGateway, ConvergeGateway, ParallelGateway
from bamboo_core.builder.ids import FLOW_PREFIX, PIPELINE_PREFIX, unique_id
from bamboo_core.errors import ConnectionValidateError, TreeSchemaError

__all__ = ["build_tree"]

Tree = dict[str, Any]
NodeDict = dict[str, Any]


def build_tree(
    start_elem: Element,
    id: str | None = None,
    data: Data | Mapping[str, Any] | None = None,
) -> Tree:
    """The pipeline tree reachable from ``start_elem``.

    ``id`` defaults to a fresh ``"p"`` id; ``data`` (a ``Data`` or a ready dict)
    defaults to ``{"inputs": {}, "outputs": []}``. Raises ``InvalidTreeError``
    subclasses for wiring the tree format cannot express (an activity with two
    successors, two end events, a subprocess without a start).
    """
    growth = _Growth()
    for elem in _breadth_first(start_elem):
        _grow(growth, elem)
    growth.attach_incoming()
    tree = growth.tree
    tree["id"] = id or unique_id(PIPELINE_PREFIX)
    tree["data"] = _data_dict(data) or tree["data"]
    return tree


def _skeleton() -> Tree:
    return {
        "id": None,
        "start_event": None,
        "end_event": None,
        "activities": {},
        "gateways": {},
        "flows": {},
        "data": {"inputs": {}, "outputs": []},
    }


@dataclass(slots=True)
class _Growth:
    """The tree being built plus what is only known once the walk ends."""

    tree: Tree = field(default_factory=_skeleton)
    # node id -> flow ids into it, in the order the flows were created
    incoming: dict[str, list[str]] = field(default_factory=dict)
    # node id -> its emitted dict, so incoming lists can be attached at the end
    nodes: dict[str, NodeDict] = field(default_factory=dict)

    def add_flows(self, elem: Element) -> list[str]:
        """Create one flow per outgoing edge of ``elem``, in edge order."""
        flow_ids: list[str] = []
        for target in elem.outgoing:
            flow_id = unique_id(FLOW_PREFIX)
            self.tree["flows"][flow_id] = {
                "id": flow_id,
                "source": elem.id,
                "target": target.id,
                "is_default": False,
            }
            self.incoming.setdefault(target.id, []).append(flow_id)
            flow_ids.append(flow_id)
        return flow_ids

    def attach_incoming(self) -> None:
        for node_id, node in self.nodes.items():
            flows = list(self.incoming.get(node_id, []))
            if node["type"] == "EmptyStartEvent":
                # The start event's schema field is a string; an edge into it is
                # kept visible (as bamboo-engine does) so validation can reject it.
                node["incoming"] = flows[0] if len(flows) == 1 else (flows or "")
            else:
                node["incoming"] = flows


def _breadth_first(start: Element) -> Iterator[Element]:
    """Every element reachable from ``start``, once each, nearest first."""
    queue: deque[Element] = deque([start])
    seen: set[str] = set()
    while queue:
        elem = queue.popleft()
        if elem.id in seen:
            continue
        seen.add(elem.id)
        queue.extend(elem.outgoing)
        yield elem


def _grow(growth: _Growth, elem: Element) -> None:
    flows = growth.add_flows(elem)
    section, emit = _emitter_for(elem)
    node = emit(elem, flows)
    growth.nodes[elem.id] = node
    tree = growth.tree
    if section in ("start_event", "end_event"):
        if tree[section] is not None:
            raise TreeSchemaError(
                f"a pipeline has one {section}; found {tree[section]['id']} and {elem.id}",
                (tree[section]["id"], elem.id),
                field=section,
            )
        tree[section] = node
    else:
        tree[section][elem.id] = node


def _single_outgoing(elem: Element, flows: list[str]) -> str:
    """The one flow leaving a non-forking node ("" when it has none yet)."""
    if len(flows) > 1:
        raise ConnectionValidateError(
            [elem.id], f"a {elem.type()} has at most one outgoing flow, got {len(flows)}"
        )
    return flows[0] if flows else ""


def _header(elem: Element) -> NodeDict:
    """Fields every node shares; ``incoming`` is filled in after the walk."""
    return {"id": elem.id, "type": elem.type(), "name": elem.name, "incoming": []}


def _start_event(elem: Element, flows: list[str]) -> NodeDict:
    return {**_header(elem), "incoming": "", "outgoing": _single_outgoing(elem, flows)}


def _end_event(elem: Element, flows: list[str]) -> NodeDict:
    if flows:
        raise ConnectionValidateError([elem.id], "an end event has no outgoing flow")
    return {**_header(elem), "outgoing": ""}


def _service_activity(elem: Element, flows: list[str]) -> NodeDict:
    assert isinstance(elem, ServiceActivity)
    node = {
        **_header(elem),
        "outgoing": _single_outgoing(elem, flows),
        "component": elem.component_dict(),
        "error_ignorable": elem.error_ignorable,
        "skippable": elem.skippable,
        "retryable": elem.retryable,
        "timeout": elem.timeout,
        "optional": False,
    }
    if elem.loop_config is not None:
        node["loop_config"] = dict(elem.loop_config)
    return node


def _subprocess(elem: Element, flows: list[str]) -> NodeDict:
    assert isinstance(elem, SubProcess)
    if elem.start is None:
        raise TreeSchemaError(f"SubProcess {elem.id} has no start element", (elem.id,), field="start")
    return {
        **_header(elem),
        "outgoing": _single_outgoing(elem, flows),
        "params": elem.params_dict(),
        # The child tree's id is the node id: it is the child's scope id at run time.
        "pipeline": build_tree(elem.start, id=elem.id, data=elem.data),
    }


def _parallel_gateway(elem: Element, flows: list[str]) -> NodeDict:
    return {**_header(elem), "outgoing": flows}


def _condition_gateway(elem: Element, flows: list[str]) -> NodeDict:
    assert isinstance(elem, ConditionGateway)
    node = {
        **_header(elem),
        "outgoing": flows,
        "conditions": elem.link_conditions_with(flows),
        "default_condition": elem.link_default_condition_with(flows),
    }
    if elem.extra_info is not None:
        node["extra_info"] = dict(elem.extra_info)
    return node


def _converge_gateway(elem: Element, flows: list[str]) -> NodeDict:
    return {**_header(elem), "outgoing": _single_outgoing(elem, flows)}


_Emitter = Callable[[Element, list[str]], NodeDict]

# Checked in order: the first matching class decides the tree section and shape.
_EMITTERS: tuple[tuple[type[Element], str, _Emitter], ...] = (
    (EmptyStartEvent, "start_event", _start_event),
    (EmptyEndEvent, "end_event", _end_event),
    (ExecutableEndEvent, "end_event", _end_event),
    (ServiceActivity, "activities", _service_activity),
    (SubProcess, "activities", _subprocess),
    (ParallelGateway, "gateways", _parallel_gateway),
    (ConditionGateway, "gateways", _condition_gateway),
    (ConvergeGateway, "gateways", _converge_gateway),
)


def _emitter_for(elem: Element) -> tuple[str, _Emitter]:
    for cls, section, emit in _EMITTERS:
        if isinstance(elem, cls):
            return section, emit
    raise TreeSchemaError(
        f"{elem!r} is not a builder node type", (elem.id,), field="type"
    )


def _data_dict(data: Data | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The tree form of pipeline data; ``Var`` objects in a plain dict are serialised too."""
    if data is None:
        return None
    if isinstance(data, Data):
        return data.to_dict()
    result = dict(data)
    inputs = result.get("inputs")
    if isinstance(inputs, Mapping):
        result["inputs"] = vars_to_dict(inputs)
    return result
