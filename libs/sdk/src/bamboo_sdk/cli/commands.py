"""The client sub-commands: ``run``, ``states`` and one per control operation.

Each takes the parsed arguments and an open ``Client`` and returns the exit status;
errors from the gateway propagate as ``bamboo_core.errors`` exceptions, which
``main`` prints (the server's message, naming the node or field) and maps to exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bamboo_sdk.client import Client

Command = Callable[[argparse.Namespace, Client], int]


class UsageError(Exception):
    """Bad local input (unreadable file, malformed JSON argument): printed, exit 1."""


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, default=str), flush=True)


def json_arg(text: str | None, what: str) -> Any:
    """A JSON command-line value (``--data '{"a": 1}'``); ``None`` stays ``None``."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{what} is not valid JSON: {exc}") from None


def load_tree(path: str) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    tree = json_arg(text, path)
    if not isinstance(tree, dict):
        raise UsageError(f"{path}: a pipeline tree must be a JSON object")
    return tree


def cmd_run(args: argparse.Namespace, client: Client) -> int:
    """Start the tree; with ``--wait``, show each state change and the final states (exit 0 iff FINISHED)."""
    tree = load_tree(args.file)
    data = json_arg(args.data, "--data")
    root_id = client.start_pipeline(tree, root_pipeline_data=data)
    print(root_id, flush=True)
    if not args.wait:
        return 0
    state = wait_with_progress(client, root_id, args.timeout)
    print_json(client.get_pipeline_states(root_id))
    print(f"pipeline {root_id} {state}", flush=True)
    return 0 if state == "FINISHED" else 1


def wait_with_progress(client: Client, root_id: str, timeout: float) -> str:
    """``client.wait`` printing a line (to stderr) whenever the state changes, and every 5 s otherwise."""
    started = time.monotonic()
    last: dict[str, Any] = {"state": None, "at": started}

    def on_poll(state: str) -> None:
        now = time.monotonic()
        if state != last["state"] or now - last["at"] >= 5.0:
            print(f"[{now - started:6.1f}s] {root_id} {state or 'unknown'}", file=sys.stderr, flush=True)
            last.update(state=state, at=now)

    return client.wait(root_id, timeout, on_poll=on_poll)


def cmd_states(args: argparse.Namespace, client: Client) -> int:
    print_json(client.get_pipeline_states(args.id))
    return 0


def cmd_wait(args: argparse.Namespace, client: Client) -> int:
    state = wait_with_progress(client, args.id, args.timeout)
    print(f"pipeline {args.id} {state}", flush=True)
    return 0 if state == "FINISHED" else 1


def _done(label: str, node_id: str) -> int:
    print(f"{label} {node_id}: ok", flush=True)
    return 0


def _simple(method_name: str, label: str) -> Command:
    """A command that calls ``client.<method_name>(id)``."""

    def command(args: argparse.Namespace, client: Client) -> int:
        getattr(client, method_name)(args.id)
        return _done(label, args.id)

    return command


def cmd_retry(args: argparse.Namespace, client: Client) -> int:
    data = json_arg(args.data, "--data")
    if data is not None and not isinstance(data, dict):
        raise UsageError("--data must be a JSON object")
    client.retry_node(args.id, data)
    return _done("retry", args.id)


def cmd_skip_exclusive_gateway(args: argparse.Namespace, client: Client) -> int:
    client.skip_exclusive_gateway(args.id, args.flow_id)
    return _done("skip-exclusive-gateway", args.id)


def cmd_skip_conditional_parallel_gateway(args: argparse.Namespace, client: Client) -> int:
    client.skip_conditional_parallel_gateway(args.id, args.flow_ids, args.converge_gateway_id)
    return _done("skip-conditional-parallel-gateway", args.id)


def cmd_forced_fail(args: argparse.Namespace, client: Client) -> int:
    client.forced_fail_activity(args.id, args.ex_data)
    return _done("forced-fail", args.id)


def cmd_callback(args: argparse.Namespace, client: Client) -> int:
    client.callback(args.id, args.version, json_arg(args.data, "--data"))
    return _done("callback", args.id)


SIMPLE: dict[str, tuple[str, str]] = {
    # sub-command: (Client method, help)
    "pause": ("pause_pipeline", "pause a pipeline"),
    "resume": ("resume_pipeline", "resume a paused pipeline"),
    "revoke": ("revoke_pipeline", "revoke a pipeline"),
    "pause-node": ("pause_node_appoint", "pause the flow when it reaches a node"),
    "resume-node": ("resume_node_appoint", "resume a node paused by pause-node"),
    "retry-subprocess": ("retry_subprocess", "retry a failed subprocess"),
    "skip": ("skip_node", "skip a failed node"),
}


def simple_commands() -> dict[str, tuple[Command, str]]:
    return {name: (_simple(method, name), help_text) for name, (method, help_text) in SIMPLE.items()}
