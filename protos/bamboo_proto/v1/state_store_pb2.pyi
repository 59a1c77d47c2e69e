from bamboo_proto.v1 import records_pb2 as _records_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GuardKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GUARD_KIND_UNSPECIFIED: _ClassVar[GuardKind]
    GUARD_KIND_STATE: _ClassVar[GuardKind]
    GUARD_KIND_PROCESS: _ClassVar[GuardKind]
    GUARD_KIND_SCHEDULE: _ClassVar[GuardKind]
GUARD_KIND_UNSPECIFIED: GuardKind
GUARD_KIND_STATE: GuardKind
GUARD_KIND_PROCESS: GuardKind
GUARD_KIND_SCHEDULE: GuardKind

class Guard(_message.Message):
    __slots__ = ("kind", "id", "version", "number")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    kind: GuardKind
    id: str
    version: str
    number: int
    def __init__(self, kind: _Optional[_Union[GuardKind, str]] = ..., id: _Optional[str] = ..., version: _Optional[str] = ..., number: _Optional[int] = ...) -> None: ...

class Commit(_message.Message):
    __slots__ = ("root_id", "guards", "states", "processes", "join_arrivals", "schedules", "execution_data", "execution_outputs_json", "node_inputs", "contexts", "histories", "work", "timers", "events")
    class ExecutionDataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _records_pb2.ExecutionData
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_records_pb2.ExecutionData, _Mapping]] = ...) -> None: ...
    class ExecutionOutputsJsonEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class NodeInputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _records_pb2.NodeInputs
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_records_pb2.NodeInputs, _Mapping]] = ...) -> None: ...
    class ContextsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _records_pb2.ContextValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_records_pb2.ContextValues, _Mapping]] = ...) -> None: ...
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    GUARDS_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    PROCESSES_FIELD_NUMBER: _ClassVar[int]
    JOIN_ARRIVALS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_DATA_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_OUTPUTS_JSON_FIELD_NUMBER: _ClassVar[int]
    NODE_INPUTS_FIELD_NUMBER: _ClassVar[int]
    CONTEXTS_FIELD_NUMBER: _ClassVar[int]
    HISTORIES_FIELD_NUMBER: _ClassVar[int]
    WORK_FIELD_NUMBER: _ClassVar[int]
    TIMERS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    root_id: str
    guards: _containers.RepeatedCompositeFieldContainer[Guard]
    states: _containers.RepeatedCompositeFieldContainer[_records_pb2.NodeState]
    processes: _containers.RepeatedCompositeFieldContainer[_records_pb2.Process]
    join_arrivals: _containers.RepeatedScalarFieldContainer[str]
    schedules: _containers.RepeatedCompositeFieldContainer[_records_pb2.Schedule]
    execution_data: _containers.MessageMap[str, _records_pb2.ExecutionData]
    execution_outputs_json: _containers.ScalarMap[str, str]
    node_inputs: _containers.MessageMap[str, _records_pb2.NodeInputs]
    contexts: _containers.MessageMap[str, _records_pb2.ContextValues]
    histories: _containers.RepeatedCompositeFieldContainer[_records_pb2.History]
    work: _containers.RepeatedCompositeFieldContainer[_records_pb2.WorkItem]
    timers: _containers.RepeatedCompositeFieldContainer[_records_pb2.Timer]
    events: _containers.RepeatedCompositeFieldContainer[_records_pb2.Event]
    def __init__(self, root_id: _Optional[str] = ..., guards: _Optional[_Iterable[_Union[Guard, _Mapping]]] = ..., states: _Optional[_Iterable[_Union[_records_pb2.NodeState, _Mapping]]] = ..., processes: _Optional[_Iterable[_Union[_records_pb2.Process, _Mapping]]] = ..., join_arrivals: _Optional[_Iterable[str]] = ..., schedules: _Optional[_Iterable[_Union[_records_pb2.Schedule, _Mapping]]] = ..., execution_data: _Optional[_Mapping[str, _records_pb2.ExecutionData]] = ..., execution_outputs_json: _Optional[_Mapping[str, str]] = ..., node_inputs: _Optional[_Mapping[str, _records_pb2.NodeInputs]] = ..., contexts: _Optional[_Mapping[str, _records_pb2.ContextValues]] = ..., histories: _Optional[_Iterable[_Union[_records_pb2.History, _Mapping]]] = ..., work: _Optional[_Iterable[_Union[_records_pb2.WorkItem, _Mapping]]] = ..., timers: _Optional[_Iterable[_Union[_records_pb2.Timer, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[_records_pb2.Event, _Mapping]]] = ...) -> None: ...

class StepSnapshot(_message.Message):
    __slots__ = ("process", "pipeline_states", "state", "execution_data", "node_inputs", "contexts", "root_data_json", "schedule", "ahead")
    class PipelineStatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _records_pb2.NodeState
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_records_pb2.NodeState, _Mapping]] = ...) -> None: ...
    class ContextsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _records_pb2.ContextValues
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_records_pb2.ContextValues, _Mapping]] = ...) -> None: ...
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_STATES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_DATA_FIELD_NUMBER: _ClassVar[int]
    NODE_INPUTS_FIELD_NUMBER: _ClassVar[int]
    CONTEXTS_FIELD_NUMBER: _ClassVar[int]
    ROOT_DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    AHEAD_FIELD_NUMBER: _ClassVar[int]
    process: _records_pb2.Process
    pipeline_states: _containers.MessageMap[str, _records_pb2.NodeState]
    state: _records_pb2.NodeState
    execution_data: _records_pb2.ExecutionData
    node_inputs: _records_pb2.NodeInputs
    contexts: _containers.MessageMap[str, _records_pb2.ContextValues]
    root_data_json: str
    schedule: _records_pb2.Schedule
    ahead: _containers.RepeatedCompositeFieldContainer[NodeRows]
    def __init__(self, process: _Optional[_Union[_records_pb2.Process, _Mapping]] = ..., pipeline_states: _Optional[_Mapping[str, _records_pb2.NodeState]] = ..., state: _Optional[_Union[_records_pb2.NodeState, _Mapping]] = ..., execution_data: _Optional[_Union[_records_pb2.ExecutionData, _Mapping]] = ..., node_inputs: _Optional[_Union[_records_pb2.NodeInputs, _Mapping]] = ..., contexts: _Optional[_Mapping[str, _records_pb2.ContextValues]] = ..., root_data_json: _Optional[str] = ..., schedule: _Optional[_Union[_records_pb2.Schedule, _Mapping]] = ..., ahead: _Optional[_Iterable[_Union[NodeRows, _Mapping]]] = ...) -> None: ...

