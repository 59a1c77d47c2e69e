"""A drop-in equivalent of ``bamboo_engine.builder``.

Code written for bamboo-engine's builder runs unchanged once its import says
``bamboo_core.builder``: the same element classes, wiring methods, data
declarations and ``build_tree`` output. As in bamboo-engine,
``from bamboo_core.builder import *`` also binds the ``builder`` module, so
``builder.build_tree(start)`` works after a star import.

Example::

    from bamboo_core.builder import *

    start = EmptyStartEvent()
    act = ServiceActivity(component_code="example_component")
    act.component.inputs.message = Var(type=Var.PLAIN, value="hello")
    end = EmptyEndEvent()
    start.extend(act).extend(end)
    pipeline = builder.build_tree(start)

Differences from bamboo-engine (all where it would crash, hang or silently
drop wiring): a non-forking node with several successors, two end events, or a
SubProcess without ``start`` raise ``InvalidTreeError`` subclasses; a node with
no successor yet gets ``outgoing: ""`` (validation reports it); ``tail`` and
``build_tree`` stop on cycles; executable end events get a list ``incoming``
like empty ones; ``Var`` objects inside plain ``data``/``params`` dicts are
serialised; branches without a condition are left out of ``conditions``.
Additions: ``ServiceActivity(loop_config=...)``, ``ExclusiveGateway`` /
``ConditionalParallelGateway(extra_info=...)`` and ``NodeOutput(value=...)``.
"""

from __future__ import annotations

from bamboo_core.builder import builder, flow
from bamboo_core.builder.builder import build_tree
from bamboo_core.builder.flow import (
    ConditionalParallelGateway,
    ConvergeGateway,
    Data,
    DataInput,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ExecutableEndEvent,
    FancyDict,
    InitializedRewritableNodeOutput,
    NodeOutput,
    ParallelGateway,
    Params,
    RewritableNodeOutput,
    ServiceActivity,
    SubProcess,
    Var,
)

__all__ = [
    "ConditionalParallelGateway",
    "ConvergeGateway",
    "Data",
    "DataInput",
    "EmptyEndEvent",
    "EmptyStartEvent",
    "ExclusiveGateway",
    "ExecutableEndEvent",
    "FancyDict",
    "InitializedRewritableNodeOutput",
    "NodeOutput",
    "Params",
    "ParallelGateway",
    "RewritableNodeOutput",
    "ServiceActivity",
    "SubProcess",
    "Var",
    "build_tree",
    "builder",
    "flow",
]
