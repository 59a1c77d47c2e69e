"""The seed README's quick start, in Bamboo's embedded mode (no services needed).

Run it with ``make demo``. Only the imports and the runtime line differ from
bamboo-engine's quick start.
"""

from __future__ import annotations

import pprint
import time

from bamboo_core import api
from bamboo_core.builder import *  # noqa: F403  (bamboo-engine's builder names)
from bamboo_core.examples import register_examples
from bamboo_core.runtime import InMemoryRuntime

register_examples()  # example_component and friends

# use builder to build workflow
start = EmptyStartEvent()  # noqa: F405
act = ServiceActivity(component_code="example_component")  # noqa: F405
end = EmptyEndEvent()  # noqa: F405

start.extend(act).extend(end)

pipeline = builder.build_tree(start)  # noqa: F405

# execute it
runtime = InMemoryRuntime()

result = api.run_pipeline(runtime=runtime, pipeline=pipeline)
assert result.result, result.exc_trace

# wait until it is done, then fetch status
deadline = time.monotonic() + 10
while api.get_pipeline_states(runtime=runtime, root_id=pipeline["id"]).data[pipeline["id"]]["state"] == "RUNNING":
    if time.monotonic() > deadline:
        raise SystemExit("the flow did not finish in 10 s")
    time.sleep(0.01)

result = api.get_pipeline_states(runtime=runtime, root_id=pipeline["id"])
pprint.pprint(result.data)
runtime.close()
state = result.data[pipeline["id"]]["state"]
print(f"\npipeline {pipeline['id']} {state}")
raise SystemExit(0 if state == "FINISHED" else 1)
