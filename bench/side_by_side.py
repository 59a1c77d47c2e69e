"""Side by side: bamboo-pipeline (the anchor) and Bamboo on the same cases, back to back.

Runs the anchor benchmark of ``../shared/anchors/bamboo-pipeline-bench`` (bamboo-engine
3.0.7 + bamboo-pipeline 4.0.6 on Celery gevent workers, RabbitMQ, MariaDB) from a
writable copy, then ``cluster.py`` on the same cases with the anchor's fresh results,
so the table's ×pipeline column is the ratio measured in this run.

Setup, done here when missing (the copy and its ``.venv`` are kept in ``--workdir``
between runs, so only the first run installs):

* RabbitMQ on 127.0.0.1:5672 and MariaDB on 127.0.0.1:3306: the anchor's
  ``services.sh start`` reuses running ones (it only adds the ``bamboo_bench``
  database and user) or starts the installed ones. Not installed: the anchor's
  ``setup.sh`` apt-installs them; ``--install-system-packages`` runs that apt step.
* ``.venv`` from the anchor's ``requirements.lock.txt``. Its mysqlclient builds from
  source and needs ``default-libmysqlclient-dev`` and ``pkg-config`` (also installed
  by ``--install-system-packages``); ``--driver pymysql`` runs the anchor on
  pure-Python PyMySQL instead (measured as fast there, RESULTS.md problem 1), and
  the results say which driver ran.
* ``manage.py migrate`` on the ``bamboo_bench`` database.

    .venv/bin/python bench/side_by_side.py [--concurrency 200] [--repeat 3] [--cases big multi]
        [--workdir /tmp/bamboo-bench-anchor] [--driver mysqlclient|pymysql] [--install-system-packages]
        [-- extra cluster.py options, e.g. --executors 2]

Every external step is bounded (``--anchor-timeout`` for the anchor's whole run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ANCHOR = REPO.parent / "shared" / "anchors" / "bamboo-pipeline-bench"
APT_PACKAGES = ["rabbitmq-server", "mariadb-server", "default-libmysqlclient-dev", "build-essential", "pkg-config",
                "time", "procps"]


class SetupError(SystemExit):
    """A step that cannot work on this machine; the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(f"side_by_side: {message}")


