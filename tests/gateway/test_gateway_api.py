"""The Workflow service through the SDK: results and errors as in embedded mode, nothing changed on bad input.

Each check runs the same call on the cluster and on an ``InMemoryRuntime`` holding
the same flow, so "as in embedded mode" is asserted, not assumed. Raw stub calls
pin the gRPC status codes themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import grpc
import pytest

from bamboo_core import api
from bamboo_core.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from bamboo_core.clock import ManualClock
from bamboo_core.errors import InvalidOperationError, InvalidTreeError, NotFoundError
from bamboo_core.runtime import InMemoryRuntime
from bamboo_proto.v1 import workflow_pb2 as wpb
from bamboo_proto.v1 import workflow_pb2_grpc
from bamboo_sdk import Client
from tests.gateway.cluster import Cluster, ClusterHarness
from tests.scenarios.harness import Harness


def flow(code: str = "debug", root_id: str = "P") -> dict[str, Any]:
    """``start → A(code) → end`` with one plain input and one declared output."""
    start = EmptyStartEvent(id="start")
    activity = ServiceActivity(component_code=code, id="A")
    activity.component.inputs.key_1 = Var(type=Var.PLAIN, value="${x}")
    start.extend(activity).extend(EmptyEndEvent(id="end"))
    from bamboo_core.builder import Data

    data = Data()
    data.inputs["${x}"] = Var(type=Var.PLAIN, value="value of x")
    return build_tree(start, id=root_id, data=data)


@pytest.fixture
def embedded() -> Iterator[Harness]:
    runtime = InMemoryRuntime(clock=ManualClock(), workers=2)
    try:
        yield Harness(runtime)
    finally:
        runtime.close()


def stub(cluster: Cluster) -> workflow_pb2_grpc.WorkflowStub:
    channel = grpc.insecure_channel(cluster.client.target)
    cluster.state_store.channels.append(channel)  # closed with the cluster
    return workflow_pb2_grpc.WorkflowStub(channel)  # type: ignore[no-untyped-call]


def status_of(call: Callable[[], Any]) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    error = raised.value
    assert isinstance(error, grpc.Call)
    return error.code(), error.details() or ""


# -- run_pipeline ----------------------------------------------------------------------


def test_run_pipeline_returns_the_embedded_result(harness: ClusterHarness, embedded: Harness) -> None:
    results = [api.run_pipeline(runtime=h.runtime, pipeline=flow("callback")) for h in (harness, embedded)]
    assert [(r.result, r.message, r.data, r.exc) for r in results] == [(True, "success", None, None)] * 2
    harness.settle()
    assert harness.states("P") == {"P": "RUNNING", "start": "FINISHED", "A": "RUNNING"}
    other = EmptyStartEvent(id="q_start")
    other.extend(ServiceActivity(component_code="debug", id="q_A")).extend(EmptyEndEvent(id="q_end"))
    assert harness.cluster.client.start_pipeline(build_tree(other, id="Q")) == "Q"


def test_malformed_tree_is_refused_naming_the_node_and_nothing_is_stored(harness: ClusterHarness,
                                                                           embedded: Harness) -> None:
    tree = flow(root_id="bad")
    del tree["activities"]["A"]["component"]
    cluster_result = api.run_pipeline(harness.runtime, tree)
    embedded_result = api.run_pipeline(embedded.runtime, tree)
    assert not cluster_result.result and isinstance(cluster_result.exc, InvalidTreeError)
    assert type(cluster_result.exc) is type(embedded_result.exc)
    assert str(cluster_result.exc) == str(embedded_result.exc) and "'A'" in str(cluster_result.exc)
    assert cluster_result.exc.node_ids == embedded_result.exc.node_ids == ("A",)  # type: ignore[union-attr]
    assert getattr(cluster_result.exc, "field", None) == "component"
    assert harness.cluster.remote.root_of("bad") is None and harness.cluster.remote.root_of("A") is None
    code, details = status_of(lambda: stub(harness.cluster).RunPipeline(
        wpb.RunPipelineRequest(tree_json=harness.cluster.client_json(tree))))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and "'A'" in details and "component" in details


@pytest.mark.parametrize("tree_json, field", [("", "tree_json"), ("{not json", "tree_json"), ("[1]", "tree_json")])
def test_unparsable_requests_name_the_field(cluster: Cluster, tree_json: str, field: str) -> None:
    code, details = status_of(lambda: stub(cluster).RunPipeline(wpb.RunPipelineRequest(tree_json=tree_json)))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and field in details


def test_same_pipeline_twice_is_already_exists(cluster: Cluster) -> None:
    cluster.client.run_pipeline(flow())
    code, _ = status_of(lambda: stub(cluster).RunPipeline(
        wpb.RunPipelineRequest(tree_json=cluster.client_json(flow()))))
    assert code is grpc.StatusCode.ALREADY_EXISTS


# -- control operations with bad input ------------------------------------------------

OPERATIONS: dict[str, Callable[[Any, str], Any]] = {
    "pause_pipeline": lambda rt, i: api.pause_pipeline(rt, i),
    "resume_pipeline": lambda rt, i: api.resume_pipeline(rt, i),
    "revoke_pipeline": lambda rt, i: api.revoke_pipeline(rt, i),
    "pause_node_appoint": lambda rt, i: api.pause_node_appoint(rt, i),
    "resume_node_appoint": lambda rt, i: api.resume_node_appoint(rt, i),
    "retry_node": lambda rt, i: api.retry_node(rt, i, {"bit": 1}),
    "retry_subprocess": lambda rt, i: api.retry_subprocess(rt, i),
    "skip_node": lambda rt, i: api.skip_node(rt, i),
    "skip_exclusive_gateway": lambda rt, i: api.skip_exclusive_gateway(rt, i, "f1"),
    "skip_conditional_parallel_gateway": lambda rt, i: api.skip_conditional_parallel_gateway(rt, i, ["f1"], "CG"),
    "forced_fail_activity": lambda rt, i: api.forced_fail_activity(rt, i, "why"),
    "callback": lambda rt, i: api.callback(rt, i, "v1", {"bit": 1}),
    "update_context_values": lambda rt, i: api.update_context_values(rt, i, [{"key": "${x}", "value": 1}]),
}


def refused_alike(cluster_result: api.EngineAPIResult, embedded_result: api.EngineAPIResult,
                  expected: type[BaseException], name: str) -> None:
    assert not cluster_result.result and not embedded_result.result
    assert isinstance(cluster_result.exc, expected), cluster_result.exc_trace
    assert type(cluster_result.exc) is type(embedded_result.exc)
    assert str(cluster_result.exc) == str(embedded_result.exc)
    assert name in str(cluster_result.exc)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_unknown_ids_are_not_found(harness: ClusterHarness, embedded: Harness, operation: str) -> None:
    call = OPERATIONS[operation]
    refused_alike(call(harness.runtime, "ghost"), call(embedded.runtime, "ghost"), NotFoundError, "ghost")


WRONG_STATE = ["resume_pipeline", "retry_node", "retry_subprocess", "skip_node", "skip_exclusive_gateway",
               "skip_conditional_parallel_gateway", "resume_node_appoint"]


@pytest.mark.parametrize("operation", WRONG_STATE)
def test_wrong_state_is_failed_precondition_and_changes_nothing(harness: ClusterHarness, embedded: Harness,
                                                                  operation: str) -> None:
    """On a RUNNING pipeline whose A is RUNNING (waiting for a callback), each operation is refused."""
    for h in (harness, embedded):
        h.run(flow("callback"))
    target = "P" if operation.endswith("pipeline") else "A"
    before = harness.states("P"), harness.node("A")
    call = OPERATIONS[operation]
    refused_alike(call(harness.runtime, target), call(embedded.runtime, target), InvalidOperationError, target)
    harness.settle()
    assert (harness.states("P"), harness.node("A")) == before


def test_failed_precondition_status_on_the_wire(harness: ClusterHarness) -> None:
    harness.run(flow("callback"))
    code, details = status_of(lambda: stub(harness.cluster).RetryNode(wpb.RetryNodeRequest(node_id="A")))
    assert code is grpc.StatusCode.FAILED_PRECONDITION and "'A'" in details
    code, details = status_of(lambda: stub(harness.cluster).PausePipeline(wpb.PipelineRequest(pipeline_id="zz")))
    assert code is grpc.StatusCode.NOT_FOUND and "zz" in details
    code, details = status_of(lambda: stub(harness.cluster).SkipNode(wpb.NodeIdRequest()))
    assert code is grpc.StatusCode.INVALID_ARGUMENT and "node_id" in details


def test_stale_callback_is_refused_and_changes_nothing(harness: ClusterHarness, embedded: Harness) -> None:
    for h in (harness, embedded):
        h.run(flow("callback"))
    node = harness.node("A")
    assert node is not None and node["state"] == "RUNNING"
    results = [api.callback(h.runtime, "A", "stale-version", {"bit": 1}) for h in (harness, embedded)]
    assert not any(r.result for r in results)
    assert type(results[0].exc) is type(results[1].exc) and str(results[0].exc) == str(results[1].exc)
    harness.settle()
    assert harness.node("A") == node
    harness.ok(api.callback(harness.runtime, "A", node["version"], {"bit": 1}))
    harness.settle()
    assert harness.state("P") == "FINISHED"


# -- queries: the embedded shapes ------------------------------------------------------


def finished_in_both(harness: ClusterHarness, embedded: Harness) -> None:
    for h in (harness, embedded):
        h.run(flow())
        assert h.finish("P") == "FINISHED"


def test_query_results_equal_embedded(harness: ClusterHarness, embedded: Harness) -> None:
    finished_in_both(harness, embedded)
    for query in (api.get_data, api.get_execution_data, api.get_execution_data_inputs,
                  api.get_execution_data_outputs):
        for node_id in ("A", "P"):
            cluster_result, embedded_result = query(harness.runtime, node_id), query(embedded.runtime, node_id)
            assert (cluster_result.result, cluster_result.data) == (embedded_result.result, embedded_result.data)
    debug = [harness.context("P"), embedded.context("P")]
    assert debug[0] == debug[1]
    schedules = [{k: v for k, v in h.schedule("A").items() if k not in ("id", "version")}
                 for h in (harness, embedded)]
    assert schedules[0] == schedules[1]


def _shape(value: Any) -> Any:
    """Keys and value types, recursively (ids, versions and times differ between runtimes)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


