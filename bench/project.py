"""The `corral run` project fast path, side by side in the same run.

    python bench/project.py [--repeat N]

A project (environment.yml: a real CPython and platformdirs from the bench channel) is made with
`corral init` + `corral add`, then, median of N runs each:
1. the environment's python -c pass, directly;
2. `corral run -p .corral/envs/default python -c pass` (no project check);
3. `corral run python -c pass` inside the up-to-date project (the fast path: stats and a stamp).
   Goal: <= bare python + 60 ms;
4. the same after `touch environment.yml` each time (sizes/mtimes moved: the hashes decide).

Then a PyPI-only project against uv (rich and its dependencies from PyPI, so this part needs the
network once to fill the caches; a found CPython 3.12 for both): corral's environment.yml with
`python: "3.12"` and a pip section, uv's pyproject.toml with the same dependency, each locked and
synced once, then:
5. up to date: bare python, `corral run python -c pass`, `uv run python -c pass`, same run;
6. a fresh clone (manifest and lock copied to a new folder, caches warm): the first
   `corral run python -c pass` against `uv sync` + `uv run python -c pass`.
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
    pypi_only(work, env, prefix, args.repeat)
    shutil.rmtree(work, ignore_errors=True)


PASS = ("python", "-c", "pass")
UV_PYPROJECT = """[project]
name = "svc"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = ["rich"]

[tool.uv]
package = false
"""


def pypi_only(work: Path, env: dict[str, str], prefix: list[str], repeat: int) -> None:
    """The PyPI-only project: corral against uv, up to date and in a fresh clone."""
    interpreter = _python312()
    if not interpreter:
        print("(no CPython 3.12 found: the uv comparison is skipped)")
        return
    uv = str(Path(sys.executable).with_name("uv"))
    uv_env = {
        **{k: v for k, v in env.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))},
        "UV_CACHE_DIR": str(work / "uv-cache"),
        "UV_PYTHON": interpreter,
        "UV_PYTHON_DOWNLOADS": "never",
    }
    ours, theirs = work / "pypi-corral", work / "pypi-uv"
    ours.mkdir()
    theirs.mkdir()
    (ours / "environment.yml").write_text('python: "3.12"\ndependencies:\n  - pip:\n    - rich\n')
    (theirs / "pyproject.toml").write_text(UV_PYPROJECT)
    _ok([*prefix, "run", "python", "-c", "import rich"], env, ours)
    _ok([uv, "run", "--no-config", "python", "-c", "import rich"], uv_env, theirs)
    bare = str(ours / ".corral" / "envs" / "default" / "bin" / "python")
    print("PyPI-only project (rich + 3 dependencies), up to date:")
    for label, argv, use_env in (
        ("bare python -c pass (corral's env)", [bare, "-c", "pass"], env),
        ("bare python -c pass (uv's .venv)", [str(theirs / ".venv" / "bin" / "python"), "-c", "pass"], uv_env),
        ("corral run python -c pass", [*prefix, "run", "--cwd", str(ours), "python", "-c", "pass"], env),
        (
            "uv run python -c pass",
            [uv, "run", "--no-config", "--directory", str(theirs), "python", "-c", "pass"],
            uv_env,
        ),
    ):
        print(row(label, time_command(argv, use_env, repeat=repeat)))
    print("fresh clone (manifest + lock copied to a new folder, caches warm), first run:")
    corral_times, uv_times = [], []
    for i in range(max(3, repeat // 4)):
        clone = work / f"clone-corral-{i}"
        clone.mkdir()
        for name in ("environment.yml", "corral.lock"):
            shutil.copy2(ours / name, clone / name)
        corral_times.append(_timed([[*prefix, "run", "python", "-c", "import rich"]], env, clone))
        clone = work / f"clone-uv-{i}"
        clone.mkdir()
        for name in ("pyproject.toml", "uv.lock"):
            shutil.copy2(theirs / name, clone / name)
        steps = [[uv, "sync", "--no-config"], [uv, "run", "--no-config", "python", "-c", "import rich"]]
        uv_times.append(_timed(steps, uv_env, clone))
    print(row("corral run (lock present, new env)", corral_times))
    print(row("uv sync + uv run (lock present, new .venv)", uv_times))


def _python312() -> str:
    for candidate in (
        Path.home() / ".pyenv" / "versions" / "3.12.1" / "bin" / "python3.12",
        shutil.which("python3.12"),
    ):
        if candidate and os.path.isfile(candidate):
            found = subprocess.run([str(candidate), "-c", "import sys; print(sys.executable)"], capture_output=True)
            if found.returncode == 0:
                return found.stdout.decode().strip()
    return ""


def _ok(argv: list[str], env: dict[str, str], cwd: Path) -> None:
    made = subprocess.run(argv, env=env, cwd=cwd, capture_output=True)
    if made.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{made.stderr.decode()}")


def _timed(steps: list[list[str]], env: dict[str, str], cwd: Path) -> float:
    import time

    start = time.perf_counter()
    for argv in steps:
        _ok(argv, env, cwd)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
