"""Helpers for the benchmarks: a local channel of real packages, timing of whole commands."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.channel import FileEntry, PackageDef, index_channel, write_conda_package
from tests.support.cpython import add_cached_cpython
from tests.support.wheels import noarch_python_from_dist


def build_channel(work: Path, many_files: int = 2000) -> Path:
    """CPython, real pure-Python packages, and a package of `many_files` small files."""
    channel = work / "channel"
    if (channel / "noarch" / "repodata.json").is_file():
        return channel
    add_cached_cpython(channel, work / "cpython-cache")
    for dist in ("platformdirs", "filelock", "packaging"):
        with contextlib.suppress(Exception):  # a dist missing from this interpreter is skipped
            write_conda_package(channel, noarch_python_from_dist(dist))
    files = {f"share/bulk/d{i // 100}/f{i}.txt": FileEntry(f"{i}\n".encode()) for i in range(many_files)}
    write_conda_package(channel, PackageDef(name="bulk", version="1.0", files=files))
    index_channel(channel)
    return channel


def time_command(
    argv: Sequence[str],
    env: dict[str, str] | None = None,
    before: Callable[[], None] | None = None,
    repeat: int = 5,
    ok: Sequence[int] = (0,),
) -> list[float]:
    """Wall-clock seconds of `repeat` runs of a command (each after `before`); other exit codes than `ok` stop."""
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        proc = subprocess.run(list(argv), env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}")
    return times


def row(label: str, times: list[float]) -> str:
    """One line of the side-by-side table (median, min, max in ms)."""
    ms = [t * 1000 for t in times]
    return f"{label:<44} median {statistics.median(ms):8.1f} ms   min {min(ms):8.1f}   max {max(ms):8.1f}"


def clean_env(root: Path) -> dict[str, str]:
    """The process environment with corral pointed at `root` and no user config."""
    # PYTHONDONTWRITEBYTECODE would make every run recompile corral from source: not what users see.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRAL_", "CONDA_", "PYTHONDONTWRITEBYTECODE"))}
    env.update({"CORRAL_ROOT": str(root), "CORRAL_CONFIG": str(root / "none.toml")})
    return env
