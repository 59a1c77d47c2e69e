"""Generate the Python code of every .proto under protos/ — the only generator.

    python scripts/gen_protos.py [OUT_DIR]

Writes ``*_pb2.py``, ``*_pb2.pyi`` and ``*_pb2_grpc.py`` next to each proto (or under
OUT_DIR, which the staleness test uses to compare). The proto's directory is its
Python import path (protos/bamboo_proto/v1/x.proto -> ``bamboo_proto.v1.x_pb2``), so
the generated imports need no rewriting. The generated code is committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent.parent / "protos"


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.glob("bamboo_proto/**/*.proto"))


def generate(out_dir: Path = PROTO_ROOT) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    include = Path(protoc.__file__).parent / "_proto"  # google/protobuf well-known types
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(path.relative_to(PROTO_ROOT)) for path in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT)
