from bamboo_proto.v1 import records_pb2 as _records_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunPipelineRequest(_message.Message):
    __slots__ = ("tree_json", "root_pipeline_data_json", "root_pipeline_context_json", "subprocess_context_json", "start_node_id", "cycle_tolerate")
    TREE_JSON_FIELD_NUMBER: _ClassVar[int]
    ROOT_PIPELINE_DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    ROOT_PIPELINE_CONTEXT_JSON_FIELD_NUMBER: _ClassVar[int]
    SUBPROCESS_CONTEXT_JSON_FIELD_NUMBER: _ClassVar[int]
    START_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CYCLE_TOLERATE_FIELD_NUMBER: _ClassVar[int]
    tree_json: str
    root_pipeline_data_json: str
    root_pipeline_context_json: str
    subprocess_context_json: str
    start_node_id: str
    cycle_tolerate: bool
    def __init__(self, tree_json: _Optional[str] = ..., root_pipeline_data_json: _Optional[str] = ..., root_pipeline_context_json: _Optional[str] = ..., subprocess_context_json: _Optional[str] = ..., start_node_id: _Optional[str] = ..., cycle_tolerate: _Optional[bool] = ...) -> None: ...

class RunPipelineResponse(_message.Message):
    __slots__ = ("root_id",)
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    root_id: str
    def __init__(self, root_id: _Optional[str] = ...) -> None: ...

class PipelineRequest(_message.Message):
    __slots__ = ("pipeline_id",)
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    pipeline_id: str
    def __init__(self, pipeline_id: _Optional[str] = ...) -> None: ...

class NodeIdRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RetryNodeRequest(_message.Message):
    __slots__ = ("node_id", "data_json")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    data_json: str
    def __init__(self, node_id: _Optional[str] = ..., data_json: _Optional[str] = ...) -> None: ...

