"""Shared tree-building helpers and expectations for SPEC §8 scenarios 1–39.

Scenarios stay readable when the trees use short explicit ids ("A", "EG", ...)
and when the shapes that recur (a debug activity, a one-activity subprocess, a
gateway fanning out to debug activities) are built by name. Everything here
produces builder elements or plain expected values; the scenarios themselves
still drive the runtime through ``Harness`` and ``bamboo_core.api`` only, so
they can later run against a cluster.

The scenarios' own end events and lazy variable live in ``components.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from bamboo_core.builder import (
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    Params,
    ServiceActivity,
    SubProcess,
    Var,
    build_tree,
)
from bamboo_core.builder.flow.base import Element
from bamboo_core.clock import ManualClock
from bamboo_core.engine import EngineConfig
from bamboo_core.runtime import InMemoryRuntime
from tests.scenarios.harness import Harness

# The engine's own pair of inputs/outputs on a first execution (RERUN_INDEX_OFFSET 0).
LOOP1: dict[str, int] = {"_loop": 1, "_inner_loop": 1}
NO_BRANCH = "all conditions of branches are not meet"

# -- variables -----------------------------------------------------------------------


def plain(value: Any) -> Var:
    return Var(type=Var.PLAIN, value=value)


def splice(value: Any) -> Var:
    return Var(type=Var.SPLICE, value=value)


def lazy(code: str, value: Any) -> Var:
    return Var(type=Var.LAZY, value=value, custom_type=code)


def data(inputs: Mapping[str, Var] | None = None, outputs: Sequence[str] = (),
         pre_render_keys: Sequence[str] = ()) -> Data:
    """A pipeline's ``Data`` from ``{"${key}": Var}`` (keys written in full, as in the tree)."""
    result = Data(outputs=list(outputs), pre_render_keys=list(pre_render_keys))
    for key, var in (inputs or {}).items():
        result.inputs[key] = var
    return result


def params(values: Mapping[str, Var]) -> Params:
    return Params(dict(values))


def data_input(value: Any, kind: str = Var.PLAIN) -> DataInput:
    return DataInput(type=kind, value=value)


# -- elements ------------------------------------------------------------------------


def act(code: str, id: str, **inputs: Any) -> ServiceActivity:
    """A ServiceActivity; plain values become plain inputs, ``Var`` values are kept."""
    activity = ServiceActivity(component_code=code, id=id)
    for key, value in inputs.items():
        activity.component.inputs[key] = value if isinstance(value, Var) else plain(value)
    return activity


def debug(id: str, **inputs: Any) -> ServiceActivity:
    """The ``debug`` test component (copies inputs to outputs, one poll)."""
    return act("debug", id, **inputs)


def chain(*elements: Element) -> Element:
    """Wire ``a → b → c ...`` and return the last element."""
    for source, target in zip(elements, elements[1:], strict=False):
        source.extend(target)
    return elements[-1]


def fan_out(gateway: Element, branches: Sequence[Element], converge: ConvergeGateway) -> ConvergeGateway:
    """Connect ``gateway`` to every branch head and join every branch tail into ``converge``."""
    gateway.connect(*branches)
    gateway.converge(converge)
    return converge


def simple_subprocess(sp_id: str, *, inner: Element | None = None, sp_data: Data | None = None,
                      sp_params: Mapping[str, Var] | None = None) -> SubProcess:
    """A SubProcess ``<sp>_start → inner → <sp>_end``; ``inner`` defaults to debug ``<sp>_A``."""
    start = EmptyStartEvent(id=f"{sp_id}_start")
    chain(start, inner if inner is not None else debug(f"{sp_id}_A"), EmptyEndEvent(id=f"{sp_id}_end"))
    return SubProcess(start=start, data=sp_data, params=params(sp_params or {}), id=sp_id)


def subprocess_ids(sp_id: str) -> list[str]:
    """The ids ``simple_subprocess`` creates (the default inner activity included)."""
    return [sp_id, f"{sp_id}_start", f"{sp_id}_A", f"{sp_id}_end"]


# -- expected values -----------------------------------------------------------------


def debug_exec(**inputs: Any) -> dict[str, Any]:
    """Execution data of a debug activity that finished on its first run with rendered ``inputs``."""
    return {
        "inputs": {**LOOP1, **inputs},
        "outputs": {**LOOP1, **inputs, "_result": True},
    }


# -- a runtime with non-default settings ---------------------------------------------


@contextmanager
def configured_harness(config: EngineConfig) -> Iterator[Harness]:
    """A harness whose engine uses ``config`` (global settings such as the gateway strategy).

    The only place scenarios name the embedded runtime: a global engine setting
    is a deployment choice, so a cluster binding supplies its own equivalent.
    """
    runtime = InMemoryRuntime(clock=ManualClock(), workers=4, config=config)
    try:
        yield Harness(runtime)
    finally:
        runtime.close()


# -- running and asserting -----------------------------------------------------------

ROOT = "P"


def run_flow(h: Harness, start: Element, *, pipeline_data: Data | None = None, root_id: str = ROOT,
             **options: Any) -> dict[str, Any]:
    """Build the tree (id ``root_id``), run it, and let it go as far as it can; return the tree."""
    tree = build_tree(start, id=root_id, data=pipeline_data)
    h.run(tree, **options)
    h.finish(root_id)
    return tree


def states_of(h: Harness, ids: Sequence[str]) -> dict[str, str | None]:
    """``{id: state or None}``: compared as a whole so a failure shows every node at once."""
    return {node_id: h.state(node_id) for node_id in ids}


def expect(ids: Sequence[str], state: str | None) -> dict[str, str | None]:
    return {node_id: state for node_id in ids}