def say(line: str) -> None:
    print(f"[side-by-side] {line}", flush=True)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def run(cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> None:
    """Run ``cmd``, its output shown as it comes; a failure or a timeout stops everything."""
    try:
        subprocess.run(cmd, cwd=cwd, env=env, check=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SetupError(f"{' '.join(cmd)} did not finish within {timeout:g}s") from None
    except subprocess.CalledProcessError as error:
        raise SetupError(f"{' '.join(cmd)} failed with exit code {error.returncode} (output above)") from None


# -- setting the anchor up ----------------------------------------------------------------


def writable_copy(anchor: Path, workdir: Path) -> Path:
    """The anchor's files copied into ``workdir/bpb`` (refreshed each run; ``.venv`` and results kept)."""
    if not (anchor / "run_bench.sh").is_file():
        raise SetupError(f"no anchor benchmark at {anchor} (pass --anchor-dir)")
    copy = workdir / "bpb"
    shutil.copytree(anchor, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".venv", ".run", "results.jsonl"))
    for path in [copy, *copy.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)  # the shared folder is read-only
    return copy


def system_packages(install: bool, driver: str) -> None:
    missing = [tool for tool in ("rabbitmq-server", "mariadbd") if shutil.which(tool) is None]
    if not Path("/usr/bin/time").exists():
        missing.append("/usr/bin/time")
    if driver == "mysqlclient" and not mysqlclient_buildable():
        missing.append("the MySQL client headers (for mysqlclient)")
    if not missing:
        return
    if not install:
        raise SetupError(f"missing on this machine: {', '.join(missing)}. Rerun with --install-system-packages "
                         f"(runs, as root: apt-get install {' '.join(APT_PACKAGES)}), as the anchor's setup.sh "
                         f"does; without the headers, --driver pymysql runs the anchor on PyMySQL")
    if os.geteuid() != 0:
        raise SetupError("--install-system-packages needs root (apt-get install)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update"], Path("/"), 600, env)
    run(["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES], Path("/"), 1200, env)


def mysqlclient_buildable() -> bool:
    """mysqlclient has no wheels for Linux: its sdist needs the client headers via pkg-config."""
    if shutil.which("pkg-config") is None:
        return False
    return any(subprocess.run(["pkg-config", "--exists", name], check=False).returncode == 0
               for name in ("mysqlclient", "mariadb"))


def anchor_venv(copy: Path, driver: str) -> None:
    """``.venv`` with the lock file's versions; rebuilt when the lock file or the driver changes."""
    lock = (copy / "requirements.lock.txt").read_text()
    wanted = [line for line in lock.splitlines() if line.strip() and not line.startswith("#")]
    if driver == "pymysql":
        wanted = [line for line in wanted if not line.lower().startswith("mysqlclient")]
    stamp = copy / ".venv" / ".bench-installed"
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"creating the anchor's .venv ({len(wanted)} pinned packages; takes a minute)")
    shutil.rmtree(copy / ".venv", ignore_errors=True)
    run([sys.executable, "-m", "venv", ".venv"], copy, 120)
    requirements = copy / ".venv" / "requirements.txt"
    requirements.write_text("\n".join(wanted) + "\n")
    run([str(copy / ".venv" / "bin" / "pip"), "install", "-q", "-r", str(requirements)], copy, 900)
    stamp.write_text(digest)


def anchor_services(copy: Path) -> None:
    """RabbitMQ and MariaDB up, with the anchor's database and user; then its migrations."""
    run(["./services.sh", "start"], copy, 300)
    for port, name in ((5672, "RabbitMQ"), (3306, "MariaDB")):
        if not listening(port):
            raise SetupError(f"{name} is not listening on 127.0.0.1:{port} after services.sh start "
                             f"(see {copy / '.run'})")


# -- running -----------------------------------------------------------------------------


def run_anchor(copy: Path, args: argparse.Namespace, out: Path) -> None:
    env = {**os.environ, "OUT": str(out), "DJANGO_SETTINGS_MODULE": "benchproj.settings"}
    if args.driver == "pymysql":
        env["BENCH_DB_DRIVER"] = "pymysql"
    run([str(copy / ".venv" / "bin" / "python"), "manage.py", "migrate", "--noinput"], copy, 600, env)
    say(f"bamboo-pipeline: concurrency {args.concurrency}, {args.repeat} run(s) of {' '.join(args.cases)}")
    run(["./run_bench.sh", str(args.concurrency), str(args.repeat), " ".join(args.cases)], copy,
        args.anchor_timeout, env)


def anchor_summary(out: Path) -> dict[str, list[float]]:
    walls: dict[str, list[float]] = {}
    for line in out.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            walls.setdefault(row["case"], []).append(float(row["wall_s"]))
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=["big", "multi"], default=["big", "multi"])
    parser.add_argument("--concurrency", type=int, default=200,
                        help="the anchor's gevent concurrency per queue (200: its best on 2 cores)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case, for both engines")
    parser.add_argument("--anchor-dir", type=Path, default=DEFAULT_ANCHOR)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bamboo-bench-anchor")
    parser.add_argument("--driver", choices=["mysqlclient", "pymysql"], default="mysqlclient",
                        help="the anchor's MySQL driver (mysqlclient as in its results)")
    parser.add_argument("--install-system-packages", action="store_true",
                        help="apt-get install what the anchor's setup.sh does, if RabbitMQ/MariaDB are missing")
    parser.add_argument("--anchor-timeout", type=float, default=1800.0, help="seconds the anchor's run may take")
    parser.add_argument("cluster_args", nargs="*", help="after --: extra options for cluster.py")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    if load > 0.5:
        say(f"warning: load average {load:.2f} before starting; both engines share 2 cores with whatever runs")
    args.workdir.mkdir(parents=True, exist_ok=True)
    system_packages(args.install_system_packages, args.driver)
    copy = writable_copy(args.anchor_dir, args.workdir)
    anchor_venv(copy, args.driver)
    anchor_services(copy)
    out = args.workdir / f"results-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    run_anchor(copy, args, out)

    walls = anchor_summary(out)
    say(f"bamboo-pipeline results ({out}), driver {args.driver}:")
    for case, values in walls.items():
        say(f"  {case}: median {statistics.median(values):.2f} s of {', '.join(f'{v:.2f}' for v in values)}")
    say("Bamboo on the same cases (the ×pipeline column is from the runs above):")
    cluster.main(["--cases", *args.cases, "--repeat", str(args.repeat), "--anchor-results", str(out),
                  "--no-embedded", *args.cluster_args])


if __name__ == "__main__":
    main()