class SkipExclusiveGatewayRequest(_message.Message):
    __slots__ = ("node_id", "flow_id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    FLOW_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    flow_id: str
    def __init__(self, node_id: _Optional[str] = ..., flow_id: _Optional[str] = ...) -> None: ...

class SkipConditionalParallelGatewayRequest(_message.Message):
    __slots__ = ("node_id", "flow_ids", "converge_gateway_id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    FLOW_IDS_FIELD_NUMBER: _ClassVar[int]
    CONVERGE_GATEWAY_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    flow_ids: _containers.RepeatedScalarFieldContainer[str]
    converge_gateway_id: str
    def __init__(self, node_id: _Optional[str] = ..., flow_ids: _Optional[_Iterable[str]] = ..., converge_gateway_id: _Optional[str] = ...) -> None: ...

class ForcedFailActivityRequest(_message.Message):
    __slots__ = ("node_id", "ex_data_json")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    EX_DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    ex_data_json: str
    def __init__(self, node_id: _Optional[str] = ..., ex_data_json: _Optional[str] = ...) -> None: ...

class CallbackRequest(_message.Message):
    __slots__ = ("node_id", "version", "data_json")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    version: str
    data_json: str
    def __init__(self, node_id: _Optional[str] = ..., version: _Optional[str] = ..., data_json: _Optional[str] = ...) -> None: ...

class NodeStateView(_message.Message):
    __slots__ = ("id", "state", "root_id", "parent_id", "version", "loop", "inner_loop", "retry", "skip", "error_ignorable", "error_ignored", "created_time", "started_time", "archived_time", "children")
    class ChildrenEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: NodeStateView
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[NodeStateView, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LOOP_FIELD_NUMBER: _ClassVar[int]
    INNER_LOOP_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    ERROR_IGNORABLE_FIELD_NUMBER: _ClassVar[int]
    ERROR_IGNORED_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_TIME_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    id: str
    state: _records_pb2.NodeStateName
    root_id: str
    parent_id: str
    version: str
    loop: int
    inner_loop: int
    retry: int
    skip: bool
    error_ignorable: bool
    error_ignored: bool
    created_time: float
    started_time: float
    archived_time: float
    children: _containers.MessageMap[str, NodeStateView]
    def __init__(self, id: _Optional[str] = ..., state: _Optional[_Union[_records_pb2.NodeStateName, str]] = ..., root_id: _Optional[str] = ..., parent_id: _Optional[str] = ..., version: _Optional[str] = ..., loop: _Optional[int] = ..., inner_loop: _Optional[int] = ..., retry: _Optional[int] = ..., skip: _Optional[bool] = ..., error_ignorable: _Optional[bool] = ..., error_ignored: _Optional[bool] = ..., created_time: _Optional[float] = ..., started_time: _Optional[float] = ..., archived_time: _Optional[float] = ..., children: _Optional[_Mapping[str, NodeStateView]] = ...) -> None: ...

class GetPipelineStatesRequest(_message.Message):
    __slots__ = ("root_id", "flat_children")
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    FLAT_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    root_id: str
    flat_children: bool
    def __init__(self, root_id: _Optional[str] = ..., flat_children: _Optional[bool] = ...) -> None: ...

class StatesResponse(_message.Message):
    __slots__ = ("state",)
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: NodeStateView
    def __init__(self, state: _Optional[_Union[NodeStateView, _Mapping]] = ...) -> None: ...

class ExecutionDataResponse(_message.Message):
    __slots__ = ("inputs_json", "outputs_json")
    INPUTS_JSON_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_JSON_FIELD_NUMBER: _ClassVar[int]
    inputs_json: str
    outputs_json: str
    def __init__(self, inputs_json: _Optional[str] = ..., outputs_json: _Optional[str] = ...) -> None: ...

class JsonResponse(_message.Message):
    __slots__ = ("json",)
    JSON_FIELD_NUMBER: _ClassVar[int]
    json: str
    def __init__(self, json: _Optional[str] = ...) -> None: ...

class GetNodeHistoriesRequest(_message.Message):
    __slots__ = ("node_id", "loop", "short")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    LOOP_FIELD_NUMBER: _ClassVar[int]
    SHORT_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    loop: int
    short: bool
    def __init__(self, node_id: _Optional[str] = ..., loop: _Optional[int] = ..., short: _Optional[bool] = ...) -> None: ...

class HistoryView(_message.Message):
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

class HistoriesResponse(_message.Message):
    __slots__ = ("histories",)
    HISTORIES_FIELD_NUMBER: _ClassVar[int]
    histories: _containers.RepeatedCompositeFieldContainer[HistoryView]
    def __init__(self, histories: _Optional[_Iterable[_Union[HistoryView, _Mapping]]] = ...) -> None: ...

class PreviewNodeInputsRequest(_message.Message):
    __slots__ = ("tree_json", "node_id", "subprocess_stack", "root_pipeline_data_json", "parent_params_json")
    TREE_JSON_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBPROCESS_STACK_FIELD_NUMBER: _ClassVar[int]
    ROOT_PIPELINE_DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    PARENT_PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    tree_json: str
    node_id: str
    subprocess_stack: _containers.RepeatedScalarFieldContainer[str]
    root_pipeline_data_json: str
    parent_params_json: str
    def __init__(self, tree_json: _Optional[str] = ..., node_id: _Optional[str] = ..., subprocess_stack: _Optional[_Iterable[str]] = ..., root_pipeline_data_json: _Optional[str] = ..., parent_params_json: _Optional[str] = ...) -> None: ...

class ExecutionTimeResponse(_message.Message):
    __slots__ = ("state", "start_time", "archived_time", "execution_time")
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_TIME_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    state: _records_pb2.NodeStateName
    start_time: float
    archived_time: float
    execution_time: float
    def __init__(self, state: _Optional[_Union[_records_pb2.NodeStateName, str]] = ..., start_time: _Optional[float] = ..., archived_time: _Optional[float] = ..., execution_time: _Optional[float] = ...) -> None: ...

class UpdateContextValuesRequest(_message.Message):
    __slots__ = ("pipeline_id", "values")
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    pipeline_id: str
    values: _containers.RepeatedCompositeFieldContainer[_records_pb2.ContextValue]
    def __init__(self, pipeline_id: _Optional[str] = ..., values: _Optional[_Iterable[_Union[_records_pb2.ContextValue, _Mapping]]] = ...) -> None: ...

class GetNodeScheduleRequest(_message.Message):
    __slots__ = ("node_id", "version")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    version: str
    def __init__(self, node_id: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class ScheduleView(_message.Message):
    __slots__ = ("id", "node_id", "version", "type", "times", "finished", "expired")
    ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMES_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_FIELD_NUMBER: _ClassVar[int]
    id: str
    node_id: str
    version: str
    type: _records_pb2.ScheduleType
    times: int
    finished: bool
    expired: bool
    def __init__(self, id: _Optional[str] = ..., node_id: _Optional[str] = ..., version: _Optional[str] = ..., type: _Optional[_Union[_records_pb2.ScheduleType, str]] = ..., times: _Optional[int] = ..., finished: _Optional[bool] = ..., expired: _Optional[bool] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("root_id",)
    ROOT_ID_FIELD_NUMBER: _ClassVar[int]
    root_id: str
    def __init__(self, root_id: _Optional[str] = ...) -> None: ...
