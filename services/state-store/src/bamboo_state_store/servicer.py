"""The ``bamboo.v1.StateStore`` gRPC service over a ``SqlStore``.

Each method checks what the wire cannot (required ids are present), decodes with
``codec``, calls the store, and encodes the answer. Errors are raised, never
aborted by hand: ``errors.rpc_errors`` gives each one its status. Decoding happens
before anything is written, so a malformed request changes nothing stored.

Commits that arrive together are applied together (``GroupCommitter``) when the
store offers ``commit_many``: one transaction for several clients' steps costs
little more than one for a single step (LIMITS.md §2.3), and a guard failure
still aborts only the step it belongs to.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeAlias

import grpc

from bamboo_core.errors import InvalidTreeError
from bamboo_core.model import PipelineModel, build_model
from bamboo_core.ports import MAX_AHEAD, Commit, StateStore
from bamboo_proto.v1 import state_store_pb2 as spb
from bamboo_proto.v1 import state_store_pb2_grpc
from bamboo_state_store import codec
from bamboo_state_store.errors import rpc_errors, status_for
from bamboo_state_store.group_commit import MAX_GROUP, CommitMany, GroupCommitter

DEFAULT_TIMER_BATCH = 500
MAX_TIMER_BATCH = 10_000
TREE_CACHE_SIZE = 128  # encoded trees kept for GetModel (models never change once stored)

Ctx: TypeAlias = grpc.ServicerContext


class StoreBackend(StateStore, Protocol):
    """What the servicer needs from a store beyond the engine's port."""

    def fire_due_timers(self, now: float, limit: int) -> int: ...


