"""Small builders of records and models, and helpers, for the SQL store tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from bamboo_core import builder as b
from bamboo_core.component.service import ScheduleType
from bamboo_core.model import PipelineModel, build_model
from bamboo_core.records import History, NodeState, Process, ProcessStatus, Schedule
from bamboo_core.states import State
from bamboo_proto.v1 import records_pb2
from bamboo_state_store.codec import event_from_pb, work_item_from_pb
from bamboo_state_store.sql_store import SqlStore

THREADS_TIMEOUT = 30.0


def linear_model(root_id: str, prefix: str = "") -> PipelineModel:
    """start -> act -> end, node ids ``{prefix}start`` / ``{prefix}act`` / ``{prefix}end``."""
    prefix = prefix or root_id + "."
    start = b.EmptyStartEvent(id=f"{prefix}start")
    act = b.ServiceActivity(id=f"{prefix}act", component_code="debug_node")
    act.component.inputs.x = b.Var(type=b.Var.PLAIN, value=1)
    start.extend(act).extend(b.EmptyEndEvent(id=f"{prefix}end"))
    return build_model(b.build_tree(start, id=root_id))


def state(node_id: str, version: str = "v1", *, root_id: str = "R", name: State = State.RUNNING,
          **fields: Any) -> NodeState:
    return NodeState(node_id, root_id, fields.pop("parent_id", root_id), name, version, **fields)


def process(process_id: str, *, root_id: str = "R", stack: tuple[str, ...] = ("R",), node_id: str = "n",
            status: ProcessStatus = ProcessStatus.RUNNING, **fields: Any) -> Process:
    return Process(process_id, root_id, fields.pop("parent_id", ""), stack, node_id, status, **fields)


def schedule(schedule_id: str, node_id: str = "n", node_version: str = "v1", **fields: Any) -> Schedule:
    return Schedule(schedule_id, node_id, node_version, fields.pop("type", ScheduleType.POLL),
                    fields.pop("process_id", "p"), **fields)


def history(node_id: str, loop: int = 1, **fields: Any) -> History:
    values: dict[str, Any] = {"started_time": 1.5, "archived_time": 2.5, "retry": 0, "skip": False,
                              "version": "v1", "inputs": {"i": loop}, "outputs": {"o": [loop, "x"]}}
    values.update(fields)
    return History(node_id=node_id, loop=loop, **values)


def decoded(store: SqlStore) -> list[tuple[str, Any]]:
    """The pending outbox as (subject, work item) or (subject, [one commit's events])."""
    result: list[tuple[str, Any]] = []
    for row in store.pending_outbox(1000):
        if row.subject.startswith("bamboo.events."):
            batch = records_pb2.EventBatch.FromString(row.payload)
            result.append((row.subject, [event_from_pb(event) for event in batch.events]))
        else:
            result.append((row.subject, work_item_from_pb(records_pb2.WorkItem.FromString(row.payload))))
    return result


def run_threads(count: int, target: Callable[[int], None]) -> None:
    """Start ``count`` threads together (a barrier) and join them, bounded."""
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait(timeout=THREADS_TIMEOUT)
        target(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREADS_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
