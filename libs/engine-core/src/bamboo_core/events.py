"""The kinds of event the engine emits (SPEC §7.7).

Every commit carries the events of its step, so a runtime publishes exactly the
facts that landed: the in-memory runtime calls its listeners, a cluster publishes
them to ``bamboo.events.<root_id>`` from the outbox.
"""

from __future__ import annotations

from enum import Enum


class EventKind(str, Enum):
    POST_SET_STATE = "post_set_state"  # any node or pipeline state change
    PIPELINE_FINISH = "pipeline_finish"
    # component / node life (also dispatched to service hooks)
    NODE_ENTER = "node_enter"
    NODE_FINISH = "node_finish"
    PRE_EXECUTE = "pre_execute"
    POST_EXECUTE = "post_execute"
    PRE_SCHEDULE = "pre_schedule"
    POST_SCHEDULE = "post_schedule"
    NODE_EXECUTE_FAIL = "node_execute_fail"
    NODE_SCHEDULE_FAIL = "node_schedule_fail"
    NODE_EXECUTE_EXCEPTION = "node_execute_exception"
    NODE_SCHEDULE_EXCEPTION = "node_schedule_exception"
    # operations, emitted with the commit that carried them out
    POST_PREPARE_RUN_PIPELINE = "post_prepare_run_pipeline"
    POST_PAUSE_PIPELINE = "post_pause_pipeline"
    POST_RESUME_PIPELINE = "post_resume_pipeline"
    POST_REVOKE_PIPELINE = "post_revoke_pipeline"
    POST_PAUSE_NODE = "post_pause_node"
    POST_RESUME_NODE = "post_resume_node"
    POST_RETRY_NODE = "post_retry_node"
    POST_RETRY_SUBPROCESS = "post_retry_subprocess"
    POST_SKIP_NODE = "post_skip_node"
    POST_SKIP_EXCLUSIVE_GATEWAY = "post_skip_exclusive_gateway"
    POST_SKIP_CONDITIONAL_PARALLEL_GATEWAY = "post_skip_conditional_parallel_gateway"
    POST_FORCED_FAIL_ACTIVITY = "post_forced_fail_activity"
    POST_CALLBACK = "post_callback"
