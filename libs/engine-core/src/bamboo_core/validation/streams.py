"""Parallel gateway matching and the stream check (SPEC §2.6.3-4) in one linear pass.

Model: a *stream* is where one token (one engine process) may run: the main line, or
one branch of a parallel / conditional-parallel gateway (a *fork*). Forks open one new
stream per outgoing flow; an exclusive gateway keeps its token, so its branches stay
in its own stream. Every node belongs to exactly one stream. A converge gateway is
either a *merge* (all its incoming flows come from one stream: exclusive paths meet
again and the token passes through) or the *join* of exactly one fork: its incoming
flows come from all of that fork's branches, plus possibly exclusive paths of the
fork's own stream that bypass the fork (the stream's single token takes one way or
the other, never both). The stream that continues after a join is the fork's own.

The walk labels nodes in a worklist over the acyclic "forward" graph (loop-closing
flows are left out; ``check_loop_flows`` checks them afterwards): a converge gateway is
decided once all its forward incoming flows have arrived, so each node and flow is
handled once and no recursion is needed however deeply blocks nest.

Deliberate difference from bamboo-engine (issue #162): an exclusive gateway inside a
parallel branch may route its branches straight into the fork's converge gateway;
the arrivals are counted per branch, so sharing it is safe and accepted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from bamboo_core.errors import ConvergeMatchError, StreamValidateError
from bamboo_core.validation.model import FORK_KINDS, NodeKind, Pipeline

MAIN = 0


@dataclass(frozen=True, slots=True)
class Stream:
    """The main line (``fork is None``) or the branch of ``fork`` entered by ``flow``."""

    fork: str | None
    flow: str
    parent: int
    depth: int

    def describe(self) -> str:
        return "the main line" if self.fork is None else f"the branch of {self.fork!r} via flow {self.flow!r}"


@dataclass(frozen=True, slots=True)
class Streams:
    streams: tuple[Stream, ...]
    label: dict[str, int]
    converge: dict[str, str]  # fork gateway id -> the converge gateway that joins it


def assign_streams(pipeline: Pipeline, back_flows: frozenset[str], fork_meets: dict[str, str]) -> Streams:
    """Label every node with its stream and match each fork with its join.

    ``fork_meets`` (from ``dominators.match_gateways``) settles which converge gateway
    a one-branch fork joins at, where counting branches cannot.
    """
    walker = _Walker(pipeline, back_flows, fork_meets)
    walker.run()
    return Streams(tuple(walker.streams), walker.label, walker.converge)


def check_loop_flows(pipeline: Pipeline, back_flows: frozenset[str], streams: Streams) -> None:
    """A loop must stay inside one stream: it may not jump into or out of a branch."""
    label = streams.label
    for flow_id in (f for f in pipeline.flows if f in back_flows):  # tree order: stable errors
        flow = pipeline.flows[flow_id]
        source, target = label[flow.source], label[flow.target]
        if source != target:
            raise StreamValidateError(
                f"loop flow {flow_id!r} goes from {flow.source!r} in "
                f"{streams.streams[source].describe()} back to {flow.target!r} in "
                f"{streams.streams[target].describe()}; a loop must stay inside one branch",
                (flow.source, flow.target),
            )


class _Walker:
    """Mutable state of one ``assign_streams`` run."""

    def __init__(self, pipeline: Pipeline, back_flows: frozenset[str], fork_meets: dict[str, str]) -> None:
        self.pipeline = pipeline
        self.back = back_flows
        self.fork_meets = fork_meets
        self.streams: list[Stream] = [Stream(None, "", -1, 0)]
        self.label: dict[str, int] = {pipeline.start_id: MAIN}
        self.branches: dict[str, list[int]] = {}
        self.converge: dict[str, str] = {}
        self.arrivals: dict[str, dict[int, int]] = {}
        self.waiting: dict[str, int] = {}
        self.queue: deque[str] = deque([pipeline.start_id])

    def run(self) -> None:
        while self.queue:
            node_id = self.queue.popleft()
            if self.pipeline.nodes[node_id].kind in FORK_KINDS:
                self._fork(node_id)
                continue
            stream = self.label[node_id]
            for flow_id, target in self.pipeline.targets(node_id):
                if flow_id not in self.back:
                    self._deliver(target, stream, node_id)
        self._check_finished()

    def _fork(self, fork: str) -> None:
        """Open one stream per branch; a branch that loops straight back is never joined."""
        parent = self.label[fork]
        depth = self.streams[parent].depth + 1
        opened: list[tuple[int, str]] = []
        for flow_id, target in self.pipeline.targets(fork):
            if flow_id in self.back:
                raise ConvergeMatchError(
                    f"branch {flow_id!r} of {fork!r} loops back to {target!r}; "
                    "a parallel branch must run forward to its converge gateway",
                    fork,
                )
            opened.append((len(self.streams), target))
            self.streams.append(Stream(fork, flow_id, parent, depth))
        self.branches[fork] = [stream for stream, _ in opened]
        for stream, target in opened:
            self._deliver(target, stream, fork)

    def _deliver(self, target: str, stream: int, via: str) -> None:
        """A forward flow from ``via`` (in ``stream``) reaches ``target``."""
        kind = self.pipeline.nodes[target].kind
        if kind is NodeKind.CONVERGE:
            self._arrive(target, stream)
        elif kind is NodeKind.END:
            self._reach_end(target, stream, via)
        elif (seen := self.label.get(target)) is None:
            self.label[target] = stream
            self.queue.append(target)
        elif seen != stream:
            raise StreamValidateError(
                f"node {target!r} is reached from {self.streams[seen].describe()} and, via "
                f"{via!r}, from {self.streams[stream].describe()}; branches may not cross "
                "between parallel blocks",
                (target, via),
            )

    def _reach_end(self, end: str, stream: int, via: str) -> None:
        self.label[end] = MAIN
        fork = self.streams[stream].fork
        if fork is not None:
            raise ConvergeMatchError(
                f"{self.streams[stream].describe()} reaches the end event {end!r} (from {via!r}) "
                f"without converging; every branch of {fork!r}, and every exclusive path "
                "inside it, must lead to its converge gateway",
                fork,
            )

    def _arrive(self, gateway: str, stream: int) -> None:
        counts = self.arrivals.setdefault(gateway, {})
        counts[stream] = counts.get(stream, 0) + 1
        left = self.waiting.get(gateway)
        if left is None:
            left = self._forward_in(gateway)
        self.waiting[gateway] = left - 1
        if left == 1:
            self.label[gateway] = self._after_converge(gateway, list(counts))
            self.queue.append(gateway)

    def _forward_in(self, node_id: str) -> int:
        return sum(1 for flow_id in self.pipeline.nodes[node_id].incoming if flow_id not in self.back)

    def _after_converge(self, gateway: str, arrived: list[int]) -> int:
        """Decide merge or join once every forward flow reached ``gateway``; the next stream."""
        if len(arrived) == 1:
            return self._single_stream(gateway, arrived[0])
        fork = self._joining_fork(arrived)
        if fork is None:
            inner = max(arrived, key=lambda stream: self.streams[stream].depth)
            reached = "; ".join(self.streams[stream].describe() for stream in sorted(arrived)[:5])
            reached += "; ..." if len(arrived) > 5 else ""
            raise ConvergeMatchError(
                f"converge gateway {gateway!r} is reached from different streams ({reached}); "
                "a converge gateway joins the branches of one gateway only",
                self.streams[inner].fork or gateway,
            )
        missing = len(set(self.branches[fork]) - set(arrived))
        if missing:
            total = len(self.branches[fork])
            raise ConvergeMatchError(
                f"converge gateway {gateway!r} joins only {total - missing} of the {total} "
                f"branches of {fork!r}; all branches of a parallel gateway must converge into "
                "one converge gateway",
                fork,
            )
        return self._join(fork, gateway)

    def _joining_fork(self, arrived: list[int]) -> str | None:
        """The fork whose branches arrived, if every other arrival is from the fork's own stream.

        Those other arrivals are exclusive paths that bypass the fork and merge at its
        converge gateway: only one of the two can carry the stream's single token.
        """
        forks = {self.streams[stream].fork for stream in arrived}
        if len(forks) > 2:  # the fork, and the one around the fork's own stream: no more
            return None
        for fork in forks:
            if fork is None:
                continue
            home = self.streams[self.branches[fork][0]].parent
            if all(self.streams[other].fork == fork or other == home for other in arrived):
                return fork
        return None

    def _single_stream(self, gateway: str, stream: int) -> int:
        """All flows came from one stream: the join of a one-branch fork, or a merge.

        Within a stream a converge gateway merges exclusive paths (or, with a single
        incoming flow, is passed through); that a multi-branch fork's branches first
        meet at its join was checked by ``dominators.match_gateways``.
        """
        fork = self.streams[stream].fork
        if fork is not None and len(self.branches[fork]) == 1 and self.fork_meets.get(fork) == gateway:
            return self._join(fork, gateway)
        return stream

    def _join(self, fork: str, gateway: str) -> int:
        self.converge[fork] = gateway
        return self.streams[self.branches[fork][0]].parent

    def _check_finished(self) -> None:
        # Unreachable by construction once the connection, isolation and end checks
        # passed; kept so that a gap in that reasoning fails loudly, not silently.
        for gateway, left in self.waiting.items():
            if left:
                raise ConvergeMatchError(f"converge gateway {gateway!r} waits for flows that never arrive", gateway)
        for fork in self.branches:
            if fork not in self.converge:
                raise ConvergeMatchError(f"the branches of {fork!r} never converge", fork)
