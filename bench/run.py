"""Run corral's benchmarks side by side with their baselines and print a table.

    python bench/run.py [--repeat N]

1. warm-cache create of the same environment: corral CLI vs py-rattler alone (same channel, specs, cache)
   (the two run in turn, each pair on the same machine state);
2. rollback of an environment of 2,000+ files (`python -m corral`, the console script, and with a
   ~/.condarc and a config.toml as most users have);
3. `corral --version` vs `python -c pass`.
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

HERE = Path(__file__).resolve().parent
SPECS = ["python", "platformdirs", "filelock", "bulk"]


def console_script() -> str | None:
    """The `corral` pip installed beside this interpreter (or on PATH)."""
    beside = Path(sys.executable).parent / "corral"
    return str(beside) if beside.is_file() else shutil.which("corral")


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corral-bench-"))
    channel = build_channel(work)
    root = work / "root"
    env = clean_env(root)
    corral = [sys.executable, "-m", "corral"]
    cache = root / "cache" / "conda" / "pkgs"
    repodata = root / "cache" / "conda" / "repodata"

    # Warm the caches once through corral (downloads/extracts into the shared cache).
    subprocess.run(
        [*corral, "create", "-n", "warm", "-c", str(channel), *SPECS, "-y"], env=env, check=True, capture_output=True
    )
    files = sum(1 for p in (root / "envs" / "warm").resolve().rglob("*") if p.is_file())
    print(f"environment: {', '.join(SPECS)} ({files} files); channel {channel}")

    def drop(name: str) -> None:
        subprocess.run([*corral, "env", "remove", "-n", name, "-y"], env=env, capture_output=True)

    prefix = work / "rattler-prefix"
    print("\n1. warm-cache create (the two in turn, so a machine that speeds up or slows down moves both)")
    baseline: list[float] = []
    ours: list[float] = []
    for _ in range(args.repeat):
        baseline += time_command(
            [
                sys.executable,
                str(HERE / "rattler_alone.py"),
                str(channel),
                str(prefix),
                str(cache),
                str(repodata),
                *SPECS,
            ],
            env=env,
            before=lambda: shutil.rmtree(prefix, ignore_errors=True),
            repeat=1,
        )
        ours += time_command(
            [*corral, "create", "-n", "b", "-c", str(channel), *SPECS, "-y"],
            env=env,
            before=lambda: drop("b"),
            repeat=1,
        )
    startup = time_command([sys.executable, "-c", "pass"], env=env, repeat=args.repeat)
    print(row("py-rattler alone (solve + install)", baseline))
    print(row("corral create", ours))
    print(row("python -c pass (start-up)", startup))
    med = statistics.median(ours) / statistics.median(baseline)
    pairs = statistics.median(o / b for o, b in zip(ours, baseline, strict=True))
    allowed = 1.1 * statistics.median(baseline) + statistics.median(startup)
    print(
        f"   ratio of medians corral / py-rattler: {med:.2f}x; median of the {args.repeat} pairs' ratios: {pairs:.2f}x"
    )
    verdict = "met" if statistics.median(ours) <= allowed else "not met"
    print(f"   goal: <= 1.1x py-rattler plus start-up = {allowed * 1000:.1f} ms: {verdict}")

    print("\n2. rollback of a 2,000+ file environment")
    subprocess.run([*corral, "install", "-n", "warm", "packaging", "-y"], env=env, check=True, capture_output=True)
    state = {"to": 1}

    def flip() -> None:
        state["to"] = 2 if state["to"] == 1 else 1

    # As most conda users have it: a ~/.condarc, and a config file of corral's own.
    home = work / "home"
    home.mkdir()
    (home / ".condarc").write_text("channels:\n  - conda-forge\nchannel_priority: strict\n")
    (root / "config.toml").write_text('link-scripts = "run"\n')
    habits = {
        **env,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "CORRAL_CONFIG": str(root / "config.toml"),
    }
    corral_bin = console_script()
    ways = {"corral rollback (whole command)": (corral, env)}
    if corral_bin:  # what a user types: the console script (no runpy, as `python -m corral` has)
        ways["corral rollback (console script)"] = ([corral_bin], env)
    ways["corral rollback (with ~/.condarc, config.toml)"] = (corral, habits)
    times: dict[str, list[float]] = {label: [] for label in ways}
    for _ in range(args.repeat):  # the ways in turn, as for create
        for label, (command, environ) in ways.items():
            flip()
            argv = [*command, "rollback", "-n", "warm", "--to", str(state["to"]), "-y"]
            times[label] += time_command(argv, env=environ, repeat=1)
    for label, measured in times.items():
        print(row(label, measured))

    print("\n3. start-up")
    print(row("python -c pass", time_command([sys.executable, "-c", "pass"], env=env, repeat=args.repeat * 3)))
    print(row("corral --version", time_command([*corral, "--version"], env=env, repeat=args.repeat * 3)))
    if corral_bin:
        print(
            row(
                "corral --version (console script)",
                time_command([corral_bin, "--version"], env=env, repeat=args.repeat * 3),
            )
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
