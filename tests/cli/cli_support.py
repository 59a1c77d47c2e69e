"""Helpers of the CLI tests: whether processes are gone, reading a child's output with a deadline."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterable
from typing import IO


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a reaped-later child counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def gone(pids: Iterable[int], timeout: float = 5.0) -> bool:
    """Wait up to ``timeout`` for every pid to disappear (an orphan is reaped by init shortly after)."""
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class LineReader:
    """Collects a stream's lines on a thread, so a test can wait for one with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, prefix: str, timeout: float) -> str:
        """The first line starting with ``prefix``; AssertionError (with the output so far) otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                line = None if time.monotonic() > deadline else ""
                if line is None:
                    raise AssertionError(f"no line {prefix!r} within {timeout}s:\n" + "\n".join(self.lines)) from None
                continue
            if line is None:
                raise AssertionError(f"output ended before {prefix!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if line.startswith(prefix):
                return line

    def rest(self, timeout: float = 5.0) -> list[str]:
        """Every remaining line once the stream ends."""
        self._thread.join(timeout)
        while not self._queue.empty():
            line = self._queue.get_nowait()
            if line is not None:
                self.lines.append(line)
        return self.lines
