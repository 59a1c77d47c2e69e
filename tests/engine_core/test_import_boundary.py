"""engine-core stays pure: no I/O library is imported anywhere inside bamboo_core."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import bamboo_core

FORBIDDEN = ("grpc", "nats", "sqlalchemy", "google.protobuf", "protobuf", "opentelemetry", "psycopg2", "asyncpg")
PACKAGE = Path(bamboo_core.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_source_file_imports_an_io_library() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(m for m in imported_modules(path) if m.startswith(FORBIDDEN))
        for path in PACKAGE.rglob("*.py")
    }
    assert {file: mods for file, mods in offenders.items() if mods} == {}


def test_importing_everything_loads_no_io_library() -> None:
    """Catch dynamic imports too: import every module in a clean interpreter and look at sys.modules."""
    modules = sorted(
        ".".join(("bamboo_core", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        for path in PACKAGE.rglob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(n for n in sys.modules if n.startswith({FORBIDDEN!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
