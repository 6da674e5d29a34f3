"""corral's Ray runtime_env plugin on a real two-node Ray cluster on 127.0.0.1.

Each node is its own `ray start` (own temp dir, own ports, so its own corral store under its
runtime_resources); the plugin is registered through RAY_RUNTIME_ENV_PLUGINS. Drivers are real
`ray.init` processes: tasks pinned to each node import a package only the locked environment has,
and report the interpreter and activation variables they run with; a second job must build nothing.
A whole scenario (nodes and drivers) runs in a network namespace whose only interface is loopback
(tests/support/ray_scenario.py): Ray binds its gRPC servers to 0.0.0.0. The driver-side checks of
the `corral` field run without a cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from corral.errors import CorralError
from corral.integrations.ray import driver, hook, runtime_env
from tests.conftest import Corral
from tests.support.pypi import write_wheel

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 240  # a whole scenario: cluster start, every job, stop

JOB = """
import json, os, sys
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

address, spec = sys.argv[1], json.loads(sys.argv[2])
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
    result = {"node_ids": nodes, "rows": rows}
except Exception as exc:  # the runtime_env failure, as the user sees it
    result = {"node_ids": nodes, "error": f"{type(exc).__name__}: {exc}"}
print(json.dumps(result))
"""


def _ray_ready() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        pytest.skip("ray is not installed (ray[default] is in the test extra)")
    from tests.support.ray_cluster import namespace_problem

    problem = namespace_problem()
    if problem:
        pytest.skip(f"{problem}: Ray's servers would listen beyond loopback")


def _env(base: Path) -> dict[str, str]:
    """The environment of nodes and drivers: this worktree's corral importable, no user config or store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRAL_", "CONDA_", "VIRTUAL_ENV", "RAY_"))}
    env.update(PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]), CORRAL_CONFIG=str(base / "no-config.toml"))
    return env


