from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NodeStateName(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_STATE_NAME_UNSPECIFIED: _ClassVar[NodeStateName]
    NODE_STATE_NAME_CREATED: _ClassVar[NodeStateName]
    NODE_STATE_NAME_READY: _ClassVar[NodeStateName]
    NODE_STATE_NAME_LOOP_READY: _ClassVar[NodeStateName]
    NODE_STATE_NAME_RUNNING: _ClassVar[NodeStateName]
    NODE_STATE_NAME_SUSPENDED: _ClassVar[NodeStateName]
    NODE_STATE_NAME_BLOCKED: _ClassVar[NodeStateName]
    NODE_STATE_NAME_FINISHED: _ClassVar[NodeStateName]
    NODE_STATE_NAME_FAILED: _ClassVar[NodeStateName]
    NODE_STATE_NAME_REVOKED: _ClassVar[NodeStateName]
    NODE_STATE_NAME_ROLLING_BACK: _ClassVar[NodeStateName]
    NODE_STATE_NAME_ROLL_BACK_SUCCESS: _ClassVar[NodeStateName]
    NODE_STATE_NAME_ROLL_BACK_FAILED: _ClassVar[NodeStateName]

class ProcessStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROCESS_STATUS_UNSPECIFIED: _ClassVar[ProcessStatus]
    PROCESS_STATUS_RUNNING: _ClassVar[ProcessStatus]
    PROCESS_STATUS_SLEEPING: _ClassVar[ProcessStatus]
    PROCESS_STATUS_SUSPENDED: _ClassVar[ProcessStatus]
    PROCESS_STATUS_JOINING: _ClassVar[ProcessStatus]
    PROCESS_STATUS_DEAD: _ClassVar[ProcessStatus]

class ScheduleType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCHEDULE_TYPE_UNSPECIFIED: _ClassVar[ScheduleType]
    SCHEDULE_TYPE_CALLBACK: _ClassVar[ScheduleType]
    SCHEDULE_TYPE_MULTIPLE_CALLBACK: _ClassVar[ScheduleType]
    SCHEDULE_TYPE_POLL: _ClassVar[ScheduleType]

class VarType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VAR_TYPE_UNSPECIFIED: _ClassVar[VarType]
    VAR_TYPE_PLAIN: _ClassVar[VarType]
    VAR_TYPE_SPLICE: _ClassVar[VarType]
    VAR_TYPE_LAZY: _ClassVar[VarType]
NODE_STATE_NAME_UNSPECIFIED: NodeStateName
NODE_STATE_NAME_CREATED: NodeStateName
NODE_STATE_NAME_READY: NodeStateName
NODE_STATE_NAME_LOOP_READY: NodeStateName
NODE_STATE_NAME_RUNNING: NodeStateName
NODE_STATE_NAME_SUSPENDED: NodeStateName
NODE_STATE_NAME_BLOCKED: NodeStateName
NODE_STATE_NAME_FINISHED: NodeStateName
NODE_STATE_NAME_FAILED: NodeStateName
NODE_STATE_NAME_REVOKED: NodeStateName
NODE_STATE_NAME_ROLLING_BACK: NodeStateName
NODE_STATE_NAME_ROLL_BACK_SUCCESS: NodeStateName
NODE_STATE_NAME_ROLL_BACK_FAILED: NodeStateName
PROCESS_STATUS_UNSPECIFIED: ProcessStatus
PROCESS_STATUS_RUNNING: ProcessStatus
PROCESS_STATUS_SLEEPING: ProcessStatus
PROCESS_STATUS_SUSPENDED: ProcessStatus
PROCESS_STATUS_JOINING: ProcessStatus
PROCESS_STATUS_DEAD: ProcessStatus
SCHEDULE_TYPE_UNSPECIFIED: ScheduleType
SCHEDULE_TYPE_CALLBACK: ScheduleType
SCHEDULE_TYPE_MULTIPLE_CALLBACK: ScheduleType
SCHEDULE_TYPE_POLL: ScheduleType
VAR_TYPE_UNSPECIFIED: VarType
VAR_TYPE_PLAIN: VarType
VAR_TYPE_SPLICE: VarType
VAR_TYPE_LAZY: VarType

class NodeState(_message.Message):
    __slots__ = ("node_id", "root_id", "parent_id", "name", "version", "loop", "inner_loop", "scope_pass", "retry", "skip", "error_ignored", "created_time", "started_time", "archived_time")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LOOP_FIELD_NUMBER: _ClassVar[int]
    INNER_LOOP_FIELD_NUMBER: _ClassVar[int]
    SCOPE_PASS_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    ERROR_IGNORED_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_TIME_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    root_id: str
    parent_id: str
    name: NodeStateName
    version: str
    loop: int
    inner_loop: int
    scope_pass: int
    retry: int
    skip: bool
    error_ignored: bool
    created_time: float
    started_time: float
    archived_time: float
    def __init__(self, node_id: _Optional[str] = ..., root_id: _Optional[str] = ..., parent_id: _Optional[str] = ..., name: _Optional[_Union[NodeStateName, str]] = ..., version: _Optional[str] = ..., loop: _Optional[int] = ..., inner_loop: _Optional[int] = ..., scope_pass: _Optional[int] = ..., retry: _Optional[int] = ..., skip: _Optional[bool] = ..., error_ignored: _Optional[bool] = ..., created_time: _Optional[float] = ..., started_time: _Optional[float] = ..., archived_time: _Optional[float] = ...) -> None: ...

class Process(_message.Message):
    __slots__ = ("id", "root_id", "parent_id", "stack", "current_node_id", "status", "version", "destination_id", "suspended_by", "need_ack")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    CURRENT_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_ID_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_BY_FIELD_NUMBER: _ClassVar[int]
    NEED_ACK_FIELD_NUMBER: _ClassVar[int]
    id: str
    root_id: str
    parent_id: str
    stack: _containers.RepeatedScalarFieldContainer[str]
    current_node_id: str
    status: ProcessStatus
    version: int
    destination_id: str
    suspended_by: str
    need_ack: int
    def __init__(self, id: _Optional[str] = ..., root_id: _Optional[str] = ..., parent_id: _Optional[str] = ..., stack: _Optional[_Iterable[str]] = ..., current_node_id: _Optional[str] = ..., status: _Optional[_Union[ProcessStatus, str]] = ..., version: _Optional[int] = ..., destination_id: _Optional[str] = ..., suspended_by: _Optional[str] = ..., need_ack: _Optional[int] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ("id", "node_id", "node_version", "type", "process_id", "times", "finished", "expired", "rev", "locked_until")
    ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_VERSION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PROCESS_ID_FIELD_NUMBER: _ClassVar[int]
    TIMES_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_FIELD_NUMBER: _ClassVar[int]
    REV_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    id: str
    node_id: str
    node_version: str
    type: ScheduleType
    process_id: str
    times: int
    finished: bool
    expired: bool
    rev: int
    locked_until: float
    def __init__(self, id: _Optional[str] = ..., node_id: _Optional[str] = ..., node_version: _Optional[str] = ..., type: _Optional[_Union[ScheduleType, str]] = ..., process_id: _Optional[str] = ..., times: _Optional[int] = ..., finished: _Optional[bool] = ..., expired: _Optional[bool] = ..., rev: _Optional[int] = ..., locked_until: _Optional[float] = ...) -> None: ...

class ExecutionData(_message.Message):
    __slots__ = ("inputs_json", "outputs_json")
    INPUTS_JSON_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_JSON_FIELD_NUMBER: _ClassVar[int]
    inputs_json: str
    outputs_json: str
    def __init__(self, inputs_json: _Optional[str] = ..., outputs_json: _Optional[str] = ...) -> None: ...

class History(_message.Message):
    __slots__ = ("id", "node_id", "started_time", "archived_time", "loop", "retry", "skip", "version", "inputs_json", "outputs_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_TIME_FIELD_NUMBER: _ClassVar[int]
    LOOP_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    INPUTS_JSON_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_JSON_FIELD_NUMBER: _ClassVar[int]
    id: int
    node_id: str
    started_time: float
    archived_time: float
    loop: int
    retry: int
    skip: bool
    version: str
    inputs_json: str
    outputs_json: str
    def __init__(self, id: _Optional[int] = ..., node_id: _Optional[str] = ..., started_time: _Optional[float] = ..., archived_time: _Optional[float] = ..., loop: _Optional[int] = ..., retry: _Optional[int] = ..., skip: _Optional[bool] = ..., version: _Optional[str] = ..., inputs_json: _Optional[str] = ..., outputs_json: _Optional[str] = ...) -> None: ...

class ContextValue(_message.Message):
    __slots__ = ("key", "type", "value_json", "code")
    KEY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    key: str
    type: VarType
    value_json: str
    code: str
    def __init__(self, key: _Optional[str] = ..., type: _Optional[_Union[VarType, str]] = ..., value_json: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class ContextValues(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[ContextValue]
    def __init__(self, values: _Optional[_Iterable[_Union[ContextValue, _Mapping]]] = ...) -> None: ...

class DataInput(_message.Message):
    __slots__ = ("need_render", "value_json")
    NEED_RENDER_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    need_render: bool
    value_json: str
    def __init__(self, need_render: _Optional[bool] = ..., value_json: _Optional[str] = ...) -> None: ...

class NodeInputs(_message.Message):
    __slots__ = ("inputs",)
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: DataInput
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[DataInput, _Mapping]] = ...) -> None: ...
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    inputs: _containers.MessageMap[str, DataInput]
    def __init__(self, inputs: _Optional[_Mapping[str, DataInput]] = ...) -> None: ...

class ExecuteItem(_message.Message):
    __slots__ = ("root_id", "process_id", "node_id", "process_version")
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_VERSION_FIELD_NUMBER: _ClassVar[int]
    root_id: str
    process_id: str
    node_id: str
    process_version: int
    def __init__(self, root_id: _Optional[str] = ..., process_id: _Optional[str] = ..., node_id: _Optional[str] = ..., process_version: _Optional[int] = ...) -> None: ...

class ScheduleItem(_message.Message):
    __slots__ = ("root_id", "process_id", "node_id", "schedule_id", "callback_data_json", "is_callback")
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    IS_CALLBACK_FIELD_NUMBER: _ClassVar[int]
    root_id: str
    process_id: str
    node_id: str
    schedule_id: str
    callback_data_json: str
    is_callback: bool
    def __init__(self, root_id: _Optional[str] = ..., process_id: _Optional[str] = ..., node_id: _Optional[str] = ..., schedule_id: _Optional[str] = ..., callback_data_json: _Optional[str] = ..., is_callback: _Optional[bool] = ...) -> None: ...

class WorkItem(_message.Message):
    __slots__ = ("execute", "schedule")
    EXECUTE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    execute: ExecuteItem
    schedule: ScheduleItem
    def __init__(self, execute: _Optional[_Union[ExecuteItem, _Mapping]] = ..., schedule: _Optional[_Union[ScheduleItem, _Mapping]] = ...) -> None: ...

class Timer(_message.Message):
    __slots__ = ("due", "item")
    DUE_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    due: float
    item: WorkItem
    def __init__(self, due: _Optional[float] = ..., item: _Optional[_Union[WorkItem, _Mapping]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("kind", "root_id", "node_id", "data_json", "time")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    kind: str
    root_id: str
    node_id: str
    data_json: str
    time: float
    def __init__(self, kind: _Optional[str] = ..., root_id: _Optional[str] = ..., node_id: _Optional[str] = ..., data_json: _Optional[str] = ..., time: _Optional[float] = ...) -> None: ...

class EventBatch(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...
