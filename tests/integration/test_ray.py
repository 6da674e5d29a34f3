"""corral's Ray runtime_env plugin on a real two-node Ray cluster on 127.0.0.1.

Each node is its own `ray start` (own temp dir, own ports, so its own corral store under its
runtime_resources); the plugin is registered through RAY_RUNTIME_ENV_PLUGINS. Drivers are real
`ray.init` processes: tasks pinned to each node import a package only the locked environment has,
and report the interpreter and activation variables they run with; a second job must build nothing.
The driver-side checks of the `corral` field run without a cluster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corral.errors import CorralError
from corral.integrations.ray import driver, hook, runtime_env
from tests.conftest import Corral
from tests.support.pypi import write_wheel

TIMEOUT = 150  # one driver job, cluster start included in none of them

JOB = """
import json, os, sys
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

address, out, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if spec["how"] == "helper":
    from corral.integrations.ray import runtime_env
    env = runtime_env(**spec["field"])
else:
    env = {"corral": spec["field"]}  # RAY_RUNTIME_ENV_HOOK embeds it in ray.init
ray.init(address=address, _node_ip_address="127.0.0.1", runtime_env=env, logging_level="ERROR")


@ray.remote(num_cpus=1)
def probe():
    import tinylib  # only the locked environment has it
    return {"executable": sys.executable, "prefix": sys.prefix, "tinylib": tinylib.VERSION,
            "conda_prefix": os.environ.get("CONDA_PREFIX"), "variable": os.environ.get("RAY_TEST_VARIABLE"),
            "path0": os.environ["PATH"].split(os.pathsep)[0], "node": ray.get_runtime_context().get_node_id()}


nodes = sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])
try:
    rows = ray.get([probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n, soft=False)).remote()
                    for n in nodes], timeout=120)
    result = {"nodes": nodes, "rows": rows}
except Exception as exc:  # the runtime_env failure, as the user sees it
    result = {"nodes": nodes, "error": f"{type(exc).__name__}: {exc}"}
with open(out, "w") as handle:
    json.dump(result, handle)
"""


def _ray_ready() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        pytest.skip("ray is not installed (ray[default] is in the test extra)")


def _job(cluster: Any, tmp_path: Path, env: dict[str, str], how: str, field: dict[str, Any]) -> dict[str, Any]:
    """One driver process: `ray.init` with the field, a task pinned to each node; its JSON result."""
    script = tmp_path / "job.py"
    script.write_text(JOB, encoding="utf-8")
    out = tmp_path / f"job-{len(list(tmp_path.glob('job-*.json')))}.json"
    spec = json.dumps({"how": how, "field": field})
    done = subprocess.run(
        [sys.executable, str(script), cluster.address, str(out), spec],
        env={**env, "RAY_RUNTIME_ENV_HOOK": "corral.integrations.ray.hook"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0 and out.is_file(), done.stderr[-4000:]
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def _stores(cluster: Any) -> list[Path]:
    """Each node's corral store (the default: corral/ in the node's runtime_resources)."""
    return [next(t.glob("session_2*")) / "runtime_resources" / "corral" for t in cluster.temp_dirs]


def _builds(cluster: Any) -> int:
    """How many builds the nodes' setup logs show (the plugin logs one line per build)."""
    count = 0
    for temp in cluster.temp_dirs:
        for log in next(temp.glob("session_2*")).glob("logs/runtime_env_setup-*.log"):
            count += log.read_text(encoding="utf-8", errors="replace").count("corral: building ")
    return count


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Two Ray nodes on 127.0.0.1 with the plugin; stopped (by pid) when the module's tests end."""
    _ray_ready()
    from tests.support.ray_cluster import RayUnavailable, cluster

    base = tmp_path_factory.mktemp("ray")
    try:
        with cluster(base, _node_env(base)) as made:
            yield made
    except RayUnavailable as exc:
        pytest.skip(str(exc))


