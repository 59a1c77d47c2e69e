"""The committed generated code is exactly what scripts/gen_protos.py makes today.

Generated code is committed (so installs need no protoc); this test is the guard
that a .proto edit was followed by a regeneration, and that nobody hand-edited the
output or left a stale module behind for a deleted .proto.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO / "protos"
SCRIPT = REPO / "scripts" / "gen_protos.py"
GENERATED = ("*_pb2.py", "*_pb2.pyi", "*_pb2_grpc.py")
FIX = f"run `.venv/bin/python scripts/gen_protos.py` (or `make protos`) in {REPO} and commit the result"


def generated_files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for pattern in GENERATED for path in root.rglob(pattern)}


def test_generated_code_matches_the_protos(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"gen_protos.py failed:\n{result.stdout}\n{result.stderr}"

    fresh = generated_files(tmp_path)
    committed = generated_files(PROTO_ROOT)
    assert fresh, "gen_protos.py generated nothing"
    missing = sorted(fresh.keys() - committed.keys())
    stale = sorted(committed.keys() - fresh.keys())
    changed = sorted(name for name in fresh.keys() & committed.keys() if fresh[name] != committed[name])
    assert not missing, f"generated files not committed: {missing}; {FIX}"
    assert not stale, f"committed generated files no .proto produces any more: {stale}; delete them and {FIX}"
    assert not changed, f"generated files out of date: {changed}; {FIX}"


def test_every_proto_has_committed_code() -> None:
    for proto in PROTO_ROOT.glob("bamboo_proto/**/*.proto"):
        module = proto.with_name(proto.stem + "_pb2.py")
        assert module.is_file(), f"{proto.relative_to(REPO)} has no generated module; {FIX}"
