"""What the stored states of finished runs tell: node-step latencies and step counts.

A node's step latency is the time from the moment it could run to the moment its
step ran: its ``started_time`` minus the latest ``archived_time`` of its executed
predecessors (for a start event: its pipeline's ``started_time``). A subprocess
node adds one more sample, its ``archived_time`` minus its end event's (the step
that leaves the subprocess). Steps take ``now`` once, so a node that finishes in
its first step has ``started_time == archived_time`` and the samples chain up
exactly; on a quiet machine the median is the cost of one hop (commit, publish,
fetch, load), under load it includes queueing behind other branches.

Works the same for the cluster (times read from PostgreSQL) and embedded mode
(times from the in-memory store), so the two columns compare.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

Times = Mapping[str, tuple[float | None, float | None]]  # node id -> (started_time, archived_time)


def _nodes(tree: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield tree["start_event"]
    yield tree["end_event"]
    yield from tree["activities"].values()
    yield from tree["gateways"].values()


def _samples(tree: Mapping[str, Any], times: Times) -> Iterator[float]:
    flows = tree["flows"]
    for node in _nodes(tree):
        started, archived = times.get(node["id"], (None, None))
        if started is None:
            continue  # never ran (the branch an exclusive gateway did not take)
        if node is tree["start_event"]:
            ready = times[tree["id"]][0]
        else:
            incoming = node["incoming"] if isinstance(node["incoming"], list) else [node["incoming"]]
            done = [times.get(flows[flow]["source"], (None, None))[1] for flow in incoming]
            ready = max((t for t in done if t is not None), default=None)
        if ready is not None:
            yield started - ready
        if node.get("type") == "SubProcess":
            end = times.get(node["pipeline"]["end_event"]["id"], (None, None))[1]
            if archived is not None and end is not None:
                yield archived - end
            yield from _samples(node["pipeline"], times)


def step_latencies(trees: Iterable[Mapping[str, Any]], times: Times) -> list[float]:
    """Every sample of every run in ``trees``, in seconds, sorted."""
    return sorted(sample for tree in trees for sample in _samples(tree, times))


def node_steps(trees: Iterable[Mapping[str, Any]], times: Times) -> int:
    """Steps the runs took, counted as the issue does: one per executed node (roots included),
    plus one per executed service activity for its schedule call."""
    def activities(tree: Mapping[str, Any]) -> Iterator[str]:
        for node in tree["activities"].values():
            if node["type"] == "SubProcess":
                yield from activities(node["pipeline"])
            else:
                yield node["id"]

    executed = {node_id for node_id, (started, _) in times.items() if started is not None}
    return len(executed) + sum(1 for tree in trees for node_id in activities(tree) if node_id in executed)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (``nan`` when empty)."""
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]
