"""InMemoryRuntime: Bamboo's embedded mode — a whole engine in one process.

Work items from each commit go to a queue served by worker threads, so parallel
branches run concurrently and callbacks may come from any thread. Polling waits
on a timer heap against the runtime's clock: with ``ManualClock`` nothing waits
for real time and ``advance()`` moves the flow forward on demand.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bamboo_core.clock import Clock, ManualClock, SystemClock
from bamboo_core.engine import Engine, EngineConfig, queries
from bamboo_core.engine import node_operations as node_ops
from bamboo_core.engine import pipeline_operations as pipeline_ops
from bamboo_core.memory_store import MemoryStore
from bamboo_core.ports import Commit
from bamboo_core.records import Event, WorkItem

log = logging.getLogger(__name__)

EventListener = Callable[[Event], None]


class InMemoryRuntime:
    """A thread-safe runtime holding everything in memory.

    Args:
        workers: threads running work items (parallel branches run concurrently).
        clock: ``SystemClock()`` (default) or a ``ManualClock`` for tests.
        config: engine settings (rerun limit, gateway strategy).
        components / variables: registries; default to the global ones that
            ``Component`` / ``LazyVariable`` subclasses register into.
        store: the ``StateStore`` (default: a ``MemoryStore``); it must offer
            ``set_on_commit`` so its committed work reaches these workers.
    """

    def __init__(self, *, workers: int = 4, clock: Clock | None = None, config: EngineConfig | None = None,
                 components: Any = None, variables: Any = None, store: Any = None) -> None:
        self.clock = clock or SystemClock()
        # Any StateStore with ``set_on_commit`` (e.g. a SQL store, for a durable embedded mode).
        self.store = store if store is not None else MemoryStore()
        self.store.set_on_commit(self._on_commit)
        self.engine = Engine(self.store, components=components, variables=variables, clock=self.clock,
                             config=config, emit_events=False)
        self.errors: list[BaseException] = []  # unexpected failures inside work items
        # One lock, three conditions, so each wake-up reaches the thread that needs it.
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._timer_changed = threading.Condition(self._lock)
        self._queue: deque[WorkItem] = deque()
        self._timers: list[tuple[float, int, WorkItem]] = []
        self._seq = itertools.count()
        self._running = 0
        self._closed = False
        self._listeners: list[EventListener] = []
        self._local = threading.local()
        self._threads = [threading.Thread(target=self._work, name=f"bamboo-worker-{i}", daemon=True)
                         for i in range(max(1, workers))]
        if not isinstance(self.clock, ManualClock):
            self._threads.append(threading.Thread(target=self._tick, name="bamboo-timers", daemon=True))
        for thread in self._threads:
            thread.start()

    # -- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._work_ready.notify_all()
            self._timer_changed.notify_all()
            self._idle.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> InMemoryRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def subscribe(self, listener: EventListener) -> None:
        """Call ``listener`` with every event (state changes, hooks, operations) from now on."""
        self._listeners.append(listener)
        self.engine.emit_events = True

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no work is queued or running (timers may still be pending)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._queue or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def advance(self, seconds: float) -> None:
        """With a ManualClock: move time forward, firing due timers in order."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs a ManualClock")
        target = self.clock.now() + seconds
        self.wait_idle()
        while True:
            with self._lock:
                if not self._timers or self._timers[0][0] > target:
                    break
                self.clock.set(self._timers[0][0])
                self._release_due_timers()
            self.wait_idle()
        self.clock.set(target)

    def next_timer_due(self) -> float | None:
        with self._lock:
            return self._timers[0][0] if self._timers else None

    # -- work -----------------------------------------------------------------------

    def _on_commit(self, commit: Commit) -> None:
        with self._lock:
            self._queue.extend(commit.work)
            # A worker that produced work takes one item itself when it loops back;
            # waking a second thread for that item would only fight over the GIL.
            spare = 1 if getattr(self._local, "is_worker", False) else 0
            self._work_ready.notify(max(0, len(commit.work) - spare))
            for due, item in commit.timers:
                heapq.heappush(self._timers, (due, next(self._seq), item))
            if commit.timers:
                self._release_due_timers()
                self._timer_changed.notify()
        for event in commit.events:
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:  # a listener must not break the engine
                    log.exception("event listener failed")

    def _release_due_timers(self) -> None:
        now = self.clock.now()
        due = 0
        while self._timers and self._timers[0][0] <= now:
            self._queue.append(heapq.heappop(self._timers)[2])
            due += 1
        self._work_ready.notify(due)

    def _work(self) -> None:
        self._local.is_worker = True
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._work_ready.wait()
                if self._closed:
                    return
                item = self._queue.popleft()
                self._running += 1
            try:
                self.engine.run(item)
            except Exception as exc:  # an engine bug: keep serving, but make it visible
                log.exception("work item %s failed", item)
                self.errors.append(exc)
            finally:
                with self._lock:
                    self._running -= 1
                    if not self._queue and not self._running:
                        self._idle.notify_all()

    def _tick(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                self._release_due_timers()
                wait = min(self._timers[0][0] - self.clock.now(), 0.5) if self._timers else 0.5
                self._timer_changed.wait(max(wait, 0.001))

    # -- operations (the Runtime protocol) -------------------------------------------

    def run_pipeline(self, pipeline: Mapping[str, Any], root_pipeline_data: Mapping[str, Any] | None = None,
                     root_pipeline_context: Mapping[str, Any] | None = None,
                     subprocess_context: Mapping[str, Any] | None = None, **options: Any) -> None:
        pipeline_ops.run_pipeline(self.engine, pipeline, root_pipeline_data, root_pipeline_context,
                                  subprocess_context, start_node_id=options.get("start_node_id"),
                                  cycle_tolerate=bool(options.get("cycle_tolerate", False)))

    def pause_pipeline(self, pipeline_id: str) -> None:
        pipeline_ops.pause_pipeline(self.engine, pipeline_id)

    def resume_pipeline(self, pipeline_id: str) -> None:
        pipeline_ops.resume_pipeline(self.engine, pipeline_id)

    def revoke_pipeline(self, pipeline_id: str) -> None:
        pipeline_ops.revoke_pipeline(self.engine, pipeline_id)

    def pause_node_appoint(self, node_id: str) -> None:
        node_ops.pause_node_appoint(self.engine, node_id)

    def resume_node_appoint(self, node_id: str) -> None:
        node_ops.resume_node_appoint(self.engine, node_id)

    def retry_node(self, node_id: str, data: Mapping[str, Any] | None = None) -> None:
        node_ops.retry_node(self.engine, node_id, data)

    def retry_subprocess(self, node_id: str) -> None:
        node_ops.retry_subprocess(self.engine, node_id)

    def skip_node(self, node_id: str) -> None:
        node_ops.skip_node(self.engine, node_id)

    def skip_exclusive_gateway(self, node_id: str, flow_id: str) -> None:
        node_ops.skip_exclusive_gateway(self.engine, node_id, flow_id)

    def skip_conditional_parallel_gateway(self, node_id: str, flow_ids: Sequence[str],
                                          converge_gateway_id: str) -> None:
        node_ops.skip_conditional_parallel_gateway(self.engine, node_id, flow_ids, converge_gateway_id)

    def forced_fail_activity(self, node_id: str, ex_data: Any) -> None:
        node_ops.forced_fail_activity(self.engine, node_id, ex_data)

    def callback(self, node_id: str, version: str, data: Any) -> None:
        node_ops.callback(self.engine, node_id, version, data)

    # -- queries --------------------------------------------------------------------

    def get_pipeline_states(self, root_id: str, flat_children: bool = True) -> dict[str, Any]:
        return queries.get_pipeline_states(self.engine, root_id, flat_children)

    def get_children_states(self, node_id: str) -> dict[str, Any]:
        return queries.get_children_states(self.engine, node_id)

    def get_execution_data(self, node_id: str) -> dict[str, Any]:
        return queries.get_execution_data(self.engine, node_id)

    def get_execution_data_inputs(self, node_id: str) -> dict[str, Any]:
        return queries.get_execution_data_inputs(self.engine, node_id)

    def get_execution_data_outputs(self, node_id: str) -> dict[str, Any]:
        return queries.get_execution_data_outputs(self.engine, node_id)

    def get_data(self, node_id: str) -> dict[str, Any]:
        return queries.get_data(self.engine, node_id)

    def get_node_histories(self, node_id: str, loop: int = -1) -> list[dict[str, Any]]:
        return queries.get_node_histories(self.engine, node_id, loop)

    def get_node_short_histories(self, node_id: str, loop: int = -1) -> list[dict[str, Any]]:
        return queries.get_node_histories(self.engine, node_id, loop, short=True)

    def get_pipeline_execution_time(self, pipeline_id: str) -> dict[str, Any]:
        return queries.get_execution_time(self.engine, pipeline_id)

    def get_node_execution_time(self, node_id: str) -> dict[str, Any]:
        return queries.get_execution_time(self.engine, node_id)

    def update_context_values(self, pipeline_id: str, context_values: Sequence[Any]) -> None:
        queries.update_context_values(self.engine, pipeline_id, context_values)

    def get_pipeline_debug_info(self, pipeline_id: str) -> dict[str, Any]:
        return queries.get_pipeline_debug_info(self.engine, pipeline_id)

    def get_schedule(self, node_id: str, version: str | None = None) -> dict[str, Any]:
        return queries.get_schedule(self.engine, node_id, version)
