"""Ray: corral's runtime_env (build from a lock) vs Ray's own `pip` and `uv` runtime_env, side by side.

    python bench/ray.py [--repeat N] [--packages 'numpy==2.3.4 tabulate==0.9.0']

Each repeat starts a fresh one-node Ray cluster on 127.0.0.1, inside a loopback-only network
namespace (tests/support/ray_scenario.py; Ray binds its servers to 0.0.0.0), with a fresh
session (Ray's pip and uv environments are gone) and a fresh CORRAL_RAY_ROOT (corral's store and
package caches are empty), and, for each method in turn, runs two drivers: the first task on the
fresh node (the environment is built) and a repeated task in a second job (cached). The wheels
are downloaded once beforehand into a folder that all three install from (`--no-index
--find-links`, as the namespace has no network): the figures are install work, not the network.
Each figure is a whole job as a user waits for it:
`ray.init` with the runtime_env to the first task's result (a task that imports the packages).
The same pins for all: corral's lock (made once beforehand, not timed) gives the versions that
`pip` and `uv` get as `name==version`. Needs PyPI for the download.
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


def _lock(packages: list[str], work: Path, env: dict[str, str]) -> tuple[Path, list[str]]:
    """corral's lock of the packages (on Ray's Python minor), and the pins it chose."""
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    source = work / "environment.yml"
    lines = "".join(f"    - {p}\n" for p in packages)
    index = f"    - --no-index\n    - --find-links {work / 'wheels'}\n"
    text = f'name: bench\npython: "{minor}"\ndependencies:\n  - pip:\n{index}{lines}'
    source.write_text(text, encoding="utf-8")
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
    from tests.support.ray_cluster import kill_naming, loopback_namespace, short_temp_prefix

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--packages", default="numpy==2.3.4 tabulate==0.9.0")
    args = parser.parse_args()
    packages = args.packages.split()
    module = packages[0].split("=")[0].split("[")[0]
    work = Path(tempfile.mkdtemp(prefix="cbr-"))
    repo = Path(__file__).resolve().parent.parent
    keep = ("CORRAL_", "CONDA_", "VIRTUAL_ENV", "RAY_", "PYTHONDONTWRITEBYTECODE", "UV_", "PIP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(keep)}
    env.update(PYTHONPATH=os.pathsep.join([str(repo / "src"), str(repo)]), CORRAL_CONFIG=str(work / "none.toml"))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # uv for Ray's plugin
    pip = [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "-d", str(work / "wheels")]
    subprocess.run([*pip, *packages], check=True)
    lock, pins = _lock(packages, work, env)
    print(f"packages: {' '.join(pins)}")
    local = ["--no-index", f"--find-links {work / 'wheels'}"]  # lines of a requirements file
    methods = {"corral": {"lock": str(lock)}, "pip": {"packages": [*local, *pins]}, "uv": {"packages": [*local, *pins]}}
    (work / "job.py").write_text(JOB, encoding="utf-8")
    times: dict[str, dict[str, list[float]]] = {m: {"first": [], "cached": []} for m in methods}
    for run in range(args.repeat):
        base = work / f"run-{run}"
        base.mkdir()
        jobs = [
            {"argv": [sys.executable, str(work / "job.py"), "{address}", kind, json.dumps(payload), module],
             "env": env, "cwd": str(work), "timeout": 900}
            for kind, payload in methods.items() for _ in ("first", "cached")
        ]  # fmt: skip
        prefix = short_temp_prefix()
        plan = {"base": str(base), "env": env, "nodes": 1, "temp_prefix": prefix, "jobs": jobs,
                "node_envs": [{"CORRAL_RAY_ROOT": str(base / "corral-store")}]}  # fmt: skip
        (base / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        argv = loopback_namespace([sys.executable, "-m", "tests.support.ray_scenario", str(base / "plan.json"),
                                   str(base / "out.json")])  # fmt: skip
        try:
            subprocess.run(argv, cwd=repo, env=env, check=True, timeout=3600)
        finally:
            kill_naming(prefix)
        results = json.loads((base / "out.json").read_text(encoding="utf-8"))
        for i, (kind, which) in enumerate((k, w) for k in methods for w in ("first", "cached")):
            if results[i]["code"] != 0:
                raise SystemExit(f"{kind} job failed:\n{results[i]['stderr']}")
            seconds = float(json.loads(results[i]["stdout"].strip().splitlines()[-1])["seconds"])
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