class NodeRows(_message.Message):
    __slots__ = ("node_id", "state", "execution_data", "node_inputs")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_DATA_FIELD_NUMBER: _ClassVar[int]
    NODE_INPUTS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    state: _records_pb2.NodeState
    execution_data: _records_pb2.ExecutionData
    node_inputs: _records_pb2.NodeInputs
    def __init__(self, node_id: _Optional[str] = ..., state: _Optional[_Union[_records_pb2.NodeState, _Mapping]] = ..., execution_data: _Optional[_Union[_records_pb2.ExecutionData, _Mapping]] = ..., node_inputs: _Optional[_Union[_records_pb2.NodeInputs, _Mapping]] = ...) -> None: ...

class CreatePipelineRequest(_message.Message):
    __slots__ = ("tree_json", "root_data_json", "commit")
    TREE_JSON_FIELD_NUMBER: _ClassVar[int]
    ROOT_DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    tree_json: str
    root_data_json: str
    commit: Commit
    def __init__(self, tree_json: _Optional[str] = ..., root_data_json: _Optional[str] = ..., commit: _Optional[_Union[Commit, _Mapping]] = ...) -> None: ...

class CreatePipelineResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("root_id",)
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    root_id: str
    def __init__(self, root_id: _Optional[str] = ...) -> None: ...

class GetModelResponse(_message.Message):
    __slots__ = ("tree_json",)
    TREE_JSON_FIELD_NUMBER: _ClassVar[int]
    tree_json: str
    def __init__(self, tree_json: _Optional[str] = ...) -> None: ...

class RootOfRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class RootOfResponse(_message.Message):
    __slots__ = ("root_id",)
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    root_id: str
    def __init__(self, root_id: _Optional[str] = ...) -> None: ...

class LoadStepRequest(_message.Message):
    __slots__ = ("process_id", "node_id", "schedule_id", "ahead")
    PROCESS_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    AHEAD_FIELD_NUMBER: _ClassVar[int]
    process_id: str
    node_id: str
    schedule_id: str
    ahead: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, process_id: _Optional[str] = ..., node_id: _Optional[str] = ..., schedule_id: _Optional[str] = ..., ahead: _Optional[_Iterable[str]] = ...) -> None: ...

class LoadStepResponse(_message.Message):
    __slots__ = ("snapshot",)
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    snapshot: StepSnapshot
    def __init__(self, snapshot: _Optional[_Union[StepSnapshot, _Mapping]] = ...) -> None: ...