def _job(tmp_path: Path, how: str, field: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A driver job of the scenario: `ray.init` with the field, then a task pinned to each node."""
    script = tmp_path / "job.py"
    script.write_text(JOB, encoding="utf-8")
    env = {**_env(tmp_path), "RAY_RUNTIME_ENV_HOOK": "corral.integrations.ray.hook"}
    argv = [sys.executable, str(script), "{address}", json.dumps({"how": how, "field": field})]
    return {"argv": argv, "env": env, "cwd": str(tmp_path), **extra}


def _scenario(
    tmp_path: Path, jobs: list[dict[str, Any]], node_envs: list[dict[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Run the jobs on a fresh two-node cluster in a loopback-only namespace; each job's result and stores."""
    from tests.support.ray_cluster import kill_naming, loopback_namespace, short_temp_prefix

    prefix = short_temp_prefix()
    plan = {"base": str(tmp_path), "env": _env(tmp_path), "nodes": 2, "node_envs": node_envs or [],
            "temp_prefix": prefix, "jobs": jobs}  # fmt: skip
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    out = tmp_path / "result.json"
    argv = loopback_namespace(
        [sys.executable, "-m", "tests.support.ray_scenario", str(tmp_path / "plan.json"), str(out)]
    )
    proc = subprocess.Popen(argv, cwd=REPO, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)  # fmt: skip
    try:
        log, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        log = "(timed out)"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        kill_naming(prefix)
    assert proc.returncode == 0 and out.is_file(), log[-4000:]
    results: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    for result in results:
        lines = result["stdout"].strip().splitlines()
        assert result["code"] == 0 and lines, result["stderr"]
        result.update(json.loads(lines[-1]))
    return results


def _store_of(nodes: list[dict[str, Any]], executable: str) -> str:
    """The store (of the nodes in a snapshot) that an interpreter's path is in."""
    return str(next(n["store"] for n in nodes if executable.startswith(n["store"] + "/")))


def _under(nodes: list[dict[str, Any]], prefix: str) -> list[dict[str, int]]:
    """Per node, the snapshot's entries below `prefix` with their mtimes."""
    return [{k: v for k, v in n["entries"].items() if k.startswith(prefix)} for n in nodes]


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


def _lock(corral: Corral, source: Path, out: Path) -> str:
    """`corral lock` of the file into `out`; the environment's name on the nodes."""
    made = corral("lock", "-f", str(source), "-o", str(out))
    assert made.code == 0, made.err
    return "ray-" + driver.digest(out.read_text(encoding="utf-8"))[:20]


@pytest.mark.cluster
@pytest.mark.slow
def test_both_nodes_run_tasks_in_the_locked_environment_and_a_second_job_reuses_it(
    corral: Corral, wheels: Path, tmp_path: Path
) -> None:
    _ray_ready()
    name = _lock(corral, _env_file(tmp_path, wheels, "2.0"), tmp_path / "corral.lock")
    gone = tmp_path / "gone"
    gone.mkdir()
    write_wheel(gone, "tinylib", "3.0")
    gone_name = _lock(corral, _env_file(tmp_path, gone, "3.0", "gone.yml"), tmp_path / "gone.lock")
    (gone / "tinylib-3.0-py3-none-any.whl").unlink()  # the nodes cannot fetch it
    first, second, from_file, failed = _scenario(
        tmp_path,
        [
            _job(tmp_path, "hook", {"lock": "corral.lock"}),  # the literal form, embedded by the hook
            _job(tmp_path, "helper", {"lock": str(tmp_path / "corral.lock")}),
            _job(tmp_path, "helper", {"file": str(_env_file(tmp_path, wheels, "1.0", "other.yml"))}),
            _job(tmp_path, "hook", {"lock": str(tmp_path / "gone.lock")}),
        ],
    )
    assert "error" not in first, first.get("error")
    assert len(first["rows"]) == 2 and {r["node"] for r in first["rows"]} == set(first["node_ids"])
    assert {_store_of(first["nodes"], r["executable"]) for r in first["rows"]} == {n["store"] for n in first["nodes"]}
    for row in first["rows"]:  # each node built it into its own store, and runs its python
        link = Path(_store_of(first["nodes"], row["executable"])) / "envs" / name
        assert row["executable"] == str(link / "bin" / "python") and row["prefix"] == str(link)
        assert row["tinylib"] == "2.0"
        assert row["conda_prefix"] == str(link) and row["path0"] == str(link / "bin")
        assert row["variable"] == "from-corral"  # activation's variables reach the workers
    assert [n["builds"] for n in first["nodes"]] == [1, 1]

    assert "error" not in second, second.get("error")
    assert sorted(r["executable"] for r in second["rows"]) == sorted(r["executable"] for r in first["rows"])
    assert _under(second["nodes"], f"generations/{name}/") == _under(first["nodes"], f"generations/{name}/")
    assert [n["builds"] for n in second["nodes"]] == [1, 1]  # nothing was built again, on either node

    assert "error" not in from_file, from_file.get("error")  # an environment file, locked on the driver
    assert {r["tinylib"] for r in from_file["rows"]} == {"1.0"} and len(from_file["rows"]) == 2
    assert [n["builds"] for n in from_file["nodes"]] == [2, 2]

    # corral's error, through Ray's runtime_env failure; the failed build left nothing behind.
    assert "RuntimeEnvSetupError" in failed["error"], failed["error"]
    assert "corral: cannot build the environment of" in failed["error"], failed["error"]
    assert "tinylib-3.0-py3-none-any.whl" in failed["error"]
    assert _under(failed["nodes"], f"envs/{gone_name}") == [{}, {}]
    assert _under(failed["nodes"], f"generations/{gone_name}") == [{}, {}]


@pytest.mark.cluster
@pytest.mark.slow
def test_rays_cache_removes_environments_it_lets_go_and_corral_ray_root_chooses_the_store(
    corral: Corral, wheels: Path, tmp_path: Path
) -> None:
    """A cache of ~1 KB for the plugin: once the job ends, Ray's URI cache deletes its URI (delete_uri)."""
    _ray_ready()
    name = _lock(corral, _env_file(tmp_path, wheels, "1.0"), tmp_path / "corral.lock")
    kept = tmp_path / "node0-store"
    small = {"RAY_RUNTIME_ENV_CORRAL_CACHE_SIZE_GB": "0.000001"}
    mine = [f"envs/{name}", f"generations/{name}/1"]
    (done,) = _scenario(
        tmp_path,
        [_job(tmp_path, "hook", {"lock": "corral.lock"}, wait_absent=mine)],
        node_envs=[{**small, "CORRAL_RAY_ROOT": str(kept)}, small],
    )
    assert "error" not in done, done.get("error")
    assert done["nodes"][0]["store"] == str(kept)  # node 0: CORRAL_RAY_ROOT; node 1: the default
    assert {r["executable"] for r in done["rows"]} == {f"{n['store']}/envs/{name}/bin/python" for n in done["nodes"]}
    assert [n["builds"] for n in done["nodes"]] == [1, 1]
    assert _under(done["nodes"], f"envs/{name}") == [{}, {}]  # removed from both stores after the job
    assert _under(done["nodes"], f"generations/{name}") == [{}, {}]


@pytest.mark.cluster
@pytest.mark.slow
def test_two_nodes_sharing_one_store_build_the_environment_once(corral: Corral, wheels: Path, tmp_path: Path) -> None:
    """Two agents building the same lock at once into one CORRAL_RAY_ROOT: the store's lock serializes them."""
    _ray_ready()
    name = _lock(corral, _env_file(tmp_path, wheels, "2.0"), tmp_path / "corral.lock")
    shared = {"CORRAL_RAY_ROOT": str(tmp_path / "shared-store")}
    (done,) = _scenario(tmp_path, [_job(tmp_path, "hook", {"lock": "corral.lock"})], node_envs=[shared, shared])
    assert "error" not in done, done.get("error")
    assert len({r["node"] for r in done["rows"]}) == 2
    assert {r["executable"] for r in done["rows"]} == {
        str(tmp_path / "shared-store" / "envs" / name / "bin" / "python")
    }
    assert sum(n["builds"] for n in done["nodes"]) == 1
    numbered = [e for e in _under(done["nodes"], f"generations/{name}/")[0] if e.rsplit("/", 1)[1].isdigit()]
    assert numbered == [f"generations/{name}/1"]  # one generation: the second agent built nothing


@pytest.mark.cluster
@pytest.mark.slow
def test_a_packed_archive_is_unpacked_once_per_node_and_its_python_runs_the_tasks(
    corral: Corral, wheels: Path, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    _ray_ready()
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
    key = "archive-" + driver.digest(archive.as_uri())[:20]
    first, again = _scenario(
        tmp_path,
        [_job(tmp_path, "helper", {"archive": str(archive)}), _job(tmp_path, "hook", {"archive": str(archive)})],
    )
    assert "error" not in first, first.get("error")
    expected = {f"{n['store']}/ray/archives/{key}/bin/python" for n in first["nodes"]}
    assert {r["executable"] for r in first["rows"]} == expected  # unpacked on each node, into its store
    assert {r["tinylib"] for r in first["rows"]} == {"2.0"}
    assert "error" not in again, again.get("error")
    marks = _under(first["nodes"], f"ray/archives/{key}/")
    assert all(marks) and _under(again["nodes"], f"ray/archives/{key}/") == marks  # not unpacked again


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
    try:
        from ray.runtime_env import RuntimeEnv

        from corral.integrations.ray.plugin import CorralPlugin
    except ImportError:
        return
    plugin = CorralPlugin()  # Ray's agent asks every plugin, for every runtime_env (pip, uv, ...)
    assert plugin.get_uris(RuntimeEnv(env_vars={"A": "1"})) == []
    assert plugin.get_uris(RuntimeEnv(corral=made["corral"])) == ["corral://" + driver.digest(text)]
