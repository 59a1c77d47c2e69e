"""``RemoteStore``: engine-core's ``StateStore`` port over the state-store's gRPC API.

Executors, schedulers and the gateway hand this to the engine instead of a
``MemoryStore``; each port method is one unary RPC. gRPC statuses come back as the
engine's own errors (the inverse of the servicer's mapping), so engine code that
catches ``StateConflictError`` works unchanged against either store.

Unlike ``MemoryStore`` there is no ``set_on_commit``: a remote store publishes the
work, timers and events of each commit through its transactional outbox to NATS,
and consumers learn of them there, not from a callback in the committing process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import grpc

from bamboo_core.errors import (
    AlreadyExistsError,
    EngineError,
    InvalidOperationError,
    InvalidTreeError,
    NotFoundError,
    StateConflictError,
)
from bamboo_core.model import DataInput, PipelineModel, build_model
from bamboo_core.ports import Commit, StepSnapshot
from bamboo_core.records import ContextValue, ExecutionData, History, NodeState, Process, Schedule
from bamboo_proto.v1 import state_store_pb2 as spb
from bamboo_proto.v1 import state_store_pb2_grpc
from bamboo_state_store import codec
from bamboo_state_store.group_commit import GroupCommitter

_Response = TypeVar("_Response")

# The inverse of the servicer's mapping (errors.py); anything else is an EngineError.
STATUS_ERRORS: Mapping[grpc.StatusCode, type[EngineError]] = {
    grpc.StatusCode.ABORTED: StateConflictError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidTreeError,
    grpc.StatusCode.FAILED_PRECONDITION: InvalidOperationError,
}

# Models never change, so a cache only needs a bound, not invalidation; the bound keeps
# a long-running executor that sees many pipelines from growing without limit.
MODEL_CACHE_SIZE = 256


def domain_error(error: grpc.RpcError) -> EngineError:
    """The engine error for a failed call, carrying the server's message."""
    code: grpc.StatusCode | None = error.code() if isinstance(error, grpc.Call) else None
    details = (error.details() if isinstance(error, grpc.Call) else None) or str(error)
    error_type = STATUS_ERRORS.get(code) if code is not None else None
    if error_type is None:
        name = code.name if code is not None else "UNKNOWN"
        return EngineError(f"state-store call failed ({name}): {details}")
    return error_type(details)


def _outcome_error(outcome: spb.CommitOutcome) -> EngineError:
    code = _CODES_BY_VALUE.get(outcome.code)
    error_type = STATUS_ERRORS.get(code) if code is not None else None
    return (error_type or EngineError)(outcome.message)


_CODES_BY_VALUE = {code.value[0]: code for code in grpc.StatusCode}


