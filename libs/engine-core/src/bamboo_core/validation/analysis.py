"""The ordered semantic checks of one pipeline, and what they learn about it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bamboo_core.validation.connection import check_connections, check_end_event_type
from bamboo_core.validation.dominators import match_gateways
from bamboo_core.validation.graph import (
    Exploration,
    check_cycles,
    check_isolated,
    check_reaches_end,
    explore,
)
from bamboo_core.validation.model import Pipeline
from bamboo_core.validation.streams import Streams, assign_streams, check_loop_flows


@dataclass(frozen=True, slots=True)
class Analysis:
    exploration: Exploration
    streams: Streams
    converge: dict[str, str]  # fork and matched exclusive gateways -> converge gateway


def analyse(
    pipeline: Pipeline, cycle_tolerate: bool, end_event_types: Collection[str] | None
) -> Analysis:
    """Run every semantic check on one (sub)pipeline; ``None`` end types: accept any.

    Order (each step may rely on the ones before): end event type, connection rules,
    cycles, reachability from the start (checked before matching, which only makes
    sense on the reachable graph), a way to the end from every node, first-meet
    gateway matching, the stream check (which also pairs each parallel gateway with
    its converge gateway), loop flows staying inside their stream.
    """
    if end_event_types is not None:
        check_end_event_type(pipeline, end_event_types)
    check_connections(pipeline)
    exploration = explore(pipeline, [pipeline.start_id])
    if not cycle_tolerate:
        check_cycles(pipeline, exploration)
    check_isolated(pipeline, exploration)
    check_reaches_end(pipeline)
    meets = match_gateways(pipeline, exploration)
    streams = assign_streams(pipeline, exploration.back_flows, meets.forks)
    check_loop_flows(pipeline, exploration.back_flows, streams)
    converge = {**meets.exclusive, **streams.converge}
    return Analysis(exploration, streams, converge)
