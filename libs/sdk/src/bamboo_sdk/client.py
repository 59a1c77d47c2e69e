"""``Client``: the gateway's Workflow service as Python methods — and a ``bamboo_core`` runtime.

Every method of ``bamboo_core.runtime.protocol.Runtime`` is here with the same
signature, result shape and exceptions as ``InMemoryRuntime``, so
``api.run_pipeline(runtime=Client(target), pipeline=tree)`` behaves as in embedded
mode. On top: ``preview_node_inputs``, ``wait`` (until a pipeline ends) and
``watch`` (its events as they are committed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc

from bamboo_core.states import ARCHIVED_STATES
from bamboo_proto.v1 import workflow_pb2 as wpb
from bamboo_proto.v1 import workflow_pb2_grpc
from bamboo_sdk import convert
from bamboo_sdk.convert import to_json
from bamboo_sdk.errors import domain_error

_Response = TypeVar("_Response")
FINAL_STATES = frozenset(state.value for state in ARCHIVED_STATES)
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One committed event of a pipeline (``kind`` as ``bamboo_core.events.EventKind`` values)."""

    kind: str
    root_id: str
    node_id: str
    data: dict[str, Any]
    time: float


class Client:
    """A connection to a Bamboo gateway at ``target`` (``host:port``).

    Args:
        target: the gateway's address.
        timeout: seconds each call may take (``Watch`` is not limited).
        channel: an existing channel to use instead (``target`` is then only informative).
    """

    def __init__(self, target: str, *, timeout: float = 30.0, channel: grpc.Channel | None = None) -> None:
        self.target = target
        self.timeout = timeout
        self._own_channel = channel is None
        self._channel = channel or grpc.insecure_channel(target, options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)])
        self._stub = workflow_pb2_grpc.WorkflowStub(self._channel)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        if self._own_channel:
            self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: Callable[..., _Response], request: Any) -> _Response:
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as error:
            raise domain_error(error) from None

    # -- control ----------------------------------------------------------------------

    def run_pipeline(self, pipeline: Mapping[str, Any], root_pipeline_data: Mapping[str, Any] | None = None,
                     root_pipeline_context: Mapping[str, Any] | None = None,
                     subprocess_context: Mapping[str, Any] | None = None, **options: Any) -> None:
        """Validate and start ``pipeline`` (options: ``start_node_id``, ``cycle_tolerate``)."""
        self.start_pipeline(pipeline, root_pipeline_data, root_pipeline_context, subprocess_context, **options)

    def start_pipeline(self, pipeline: Mapping[str, Any], root_pipeline_data: Mapping[str, Any] | None = None,
                       root_pipeline_context: Mapping[str, Any] | None = None,
                       subprocess_context: Mapping[str, Any] | None = None, **options: Any) -> str:
        """``run_pipeline`` that returns the new pipeline's root id."""
        unknown = set(options) - {"start_node_id", "cycle_tolerate"}
        if unknown:
            raise TypeError(f"run_pipeline() got unexpected options {sorted(unknown)}")
        request = wpb.RunPipelineRequest(
            tree_json=to_json(pipeline, "pipeline"),
            root_pipeline_data_json=to_json(dict(root_pipeline_data or {}), "root_pipeline_data"),
            root_pipeline_context_json=to_json(dict(root_pipeline_context or {}), "root_pipeline_context"),
            subprocess_context_json=to_json(dict(subprocess_context or {}), "subprocess_context"),
            start_node_id=options.get("start_node_id") or "", cycle_tolerate=bool(options.get("cycle_tolerate")),
        )  # fmt: skip
        return self._call(self._stub.RunPipeline, request).root_id

    def pause_pipeline(self, pipeline_id: str) -> None:
        self._call(self._stub.PausePipeline, wpb.PipelineRequest(pipeline_id=pipeline_id))

    def resume_pipeline(self, pipeline_id: str) -> None:
        self._call(self._stub.ResumePipeline, wpb.PipelineRequest(pipeline_id=pipeline_id))

    def revoke_pipeline(self, pipeline_id: str) -> None:
        self._call(self._stub.RevokePipeline, wpb.PipelineRequest(pipeline_id=pipeline_id))

    def pause_node_appoint(self, node_id: str) -> None:
        self._call(self._stub.PauseNodeAppoint, wpb.NodeIdRequest(node_id=node_id))

    def resume_node_appoint(self, node_id: str) -> None:
        self._call(self._stub.ResumeNodeAppoint, wpb.NodeIdRequest(node_id=node_id))

    def retry_node(self, node_id: str, data: Mapping[str, Any] | None = None) -> None:
        data_json = to_json(dict(data), "data") if data is not None else None
        self._call(self._stub.RetryNode, wpb.RetryNodeRequest(node_id=node_id, data_json=data_json))

    def retry_subprocess(self, node_id: str) -> None:
        self._call(self._stub.RetrySubprocess, wpb.NodeIdRequest(node_id=node_id))

    def skip_node(self, node_id: str) -> None:
        self._call(self._stub.SkipNode, wpb.NodeIdRequest(node_id=node_id))

    def skip_exclusive_gateway(self, node_id: str, flow_id: str) -> None:
        self._call(self._stub.SkipExclusiveGateway, wpb.SkipExclusiveGatewayRequest(node_id=node_id, flow_id=flow_id))

    def skip_conditional_parallel_gateway(self, node_id: str, flow_ids: Sequence[str],
                                          converge_gateway_id: str) -> None:
        request = wpb.SkipConditionalParallelGatewayRequest(node_id=node_id, flow_ids=list(flow_ids),
                                                            converge_gateway_id=converge_gateway_id)
        self._call(self._stub.SkipConditionalParallelGateway, request)

    def forced_fail_activity(self, node_id: str, ex_data: Any) -> None:
        request = wpb.ForcedFailActivityRequest(node_id=node_id, ex_data_json=to_json(ex_data, "ex_data"))
        self._call(self._stub.ForcedFailActivity, request)

    def callback(self, node_id: str, version: str, data: Any) -> None:
        request = wpb.CallbackRequest(node_id=node_id, version=version, data_json=to_json(data, "data"))
        self._call(self._stub.Callback, request)

    # -- queries ----------------------------------------------------------------------

    def get_pipeline_states(self, root_id: str, flat_children: bool = True) -> dict[str, Any]:
        request = wpb.GetPipelineStatesRequest(root_id=root_id, flat_children=flat_children)
        return convert.states(self._call(self._stub.GetPipelineStates, request))

    def get_children_states(self, node_id: str) -> dict[str, Any]:
        return convert.states(self._call(self._stub.GetChildrenStates, wpb.NodeIdRequest(node_id=node_id)))

    def get_execution_data(self, node_id: str) -> dict[str, Any]:
        response = self._call(self._stub.GetExecutionData, wpb.NodeIdRequest(node_id=node_id))
        return {"inputs": convert.from_json(response.inputs_json), "outputs": convert.from_json(response.outputs_json)}

    def get_execution_data_inputs(self, node_id: str) -> dict[str, Any]:
        return self._execution_data_or_empty(node_id)["inputs"]

    def get_execution_data_outputs(self, node_id: str) -> dict[str, Any]:
        return self._execution_data_or_empty(node_id)["outputs"]

    def _execution_data_or_empty(self, node_id: str) -> dict[str, Any]:
        """Embedded mode answers ``{}`` for a node without execution data; so do these two."""
        from bamboo_core.errors import NotFoundError

        try:
            return self.get_execution_data(node_id)
        except NotFoundError:
            return {"inputs": {}, "outputs": {}}

    def get_data(self, node_id: str) -> dict[str, Any]:
        response = self._call(self._stub.GetData, wpb.NodeIdRequest(node_id=node_id))
        result: dict[str, Any] = convert.from_json(response.json)
        return result

    def get_node_histories(self, node_id: str, loop: int = -1) -> list[dict[str, Any]]:
        return self._histories(node_id, loop, short=False)

    def get_node_short_histories(self, node_id: str, loop: int = -1) -> list[dict[str, Any]]:
        return self._histories(node_id, loop, short=True)

    def _histories(self, node_id: str, loop: int, short: bool) -> list[dict[str, Any]]:
        request = wpb.GetNodeHistoriesRequest(node_id=node_id, loop=loop, short=short)
        response = self._call(self._stub.GetNodeHistories, request)
        return [convert.history(view, short) for view in response.histories]

    def get_pipeline_execution_time(self, pipeline_id: str) -> dict[str, Any]:
        response = self._call(self._stub.GetPipelineExecutionTime, wpb.PipelineRequest(pipeline_id=pipeline_id))
        return convert.execution_time(response)

    def get_node_execution_time(self, node_id: str) -> dict[str, Any]:
        return convert.execution_time(self._call(self._stub.GetNodeExecutionTime, wpb.NodeIdRequest(node_id=node_id)))

    def update_context_values(self, pipeline_id: str, context_values: Sequence[Any]) -> None:
        values = [convert.context_value(value, index) for index, value in enumerate(context_values)]
        self._call(self._stub.UpdateContextValues,
                   wpb.UpdateContextValuesRequest(pipeline_id=pipeline_id, values=values))

    def get_pipeline_debug_info(self, pipeline_id: str) -> dict[str, Any]:
        response = self._call(self._stub.GetPipelineDebugInfo, wpb.PipelineRequest(pipeline_id=pipeline_id))
        result: dict[str, Any] = convert.from_json(response.json)
        return result

    def get_schedule(self, node_id: str, version: str | None = None) -> dict[str, Any]:
        request = wpb.GetNodeScheduleRequest(node_id=node_id, version=version)
        return convert.schedule(self._call(self._stub.GetSchedule, request))

    def preview_node_inputs(self, pipeline: Mapping[str, Any], node_id: str,
                            subprocess_stack: Sequence[str] | None = None,
                            root_pipeline_data: Mapping[str, Any] | None = None,
                            parent_params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A node's inputs rendered from the tree alone (the gateway runs nothing, stores nothing)."""
        request = wpb.PreviewNodeInputsRequest(
            tree_json=to_json(pipeline, "pipeline"), node_id=node_id, subprocess_stack=list(subprocess_stack or []),
            root_pipeline_data_json=to_json(dict(root_pipeline_data or {}), "root_pipeline_data"),
            parent_params_json=to_json(dict(parent_params or {}), "parent_params"),
        )  # fmt: skip
        result: dict[str, Any] = convert.from_json(self._call(self._stub.PreviewNodeInputs, request).json)
        return result

    # -- waiting and watching -----------------------------------------------------------

    def wait(self, root_id: str, timeout: float = 60.0, *, interval: float = 0.05,
             on_poll: Callable[[str], None] | None = None) -> str:
        """Poll until the pipeline reaches a final state; return it (``TimeoutError`` after ``timeout``).

        ``on_poll`` gets the current state after each poll (a CLI shows progress with it).
        Polls start fast and back off to one a second, so a long wait costs little.
        """
        deadline = time.monotonic() + timeout
        delay = interval
        while True:
            entry = self.get_children_states(root_id).get(root_id)
            state = entry["state"] if entry else ""
            if on_poll is not None:
                on_poll(state)
            if state in FINAL_STATES:
                return str(state)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"pipeline {root_id!r} is still {state or 'unknown'} after {timeout:g}s")
            time.sleep(min(delay, remaining))
            delay = min(delay * 1.5, 1.0)

    def watch(self, root_id: str, timeout: float | None = None) -> Iterator[WatchEvent]:
        """The pipeline's events, past (up to an hour) then live; ends when the pipeline does.

        Closing the iterator (or leaving a ``for`` loop early) cancels the stream.
        """
        stream = self._stub.Watch(wpb.WatchRequest(root_id=root_id), timeout=timeout)
        try:
            for event in stream:
                yield WatchEvent(event.kind, event.root_id, event.node_id,
                                 convert.from_json(event.data_json) or {}, event.time)
        except grpc.RpcError as error:
            if isinstance(error, grpc.Call) and error.code() is grpc.StatusCode.CANCELLED:
                return
            raise domain_error(error) from None
        finally:
            stream.cancel()