class StateStoreServicer(state_store_pb2_grpc.StateStoreServicer):  # type: ignore[misc]  # generated, untyped
    def __init__(self, store: StoreBackend, *, group_commit: bool = True) -> None:
        self._store = store
        commit_many: CommitMany | None = getattr(store, "commit_many", None)
        self._committer = GroupCommitter(commit_many) if group_commit and commit_many is not None else None
        self._trees: OrderedDict[str, str] = OrderedDict()
        self._trees_lock = threading.Lock()

    # -- writes ---------------------------------------------------------------------

    @rpc_errors
    def CreatePipeline(self, request: spb.CreatePipelineRequest, context: Ctx) -> spb.CreatePipelineResponse:
        model = _model_from_json(request.tree_json)
        root_data = codec.from_json_object(request.root_data_json, "root_data_json")
        commit = _required_commit(request, "CreatePipelineRequest.commit")
        if commit.root_id != model.root_id:
            raise ValueError(f"commit.root_id: {commit.root_id!r} is not the tree's id {model.root_id!r}")
        self._store.create_pipeline(model, root_data, commit)
        return spb.CreatePipelineResponse()

    @rpc_errors
    def Commit(self, request: spb.CommitRequest, context: Ctx) -> spb.CommitResponse:
        commit = _required_commit(request, "CommitRequest.commit")
        # Checked before the commit: a bad then_load must not leave a commit applied behind an error.
        then_load = _step_key(request.then_load, "then_load.") if request.HasField("then_load") else None
        if self._committer is not None:
            self._committer.commit(commit)
        else:
            self._store.commit(commit)
        if then_load is None:
            return spb.CommitResponse()
        return spb.CommitResponse(**self._load(*then_load))

    @rpc_errors
    def CommitMany(self, request: spb.CommitManyRequest, context: Ctx) -> spb.CommitManyResponse:
        """Apply a batch of steps in one transaction; each commit holds or fails alone."""
        if len(request.commits) > MAX_GROUP * 16:
            raise ValueError(f"commits: at most {MAX_GROUP * 16} per call, got {len(request.commits)}")
        commits: list[Commit | BaseException] = []
        for index, message in enumerate(request.commits):
            try:
                commits.append(codec.commit_from_pb(message))
            except ValueError as exc:
                commits.append(ValueError(f"commits[{index}]: {exc}"))
        valid = [c for c in commits if isinstance(c, Commit)]
        applied = iter(_commit_many(self._store, valid))
        outcomes = []
        for item in commits:
            error = item if isinstance(item, BaseException) else next(applied)
            if error is None:
                outcomes.append(spb.CommitOutcome(ok=True))
            else:
                code, text = status_for(error)
                outcomes.append(spb.CommitOutcome(ok=False, code=code.value[0], message=text))
        return spb.CommitManyResponse(outcomes=outcomes)

    @rpc_errors
    def FireDueTimers(self, request: spb.FireDueTimersRequest, context: Ctx) -> spb.FireDueTimersResponse:
        if not math.isfinite(request.now) or request.now < 0:
            raise ValueError(f"now: expected a time in seconds since the epoch (or 0), got {request.now!r}")
        if not 0 <= request.limit <= MAX_TIMER_BATCH:
            raise ValueError(f"limit: expected 0 (default) to {MAX_TIMER_BATCH}, got {request.limit}")
        fired = self._store.fire_due_timers(request.now or time.time(), request.limit or DEFAULT_TIMER_BATCH)
        return spb.FireDueTimersResponse(fired=fired)

    # -- reads ----------------------------------------------------------------------

    @rpc_errors
    def GetModel(self, request: spb.GetModelRequest, context: Ctx) -> spb.GetModelResponse:
        root_id = _required(request.root_id, "root_id")
        with self._trees_lock:
            tree_json = self._trees.get(root_id)
        if tree_json is None:
            tree_json = codec.to_json(self._store.model(root_id).tree, "tree")
            self._remember_tree(root_id, tree_json)
        return spb.GetModelResponse(tree_json=tree_json)

    def _remember_tree(self, root_id: str, tree_json: str) -> None:
        with self._trees_lock:
            self._trees[root_id] = tree_json
            while len(self._trees) > TREE_CACHE_SIZE:
                self._trees.popitem(last=False)

    @rpc_errors
    def RootOf(self, request: spb.RootOfRequest, context: Ctx) -> spb.RootOfResponse:
        root_id = self._store.root_of(_required(request.node_id, "node_id"))
        return spb.RootOfResponse() if root_id is None else spb.RootOfResponse(root_id=root_id)

    @rpc_errors
    def LoadStep(self, request: spb.LoadStepRequest, context: Ctx) -> spb.LoadStepResponse:
        return spb.LoadStepResponse(**self._load(*_step_key(request)))

    def _load(self, process_id: str, node_id: str, schedule_id: str, ahead: Sequence[str]) -> dict[str, Any]:
        """``{"snapshot": ...}`` for a known process, ``{}`` for an unknown one."""
        snapshot = self._store.load_step(process_id, node_id, schedule_id, ahead)
        return {} if snapshot is None else {"snapshot": codec.snapshot_to_pb(snapshot)}

    @rpc_errors
    def GetState(self, request: spb.NodeRequest, context: Ctx) -> spb.GetStateResponse:
        state = self._store.get_state(_required(request.node_id, "node_id"))
        return spb.GetStateResponse() if state is None else spb.GetStateResponse(state=codec.state_to_pb(state))

    @rpc_errors
    def GetStates(self, request: spb.RootRequest, context: Ctx) -> spb.GetStatesResponse:
        states = self._store.get_states(_required(request.root_id, "root_id"))
        return spb.GetStatesResponse(states=[codec.state_to_pb(state) for state in states])

    @rpc_errors
    def GetExecutionData(self, request: spb.NodeRequest, context: Ctx) -> spb.GetExecutionDataResponse:
        data = self._store.get_execution_data(_required(request.node_id, "node_id"))
        if data is None:
            return spb.GetExecutionDataResponse()
        return spb.GetExecutionDataResponse(data=codec.execution_data_to_pb(data))

    @rpc_errors
    def GetNodeInputs(self, request: spb.NodeRequest, context: Ctx) -> spb.GetNodeInputsResponse:
        inputs = self._store.get_node_inputs(_required(request.node_id, "node_id"))
        if inputs is None:
            return spb.GetNodeInputsResponse()
        return spb.GetNodeInputsResponse(inputs=codec.node_inputs_to_pb(inputs))

    @rpc_errors
    def GetHistories(self, request: spb.NodeRequest, context: Ctx) -> spb.GetHistoriesResponse:
        histories = self._store.get_histories(_required(request.node_id, "node_id"))
        return spb.GetHistoriesResponse(histories=[codec.history_to_pb(history) for history in histories])

    @rpc_errors
    def GetContext(self, request: spb.ScopeRequest, context: Ctx) -> spb.GetContextResponse:
        values = self._store.get_context(_required(request.scope_id, "scope_id"))
        return spb.GetContextResponse(values=[codec.context_value_to_pb(value) for value in values.values()])

    @rpc_errors
    def GetProcesses(self, request: spb.RootRequest, context: Ctx) -> spb.GetProcessesResponse:
        processes = self._store.get_processes(_required(request.root_id, "root_id"))
        return spb.GetProcessesResponse(processes=[codec.process_to_pb(process) for process in processes])

    @rpc_errors
    def GetSchedule(self, request: spb.GetScheduleRequest, context: Ctx) -> spb.GetScheduleResponse:
        schedule = self._store.get_schedule(
            _required(request.node_id, "node_id"), _required(request.node_version, "node_version")
        )
        if schedule is None:
            return spb.GetScheduleResponse()
        return spb.GetScheduleResponse(schedule=codec.schedule_to_pb(schedule))

    @rpc_errors
    def GetRootData(self, request: spb.RootRequest, context: Ctx) -> spb.GetRootDataResponse:
        root_data = self._store.get_root_data(_required(request.root_id, "root_id"))
        return spb.GetRootDataResponse(root_data_json=codec.to_json(root_data, "root_data"))


