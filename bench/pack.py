"""`corral pack` vs conda-pack on the same corral generation, side by side in one run.

    python bench/pack.py [--repeat N] [--conda-pack PATH] [--no-pypi]

conda-pack reads conda-meta, so it packs a corral generation as it packs a conda prefix: it is
the peer. Both write tar.gz at gzip level 4 (conda-pack's default) with one thread. Measured:
1. pack time and archive size of the bench environment (real CPython, three pure-Python
   packages, a 2,000-file package: ~2,700 files), and of a numpy + pandas environment (PyPI
   wheels into a conda python; needs PyPI, skipped with --no-pypi or when it is unreachable).
   Goal: corral <= 1.0x conda-pack's time.
2. unpack + fix-up on the target: `tar -xzf` then bin/corral-unpack vs bin/conda-unpack.
conda-pack comes from PyPI (`pip install conda-pack` in a scratch venv; pass its path).
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
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--conda-pack", default=shutil.which("conda-pack") or "", help="the conda-pack executable")
    parser.add_argument("--no-pypi", action="store_true", help="skip the numpy + pandas environment")
    args = parser.parse_args()
    if not args.conda_pack:
        raise SystemExit("conda-pack not found: pip install conda-pack (in a scratch venv) and pass --conda-pack")
    work = Path(tempfile.mkdtemp(prefix="cbp-"))
    channel = build_channel(work)
    env = clean_env(work / "root")
    corral = [sys.executable, "-m", "corral"]
    specs = {"bench": ["python", "platformdirs", "filelock", "packaging", "bulk"]}
    if not args.no_pypi:
        specs["numpy-pandas"] = ["python", "--pip", "numpy", "pandas"]
    try:
        for name, spec in specs.items():
            argv = [*corral, "create", "-n", name, "-c", str(channel), *spec, "-y"]
            made = subprocess.run(argv, env=env, capture_output=True, text=True)
            if made.returncode != 0:
                print(f"{name}: skipped, create failed: {made.stderr.strip().splitlines()[-1:]}")
                continue
            compare(work, env, corral, name, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compare(work: Path, env: dict[str, str], corral: list[str], name: str, args: argparse.Namespace) -> None:
    """Pack `name` with both tools, then unpack and fix up each archive."""
    prefix = (work / "root" / "envs" / name).resolve()
    files = sum(1 for p in prefix.rglob("*") if not p.is_dir())
    print(f"\n{name}: {files} files at {prefix}")
    ours, theirs = work / f"{name}-corral.tar.gz", work / f"{name}-conda-pack.tar.gz"
    medians = {}
    for label, argv in (
        ("corral pack", [*corral, "pack", "-n", name, "-o", str(ours), "--force"]),
        ("conda-pack", [args.conda_pack, "-p", str(prefix), "-o", str(theirs), "--force", "--ignore-missing-files"]),
    ):
        times = time_command(argv, env, repeat=args.repeat)
        medians[label] = statistics.median(times)
        print(row(label, times))
    print(f"corral pack / conda-pack: {medians['corral pack'] / medians['conda-pack']:.2f}x (goal <= 1.0x)")
    mib = {path: path.stat().st_size / 2**20 for path in (ours, theirs)}
    print(f"archive size: corral {mib[ours]:.1f} MiB, conda-pack {mib[theirs]:.1f} MiB")
    for label, archive, fixup in (
        ("unpack + corral-unpack", ours, "corral-unpack"),
        ("unpack + conda-unpack", theirs, "conda-unpack"),
    ):
        target = work / "u"  # shorter than the store path, as binary placeholders need

        def fresh(target: Path = target) -> None:
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()

        script = f"tar -xzf {archive} -C {target} && {target}/bin/{fixup}"
        print(row(label, time_command(["sh", "-c", script], env, before=fresh, repeat=args.repeat)))


if __name__ == "__main__":
    main()
