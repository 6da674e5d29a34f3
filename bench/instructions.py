"""Instructions, not milliseconds: corral's create and frozen create against py-rattler alone, counted by valgrind.

    python bench/instructions.py

On a shared 2-core machine the same command's time moves by up to 2x within minutes, so a
few-millisecond change is lost in the noise of wall-clock medians. The number of instructions a
command executes (valgrind's cachegrind, `--cache-sim=no`) is the same from run to run to within
~0.2%, so it shows what a change saved. It counts user-space work only: the kernel's share
(lstat, fsync, the links themselves) is not in it, so bench/run.py and bench/lock.py stay the
figures the goals are judged by. Needs valgrind (`apt-get install valgrind`); each command runs
about 20 s under it.

1. warm create of the bench environment: `corral create` vs bench/rattler_alone.py;
2. frozen create from a lock: `corral create --lock` vs bench/install_alone.py;
3. `corral rollback` of the bench environment (2,800 files, whole command) against `python -c pass`,
   the interpreter's own start-up: the 50 ms goal is wall-clock (bench/run.py); at the speed that
   runs `python -c pass` in 14 ms here, 50 ms is about 140 M instructions. Counted as
   `python -m corral` and through the console script pip writes (which imports `re` itself).

The lock is read once before, as bench/lock.py's median is: its parse is then kept (keptparse.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import build_channel, clean_env
from lock import _conda_entries
from run import console_script

HERE = Path(__file__).resolve().parent
SPECS = ["python", "platformdirs", "filelock", "bulk"]


def instructions(argv: list[str], env: dict[str, str]) -> int:
    """Instructions the command (the process itself, not the children it starts) executed."""
    proc = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *argv],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    counts = re.findall(r"==(\d+)== I\s+refs:\s+([\d,]+)", proc.stderr)
    first_pid = re.search(r"==(\d+)==", proc.stderr)
    assert counts and first_pid, proc.stderr[-2000:]
    return next(int(n.replace(",", "")) for pid, n in counts if pid == first_pid.group(1))


def line(label: str, count: int, base: int | None = None) -> str:
    ratio = f"   {count / base:.2f}x" if base else ""
    return f"{label:<44} {count / 1e6:8.1f} M instructions{ratio}"


def main() -> None:
    """Measure and print."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    work = Path(tempfile.mkdtemp(prefix="corral-bench-instructions-"))
    channel = build_channel(work)
    root = work / "root"
    env = clean_env(root)
    corral = [sys.executable, "-m", "corral"]
    cache = root / "cache" / "conda" / "pkgs"
    repodata = root / "cache" / "conda" / "repodata"
    lock = work / "bench.lock"
    spec_file = work / "bench.yml"
    spec_file.write_text(f"channels: [{channel}]\ndependencies: [{', '.join(SPECS)}]\n")
    for argv in (  # warm the caches (and write corral's bytecode) once; the lock's parse is kept after its first read
        [*corral, "create", "-n", "warm", "-c", str(channel), *SPECS, "-y"],
        [*corral, "lock", "-f", str(spec_file), "-o", str(lock)],
        [*corral, "create", "-n", "warm-lock", "--lock", str(lock), "-y"],
        [*corral, "install", "-n", "warm", "packaging", "-y"],  # a second generation to roll back from
        [*corral, "rollback", "-n", "warm", "--to", "1", "-y"],
        [*corral, "rollback", "-n", "warm", "--to", "2", "-y"],
    ):
        subprocess.run(argv, env=env, check=True, capture_output=True)

    def fresh() -> None:
        subprocess.run([*corral, "env", "remove", "-n", "b", "-y"], env=env, capture_output=True)
        shutil.rmtree(work / "alone", ignore_errors=True)

    start = instructions([sys.executable, "-c", "pass"], env)
    fresh()
    alone = instructions(
        [
            sys.executable,
            str(HERE / "rattler_alone.py"),
            str(channel),
            str(work / "alone"),
            str(cache),
            str(repodata),
            *SPECS,
        ],
        env,
    )
    fresh()
    ours = instructions([*corral, "create", "-n", "b", "-c", str(channel), *SPECS, "-y"], env)
    fresh()
    names = [e["url"].rsplit("/", 1)[-1] for e in _conda_entries(lock)]
    frozen_alone = instructions(
        [sys.executable, str(HERE / "install_alone.py"), str(channel), str(work / "alone"), str(cache), *names], env
    )
    fresh()
    frozen = instructions([*corral, "create", "-n", "b", "--lock", str(lock), "-y"], env)
    fresh()
    rollback = instructions([*corral, "rollback", "-n", "warm", "--to", "1", "-y"], env)
    script = console_script()
    by_script = instructions([script, "rollback", "-n", "warm", "--to", "2", "-y"], env) if script else None
    print(line("python -c pass", start))
    print(line("1. py-rattler alone (solve + install)", alone))
    print(line("   corral create", ours, alone))
    print(f"   goal as instructions: <= 1.1x py-rattler plus start-up = {(1.1 * alone + start) / 1e6:.1f} M")
    print(line("2. py-rattler install alone", frozen_alone))
    print(line("   corral create --lock", frozen, frozen_alone))
    print(f"   goal as instructions: <= 1.2x = {1.2 * frozen_alone / 1e6:.1f} M")
    print(line("3. corral rollback (whole command)", rollback, start))
    if by_script is not None:
        print(line("   corral rollback (console script)", by_script, start))
    rate = start / 14e6  # where `python -c pass` takes 14 ms (this machine, quiet)
    print(f"   at python -c pass = 14 ms, ~{rate:.1f} M instructions a ms: the 50 ms goal ~ {50 * rate:.0f} M")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
