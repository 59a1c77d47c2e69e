"""``bamboo up``: a ``LocalCluster`` in the foreground until Ctrl-C / SIGTERM or a child dies.

SIGINT and SIGTERM only set the cluster's ``interrupt`` event (a handler that raised
could interrupt ``Popen`` or a log write half-way); the start-up wait and the watch loop
check it, so stopping during start-up works too. Exit status: 0 after a requested stop,
1 when a child died or never became ready (its last log lines are printed).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

from bamboo_sdk.cli.cluster import ClusterError, LocalCluster, StartInterrupted


def run_up(cluster: LocalCluster, *, poll_interval: float = 0.2) -> int:
    """Start ``cluster``, print "cluster ready on HOST:PORT", supervise it until asked to stop."""
    handler = _setter(cluster.interrupt)
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _supervise(cluster, cluster.interrupt, poll_interval)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _supervise(cluster: LocalCluster, stop: threading.Event, poll_interval: float) -> int:
    started = time.monotonic()
    try:
        cluster.start()
    except StartInterrupted:
        say("stopped during start-up")
        return 0
    except ClusterError as exc:
        say(f"error: {exc}", err=True)
        return 1
    say(f"cluster ready on {cluster.target} ({time.monotonic() - started:.1f}s; data in {cluster.data_path})")
    say("press Ctrl-C to stop")
    try:
        while not stop.wait(poll_interval):
            cluster.check()
    except ClusterError as exc:
        say(f"error: {exc}", err=True)
        say("stopping the other processes")
        cluster.stop()
        return 1
    say("stopping ...")
    cluster.stop()
    say("stopped")
    return 0


def _setter(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return handler


def say(line: str, *, err: bool = False) -> None:
    print(line, file=sys.stderr if err else sys.stdout, flush=True)
