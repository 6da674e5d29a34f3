"""One Ray scenario, run inside a loopback-only network namespace: start the nodes, run the jobs, record.

    python -m tests.support.ray_scenario PLAN.json RESULT.json

The plan: {"base", "env", "nodes", "node_envs", "temp_prefix", "jobs": [{"argv", "env", "cwd", "wait_absent"}]};
"{address}" in a job's argv is the cluster's address. After each job the result records its exit
code and output, then each node's store as it is: every environment and generation with its
mtime, every unpacked archive's ready mark, and the setup logs' count of builds (the plugin logs
"corral: built NAME" once per build). `wait_absent` names entries (store-relative) to wait up to
60 s for, until none of the nodes has them (Ray's cache removes environments after a job).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.ray_cluster import Cluster, cluster


def stores(made: Cluster, node_envs: list[dict[str, str]]) -> list[Path]:
    """Each node's corral store: its CORRAL_RAY_ROOT, else corral/ in its runtime_resources."""
    out = []
    for i, temp in enumerate(made.temp_dirs):
        root = node_envs[i].get("CORRAL_RAY_ROOT") if i < len(node_envs) else None
        out.append(Path(root) if root else next(temp.glob("session_2*")) / "runtime_resources" / "corral")
    return out


def snapshot(made: Cluster, node_envs: list[dict[str, str]]) -> list[dict[str, Any]]:
    """What each node's store holds now, and how many builds its logs show."""
    nodes = []
    for temp, store in zip(made.temp_dirs, stores(made, node_envs), strict=True):
        entries = {}
        for pattern in ("envs/*", "generations/*/*", "ray/archives/*/.corral-ray-ready"):
            for path in store.glob(pattern):
                entries[str(path.relative_to(store))] = path.lstat().st_mtime_ns
        logs = next(temp.glob("session_2*")).glob("logs/runtime_env_setup-*.log")
        builds = sum(p.read_text(encoding="utf-8", errors="replace").count("corral: built ") for p in logs)
        nodes.append({"store": str(store), "entries": entries, "builds": builds})
    return nodes


def main() -> None:
    """Run the plan and write the result (also when a job fails: the test reads what happened)."""
    plan = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    node_envs = plan.get("node_envs", [])
    results: list[dict[str, Any]] = []
    with cluster(Path(plan["base"]), plan["env"], plan.get("nodes", 2), 120, node_envs, plan["temp_prefix"]) as made:
        for job in plan["jobs"]:
            argv = [a.replace("{address}", made.address) for a in job["argv"]]
            start = time.perf_counter()
            done = subprocess.run(
                argv,
                env=job["env"],
                cwd=job.get("cwd"),
                capture_output=True,
                text=True,
                timeout=job.get("timeout", 300),
            )
            seconds = time.perf_counter() - start
            deadline = time.monotonic() + 60
            while job.get("wait_absent") and time.monotonic() < deadline:
                held = [e for n in snapshot(made, node_envs) for e in n["entries"] if e in job["wait_absent"]]
                if not held:
                    break
                time.sleep(0.5)
            results.append(
                {
                    "code": done.returncode,
                    "stdout": done.stdout,
                    "stderr": done.stderr[-4000:],
                    "seconds": seconds,
                    "nodes": snapshot(made, node_envs),
                }
            )
            Path(sys.argv[2]).write_text(json.dumps(results), encoding="utf-8")
    Path(sys.argv[2]).write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main()
