"""Service hook names (``__need_run_hook__ = True``) and how they see data.

Two kinds of hook:

* main-logic hooks (``node_enter``, ``pre_execute`` …) run around execute and
  schedule; when one returns a truthy value its changes to ``data`` are kept;
* operator hooks (``pre_/post_`` pause, resume, retry, skip, forced fail,
  callback) only observe: their changes are always thrown away.

Either way a hook never fails the node: exceptions are logged and swallowed.
"""

from __future__ import annotations

from enum import StrEnum


class HookType(StrEnum):
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
    PRE_RESUME_NODE = "pre_resume_node"
    POST_RESUME_NODE = "post_resume_node"
    PRE_PAUSE_NODE = "pre_pause_node"
    POST_PAUSE_NODE = "post_pause_node"
    PRE_RETRY_NODE = "pre_retry_node"
    POST_RETRY_NODE = "post_retry_node"
    PRE_SKIP_NODE = "pre_skip_node"
    POST_SKIP_NODE = "post_skip_node"
    PRE_FORCED_FAIL_ACTIVITY = "pre_forced_fail_activity"
    POST_FORCED_FAIL_ACTIVITY = "post_forced_fail_activity"
    PRE_CALLBACK = "pre_callback"
    POST_CALLBACK = "post_callback"


OPERATOR_HOOKS: frozenset[HookType] = frozenset(
    {
        HookType.PRE_RESUME_NODE,
        HookType.POST_RESUME_NODE,
        HookType.PRE_PAUSE_NODE,
        HookType.POST_PAUSE_NODE,
        HookType.PRE_RETRY_NODE,
        HookType.POST_RETRY_NODE,
        HookType.PRE_SKIP_NODE,
        HookType.POST_SKIP_NODE,
        HookType.PRE_FORCED_FAIL_ACTIVITY,
        HookType.POST_FORCED_FAIL_ACTIVITY,
        HookType.PRE_CALLBACK,
        HookType.POST_CALLBACK,
    }
)


def hook_type(name: str) -> HookType:
    """The HookType called ``name``; ``ValueError`` names the bad hook otherwise."""
    try:
        return HookType(name)
    except ValueError:
        raise ValueError(f"unknown service hook {name!r}") from None
