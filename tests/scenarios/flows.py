"""Tree-building and waiting helpers shared by the SPEC §8 scenarios 40–80.

Scenarios name every node explicitly ("A", "EG", "T1" …) so assertions read like the
scenario text. Everything here builds trees with the bamboo-engine compatible builder
or reads through the public API, so scenarios stay runtime-agnostic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bamboo_core.builder import (
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_core.builder.flow.base import Element
from bamboo_core.states import State

if TYPE_CHECKING:
    from tests.scenarios.harness import Harness

FINISHED = State.FINISHED.value

LETTERS = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t"


def plain(value: Any) -> Var:
    return Var(type=Var.PLAIN, value=value)


def splice(value: str) -> Var:
    return Var(type=Var.SPLICE, value=value)


def act(node_id: str, code: str = "debug", *, inputs: Mapping[str, Any] | None = None, **flags: Any) -> ServiceActivity:
    """A ServiceActivity; plain values in ``inputs`` become ``Var.PLAIN`` (Var objects pass through)."""
    node = ServiceActivity(component_code=code, id=node_id, **flags)
    for key, value in (inputs or {}).items():
        node.component.inputs[key] = value if isinstance(value, Var) else plain(value)
    return node


def timer(node_id: str, seconds: int = 3) -> ServiceActivity:
    return act(node_id, "timer", inputs={"bk_timing": seconds})


@dataclass(frozen=True, slots=True)
class Block:
    """A wired sub-graph entered at ``head`` and left from ``tail`` (e.g. PG … CG)."""

    head: Element
    tail: Element


Piece = Element | Block


def _ends(piece: Piece) -> tuple[Element, Element]:
    return (piece.head, piece.tail) if isinstance(piece, Block) else (piece, piece)


def chain(first: Piece, *rest: Piece) -> Element:
    """Wire ``first → rest[0] → rest[1] …`` (blocks enter at head, leave at tail); return the last tail."""
    current = _ends(first)[1]
    for piece in rest:
        head, tail = _ends(piece)
        current.extend(head)
        current = tail
    return current


def line(*nodes: Piece, start_id: str = "start", end_id: str = "end") -> EmptyStartEvent:
    """``start → nodes… → end`` with the given start/end ids; returns the start event."""
    start = EmptyStartEvent(id=start_id)
    chain(start, *nodes, EmptyEndEvent(id=end_id))
    return start


def tree(start: Element, pipeline_id: str = "P", data: Data | None = None) -> dict[str, Any]:
    return build_tree(start, id=pipeline_id, data=data)


def context_data(values: Mapping[str, Any], outputs: Iterable[str] = ()) -> Data:
    """A pipeline ``Data``: plain values become ``Var.PLAIN``; Var objects pass through."""
    data = Data(outputs=list(outputs))
    for key, value in values.items():
        data.inputs[key] = value if isinstance(value, Var) else plain(value)
    return data


def subprocess(sp_id: str, *nodes: Piece, data: Data | None = None,
               params: Mapping[str, Any] | None = None) -> SubProcess:
    """A SubProcess whose child is ``<sp_id>_start → nodes… → <sp_id>_end``."""
    child = line(*nodes, start_id=f"{sp_id}_start", end_id=f"{sp_id}_end")
    return SubProcess(start=child, data=data, params=dict(params or {}), id=sp_id)


def raising_subprocess(sp_id: str) -> SubProcess:
    """A subprocess whose param ``${p}`` is a lazy ``raise_variable``: entering it fails (scenarios 48, 51)."""
    data = Data()
    data.inputs["${p}"] = DataInput(type=Var.PLAIN, value="default")
    params = {"${p}": Var(type=Var.LAZY, value="boom", custom_type="raise_variable")}
    return subprocess(sp_id, act(f"{sp_id}_A"), data=data, params=params)


def fork(gateway: Element, converge: Element, *branches: Piece | tuple[Piece, ...]) -> Block:
    """``gateway → [branch…] → converge``; a tuple branch is a series; branch order = outgoing order."""
    for branch in branches:
        pieces = branch if isinstance(branch, tuple) else (branch,)
        gateway.extend(_ends(pieces[0])[0])
        chain(*pieces).extend(converge)
    return Block(gateway, converge)


def parallel(pg_id: str, cg_id: str, *branches: Piece | tuple[Piece, ...]) -> Block:
    return fork(ParallelGateway(id=pg_id), ConvergeGateway(id=cg_id), *branches)


def nested_timer_parallel(seconds: int = 3) -> EmptyStartEvent:
    """``start → PG1 → [PG2 → [T1→D1, T2→D2, T3→D3] → CG2, T4→D4, T5→D5] → CG1 → end``.

    Every Tn is a timer(seconds) and every Dn a debug activity reached after it.
    """
    inner = parallel("PG2", "CG2", *[(timer(f"T{i}", seconds), act(f"D{i}")) for i in (1, 2, 3)])
    outer = parallel("PG1", "CG1", inner, *[(timer(f"T{i}", seconds), act(f"D{i}")) for i in (4, 5)])
    return line(outer)


NESTED_TIMERS = [f"T{i}" for i in range(1, 6)]
NESTED_DEBUGS = [f"D{i}" for i in range(1, 6)]


def flow_between(pipeline: Mapping[str, Any], source: str, target: str) -> str:
    """The id of the flow ``source → target`` in ``pipeline`` or any subprocess tree in it."""
    for flow in pipeline["flows"].values():
        if flow["source"] == source and flow["target"] == target:
            return str(flow["id"])
    for node in pipeline["activities"].values():
        if node["type"] == "SubProcess":
            try:
                return flow_between(node["pipeline"], source, target)
            except KeyError:
                continue
    raise KeyError(f"no flow {source} -> {target}")


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll ``predicate`` in real time (for components that really sleep)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def assert_states(h: Harness, expected: Mapping[str, str | None]) -> None:
    """Each node's state is as given (None = the node never got a state)."""
    actual = {node_id: h.state(node_id) for node_id in expected}
    assert actual == dict(expected)


def assert_all_finished(h: Harness, root_id: str, *, count: int | None = None) -> None:
    """Every state in the pipeline (root included) is FINISHED; optionally exactly ``count`` of them."""
    states = h.states(root_id)
    assert {node: state for node, state in states.items() if state != FINISHED} == {}
    if count is not None:
        assert len(states) == count, sorted(states)
