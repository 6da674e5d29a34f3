"""The `corral run` project fast path, side by side in the same run.

    python bench/project.py [--repeat N]

A project (environment.yml: a real CPython and platformdirs from the bench channel) is made with
`corral init` + `corral add`, then, median of N runs each:
1. the environment's python -c pass, directly;
2. `corral run -p .corral/envs/default python -c pass` (no project check);
3. `corral run python -c pass` inside the up-to-date project (the fast path: stats and a stamp).
   Goal: <= bare python + 60 ms;
4. the same after `touch environment.yml` each time (sizes/mtimes moved: the hashes decide).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import build_channel, clean_env, row, time_command


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corral-bench-project-"))
    channel = build_channel(work, many_files=10)
    env = {**clean_env(work / "root"), "CORRAL_CHANNELS": str(channel)}
    corral = shutil.which("corral") or ""
    prefix = [corral] if corral else [sys.executable, "-m", "corral"]
    folder = work / "svc"
    folder.mkdir()
    for step in (["init"], ["add", "python", "platformdirs"], ["run", "python", "-c", "pass"]):
        made = subprocess.run([*prefix, *step], env=env, cwd=folder, capture_output=True)
        if made.returncode != 0:
            raise SystemExit(made.stderr.decode())
    python = str(folder / ".corral" / "envs" / "default" / "bin" / "python")
    manifest = folder / "environment.yml"
    medians = {}
    cases = (
        ("env's python -c pass, directly", [python, "-c", "pass"], None),
        ("corral run -p LINK python -c pass", [*prefix, "run", "-p", f"{folder}/.corral/envs/default", "python"], None),
        ("corral run python -c pass (project)", [*prefix, "run", "--cwd", str(folder), "python"], None),
        ("same, after touch environment.yml", [*prefix, "run", "--cwd", str(folder), "python"], manifest.touch),
    )
    for label, argv, before in cases:
        argv = argv if argv[-1] == "pass" else [*argv, "-c", "pass"]
        times = time_command(argv, env, before=before, repeat=args.repeat)
        medians[label] = statistics.median(times) * 1000
        print(row(label, times))
    base = medians["env's python -c pass, directly"]
    print(f"project run adds {medians['corral run python -c pass (project)'] - base:.1f} ms over python (goal <= 60)")
    print(f"(launcher: {' '.join(prefix)}; {os.cpu_count()} cores)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