class CommitRequest(_message.Message):
    __slots__ = ("commit", "then_load")
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    THEN_LOAD_FIELD_NUMBER: _ClassVar[int]
    commit: Commit
    then_load: LoadStepRequest
    def __init__(self, commit: _Optional[_Union[Commit, _Mapping]] = ..., then_load: _Optional[_Union[LoadStepRequest, _Mapping]] = ...) -> None: ...

class CommitResponse(_message.Message):
    __slots__ = ("snapshot",)
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    snapshot: StepSnapshot
    def __init__(self, snapshot: _Optional[_Union[StepSnapshot, _Mapping]] = ...) -> None: ...

class CommitManyRequest(_message.Message):
    __slots__ = ("commits",)
    COMMITS_FIELD_NUMBER: _ClassVar[int]
    commits: _containers.RepeatedCompositeFieldContainer[Commit]
    def __init__(self, commits: _Optional[_Iterable[_Union[Commit, _Mapping]]] = ...) -> None: ...

class CommitOutcome(_message.Message):
    __slots__ = ("ok", "code", "message")
    OK_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    code: int
    message: str
    def __init__(self, ok: _Optional[bool] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class CommitManyResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[CommitOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[CommitOutcome, _Mapping]]] = ...) -> None: ...

class NodeRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class RootRequest(_message.Message):
    __slots__ = ("root_id",)
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    root_id: str
    def __init__(self, root_id: _Optional[str] = ...) -> None: ...

class ScopeRequest(_message.Message):
    __slots__ = ("scope_id",)
    SCOPE_ID_FIELD_NUMBER: _ClassVar[int]
    scope_id: str
    def __init__(self, scope_id: _Optional[str] = ...) -> None: ...

class GetStateResponse(_message.Message):
    __slots__ = ("state",)
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: _records_pb2.NodeState
    def __init__(self, state: _Optional[_Union[_records_pb2.NodeState, _Mapping]] = ...) -> None: ...

class GetStatesResponse(_message.Message):
    __slots__ = ("states",)
    STATES_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedCompositeFieldContainer[_records_pb2.NodeState]
    def __init__(self, states: _Optional[_Iterable[_Union[_records_pb2.NodeState, _Mapping]]] = ...) -> None: ...

class GetExecutionDataResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: _records_pb2.ExecutionData
    def __init__(self, data: _Optional[_Union[_records_pb2.ExecutionData, _Mapping]] = ...) -> None: ...

class GetNodeInputsResponse(_message.Message):
    __slots__ = ("inputs",)
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    inputs: _records_pb2.NodeInputs
    def __init__(self, inputs: _Optional[_Union[_records_pb2.NodeInputs, _Mapping]] = ...) -> None: ...

class GetHistoriesResponse(_message.Message):
    __slots__ = ("histories",)
    HISTORIES_FIELD_NUMBER: _ClassVar[int]
    histories: _containers.RepeatedCompositeFieldContainer[_records_pb2.History]
    def __init__(self, histories: _Optional[_Iterable[_Union[_records_pb2.History, _Mapping]]] = ...) -> None: ...

class GetContextResponse(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[_records_pb2.ContextValue]
    def __init__(self, values: _Optional[_Iterable[_Union[_records_pb2.ContextValue, _Mapping]]] = ...) -> None: ...

class GetProcessesResponse(_message.Message):
    __slots__ = ("processes",)
    PROCESSES_FIELD_NUMBER: _ClassVar[int]
    processes: _containers.RepeatedCompositeFieldContainer[_records_pb2.Process]
    def __init__(self, processes: _Optional[_Iterable[_Union[_records_pb2.Process, _Mapping]]] = ...) -> None: ...

class GetScheduleRequest(_message.Message):
    __slots__ = ("node_id", "node_version")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_VERSION_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    node_version: str
    def __init__(self, node_id: _Optional[str] = ..., node_version: _Optional[str] = ...) -> None: ...

class GetScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: _records_pb2.Schedule
    def __init__(self, schedule: _Optional[_Union[_records_pb2.Schedule, _Mapping]] = ...) -> None: ...

class GetRootDataResponse(_message.Message):
    __slots__ = ("root_data_json",)
    ROOT_DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    root_data_json: str
    def __init__(self, root_data_json: _Optional[str] = ...) -> None: ...

class FireDueTimersRequest(_message.Message):
    __slots__ = ("now", "limit")
    NOW_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    now: float
    limit: int
    def __init__(self, now: _Optional[float] = ..., limit: _Optional[int] = ...) -> None: ...

class FireDueTimersResponse(_message.Message):
    __slots__ = ("fired",)
    FIRED_FIELD_NUMBER: _ClassVar[int]
    fired: int
    def __init__(self, fired: _Optional[int] = ...) -> None: ...
