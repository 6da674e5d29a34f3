"""Activation costs side by side, in the same run.

    python bench/activation.py [--repeat N]

1. `corral run -n ENV true` vs running `true` directly (the environment's PATH makes no difference
   to `true`; what is measured is what corral adds before the exec). Goal: <= +40 ms.
2. `corral shell hook bash` (what every new shell with the hook pays) vs `python -c pass`.
   Goal: <= 30 ms.
3. `corral run -n ENV python -c pass` vs the environment's python run directly.
The environment is a small one from the bench channel (real CPython, platformdirs), created once.
"""

from __future__ import annotations

import argparse
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
    work = Path(tempfile.mkdtemp(prefix="corral-bench-activation-"))
    channel = build_channel(work, many_files=10)
    env = clean_env(work / "root")
    corral = shutil.which("corral") or ""
    prefix = [corral] if corral else [sys.executable, "-m", "corral"]
    made = subprocess.run(
        [*prefix, "create", "-n", "act", "-c", str(channel), "python", "platformdirs", "-y"],
        env=env,
        capture_output=True,
    )
    if made.returncode != 0:
        raise SystemExit(made.stderr.decode())
    python = str(work / "root" / "envs" / "act" / "bin" / "python")
    subprocess.run([*prefix, "run", "-n", "act", "true"], env=env, check=True)  # the cache is made once
    true = shutil.which("true") or "/bin/true"
    medians = {}
    for label, argv in (
        ("true, directly", [true]),
        ("corral run -n act true", [*prefix, "run", "-n", "act", "true"]),
        ("python -c pass (corral's interpreter)", [sys.executable, "-c", "pass"]),
        ("corral shell hook bash", [*prefix, "shell", "hook", "bash"]),
        ("env's python -c pass, directly", [python, "-c", "pass"]),
        ("corral run -n act python -c pass", [*prefix, "run", "-n", "act", "python", "-c", "pass"]),
    ):
        times = time_command(argv, env, repeat=args.repeat)
        medians[label] = statistics.median(times) * 1000
        print(row(label, times))
    print(f"run adds {medians['corral run -n act true'] - medians['true, directly']:.1f} ms over `true` (goal <= 40)")
    print(f"hook takes {medians['corral shell hook bash']:.1f} ms (goal <= 30)")
    print(f"(launcher: {' '.join(prefix)})")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
