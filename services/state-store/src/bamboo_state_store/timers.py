"""The timer pump: moves due timers into the outbox.

Polling and retry delays are timer rows in the store, written in the same
transaction as the step that asked for them, so they survive a restart of any
process; nothing about them lives in memory. This thread only asks the store to
fire the due ones (``fire_due_timers`` moves them into the outbox in one
transaction, and the relay publishes them like any other work item).

Several pumps may run against one database (one per state-store replica): the store
guarantees each timer fires once (PostgreSQL: ``FOR UPDATE SKIP LOCKED``), so the
replicas share the work instead of duplicating it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

_log = logging.getLogger(__name__)


class TimerStore(Protocol):
    """The part of ``SqlStore`` the pump needs."""

    def fire_due_timers(self, now: float, limit: int) -> int: ...

    def next_timer_due(self) -> float | None: ...


class TimerPump:
    """Fires due timers from a background thread.

    It sleeps until the next timer is due, but never longer than ``interval``,
    because another replica or a new commit may add an earlier timer at any time.
    ``on_fired(count)`` runs after timers moved into the outbox — wire it to the
    relay's ``wake`` so they are published at once rather than at its next poll.
    """

    def __init__(
        self,
        store: TimerStore,
        *,
        interval: float = 0.05,
        limit: int = 500,
        on_fired: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if interval <= 0 or limit < 1:
            raise ValueError("interval must be > 0 and limit >= 1")
        self._store = store
        self._interval = interval
        self._limit = limit
        self._on_fired = on_fired
        self._clock = clock  # timers are due in epoch seconds, like the engine's clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.fired = 0  # timers this pump moved into the outbox
        self.last_error: str | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("timer pump already started")
        self._thread = threading.Thread(target=self._run, name="bamboo-timer-pump", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> float:
        """Fire what is due now; returns how long to wait before the next look."""
        now = self._clock()
        due = self._store.next_timer_due()
        if due is None:
            return self._interval
        if due > now:
            return min(self._interval, due - now)
        fired = self._store.fire_due_timers(now, self._limit)
        if fired:
            self.fired += fired
            if self._on_fired is not None:
                self._on_fired(fired)
        if fired >= self._limit:
            return 0.0  # a backlog: keep going
        # Nothing fired although one was due: another replica holds it; don't spin.
        return 0.0 if fired else self._interval

    def _run(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            try:
                delay = self.run_once()
                backoff = 0.0
            except Exception as exc:  # database trouble: timers stay rows, try again later
                backoff = min(2.0, max(self._interval, backoff * 2))
                self.last_error = repr(exc)
                _log.warning("timer pump: %r; retrying in %.2f s", exc, backoff)
                delay = backoff
            if delay > 0:
                self._stop.wait(delay)
