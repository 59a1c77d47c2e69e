"""Builder elements and data declarations (mirrors ``bamboo_engine.builder.flow``)."""

from __future__ import annotations

from bamboo_core.builder.fancy import FancyDict
from bamboo_core.builder.flow.activity import ServiceActivity, SubProcess
from bamboo_core.builder.flow.base import Element
from bamboo_core.builder.flow.data import (
    Data,
    DataInput,
    InitializedRewritableNodeOutput,
    NodeOutput,
    Params,
    RewritableNodeOutput,
    Var,
)
from bamboo_core.builder.flow.event import EmptyEndEvent, EmptyStartEvent, ExecutableEndEvent
from bamboo_core.builder.flow.gateway import (
    ConditionalParallelGateway,
    ConditionGateway,
    ConvergeGateway,
    ExclusiveGateway,
    ParallelGateway,
)

__all__ = [
    "ConditionGateway",
    "ConditionalParallelGateway",
    "ConvergeGateway",
    "Data",
    "DataInput",
    "Element",
    "EmptyEndEvent",
    "EmptyStartEvent",
    "ExecutableEndEvent",
    "ExclusiveGateway",
    "FancyDict",
    "InitializedRewritableNodeOutput",
    "NodeOutput",
    "Params",
    "ParallelGateway",
    "RewritableNodeOutput",
    "ServiceActivity",
    "SubProcess",
    "Var",
]