# -- request checks -------------------------------------------------------------------


def _required(value: str, field: str) -> str:
    if not value:
        raise ValueError(f"{field}: required, got an empty string")
    return value


def _model_from_json(tree_json: str) -> PipelineModel:
    """The model of a tree the gateway validated; a tree that cannot be modelled is INVALID_ARGUMENT."""
    tree = codec.from_json_object(tree_json, "tree_json")
    root_id = tree.get("id")
    _required(root_id if isinstance(root_id, str) else "", "tree_json.id")
    try:
        return build_model(tree)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InvalidTreeError(f"tree_json: not a validated pipeline tree ({type(exc).__name__}: {exc})") from exc


def _step_key(request: spb.LoadStepRequest, prefix: str = "") -> tuple[str, str, str, tuple[str, ...]]:
    """A LoadStepRequest's ids, checked (``prefix`` places the fields in the request for errors)."""
    process_id = _required(request.process_id, prefix + "process_id")
    node_id = _required(request.node_id, prefix + "node_id")
    if len(request.ahead) > MAX_AHEAD:
        raise ValueError(f"{prefix}ahead: at most {MAX_AHEAD} node ids, got {len(request.ahead)}")
    _all_named(prefix + "ahead", request.ahead, "")
    return process_id, node_id, request.schedule_id, tuple(request.ahead)


def _required_commit(request: Any, field: str) -> Commit:
    """Decode the request's ``commit`` and check the ids every store relies on."""
    if not request.HasField("commit"):
        raise ValueError(f"{field}: required")
    commit = codec.commit_from_pb(request.commit)
    _required(commit.root_id, "commit.root_id")
    _all_named("commit.guards", (guard.id for guard in commit.guards), "id")
    _all_named("commit.states", (state.node_id for state in commit.states), "node_id")
    _all_named("commit.processes", (process.id for process in commit.processes), "id")
    _all_named("commit.join_arrivals", commit.join_arrivals, "")
    _all_named("commit.schedules", (schedule.id for schedule in commit.schedules), "id")
    _all_named("commit.histories", (history.node_id for history in commit.histories), "node_id")
    for name in ("execution_data", "execution_outputs", "node_inputs", "contexts"):
        _all_named(f"commit.{name}", getattr(commit, name), "<key>")
    return commit


def _all_named(field: str, ids: Iterable[str], attribute: str) -> None:
    for index, value in enumerate(ids):
        if not value:
            suffix = f".{attribute}" if attribute else ""
            raise ValueError(f"{field}[{index}]{suffix}: required, got an empty string")


def _commit_many(store: Any, commits: Sequence[Commit]) -> list[BaseException | None]:
    """A store's own batch commit (one transaction), or one commit after another."""
    if hasattr(store, "commit_many"):
        return list(store.commit_many(commits))
    outcomes: list[BaseException | None] = []
    for commit in commits:
        try:
            store.commit(commit)
            outcomes.append(None)
        except Exception as exc:  # reported per commit, like the batch path
            outcomes.append(exc)
    return outcomes
