"""``bamboo``: the command line (argparse sub-commands).

``bamboo up`` starts a local cluster in the foreground; every other sub-command talks to a
gateway at ``--target`` (default ``$BAMBOO_TARGET`` or ``127.0.0.1:50051``). A failed call
prints the server's message (which names the node or field) and exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bamboo_core.errors import EngineError
from bamboo_sdk.cli import commands
from bamboo_sdk.cli.cluster import LocalCluster
from bamboo_sdk.cli.up import run_up, say
from bamboo_sdk.client import Client

DEFAULT_TARGET = "127.0.0.1:50051"


def _add_up(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = sub.add_parser("up", help="start a local cluster in the foreground (Ctrl-C stops it)")
    up.add_argument("--port", type=int, default=50051, help="gateway port (0: any free port; default 50051)")
    up.add_argument("--db", metavar="URL", help="database URL (default: SQLite in the data folder)")
    up.add_argument("--nats", metavar="URL", help="NATS server with JetStream (default: start one)")
    up.add_argument("--executors", type=int, default=1, metavar="N", help="executor processes (default 1)")
    up.add_argument("--schedulers", type=int, default=1, metavar="N", help="scheduler processes (default 1)")
    up.add_argument("--data", default="data", metavar="DIR", help="SQLite file, NATS store, logs (default ./data)")
    up.add_argument("--timeout", type=float, default=60.0, help="seconds start-up may take (default 60)")
    up.set_defaults(handler=None)


def _add_client_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                         common: argparse.ArgumentParser) -> None:
    run = sub.add_parser("run", parents=[common], help="run a pipeline tree from a JSON file; prints its root id")
    run.add_argument("file", help="the tree, as builder.build_tree returns it, in JSON")
    run.add_argument("--wait", action="store_true", help="wait until it ends; print the final states")
    run.add_argument("--timeout", type=float, default=300.0, help="seconds --wait may take (default 300)")
    run.add_argument("--data", metavar="JSON", help="root_pipeline_data as a JSON object")
    run.set_defaults(handler=commands.cmd_run)
    _with_id(sub, common, "states", "a pipeline's states (JSON)", commands.cmd_states)
    wait = _with_id(sub, common, "wait", "wait until a pipeline ends (exit 0 iff FINISHED)", commands.cmd_wait)
    wait.add_argument("--timeout", type=float, default=300.0)
    for name, (handler, help_text) in commands.simple_commands().items():
        _with_id(sub, common, name, help_text, handler)
    retry = _with_id(sub, common, "retry", "retry a failed node", commands.cmd_retry)
    retry.add_argument("--data", metavar="JSON", help="new inputs for the node, a JSON object")
    seg = _with_id(sub, common, "skip-exclusive-gateway", "leave a failed exclusive gateway by one flow",
                   commands.cmd_skip_exclusive_gateway)
    seg.add_argument("flow_id")
    scpg = _with_id(sub, common, "skip-conditional-parallel-gateway", "leave a failed conditional parallel "
                    "gateway by some flows", commands.cmd_skip_conditional_parallel_gateway)
    scpg.add_argument("flow_ids", nargs="+")
    scpg.add_argument("--converge-gateway-id", required=True)
    fail = _with_id(sub, common, "forced-fail", "force a running activity to fail", commands.cmd_forced_fail)
    fail.add_argument("--ex-data", default="", help="the failure message recorded on the node")
    callback = _with_id(sub, common, "callback", "send a callback to a waiting node", commands.cmd_callback)
    callback.add_argument("version", help="the node's schedule version")
    callback.add_argument("--data", metavar="JSON", default="null", help="the callback data, any JSON")


def _with_id(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser,
             name: str, help_text: str, handler: commands.Command) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, parents=[common], help=help_text)
    parser.add_argument("id", help="pipeline or node id")
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bamboo", description="Bamboo: run a local cluster and drive pipelines.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--target", default=os.environ.get("BAMBOO_TARGET", DEFAULT_TARGET),
                        help="gateway host:port (default $BAMBOO_TARGET or 127.0.0.1:50051)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_up(sub)
    _add_client_commands(sub, common)
    return parser


def _up(args: argparse.Namespace) -> int:
    try:
        cluster = LocalCluster(port=args.port, db_url=args.db, nats_url=args.nats, executors=args.executors,
                               schedulers=args.schedulers, data_dir=args.data, ready_timeout=args.timeout,
                               progress=say)
    except (ValueError, OSError) as exc:
        say(f"error: {exc}", err=True)
        return 1
    return run_up(cluster)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "up":
        return _up(args)
    try:
        with Client(args.target) as client:
            return int(args.handler(args, client))
    except (EngineError, ValueError, TypeError, TimeoutError, commands.UsageError) as exc:
        say(f"error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