class RemoteStore:
    """A ``StateStore`` whose state lives in a state-store service.

    With ``group_commits``, commits made by several threads at the same moment travel
    together in one ``CommitMany`` call (``group_commit.GroupCommitter``): a worker
    running many steps at once pays one round trip for them instead of one each. A
    lone commit still goes at once, so nothing waits for company.
    """

    def __init__(self, channel: grpc.Channel, *, timeout: float = 10.0, group_commits: bool = False) -> None:
        self._stub = state_store_pb2_grpc.StateStoreStub(channel)  # type: ignore[no-untyped-call]
        self._timeout = timeout
        self._group = GroupCommitter(self.commit_many) if group_commits else None
        self._models: OrderedDict[str, PipelineModel] = OrderedDict()
        self._models_lock = threading.Lock()

    def _call(self, method: Callable[..., _Response], request: Any) -> _Response:
        try:
            return method(request, timeout=self._timeout)
        except grpc.RpcError as error:
            raise domain_error(error) from error

    # -- writes ---------------------------------------------------------------------

    def create_pipeline(self, model: PipelineModel, root_data: Mapping[str, Any], commit: Commit) -> None:
        request = spb.CreatePipelineRequest(
            tree_json=codec.to_json(model.tree, "tree"),
            root_data_json=codec.to_json(root_data, "root_data"),
            commit=codec.commit_to_pb(commit),
        )
        self._call(self._stub.CreatePipeline, request)
        self._remember(model)

    def commit(self, commit: Commit) -> None:
        if self._group is not None:
            self._group.commit(commit)
        else:
            self._call(self._stub.Commit, spb.CommitRequest(commit=codec.commit_to_pb(commit)))

    def commit_and_load(self, commit: Commit, process_id: str, node_id: str,
                        ahead: Sequence[str] = ()) -> StepSnapshot | None:
        """Commit, then load the step of ``process_id`` at ``node_id`` (with the rows of the
        nodes in ``ahead``, as ``load_step``), in one round trip."""
        then_load = spb.LoadStepRequest(process_id=process_id, node_id=node_id, ahead=ahead)
        request = spb.CommitRequest(commit=codec.commit_to_pb(commit), then_load=then_load)
        response = self._call(self._stub.Commit, request)
        return codec.snapshot_from_pb(response.snapshot) if response.HasField("snapshot") else None

    def commit_many(self, commits: Sequence[Commit]) -> list[EngineError | None]:
        """Commit several steps in one call and one transaction; one outcome per commit
        (None when it landed, else the error it alone would have raised)."""
        request = spb.CommitManyRequest(commits=[codec.commit_to_pb(commit) for commit in commits])
        response = self._call(self._stub.CommitMany, request)
        return [None if outcome.ok else _outcome_error(outcome) for outcome in response.outcomes]

    def fire_due_timers(self, now: float = 0.0, limit: int = 0) -> int:
        """Move due timers to the outbox; ``now``/``limit`` 0 mean the store's clock / batch."""
        response = self._call(self._stub.FireDueTimers, spb.FireDueTimersRequest(now=now, limit=limit))
        return int(response.fired)

    # -- reads ----------------------------------------------------------------------

    def model(self, root_id: str) -> PipelineModel:
        with self._models_lock:
            cached = self._models.get(root_id)
        if cached is not None:
            return cached
        response = self._call(self._stub.GetModel, spb.GetModelRequest(root_id=root_id))
        model = build_model(codec.from_json_object(response.tree_json, "GetModelResponse.tree_json"))
        self._remember(model)
        return model

    def _remember(self, model: PipelineModel) -> None:
        with self._models_lock:
            self._models[model.root_id] = model
            self._models.move_to_end(model.root_id)
            while len(self._models) > MODEL_CACHE_SIZE:
                self._models.popitem(last=False)

    def root_of(self, node_id: str) -> str | None:
        response = self._call(self._stub.RootOf, spb.RootOfRequest(node_id=node_id))
        return response.root_id if response.HasField("root_id") else None

    def load_step(self, process_id: str, node_id: str, schedule_id: str = "",
                  ahead: Sequence[str] = ()) -> StepSnapshot | None:
        request = spb.LoadStepRequest(process_id=process_id, node_id=node_id, schedule_id=schedule_id, ahead=ahead)
        response = self._call(self._stub.LoadStep, request)
        return codec.snapshot_from_pb(response.snapshot) if response.HasField("snapshot") else None

    def get_state(self, node_id: str) -> NodeState | None:
        response = self._call(self._stub.GetState, spb.NodeRequest(node_id=node_id))
        return codec.state_from_pb(response.state) if response.HasField("state") else None

    def get_states(self, root_id: str) -> Sequence[NodeState]:
        response = self._call(self._stub.GetStates, spb.RootRequest(root_id=root_id))
        return [codec.state_from_pb(state) for state in response.states]

    def get_execution_data(self, node_id: str) -> ExecutionData | None:
        response = self._call(self._stub.GetExecutionData, spb.NodeRequest(node_id=node_id))
        return codec.execution_data_from_pb(response.data) if response.HasField("data") else None

    def get_node_inputs(self, node_id: str) -> Mapping[str, DataInput] | None:
        response = self._call(self._stub.GetNodeInputs, spb.NodeRequest(node_id=node_id))
        return codec.node_inputs_from_pb(response.inputs) if response.HasField("inputs") else None

    def get_histories(self, node_id: str) -> Sequence[History]:
        response = self._call(self._stub.GetHistories, spb.NodeRequest(node_id=node_id))
        return [codec.history_from_pb(history) for history in response.histories]

    def get_context(self, scope_id: str) -> Mapping[str, ContextValue]:
        response = self._call(self._stub.GetContext, spb.ScopeRequest(scope_id=scope_id))
        return {value.key: value for value in map(codec.context_value_from_pb, response.values)}

    def get_processes(self, root_id: str) -> Sequence[Process]:
        response = self._call(self._stub.GetProcesses, spb.RootRequest(root_id=root_id))
        return [codec.process_from_pb(process) for process in response.processes]

    def get_schedule(self, node_id: str, node_version: str) -> Schedule | None:
        request = spb.GetScheduleRequest(node_id=node_id, node_version=node_version)
        response = self._call(self._stub.GetSchedule, request)
        return codec.schedule_from_pb(response.schedule) if response.HasField("schedule") else None

    def get_root_data(self, root_id: str) -> Mapping[str, Any]:
        response = self._call(self._stub.GetRootData, spb.RootRequest(root_id=root_id))
        return codec.from_json_object(response.root_data_json, "GetRootDataResponse.root_data_json")
