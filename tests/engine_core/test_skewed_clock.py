"""``SkewedClock``: real time plus a skew shared through a file, the cluster tests' time skipping."""

from __future__ import annotations

import time
from pathlib import Path

from bamboo_core.clock import SKEW_FILE_ENV, SkewedClock, SystemClock, clock_from_env


def test_no_file_means_real_time(tmp_path: Path) -> None:
    clock = SkewedClock(tmp_path / "skew")
    assert abs(clock.now() - time.time()) < 0.5


def test_skip_to_moves_every_reader_of_the_file(tmp_path: Path) -> None:
    writer, reader = SkewedClock(tmp_path / "skew"), SkewedClock(tmp_path / "skew")
    target = time.time() + 3600
    writer.skip_to(target)
    assert target <= reader.now() < target + 0.5


def test_skip_to_never_moves_back(tmp_path: Path) -> None:
    clock = SkewedClock(tmp_path / "skew")
    clock.skip_to(time.time() + 100)
    clock.skip_to(time.time() + 10)
    assert clock.now() >= time.time() + 99


def test_clock_from_env(tmp_path: Path) -> None:
    assert isinstance(clock_from_env({}), SystemClock)
    clock = clock_from_env({SKEW_FILE_ENV: str(tmp_path / "skew")})
    assert isinstance(clock, SkewedClock) and clock.path == tmp_path / "skew"
