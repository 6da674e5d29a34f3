"""Ray: corral's runtime_env (build from a lock) vs Ray's own `pip` and `uv` runtime_env, side by side.

    python bench/ray.py [--repeat N] [--packages 'numpy==2.3.4 tabulate==0.9.0']

Each repeat starts a fresh one-node Ray cluster on 127.0.0.1 (a fresh session, so Ray's pip and
uv environments are gone; a fresh CORRAL_RAY_ROOT, so corral's store and package caches are
empty) and, for each method in turn, runs two drivers: the first task on the fresh node (the
environment is built: downloads included, as Ray's pip and uv plugins use no cache by default)
and a repeated task in a second job (cached). Each figure is a whole job as a user waits for it:
`ray.init` with the runtime_env to the first task's result (a task that imports the packages).
The same pins for all: corral's lock (made once beforehand from PyPI, not timed) gives the
versions that `pip` and `uv` get as `name==version`. Needs PyPI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.ray_cluster import cluster

JOB = """
import json, sys, time
start = time.perf_counter()
import ray
address, kind, payload, module = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
if kind == "corral":
    from corral.integrations.ray import runtime_env
    env = runtime_env(**payload)
else:
    env = {kind: payload}
ray.init(address=address, _node_ip_address="127.0.0.1", runtime_env=env, logging_level="ERROR")


@ray.remote(num_cpus=1)
def probe(name):
    import importlib, sys
    importlib.import_module(name)
    return sys.executable


executable = ray.get(probe.remote(module), timeout=600)
print(json.dumps({"seconds": time.perf_counter() - start, "executable": executable}))
"""


def _job(address: str, kind: str, payload: object, module: str, env: dict[str, str], work: Path) -> float:
    script = work / "job.py"
    script.write_text(JOB, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), address, kind, json.dumps(payload), module],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} job failed:\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def _lock(packages: list[str], work: Path, env: dict[str, str]) -> tuple[Path, list[str]]:
    """corral's lock of the packages (on Ray's Python minor), and the pins it chose."""
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    source = work / "environment.yml"
    lines = "".join(f"    - {p}\n" for p in packages)
    source.write_text(f'name: bench\npython: "{minor}"\ndependencies:\n  - pip:\n{lines}', encoding="utf-8")
    lock = work / "corral.lock"
    corral = [sys.executable, "-m", "corral", "lock", "-f", str(source), "-o", str(lock), "--json"]
    done = subprocess.run(corral, env={**env, "CORRAL_ROOT": str(work / "driver-root")}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"corral lock failed:\n{done.stderr}")
    import yaml

    data = yaml.safe_load(lock.read_text(encoding="utf-8"))
    section = next(iter(data["platforms"].values()))
    return lock, [f"{e['name']}=={e['version']}" for e in section["pypi"]]


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--packages", default="numpy==2.3.4 tabulate==0.9.0")
    args = parser.parse_args()
    packages = args.packages.split()
    module = packages[0].split("=")[0].split("[")[0]
    work = Path(tempfile.mkdtemp(prefix="cbr-"))
    src = str(Path(__file__).resolve().parent.parent / "src")
    keep = ("CORRAL_", "CONDA_", "VIRTUAL_ENV", "RAY_", "PYTHONDONTWRITEBYTECODE", "UV_", "PIP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(keep)}
    env.update(PYTHONPATH=src, CORRAL_CONFIG=str(work / "none.toml"))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # uv for Ray's plugin
    lock, pins = _lock(packages, work, env)
    print(f"packages: {' '.join(pins)}")
    methods = {"corral": {"lock": str(lock)}, "pip": {"packages": pins}, "uv": {"packages": pins}}
    times: dict[str, dict[str, list[float]]] = {m: {"first": [], "cached": []} for m in methods}
    for run in range(args.repeat):
        base = work / f"run-{run}"
        base.mkdir()
        node = {"CORRAL_RAY_ROOT": str(base / "corral-store")}
        with cluster(base, env, nodes=1, node_envs=[node]) as made:
            for kind, payload in methods.items():
                for which in ("first", "cached"):
                    seconds = _job(made.address, kind, payload, module, env, base)
                    times[kind][which].append(seconds)
                    print(f"run {run + 1}: {kind:<6} {which:<6} {seconds * 1000:8.0f} ms", flush=True)
    print(f"\n| what (median of {args.repeat}, whole job: ray.init to the first task's result) | first task, fresh node"
          " | repeated task (second job) |")  # fmt: skip
    print("|---|---|---|")
    for kind in methods:
        first, cached = (statistics.median(times[kind][w]) * 1000 for w in ("first", "cached"))
        label = {"corral": "corral (lock)", "pip": "Ray `pip`", "uv": "Ray `uv`"}[kind]
        print(f"| {label} | {first:,.0f} ms | {cached:,.0f} ms |")


if __name__ == "__main__":
    main()
