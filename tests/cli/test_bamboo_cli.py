"""``bamboo`` as a user runs it: ``bamboo up`` as a real subprocess, ``bamboo run`` against it,
SIGTERM stops every process it started; bad input exits 1 with the server's message."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bamboo_sdk.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, builder
from tests.cli.cli_support import LineReader, alive, gone


def bamboo_command() -> list[str]:
    """The installed ``bamboo`` script of this environment (``python -m`` if it is not installed)."""
    script = os.path.join(sysconfig.get_path("scripts"), "bamboo")
    if os.access(script, os.X_OK):
        return [script]
    found = shutil.which("bamboo")
    return [found] if found else [sys.executable, "-m", "bamboo_sdk.cli.main"]


@dataclass
class Up:
    proc: subprocess.Popen[str]
    output: LineReader
    target: str
    child_pids: list[int]


@pytest.fixture
def bamboo_up(tmp_path: Path) -> Iterator[Up]:
    proc = subprocess.Popen([*bamboo_command(), "up", "--port", "0", "--data", str(tmp_path / "data")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    assert proc.stdout is not None
    output = LineReader(proc.stdout)
    pids: list[int] = []
    try:
        ready = output.wait_for("cluster ready on ", timeout=30)
        target = ready.split()[3]
        pids = [int(m.group(1)) for line in output.lines if (m := re.search(r"\(pid (\d+),", line))]
        yield Up(proc, output, target, pids)
    finally:
        # A graceful stop first: the children run in their own process group, so killing
        # only ``bamboo up`` would leave them running after the test.
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        output.rest()
        proc.stdout.close()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*bamboo_command(), *args], capture_output=True, text=True, timeout=30, cwd=cwd)


def write_tree(path: Path) -> tuple[dict[str, object], str]:
    """The quick-start tree as JSON; returns it and its activity's id."""
    start = EmptyStartEvent()
    act = ServiceActivity(component_code="example_component")
    start.extend(act).extend(EmptyEndEvent())
    tree: dict[str, object] = builder.build_tree(start)
    path.write_text(json.dumps(tree))
    return tree, act.id


def test_up_run_wait_and_sigterm(bamboo_up: Up, tmp_path: Path) -> None:
    assert len(bamboo_up.child_pids) == 5 and all(alive(pid) for pid in bamboo_up.child_pids)
    tree, _ = write_tree(tmp_path / "tree.json")

    done = run_cli("run", "tree.json", "--wait", "--target", bamboo_up.target, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == tree["id"]
    assert lines[-1] == f"pipeline {tree['id']} FINISHED"
    states = json.loads("\n".join(lines[1:-1]))
    assert states[tree["id"]]["state"] == "FINISHED"
    assert "FINISHED" in done.stderr  # the progress lines

    shown = run_cli("states", str(tree["id"]), "--target", bamboo_up.target, cwd=tmp_path)
    assert shown.returncode == 0 and json.loads(shown.stdout)[tree["id"]]["state"] == "FINISHED"

    bamboo_up.proc.send_signal(signal.SIGTERM)
    assert bamboo_up.proc.wait(10) == 0
    assert gone(bamboo_up.child_pids), "a process started by bamboo up survived it"
    assert bamboo_up.output.rest()[-1] == "stopped"


def test_errors_print_the_server_message_and_exit_1(bamboo_up: Up, tmp_path: Path) -> None:
    tree, act_id = write_tree(tmp_path / "tree.json")
    activities = tree["activities"]
    assert isinstance(activities, dict)
    activities[act_id]["outgoing"] = "flow-to-nowhere"  # breaks the activity's links
    (tmp_path / "bad.json").write_text(json.dumps(tree))

    bad = run_cli("run", "bad.json", "--target", bamboo_up.target, cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and act_id in bad.stderr, bad.stderr
    assert bad.stdout == ""

    unknown = run_cli("pause", "no-such-pipeline", "--target", bamboo_up.target, cwd=tmp_path)
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "error: pipeline 'no-such-pipeline' has no state")

    missing = run_cli("run", "missing.json", "--target", bamboo_up.target, cwd=tmp_path)
    assert missing.returncode == 1 and "cannot read missing.json" in missing.stderr