@pytest.mark.parametrize("flat", [True, False])
def test_pipeline_states_have_the_embedded_shape(harness: ClusterHarness, embedded: Harness, flat: bool) -> None:
    finished_in_both(harness, embedded)
    states = [h.ok(api.get_pipeline_states(h.runtime, "P", flat_children=flat)) for h in (harness, embedded)]
    assert _shape(states[0]) == _shape(states[1])
    assert isinstance(states[0]["P"]["archived_time"], datetime) and states[0]["P"]["archived_time"].tzinfo
    children = [h.ok(api.get_children_states(h.runtime, "P")) for h in (harness, embedded)]
    assert _shape(children[0]) == _shape(children[1])
    assert harness.ok(api.get_pipeline_states(harness.runtime, "ghost")) == {}
    assert harness.ok(api.get_children_states(harness.runtime, "ghost")) == {}


def test_histories_times_and_debug_info_have_the_embedded_shape(harness: ClusterHarness, embedded: Harness) -> None:
    for h in (harness, embedded):
        h.run(build_tree(_fail_then_retry_start(), id="P"))
        h.ok(api.retry_node(h.runtime, "A", {"bit": 1}))
        h.finish("P")
    for query in (api.get_node_histories, api.get_node_short_histories, api.get_node_execution_time,
                  api.get_pipeline_execution_time, api.get_pipeline_debug_info):
        node_id = "P" if "pipeline" in query.__name__ else "A"
        results = [h.ok(query(h.runtime, node_id)) for h in (harness, embedded)]
        assert _shape(results[0]) == _shape(results[1]), query.__name__


