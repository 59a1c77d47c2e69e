"""Time as the engine sees it: real, or a manual clock that tests move by hand."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

SKEW_FILE_ENV = "BAMBOO_CLOCK_SKEW_FILE"


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to, so hours of polling test in milliseconds."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def set(self, value: float) -> None:
        with self._lock:
            self._now = max(self._now, value)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class SkewedClock:
    """Real time plus a skew (seconds) read from a file on every call.

    Every process pointed at the same file sees the same time, so a test can skip a
    whole cluster ahead past a poll interval or a timer instead of sleeping through it
    (what Temporal's time-skipping test server does). The file is read on each call,
    not cached: its modification time is too coarse to notice two quick skips, and
    this clock only runs where ``BAMBOO_CLOCK_SKEW_FILE`` is set, i.e. in tests.
    A missing or empty file means no skew.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def skew(self) -> float:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            return 0.0
        return float(text) if text else 0.0

    def now(self) -> float:
        return time.time() + self.skew()

    def skip_to(self, when: float) -> None:
        """Move this clock (and every process reading the file) forward to ``when``; never back."""
        skew = max(self.skew(), when - time.time())
        scratch = self.path.with_name(self.path.name + ".tmp")
        scratch.write_text(repr(skew))
        os.replace(scratch, self.path)  # readers see the old skew or the new one, never half a number


def clock_from_env(environ: Mapping[str, str] = os.environ) -> Clock:
    """The clock a service runs on: ``SkewedClock`` when ``BAMBOO_CLOCK_SKEW_FILE`` is set, else real time."""
    path = environ.get(SKEW_FILE_ENV, "").strip()
    return SkewedClock(path) if path else SystemClock()
