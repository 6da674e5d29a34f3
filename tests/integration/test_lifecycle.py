"""End to end through the CLI: create, install, update, remove, list, history, rollback, env list/remove."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow


def run_python(env: Path, code: str) -> str:
    """Run the environment's own interpreter."""
    proc = subprocess.run([str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def names(corral: Corral, env: str) -> dict[str, str]:
    """name -> version of the environment's packages, from `list --json`."""
    doc = corral("list", "-n", env, "--json").json()
    return {p["name"]: p["version"] for p in doc["result"]["packages"]}


def test_create_makes_a_working_python_environment_with_real_packages(corral: Corral, channel: Path) -> None:
    res = corral("create", "-n", "ml", "-c", str(channel), "python", "filelock", "-y")
    assert res.code == 0, res.err
    assert "+ python" in res.out and "+ filelock" in res.out
    link = corral.link("ml")
    assert link.is_symlink() and link.resolve() == corral.root / "generations" / "ml" / "1"
    out = run_python(link, "import filelock, ssl, sqlite3, json, sys; print(filelock.__name__, sys.version_info[:2])")
    assert out.startswith("filelock (3,")
    assert names(corral, "ml")["filelock"] == "3.13.0"


def test_install_update_remove_and_history_record_each_change(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "e", "-c", str(channel), "python", "filelock=3.12", "-y").code == 0
    res = corral("install", "-n", "e", "platformdirs", "app", "-y")
    assert res.code == 0, res.err
    assert set(names(corral, "e")) == {"python", "filelock", "platformdirs", "app", "liba"}
    assert names(corral, "e")["filelock"] == "3.12.0"  # freeze-installed: not moved by an unrelated install

    # an unchanged request is a no-op: no new generation
    again = corral("install", "-n", "e", "platformdirs", "--json").json()["result"]
    assert again["changed"] is False and again["generation"] == 2
    # the requested spec pins filelock: relax it by asking for filelock again, then update moves it
    assert corral("install", "-n", "e", "filelock", "-y").code == 0
    assert names(corral, "e")["filelock"] == "3.12.0"  # still preferred as installed
    res = corral("update", "-n", "e", "filelock", "-y")
    assert res.code == 0, res.err
    assert "↑ filelock" in res.out
    assert names(corral, "e")["filelock"] == "3.13.0"

    res = corral("remove", "-n", "e", "app", "-y")
    assert res.code == 0, res.err
    assert "app" not in names(corral, "e") and "liba" not in names(corral, "e")  # its dependency went too

    hist = corral("history", "-n", "e", "--json").json()["result"]
    actions = [e["action"] for e in hist["entries"]]
    assert actions == ["create", "install", "install", "update", "remove"]
    upgrade = hist["entries"][3]["changes"][0]
    assert upgrade["kind"] == "upgrade" and upgrade["old"]["version"] == "3.12.0"
    assert hist["current"] == 5
    # The default keeps the newest 3 rollback points; generation 3 only relaxed the request (no package
    # moved), so it is kept without counting, and generation 2 stays a rollback point.
    assert hist["available"] == [2, 3, 4, 5]


def test_rollback_restores_previous_generation_offline(corral: Corral, channel: Path, tmp_path: Path) -> None:
    own_channel = tmp_path / "channel"
    shutil.copytree(channel, own_channel)
    assert corral("create", "-n", "r", "-c", str(own_channel), "python", "-y").code == 0
    assert corral("install", "-n", "r", "platformdirs", "-y").code == 0
    # the channel and the package cache vanish: rollback needs neither
    shutil.rmtree(own_channel)
    shutil.rmtree(corral.root / "cache")
    res = corral("rollback", "-n", "r", "-y")
    assert res.code == 0, res.err
    assert "switched from generation 2 to 1" in res.out
    assert "platformdirs" not in names(corral, "r")
    # the plain spellings skip argparse (cli/quick.py); nothing of the solving side comes in either, nor typing
    # (its modules import it for type checkers only), nor pathlib, re or urllib (the store's paths are strings,
    # names and digests are checked without regexes: ~30 M instructions of the command)
    argv = [sys.executable, "-X", "importtime", "-m", "corral", "rollback", "-n", "r", "--to", "2", "-y"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=corral.env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    banned = {"argparse", "rattler", "asyncio", "dataclasses", "inspect", "typing", "corral.cli.parser"}
    banned |= {"pathlib", "re", "enum", "urllib.parse"}
    assert not imported & banned, imported
    assert run_python(corral.link("r"), "import platformdirs; print('ok')") == "ok"
    hist = corral("history", "-n", "r", "--json").json()["result"]
    assert [e["action"] for e in hist["entries"]] == ["create", "install", "rollback", "rollback"]


def test_rollback_to_a_deleted_generation_is_refused(corral: Corral, channel: Path) -> None:
    env = {"CORRAL_KEEP_GENERATIONS": "1"}
    assert corral("create", "-n", "k", "-c", str(channel), "python", "-y", extra_env=env).code == 0
    assert corral("install", "-n", "k", "platformdirs", "-y", extra_env=env).code == 0
    res = corral("rollback", "-n", "k", "--to", "1", "-y", extra_env=env)
    assert res.code == 1
    assert "generation 1 of environment 'k' was deleted" in res.err
    assert "Traceback" not in res.err


def test_dry_run_and_declined_plan_change_nothing(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "d", "-c", str(channel), "python", "-y").code == 0
    res = corral("install", "-n", "d", "platformdirs", "--dry-run")
    assert res.code == 0 and "+ platformdirs" in res.out and "Dry run" in res.out
    res = corral("install", "-n", "d", "platformdirs", input="n\n")
    assert res.code == 1 and "nothing was changed" in res.err
    res = corral("install", "-n", "d", "platformdirs")  # stdin closed: refuse rather than guess
    assert res.code == 1 and "-y" in res.err
    assert "platformdirs" not in names(corral, "d")
    assert corral("history", "-n", "d", "--json").json()["result"]["current"] == 1
    res = corral("install", "-n", "d", "platformdirs", input="y\n")
    assert res.code == 0 and "platformdirs" in names(corral, "d")


def test_path_environment_is_a_stable_link_into_the_store(corral: Corral, channel: Path, tmp_path: Path) -> None:
    target = tmp_path / "proj" / "env"
    res = corral("create", "-p", str(target), "-c", str(channel), "python", "-y")
    assert res.code == 0, res.err
    assert target.is_symlink()
    assert str(target.resolve()).startswith(str(corral.root / "generations" / "_paths"))
    assert corral("install", "-p", str(target), "platformdirs", "-y").code == 0
    assert run_python(target, "import platformdirs; print('ok')") == "ok"
    envs = corral("env", "list", "--json").json()["result"]["environments"]
    assert [(e["name"], e["path"], e["generation"]) for e in envs] == [(None, str(target), 2)]
    assert corral("env", "remove", "-p", str(target), "-y").code == 0
    assert not target.exists() and not target.is_symlink()
    assert corral("env", "list", "--json").json()["result"]["environments"] == []


def test_env_list_and_remove(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "a", "-c", str(channel), "liba", "-y").code == 0
    assert corral("create", "-n", "b", "-c", str(channel), "app", "-y").code == 0
    listing = corral("env", "list")
    assert listing.code == 0 and "a " in listing.out and "b " in listing.out
    assert corral("env", "remove", "-n", "a", "-y").code == 0
    assert not corral.link("a").exists()
    assert not (corral.root / "generations" / "a").exists()
    assert [e["name"] for e in corral("env", "list", "--json").json()["result"]["environments"]] == ["b"]


def test_prefix_placeholders_are_replaced_in_text_and_binary_files(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "p", "-c", str(channel), "prefixed", "-y").code == 0
    gen = corral.link("p").resolve()
    script = (gen / "bin" / "prefixed").read_text()
    assert f"prefix={gen}" in script
    proc = subprocess.run([str(corral.link("p") / "bin" / "prefixed")], capture_output=True, text=True)
    assert proc.stdout.strip() == f"prefix={gen}"
    binary = (gen / "lib" / "prefixed.bin").read_bytes()
    assert str(gen).encode() + b"/lib\x00" in binary
    assert len(binary) == len((gen / "lib" / "prefixed.bin").read_bytes())
    assert b"corral-test-placeholder" not in binary


def test_untracked_files_stop_a_change_with_a_hint(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "u", "-c", str(channel), "python", "-y").code == 0
    site = next((corral.link("u") / "lib").glob("python3.*/site-packages"))
    (site / "stray.py").write_text("x = 1\n")
    res = corral("install", "-n", "u", "platformdirs", "-y")
    assert res.code == 1
    assert "stray.py" in res.err and "--discard-untracked" in res.err
    assert corral("history", "-n", "u", "--json").json()["result"]["current"] == 1
    res = corral("install", "-n", "u", "platformdirs", "-y", "--discard-untracked")
    assert res.code == 0, res.err
    assert not (next((corral.link("u") / "lib").glob("python3.*/site-packages")) / "stray.py").exists()


def test_pip_is_refused_by_the_externally_managed_marker(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "m", "-c", str(channel), "python", "-y").code == 0
    marker = next((corral.link("m") / "lib").glob("python3.*/EXTERNALLY-MANAGED"))
    assert "corral install -n m" in marker.read_text()
    # the marker is corral's own file: it is not reported as untracked
    assert corral("install", "-n", "m", "platformdirs", "-y").code == 0


def test_offline_create_works_from_the_caches(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "on", "-c", str(channel), "python", "platformdirs", "-y").code == 0
    res = corral("create", "-n", "off", "-c", str(channel), "python", "platformdirs", "-y", "--offline")
    assert res.code == 0, res.err
    assert run_python(corral.link("off"), "import platformdirs; print('ok')") == "ok"


def test_generations_share_files_through_hardlinks(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "h", "-c", str(channel), "python", "-y").code == 0
    assert corral("install", "-n", "h", "platformdirs", "-y").code == 0
    gens = corral.root / "generations" / "h"
    one = next((gens / "1" / "lib").glob("python3.*/os.py"))
    two = gens / "2" / one.relative_to(gens / "1")
    assert one.stat().st_ino == two.stat().st_ino


def test_remove_takes_the_packages_that_need_it_as_conda_remove_does(corral: Corral, channel: Path) -> None:
    """Pins `conda remove X`: X goes with every installed package that needs it, directly or not, and their
    specs leave the request (conda/core/solve.py `_remove_specs` -> conda/models/prefix_graph.py
    `PrefixGraph.remove_spec`, which removes `all_descendants`; tests/models/test_prefix_graph.py removes
    sqlite and gets python and everything on it removed). A requested dependent is removed too and named.
    """
    assert corral("create", "-n", "d", "-c", str(channel), "liba", "app", "prefixed", "-y").code == 0
    plan = corral("remove", "-n", "d", "liba", "--dry-run")
    assert plan.code == 0, plan.err
    assert "- app" in plan.out and "- liba" in plan.out and "prefixed" not in plan.out
    assert "app (needs liba; requested, so it leaves the request)" in plan.err

    res = corral("remove", "-n", "d", "liba", "-y", "--json")
    assert res.code == 0, res.err
    result = res.json()["result"]
    assert sorted(c["name"] for c in result["plan"]["changes"] if c["kind"] == "remove") == ["app", "liba"]
    assert any("app (needs liba" in w for w in result["warnings"])
    assert set(names(corral, "d")) == {"prefixed"}
    request = corral("export", "-n", "d", "--format", "environment.yml", "--from-history")
    assert request.code == 0 and "prefixed" in request.out and "app" not in request.out


def test_removing_a_dependency_removes_the_requested_package_that_needs_it(corral: Corral, channel: Path) -> None:
    """`conda remove liba` where only app (requested) needs liba removes both (same conda path as above)."""
    assert corral("create", "-n", "d", "-c", str(channel), "app", "prefixed", "-y").code == 0
    res = corral("remove", "-n", "d", "liba", "-y")
    assert res.code == 0, res.err
    assert "- app" in res.out and "- liba" in res.out
    assert set(names(corral, "d")) == {"prefixed"}
