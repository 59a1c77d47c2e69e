"""Exit 0 when a gRPC server at HOST:PORT reports SERVING, 1 otherwise.

Shipped in every service image and used by docker-compose.yml's healthchecks:
each service already serves ``grpc.health.v1.Health`` (tests rely on it), so a
container is "healthy" exactly when the process answers the same question a
client would ask, not merely when a port is open. Standard library plus
grpcio/grpcio-health-checking only, which every image installs anyway.

Usage: ``python grpc_health_check.py HOST:PORT [SERVICE] [--timeout SECONDS]``
(``SERVICE`` defaults to ``""``, the whole server).
"""

from __future__ import annotations

import argparse
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

EXIT_SERVING = 0
EXIT_NOT_SERVING = 1


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="gRPC health probe for container healthchecks")
    parser.add_argument("target", help="HOST:PORT of the gRPC server")
    parser.add_argument("service", nargs="?", default="", help="service name; empty means the whole server")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for the answer")
    return parser.parse_args(argv)


def check(target: str, service: str = "", timeout: float = 3.0) -> tuple[bool, str]:
    """Ask ``target`` once; ``(serving, what to print)``. Never raises on an RPC failure."""
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            # A server that is still starting is "unhealthy", not a crash of the probe.
            code = exc.code() if isinstance(exc, grpc.Call) else None
            return False, f"{target}: {code.name if code else 'error'}"
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return reply.status == health_pb2.HealthCheckResponse.SERVING, f"{target}: {status}"


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    serving, message = check(args.target, args.service, args.timeout)
    print(message)
    return EXIT_SERVING if serving else EXIT_NOT_SERVING


if __name__ == "__main__":
    sys.exit(main())