def _node_env(base: Path) -> dict[str, str]:
    """The environment of nodes and drivers: this worktree's corral importable, no user config or store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRAL_", "CONDA_", "VIRTUAL_ENV", "RAY_"))}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env.update(PYTHONPATH=src, CORRAL_CONFIG=str(base / "no-config.toml"))
    return env


def _env_file(folder: Path, wheels: Path, version: str, name: str = "environment.yml") -> Path:
    """A PyPI-only environment on a found Python of the driver's minor version (Ray's), with a variable."""
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    path = folder / name
    path.write_text(
        f'name: rayenv\npython: "{minor}"\nvariables:\n  RAY_TEST_VARIABLE: from-corral\ndependencies:\n'
        f"  - pip:\n    - --no-index\n    - --find-links {wheels}\n    - tinylib=={version}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.cluster
@pytest.mark.slow
def test_both_nodes_run_tasks_in_the_locked_environment_and_a_second_job_reuses_it(
    ray_cluster: Any, corral: Corral, wheels: Path, tmp_path: Path
) -> None:
    env = _node_env(tmp_path)
    source = _env_file(tmp_path, wheels, "2.0")
    made = corral("lock", "-f", str(source), "-o", str(tmp_path / "corral.lock"))
    assert made.code == 0, made.err
    sha = driver.digest((tmp_path / "corral.lock").read_text(encoding="utf-8"))
    name = f"ray-{sha[:20]}"

    first = _job(ray_cluster, tmp_path, env, "hook", {"lock": "corral.lock"})  # the literal form, through the hook
    assert "error" not in first, first.get("error")
    assert len(first["nodes"]) == 2 and {r["node"] for r in first["rows"]} == set(first["nodes"])
    stores = _stores(ray_cluster)
    for row in first["rows"]:
        store = next(s for s in stores if row["executable"].startswith(str(s)))  # each node its own store
        link = store / "envs" / name
        assert row["executable"] == str(link / "bin" / "python") and row["prefix"] == str(link)
        assert row["tinylib"] == "2.0"
        assert row["conda_prefix"] == str(link) and row["path0"] == str(link / "bin")
        assert row["variable"] == "from-corral"  # activation's variables reach the workers
    assert {next(s for s in stores if r["executable"].startswith(str(s))) for r in first["rows"]} == set(stores)
    built = {s: [(p.name, p.stat().st_mtime_ns) for p in (s / "generations" / name).iterdir()] for s in stores}
    assert _builds(ray_cluster) == 2

    second = _job(ray_cluster, tmp_path, env, "helper", {"lock": str(tmp_path / "corral.lock")})
    assert "error" not in second, second.get("error")
    assert [r["executable"] for r in second["rows"]] == [r["executable"] for r in first["rows"]]
    assert {s: [(p.name, p.stat().st_mtime_ns) for p in (s / "generations" / name).iterdir()] for s in stores} == built
    assert _builds(ray_cluster) == 2  # nothing was built again, on either node


@pytest.mark.cluster
@pytest.mark.slow
def test_an_environment_file_is_locked_on_the_driver_and_build_failures_reach_the_driver(
    ray_cluster: Any, wheels: Path, tmp_path: Path
) -> None:
    env = _node_env(tmp_path)
    source = _env_file(tmp_path, wheels, "1.0")
    from_file = _job(ray_cluster, tmp_path, env, "helper", {"file": str(source)})
    assert "error" not in from_file, from_file.get("error")
    assert {r["tinylib"] for r in from_file["rows"]} == {"1.0"}
    assert len({r["node"] for r in from_file["rows"]}) == 2

    # A lock whose wheel the nodes cannot fetch: corral's error, through Ray's runtime_env failure.
    gone = tmp_path / "gone"
    gone.mkdir()
    write_wheel(gone, "tinylib", "3.0")
    locked = tmp_path / "gone.lock"
    made = subprocess.run(
        [sys.executable, "-m", "corral", "lock", "-f", str(_env_file(tmp_path, gone, "3.0", "gone.yml")),
         "-o", str(locked)],
        env={**env, "CORRAL_ROOT": str(tmp_path / "driver-root")}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    (gone / "tinylib-3.0-py3-none-any.whl").unlink()
    failed = _job(ray_cluster, tmp_path, env, "hook", {"lock": str(locked)})
    assert "RuntimeEnvSetupError" in failed["error"], failed["error"]
    assert "corral: cannot build the environment of" in failed["error"], failed["error"]
    assert "tinylib" in failed["error"]
    gone_name = "ray-" + driver.digest(locked.read_text(encoding="utf-8"))[:20]
    for store in _stores(ray_cluster):  # the failed build left nothing behind
        assert not (store / "envs" / gone_name).exists() and not (store / "generations" / gone_name).exists()


@pytest.mark.cluster
@pytest.mark.slow
def test_rays_cache_removes_environments_it_lets_go_and_corral_ray_root_chooses_the_store(
    corral: Corral, wheels: Path, tmp_path: Path
) -> None:
    """A cache of ~1 KB for the plugin: once the job ends, Ray's URI cache deletes its URI (delete_uri)."""
    _ray_ready()
    from tests.support.ray_cluster import RayUnavailable, cluster

    env = _node_env(tmp_path)
    kept = tmp_path / "node0-store"
    small = {"RAY_RUNTIME_ENV_CORRAL_CACHE_SIZE_GB": "0.000001"}
    assert corral("lock", "-f", str(_env_file(tmp_path, wheels, "1.0")), "-o", str(tmp_path / "corral.lock")).code == 0
    name = "ray-" + driver.digest((tmp_path / "corral.lock").read_text(encoding="utf-8"))[:20]
    try:
        with cluster(tmp_path, env, node_envs=[{**small, "CORRAL_RAY_ROOT": str(kept)}, small]) as made:
            done = _job(made, tmp_path, env, "hook", {"lock": "corral.lock"})
            assert "error" not in done, done.get("error")
            stores = [kept, _stores(made)[1]]  # node 0: CORRAL_RAY_ROOT; node 1: the default
            expected = {str(s / "envs" / name / "bin" / "python") for s in stores}
            assert {r["executable"] for r in done["rows"]} == expected
            deadline = time.monotonic() + 60
            while any((s / "envs" / name).exists() for s in stores) and time.monotonic() < deadline:
                time.sleep(0.5)
            for store in stores:
                assert not (store / "envs" / name).exists() and not (store / "generations" / name).exists()
    except RayUnavailable as exc:
        pytest.skip(str(exc))


