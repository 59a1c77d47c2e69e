"""Tree helper shared by the test_validation_* files (no tests here; no bamboo_core.builder).

``make_tree("start>A>PG; PG>B>CG; PG>C>CG; CG>end")`` builds the raw dict that
bamboo-engine's ``build_tree`` would emit. A node's kind comes from its name (the part
after the last "."): ``start*``, ``end*``, ``PG*``, ``CPG*``, ``EG*``, ``CG*``, ``SP*``
(a subprocess whose tree is given in ``subs``); anything else is a ServiceActivity.
Flow ids are ``"<pipeline>:<source>><target>"``.
"""

from __future__ import annotations

from typing import Any

Tree = dict[str, Any]

_GATEWAYS = {
    "CPG": "ConditionalParallelGateway",
    "PG": "ParallelGateway",
    "EG": "ExclusiveGateway",
    "CG": "ConvergeGateway",
}
_MULTI_OUT = {"ParallelGateway", "ConditionalParallelGateway", "ExclusiveGateway"}


def kind_of(name: str) -> str:
    short = name.rsplit(".", 1)[-1]
    if short.startswith("start"):
        return "EmptyStartEvent"
    if short.startswith("end"):
        return "EmptyEndEvent"
    for prefix, kind in _GATEWAYS.items():
        if short.startswith(prefix):
            return kind
    return "SubProcess" if short.startswith("SP") else "ServiceActivity"


def make_tree(
    spec: str, pid: str = "root", subs: dict[str, Tree] | None = None, end_type: str = "EmptyEndEvent"
) -> Tree:
    nodes: dict[str, Tree] = {}
    flows: dict[str, Tree] = {}
    for chain in spec.split(";"):
        names = [name.strip() for name in chain.split(">")]
        for name in names:
            if name not in nodes:
                nodes[name] = _node(name, subs or {}, end_type)
        for source, target in zip(names, names[1:]):
            _link(nodes, flows, pid, source, target)
    for node in nodes.values():
        if node["type"] in ("ExclusiveGateway", "ConditionalParallelGateway"):
            node["conditions"] = {f: {"evaluate": "True == True"} for f in node["outgoing"]}
            node["default_condition"] = {}
    return _assemble(pid, nodes, flows)


def _node(name: str, subs: dict[str, Tree], end_type: str) -> Tree:
    kind = kind_of(name)
    node: Tree = {"id": name, "type": kind, "name": name, "incoming": [], "outgoing": ""}
    if kind == "EmptyStartEvent":
        node["incoming"] = ""
    elif kind == "EmptyEndEvent":
        node["type"] = end_type
    elif kind in _MULTI_OUT:
        node["outgoing"] = []
    elif kind == "ServiceActivity":
        node.update(component={"code": "debug", "inputs": {}}, error_ignorable=False, skippable=True, retryable=True)
    elif kind == "SubProcess":
        node.update(pipeline=subs[name], params={})
    return node


def _link(nodes: dict[str, Tree], flows: dict[str, Tree], pid: str, source: str, target: str) -> None:
    flow_id = f"{pid}:{source}>{target}"
    while flow_id in flows:
        flow_id += "'"
    flows[flow_id] = {"id": flow_id, "source": source, "target": target, "is_default": False}
    if isinstance(nodes[source]["outgoing"], list):
        nodes[source]["outgoing"].append(flow_id)
    else:
        assert nodes[source]["outgoing"] == "", f"{source} already has an outgoing flow"
        nodes[source]["outgoing"] = flow_id
    if nodes[target]["incoming"] == "":
        nodes[target]["incoming"] = []
    nodes[target]["incoming"].append(flow_id)


def _assemble(pid: str, nodes: dict[str, Tree], flows: dict[str, Tree]) -> Tree:
    tree: Tree = {"id": pid, "activities": {}, "gateways": {}, "flows": flows}
    tree["data"] = {"inputs": {}, "outputs": []}
    for name, node in nodes.items():
        if node["type"] == "EmptyStartEvent":
            tree["start_event"] = node
        elif name.rsplit(".", 1)[-1].startswith("end"):
            tree["end_event"] = node
        elif node["type"] in ("ServiceActivity", "SubProcess"):
            tree["activities"][name] = node
        else:
            tree["gateways"][name] = node
    return tree


def flow(tree: Tree, source: str, target: str) -> str:
    """The id of the first flow from ``source`` to ``target``."""
    return next(f for f, v in tree["flows"].items() if v["source"] == source and v["target"] == target)


def parallel_block(width: int, length: int, prefix: str = "") -> str:
    """start > PG > ``width`` branches of ``length`` activities > CG > end."""
    chains = []
    for b in range(width):
        names = [f"{prefix}a{b}_{i}" for i in range(length)]
        chains.append(">".join([f"{prefix}PG", *names, f"{prefix}CG"]))
    return f"{prefix}start>{prefix}PG; " + "; ".join(chains) + f"; {prefix}CG>{prefix}end"
