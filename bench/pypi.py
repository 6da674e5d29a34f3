"""PyPI environments side by side: corral vs uv (venv + pip install) vs python -m venv + pip, warm and cold.

    python bench/pypi.py [--repeat N] [--python 3.11] [--skip-pip]

The same packages, the same interpreter (found by corral, handed to the others as a path), the same
uv binary (the one corral ships), each tool with its own cache directory. Warm: the cache already
holds every wheel; cold: a new empty cache each run. Needs PyPI.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import clean_env, row, time_command

PACKAGES = ["numpy", "pandas", "scikit-learn", "matplotlib"]


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--skip-pip", action="store_true", help="pip takes ~25 s per run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corral-bench-pypi-"))
    root = work / "root"
    env = clean_env(root)
    corral = [sys.executable, "-m", "corral"]
    from corral.pypi.uv import child_environment, uv_binary
    from corral.settings import load_settings

    found = subprocess.run([*corral, "python", "list", "--json"], env=env, capture_output=True, text=True, check=True)
    del found  # warms corral's interpreter cache, as on any machine after the first command
    from corral.pypi.interpreters import find

    python = find(args.python, load_settings(env, {})).path
    uv = uv_binary()
    uv_env = child_environment()
    print(f"packages: {' '.join(PACKAGES)}; python {python}; uv {uv}")

    def drop(name: str) -> None:
        subprocess.run([*corral, "env", "remove", "-n", name, "-y"], env=env, capture_output=True)

    corral_cmd = [*corral, "create", "-n", "x", "--python", args.python, "--pip", *PACKAGES, "-y"]
    venv = work / "uv-venv"
    uv_cache = work / "uv-cache"

    def uv_run(cache: Path) -> list[float]:
        shutil.rmtree(venv, ignore_errors=True)
        a = time_command(
            [uv, "venv", "-q", "--python", python, "--cache-dir", str(cache), str(venv)], env=uv_env, repeat=1
        )
        b = time_command(
            [
                uv,
                "pip",
                "install",
                "-q",
                "--python",
                str(venv / "bin" / "python"),
                "--cache-dir",
                str(cache),
                *PACKAGES,
            ],
            env=uv_env,
            repeat=1,
        )
        return [a[0] + b[0]]

    print("\nwarm caches")
    subprocess.run(corral_cmd, env=env, check=True, capture_output=True)
    uv_run(uv_cache)
    warm_uv = [t for _ in range(args.repeat) for t in uv_run(uv_cache)]
    warm_corral = time_command(corral_cmd, env=env, before=lambda: drop("x"), repeat=args.repeat)
    print(row("uv venv + uv pip install", warm_uv))
    print(row("corral create --python --pip", warm_corral))
    print(f"   ratio corral / uv: {statistics.median(warm_corral) / statistics.median(warm_uv):.2f}x  (goal <= 1.1x)")

    print("\ncold caches (every run starts with empty caches; downloads from PyPI)")
    cold_uv: list[float] = []
    cold_corral: list[float] = []
    cold_runs = max(1, args.repeat // 2)
    for i in range(cold_runs):
        cold_uv += uv_run(work / f"uv-cold-{i}")
        cold_root = work / f"cold-root-{i}"
        cold_corral += time_command(corral_cmd, env=clean_env(cold_root), repeat=1)
    print(row("uv venv + uv pip install", cold_uv))
    print(row("corral create --python --pip", cold_corral))
    print(f"   ratio corral / uv: {statistics.median(cold_corral) / statistics.median(cold_uv):.2f}x")

    if not args.skip_pip:
        print("\npip (python -m venv + pip install, its own warm cache after a first run)")
        pip_venv = work / "pip-venv"
        pip_cache = work / "pip-cache"

        def pip_run() -> list[float]:
            shutil.rmtree(pip_venv, ignore_errors=True)
            a = time_command([python, "-m", "venv", str(pip_venv)], repeat=1)
            pip = [str(pip_venv / "bin" / "python"), "-m", "pip", "install", "-q", "--cache-dir", str(pip_cache)]
            b = time_command([*pip, *PACKAGES], repeat=1)
            return [a[0] + b[0]]

        pip_run()
        warm_pip = pip_run()
        print(row("python -m venv + pip install (warm)", warm_pip))
        print(
            f"   ratio pip / corral (warm): {statistics.median(warm_pip) / statistics.median(warm_corral):.1f}x"
            "  (goal >= 20x)"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
