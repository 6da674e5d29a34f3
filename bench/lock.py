"""Locks side by side with the engines alone, in the same run.

    python bench/lock.py [--repeat N] [--skip-pypi]

1. conda part: `corral lock` of pytorch, torchvision, torchaudio from the real pytorch repodata in
   ../shared/data (plus a generated companion channel holding every dependency it names) vs
   py-rattler's solve alone (`bench/solve_alone.py`: gateway + solve, same channels, specs and
   virtual packages), both for linux-64 only, both in a fresh process.
2. PyPI part (needs PyPI): `corral lock` of a PyPI-only file (numpy pandas scikit-learn
   matplotlib on Python 3.11) vs `uv pip compile --format pylock.toml` of the same requirements
   for the same target, with the same uv binary and a warm cache.
3. frozen create: `corral create --lock` of the bench channel's environment (real CPython, three
   Python packages, a 2,000-file package) vs py-rattler installing the same records alone
   (`bench/install_alone.py`), warm package cache, fresh prefix each run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import build_channel, clean_env, row, time_command

HERE = Path(__file__).resolve().parent
PYTORCH = HERE.parent.parent / "shared" / "data" / "pytorch"
SPECS = ["python=3.10", "pytorch=2.0", "torchvision", "torchaudio"]


def companion_channel(work: Path) -> Path:
    """A channel with one record per (dependency, version) the pytorch records name, so solves succeed."""
    repodata = json.loads((PYTORCH / "linux-64" / "repodata.json").read_text())
    records = {**repodata.get("packages", {}), **repodata.get("packages.conda", {})}
    own = {r["name"] for r in records.values()}
    wanted: dict[str, set[tuple[str, str]]] = {}
    for record in records.values():
        for dependency in record.get("depends", []):
            parts = dependency.split()
            name = parts[0]
            if name in own or name.startswith("__"):
                continue
            versions = re.findall(r"\d+(?:\.\d+)*", parts[1]) if len(parts) > 1 else []
            build = parts[2].replace("*", "") or "0" if len(parts) > 2 else "0"
            for version in versions or ["1.0"]:
                wanted.setdefault(name, set()).add((version, build))
    packages = {}
    for name, variants in sorted(wanted.items()):
        for version, build in sorted(variants):
            file_name = f"{name}-{version}-{build}.tar.bz2"
            digest = f"{abs(hash((name, version, build))):064x}"[-64:]
            packages[file_name] = {
                "name": name,
                "version": version,
                "build": build,
                "build_number": 0,
                "depends": [],
                "subdir": "linux-64",
                "sha256": digest,
                "md5": digest[:32],
                "size": 1,
            }
    channel = work / "companion"
    (channel / "linux-64").mkdir(parents=True, exist_ok=True)
    (channel / "noarch").mkdir(parents=True, exist_ok=True)
    (channel / "linux-64" / "repodata.json").write_text(
        json.dumps({"info": {"subdir": "linux-64"}, "packages": packages})
    )
    (channel / "noarch" / "repodata.json").write_text(json.dumps({"info": {"subdir": "noarch"}, "packages": {}}))
    return channel


def conda_part(work: Path, repeat: int) -> None:
    channels = [str(PYTORCH), str(companion_channel(work))]
    env_file = work / "torch.yml"
    env_file.write_text(
        "channels:\n"
        + "".join(f"  - {c}\n" for c in channels)
        + "dependencies:\n"
        + "".join(f"  - {s}\n" for s in SPECS)
    )
    env = clean_env(work / "root")
    lock = work / "torch.lock"
    corral = [sys.executable, "-m", "corral", "lock", "-f", str(env_file), "--platform", "linux-64", "-o", str(lock)]
    alone = [
        sys.executable,
        str(HERE / "solve_alone.py"),
        str(work / "rattler-repodata"),
        "linux-64",
        *channels,
        "--",
        *SPECS,
    ]
    time_command(corral, env, repeat=1)
    time_command(alone, env, repeat=1)
    print(
        row(
            "conda part: corral lock (linux-64)", time_command(corral, env, before=lambda: lock.unlink(), repeat=repeat)
        )
    )
    print(row("conda part: py-rattler solve alone", time_command(alone, env, repeat=repeat)))


def pypi_part(work: Path, repeat: int) -> None:
    from corral.pypi.uv import child_environment, uv_binary

    packages = ["numpy", "pandas", "scikit-learn", "matplotlib"]
    env_file = work / "py.yml"
    env_file.write_text('python: "3.11"\ndependencies:\n  - pip:\n' + "".join(f"    - {p}\n" for p in packages))
    env = clean_env(work / "root")
    lock = work / "py.lock"
    corral = [sys.executable, "-m", "corral", "lock", "-f", str(env_file), "--platform", "linux-64", "-o", str(lock)]
    requirements = work / "py.in"
    requirements.write_text("".join(f"{p}\n" for p in packages))
    out = work / "pylock.toml"
    uv = [
        uv_binary(),
        "pip",
        "compile",
        str(requirements),
        "--format",
        "pylock.toml",
        "-o",
        str(out),
        "--no-header",
        "--python-platform",
        "x86_64-manylinux_2_28",
        "--python-version",
        "3.11",
        "--python",
        sys.executable,
        "--no-config",
        "--quiet",
        "--cache-dir",
        str(work / "root" / "cache" / "pypi"),
    ]
    uv_env = {**child_environment(), "PATH": env["PATH"]}
    time_command(corral, env, repeat=1)  # warm both caches

    def fresh() -> None:
        lock.unlink(missing_ok=True)
        out.unlink(missing_ok=True)

    print(row("PyPI part: corral lock (linux-64, 3.11)", time_command(corral, env, before=fresh, repeat=repeat)))
    print(row("PyPI part: uv pip compile --format pylock.toml", time_command(uv, uv_env, before=fresh, repeat=repeat)))


def frozen_part(work: Path, repeat: int) -> None:
    channel = build_channel(work)
    specs = ["python=3.12", "platformdirs", "filelock", "packaging", "bulk"]
    env_file = work / "app.yml"
    env_file.write_text(f"channels: [{channel}]\ndependencies:\n" + "".join(f"  - {s}\n" for s in specs))
    root = work / "root"
    env = clean_env(root)
    lock = work / "app.lock"
    subprocess.run([sys.executable, "-m", "corral", "lock", "-f", str(env_file), "-o", str(lock)], env=env, check=True)
    subprocess.run(
        [sys.executable, "-m", "corral", "create", "-n", "warm", "--lock", str(lock), "-y"], env=env, check=True
    )
    prefix = work / "alone-prefix"
    names = [e["url"].rsplit("/", 1)[-1] for e in _conda_entries(lock)]

    def drop() -> None:
        subprocess.run([sys.executable, "-m", "corral", "env", "remove", "-n", "x", "-y"], env=env, capture_output=True)
        shutil.rmtree(prefix, ignore_errors=True)

    corral = [sys.executable, "-m", "corral", "create", "-n", "x", "--lock", str(lock), "-y"]
    alone = [
        sys.executable,
        str(HERE / "install_alone.py"),
        str(channel),
        str(prefix),
        str(root / "cache" / "conda" / "pkgs"),
        *names,
    ]
    print(row("frozen create: corral create --lock", time_command(corral, env, before=drop, repeat=repeat)))
    print(row("frozen create: py-rattler install alone", time_command(alone, env, before=drop, repeat=repeat)))


def _conda_entries(lock: Path) -> list[dict[str, str]]:
    import yaml

    data = yaml.safe_load(lock.read_text())
    return [e for section in data["platforms"].values() for e in section["conda"]]


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-pypi", action="store_true", help="the PyPI part needs the network")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corral-bench-lock-"))
    print(f"python -c pass: {statistics.median(time_command([sys.executable, '-c', 'pass'], repeat=5)) * 1000:.1f} ms")
    conda_part(work, args.repeat)
    if not args.skip_pypi:
        pypi_part(work, args.repeat)
    frozen_part(work, args.repeat)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
