"""``WorkflowServicer``: every ``bamboo.v1.Workflow`` RPC as one engine-core call.

Each call builds a fresh ``Engine`` over the shared ``RemoteStore`` (cheap: the
store holds the bounded model cache), runs the operation or query engine-core
offers for it, and converts the result; nothing is kept between calls, so
gateways scale out freely. Errors are never handled here: ``rpc_errors`` gives each
its status (see ``errors.py``), and the engine's messages already name the node.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc

from bamboo_core.clock import Clock
from bamboo_core.engine import Engine, EngineConfig, queries
from bamboo_core.engine import node_operations as node_ops
from bamboo_core.engine import pipeline_operations as pipeline_ops
from bamboo_core.errors import NotFoundError
from bamboo_core.preview import preview_node_inputs
from bamboo_gateway import views
from bamboo_gateway.errors import abort_for, rpc_errors
from bamboo_gateway.watch import EventSource, EventsUnavailableError, watch_events
from bamboo_proto.v1 import records_pb2 as pb
from bamboo_proto.v1 import workflow_pb2 as wpb
from bamboo_proto.v1 import workflow_pb2_grpc
from bamboo_state_store import codec
from bamboo_state_store.client import RemoteStore

EMPTY = wpb.Empty()


def required(value: str, field: str) -> str:
    """A request field that must be set; ValueError (-> INVALID_ARGUMENT) naming it otherwise."""
    if not value:
        raise ValueError(f"{field}: missing")
    return value


def json_object(text: str, field: str) -> dict[str, Any]:
    """An optional JSON-object field: empty text means ``{}``."""
    return codec.from_json_object(text, field) if text else {}


def json_value(text: str, field: str) -> Any:
    """An optional JSON field: empty text means ``None``."""
    return codec.from_json(text, field) if text else None


class WorkflowServicer(workflow_pb2_grpc.WorkflowServicer):
    def __init__(self, store: RemoteStore, *, events: EventSource | None = None,
                 clock: Clock | None = None, components: Any = None, config: EngineConfig | None = None) -> None:
        self._store = store
        self._events = events
        self._clock = clock
        self._components = components
        self._config = config

    def _engine(self) -> Engine:
        return Engine(self._store, components=self._components, clock=self._clock, config=self._config,
                      emit_events=True)

    # -- control ----------------------------------------------------------------------

    @rpc_errors
    def RunPipeline(self, request: wpb.RunPipelineRequest, context: grpc.ServicerContext) -> wpb.RunPipelineResponse:
        tree = codec.from_json_object(required(request.tree_json, "tree_json"), "tree_json")
        root_id = pipeline_ops.run_pipeline(
            self._engine(), tree, json_object(request.root_pipeline_data_json, "root_pipeline_data_json"),
            json_object(request.root_pipeline_context_json, "root_pipeline_context_json"),
            json_object(request.subprocess_context_json, "subprocess_context_json"),
            start_node_id=request.start_node_id or None, cycle_tolerate=request.cycle_tolerate,
        )  # fmt: skip
        return wpb.RunPipelineResponse(root_id=root_id)

    @rpc_errors
    def PausePipeline(self, request: wpb.PipelineRequest, context: grpc.ServicerContext) -> wpb.Empty:
        pipeline_ops.pause_pipeline(self._engine(), required(request.pipeline_id, "pipeline_id"))
        return EMPTY

    @rpc_errors
    def ResumePipeline(self, request: wpb.PipelineRequest, context: grpc.ServicerContext) -> wpb.Empty:
        pipeline_ops.resume_pipeline(self._engine(), required(request.pipeline_id, "pipeline_id"))
        return EMPTY

    @rpc_errors
    def RevokePipeline(self, request: wpb.PipelineRequest, context: grpc.ServicerContext) -> wpb.Empty:
        pipeline_ops.revoke_pipeline(self._engine(), required(request.pipeline_id, "pipeline_id"))
        return EMPTY

    @rpc_errors
    def PauseNodeAppoint(self, request: wpb.NodeIdRequest, context: grpc.ServicerContext) -> wpb.Empty:
        node_ops.pause_node_appoint(self._engine(), required(request.node_id, "node_id"))
        return EMPTY

    @rpc_errors
    def ResumeNodeAppoint(self, request: wpb.NodeIdRequest, context: grpc.ServicerContext) -> wpb.Empty:
        node_ops.resume_node_appoint(self._engine(), required(request.node_id, "node_id"))
        return EMPTY

    @rpc_errors
    def RetryNode(self, request: wpb.RetryNodeRequest, context: grpc.ServicerContext) -> wpb.Empty:
        data = codec.from_json_object(request.data_json, "data_json") if request.HasField("data_json") else None
        node_ops.retry_node(self._engine(), required(request.node_id, "node_id"), data)
        return EMPTY

    @rpc_errors
    def RetrySubprocess(self, request: wpb.NodeIdRequest, context: grpc.ServicerContext) -> wpb.Empty:
        node_ops.retry_subprocess(self._engine(), required(request.node_id, "node_id"))
        return EMPTY

    @rpc_errors
    def SkipNode(self, request: wpb.NodeIdRequest, context: grpc.ServicerContext) -> wpb.Empty:
        node_ops.skip_node(self._engine(), required(request.node_id, "node_id"))
        return EMPTY

    @rpc_errors
    def SkipExclusiveGateway(self, request: wpb.SkipExclusiveGatewayRequest,
                             context: grpc.ServicerContext) -> wpb.Empty:
        node_ops.skip_exclusive_gateway(self._engine(), required(request.node_id, "node_id"),
                                        required(request.flow_id, "flow_id"))
        return EMPTY

    @rpc_errors
    def SkipConditionalParallelGateway(self, request: wpb.SkipConditionalParallelGatewayRequest,
                                       context: grpc.ServicerContext) -> wpb.Empty:
        node_ops.skip_conditional_parallel_gateway(
            self._engine(), required(request.node_id, "node_id"), list(request.flow_ids),
            required(request.converge_gateway_id, "converge_gateway_id"))
        return EMPTY

    @rpc_errors
    def ForcedFailActivity(self, request: wpb.ForcedFailActivityRequest, context: grpc.ServicerContext) -> wpb.Empty:
        node_ops.forced_fail_activity(self._engine(), required(request.node_id, "node_id"),
                                      json_value(request.ex_data_json, "ex_data_json"))
        return EMPTY

    @rpc_errors
    def Callback(self, request: wpb.CallbackRequest, context: grpc.ServicerContext) -> wpb.Empty:
        node_ops.callback(self._engine(), required(request.node_id, "node_id"), required(request.version, "version"),
                          json_value(request.data_json, "data_json"))
        return EMPTY

    # -- queries ----------------------------------------------------------------------

    @rpc_errors
    def GetPipelineStates(self, request: wpb.GetPipelineStatesRequest,
                          context: grpc.ServicerContext) -> wpb.StatesResponse:
        root_id = required(request.root_id, "root_id")
        return views.states_response(queries.get_pipeline_states(self._engine(), root_id, request.flat_children),
                                     root_id)

    @rpc_errors
    def GetChildrenStates(self, request: wpb.NodeIdRequest, context: grpc.ServicerContext) -> wpb.StatesResponse:
        node_id = required(request.node_id, "node_id")
        return views.states_response(queries.get_children_states(self._engine(), node_id), node_id)

    @rpc_errors
    def GetExecutionData(self, request: wpb.NodeIdRequest,
                         context: grpc.ServicerContext) -> wpb.ExecutionDataResponse:
        data = queries.get_execution_data(self._engine(), required(request.node_id, "node_id"))
        return wpb.ExecutionDataResponse(inputs_json=codec.to_json(data["inputs"], "inputs"),
                                         outputs_json=codec.to_json(data["outputs"], "outputs"))

    @rpc_errors
    def GetData(self, request: wpb.NodeIdRequest, context: grpc.ServicerContext) -> wpb.JsonResponse:
        data = queries.get_data(self._engine(), required(request.node_id, "node_id"))
        return wpb.JsonResponse(json=codec.to_json(data, "data"))

    @rpc_errors
    def GetNodeHistories(self, request: wpb.GetNodeHistoriesRequest,
                         context: grpc.ServicerContext) -> wpb.HistoriesResponse:
        histories = queries.get_node_histories(self._engine(), required(request.node_id, "node_id"),
                                               request.loop, short=request.short)
        return wpb.HistoriesResponse(histories=[views.history_view(entry) for entry in histories])

    @rpc_errors
    def PreviewNodeInputs(self, request: wpb.PreviewNodeInputsRequest,
                          context: grpc.ServicerContext) -> wpb.JsonResponse:
        tree = codec.from_json_object(required(request.tree_json, "tree_json"), "tree_json")
        inputs = preview_node_inputs(
            tree, required(request.node_id, "node_id"), list(request.subprocess_stack),
            json_object(request.root_pipeline_data_json, "root_pipeline_data_json"),
            json_object(request.parent_params_json, "parent_params_json"),
        )  # fmt: skip
        return wpb.JsonResponse(json=codec.to_json(inputs, "inputs"))

    @rpc_errors
    def GetPipelineExecutionTime(self, request: wpb.PipelineRequest,
                                 context: grpc.ServicerContext) -> wpb.ExecutionTimeResponse:
        result = queries.get_execution_time(self._engine(), required(request.pipeline_id, "pipeline_id"))
        return views.execution_time_response(result)

    @rpc_errors
    def GetNodeExecutionTime(self, request: wpb.NodeIdRequest,
                             context: grpc.ServicerContext) -> wpb.ExecutionTimeResponse:
        return views.execution_time_response(
            queries.get_execution_time(self._engine(), required(request.node_id, "node_id")))

    @rpc_errors
    def UpdateContextValues(self, request: wpb.UpdateContextValuesRequest,
                            context: grpc.ServicerContext) -> wpb.Empty:
        values = [views.context_value_dict(value, index) for index, value in enumerate(request.values)]
        queries.update_context_values(self._engine(), required(request.pipeline_id, "pipeline_id"), values)
        return EMPTY

    @rpc_errors
    def GetPipelineDebugInfo(self, request: wpb.PipelineRequest, context: grpc.ServicerContext) -> wpb.JsonResponse:
        info = queries.get_pipeline_debug_info(self._engine(), required(request.pipeline_id, "pipeline_id"))
        return wpb.JsonResponse(json=codec.to_json(info, "debug_info"))

    @rpc_errors
    def GetSchedule(self, request: wpb.GetNodeScheduleRequest, context: grpc.ServicerContext) -> wpb.ScheduleView:
        version = request.version if request.HasField("version") else None
        return views.schedule_view(queries.get_schedule(self._engine(), required(request.node_id, "node_id"),
                                                        version))

    # -- watch ------------------------------------------------------------------------

    def Watch(self, request: wpb.WatchRequest, context: grpc.ServicerContext) -> Iterator[pb.Event]:
        """Checks run before the stream opens, so bad input gets its status, not a broken stream."""
        if self._events is None:
            context.abort(grpc.StatusCode.UNAVAILABLE, "Watch needs NATS: this gateway has no GATEWAY_NATS_URL")
        events = self._events
        try:
            root_id = required(request.root_id, "root_id")
            if self._store.root_of(root_id) != root_id:
                raise NotFoundError(f"pipeline {root_id!r} does not exist")
            subscription = events.open(root_id)
        except EventsUnavailableError as exc:
            context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        except Exception as exc:  # noqa: BLE001 - statuses come from the one table
            abort_for(context, exc, "Watch")
        return watch_events(subscription, root_id, context)
