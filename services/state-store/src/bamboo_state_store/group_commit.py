"""Group commit: steps committed at the same moment share one ``commit_many`` call.

Used on both sides of the state-store's gRPC API: the servicer groups concurrent
``Commit`` calls into one database transaction, and a worker's ``RemoteStore`` groups
its threads' commits into one ``CommitMany`` call, which saves a round trip and the
per-call cost of gRPC for every step that joins a group.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence

from bamboo_core.ports import Commit

MAX_GROUP = 64  # commits per group: bounds one transaction's lock set and latency

CommitMany = Callable[[Sequence[Commit]], Sequence[BaseException | None]]


class _Pending:
    __slots__ = ("commit", "error", "done", "wake")

    def __init__(self, commit: Commit) -> None:
        self.commit = commit
        self.error: BaseException | None = None
        self.done = False
        self.wake = threading.Event()


class GroupCommitter:
    """Applies the Commit calls that arrive together in one ``commit_many`` transaction.

    Leader/follower, with no thread of its own: the caller that finds no batch in
    flight leads — it takes everything queued (its own commit first), applies it and
    wakes the others with their own outcome; if more arrived meanwhile, it hands the
    lead to the oldest waiter. A lone client therefore pays no wait at all, and
    under load each transaction carries every step that queued behind the last.
    """

    def __init__(self, commit_many: CommitMany, max_group: int = MAX_GROUP) -> None:
        self._commit_many = commit_many
        self._max_group = max_group
        self._lock = threading.Lock()
        self._queue: deque[_Pending] = deque()
        self._leading = False

    def commit(self, commit: Commit) -> None:
        """Apply ``commit`` (with whatever else is waiting); raise its own error, if any."""
        pending = _Pending(commit)
        with self._lock:
            self._queue.append(pending)
            lead = not self._leading
            self._leading = True
        if not lead:
            pending.wake.wait()  # set when our batch is done, or when we are handed the lead
        if not pending.done:
            self._lead()
        if pending.error is not None:
            raise pending.error

    def _lead(self) -> None:
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), self._max_group))]
        try:
            outcomes = list(self._commit_many([p.commit for p in batch]))
            if len(outcomes) != len(batch):
                raise RuntimeError(f"commit_many returned {len(outcomes)} outcomes for {len(batch)} commits")
        except Exception as exc:  # the whole transaction failed: every commit in it failed
            outcomes = [exc] * len(batch)
        for pending, outcome in zip(batch, outcomes, strict=True):
            pending.error = outcome
            pending.done = True
            pending.wake.set()
        with self._lock:
            if self._queue:
                self._queue[0].wake.set()  # the oldest waiter leads the next batch
            else:
                self._leading = False