def test_the_driver_embeds_the_lock_and_refuses_what_nodes_could_not_use(corral: Corral, wheels: Path) -> None:
    folder = corral.cwd
    lock_path = folder / "corral.lock"
    assert corral("lock", "-f", str(_env_file(folder, wheels, "1.0")), "-o", str(lock_path)).code == 0
    made = runtime_env(lock=str(lock_path), env_vars={"A": "1"})
    text = lock_path.read_text(encoding="utf-8")
    assert made["env_vars"] == {"A": "1"}
    assert made["corral"] == {"lock_text": text, "sha256": driver.digest(text), "source": str(lock_path)}
    assert hook({"corral": {"lock": str(lock_path)}}) == {"corral": made["corral"]}
    assert hook({"pip": ["six"]}) == {"pip": ["six"]} and hook(None) is None
    assert driver.embedded(made["corral"]) == made["corral"]  # already embedded: kept
    assert runtime_env(archive="/srv/env.tar.gz")["corral"] == {"archive": "file:///srv/env.tar.gz"}

    def refused(field: Any) -> str:
        with pytest.raises(CorralError) as caught:
            driver.embedded(field)
        return caught.value.message

    assert "does not exist on the driver" in refused({"lock": str(folder / "missing.lock")})
    assert "exactly one of" in refused({"lock": str(lock_path), "file": "environment.yml"})
    assert "exactly one of" in refused({})
    assert "unknown keys: lokc" in refused({"lokc": "corral.lock"})
    assert "must be a mapping" in refused("corral.lock")
    assert "does not match its sha256" in refused({**made["corral"], "lock_text": text + "# edited\n"})
    assert "URIs are not read" in refused({"archive": "s3://bucket/env.tar.gz"})
    assert "only for 'file'" in refused({"lock": str(lock_path), "platforms": ["linux-64"]})
    broken = folder / "broken.lock"
    broken.write_text("version: 1\ninput: [\n", encoding="utf-8")
    assert "not valid YAML" in refused({"lock": str(broken)})


@pytest.mark.cluster
@pytest.mark.slow
def test_a_packed_archive_is_unpacked_once_per_node_and_its_python_runs_the_tasks(
    ray_cluster: Any, corral: Corral, wheels: Path, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    from tests.support.channel import index_channel
    from tests.support.cpython import CPythonUnavailable, add_cached_cpython, find_pyenv_python

    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    channel = tmp_path / "channel"
    assert pytestconfig.cache is not None
    try:  # a conda python of Ray's minor version: the archive's interpreter runs Ray's worker
        add_cached_cpython(channel, Path(pytestconfig.cache.mkdir("corral-cpython")), find_pyenv_python((minor,)))
    except CPythonUnavailable as exc:
        pytest.skip(str(exc))
    index_channel(channel)
    made = corral("create", "-n", "packed", "-c", str(channel), "python", "--pip", "tinylib==2.0", "--no-index",
                  "--find-links", str(wheels), "-y")  # fmt: skip
    assert made.code == 0, made.err
    archive = tmp_path / "env.tar.gz"
    assert corral("pack", "-n", "packed", "-o", str(archive)).code == 0
    env = _node_env(tmp_path)
    first = _job(ray_cluster, tmp_path, env, "helper", {"archive": str(archive)})
    assert "error" not in first, first.get("error")
    key = "archive-" + driver.digest(archive.as_uri())[:20]
    stores = _stores(ray_cluster)
    expected = {str(s / "ray" / "archives" / key / "bin" / "python") for s in stores}
    assert {r["executable"] for r in first["rows"]} == expected  # unpacked on each node, into its store
    assert {r["tinylib"] for r in first["rows"]} == {"2.0"}
    marks = [(s / "ray" / "archives" / key / ".corral-ray-ready").stat().st_mtime_ns for s in stores]
    again = _job(ray_cluster, tmp_path, env, "helper", {"archive": str(archive)})
    assert "error" not in again, again.get("error")
    assert [(s / "ray" / "archives" / key / ".corral-ray-ready").stat().st_mtime_ns for s in stores] == marks