def _fail_then_retry_start() -> EmptyStartEvent:
    start = EmptyStartEvent(id="start")
    start.extend(ServiceActivity(component_code="fail_ctrl", id="A")).extend(EmptyEndEvent(id="end"))
    return start


def test_update_context_values_through_the_gateway(harness: ClusterHarness) -> None:
    harness.run(flow())
    harness.ok(api.update_context_values(harness.runtime, "P", [{"key": "${x}", "value": [1, "two"]}]))
    assert harness.context("P")["${x}"]["value"] == [1, "two"]
    result = api.update_context_values(harness.runtime, "P", [{"key": "${nope}", "value": 1}])
    assert isinstance(result.exc, NotFoundError) and "${nope}" in str(result.exc)


def test_preview_node_inputs_equals_embedded(cluster: Cluster) -> None:
    tree = flow()
    expected = api.preview_node_inputs(cluster.client, tree, "A", root_pipeline_data={"k": 1}).data
    assert cluster.client.preview_node_inputs(tree, "A", root_pipeline_data={"k": 1}) == expected
    assert expected == {"key_1": "value of x"}
    with pytest.raises(InvalidOperationError, match="'nope'"):
        cluster.client.preview_node_inputs(tree, "nope")
    assert cluster.remote.root_of("P") is None  # previewing stores nothing


def test_wait_returns_the_final_state_and_times_out(harness: ClusterHarness) -> None:
    client: Client = harness.cluster.client
    harness.run(flow("callback"))
    with pytest.raises(TimeoutError, match="'P' is still RUNNING"):
        client.wait("P", timeout=0.2)
    harness.ok(api.callback(harness.runtime, "A", harness.version("A"), {}))
    harness.settle()
    seen: list[str] = []
    assert client.wait("P", timeout=5, on_poll=seen.append) == "FINISHED" and seen == ["FINISHED"]


def test_watch_without_nats_is_unavailable(cluster: Cluster) -> None:
    from bamboo_sdk import UnavailableError

    cluster.client.run_pipeline(flow())
    with pytest.raises(UnavailableError, match="NATS"):
        next(cluster.client.watch("P"))
