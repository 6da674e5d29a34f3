"""A conda or pip user's habits (issue 16), driven through the real CLI.

Pinned conda behaviour: with no -n/-p, conda acts on the active environment (CONDA_PREFIX,
conda/base/context.py `target_prefix`), and `conda env remove` refuses to remove the active one
("Cannot remove current environment", conda/cli/main_remove.py); `conda list --revisions` then
`conda install --revision N` goes back to revision N (conda/cli/main_install.py, `--revision`), and
`conda list -f NAME` matches the whole name (conda/cli/main_list.py, `--full-name`: ^NAME$).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow


def test_commands_act_on_the_active_environment(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "order", "-c", str(channel), "liba", "-y").code == 0
    active = {"CONDA_PREFIX": str(corral.link("order"))}
    listed = corral("list", "--json", extra_env=active)
    assert listed.code == 0 and "liba" in {p["name"] for p in listed.json()["result"]["packages"]}
    installed = corral("install", "app", "-y", extra_env=active)
    assert installed.code == 0, installed.err
    assert "order: now at generation 2" in installed.out
    assert corral("history", "--json", extra_env=active).json()["result"]["entries"][-1]["generation"] == 2
    exported = corral("export", "--format", "environment.yml", extra_env=active)
    assert exported.code == 0 and "app" in exported.out
    refused = corral("env", "remove", "-n", "order", "-y", extra_env=active)
    assert refused.code == 2 and "is active in this shell" in refused.err and "corral deactivate" in refused.err
    assert corral.link("order").exists()


def test_install_revision_goes_back_and_list_full_name_matches_the_whole_name(
    corral: Corral, channel: Path, tmp_path: Path
) -> None:
    import shutil

    own = tmp_path / "own-channel"
    shutil.copytree(channel, own)
    assert corral("create", "-n", "rev", "-c", str(own), "liba", "-y").code == 0
    assert corral("install", "-n", "rev", "app", "-y").code == 0
    shutil.rmtree(own)  # corral's --revision needs no channel (conda's re-solves, and fails when one is gone)
    back = corral("install", "-n", "rev", "--revision", "1", "-y")
    assert back.code == 0, back.err
    assert "switched from generation 2 to 1" in back.out
    entries = corral("list", "-n", "rev", "--revisions", "--json").json()["result"]["entries"]
    assert [e["action"] for e in entries] == ["create", "install", "rollback"]
    refused = corral("install", "-n", "rev", "--revision", "2", "app")
    assert refused.code == 2 and "takes no packages or channels" in refused.err
    assert "corral rollback -n rev --to N" in refused.err
    with_channel = corral("install", "-n", "rev", "--revision", "2", "-c", str(channel), "-y")
    assert with_channel.code == 2 and "takes no packages or channels" in with_channel.err  # not silently ignored
    assert corral("install", "-n", "rev", "--revision", "2", "-y").code == 0
    names = [p["name"] for p in corral("list", "-n", "rev", "-f", "lib", "--json").json()["result"]["packages"]]
    assert names == []  # -f: the whole name, where the REGEX alone finds liba
    names = [p["name"] for p in corral("list", "-n", "rev", "-f", "liba", "--json").json()["result"]["packages"]]
    assert names == ["liba"]
    assert [p["name"] for p in corral("list", "-n", "rev", "lib", "--json").json()["result"]["packages"]] == ["liba"]


def test_without_an_active_environment_the_hint_names_the_command(corral: Corral) -> None:
    res = corral("pip", "install", "rich")
    assert res.code == 2 and "Traceback" not in res.err
    assert "e.g. corral pip install -n ml" in res.err, res.err
    res = corral("install", "six", extra_env={"CONDA_PREFIX": "/opt/conda/envs/other"})  # a conda env, not ours
    assert res.code == 2 and "e.g. corral install -n ml" in res.err


def test_output_into_a_closed_pipe_does_not_stop_the_change(corral: Corral, channel: Path) -> None:
    cmd = f"{sys.executable} -m corral create -n piped -c {channel} liba -y | head -1; exit ${{PIPESTATUS[0]}}"
    proc = subprocess.run(["bash", "-c", cmd], env=corral.env, cwd=corral.cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert proc.stdout.startswith("Plan for piped")
    assert corral.link("piped").resolve().name == "1"


def test_pip_inside_an_environment_goes_through_corral(corral: Corral, wheels: Path, channel: Path) -> None:
    """pip in an environment without its own pip never acts on another interpreter (issue 16 item 1)."""
    made = corral(
        "create", "-n", "ml", "--python", "3.12", "--pip", "six", "--no-index", "--find-links", str(wheels), "-y"
    )
    assert made.code == 0, made.err
    ran = corral("run", "-n", "ml", "pip", "install", "--no-index", "-f", str(wheels), "tinylib")
    assert ran.code == 0, ran.err
    assert corral.link("ml").resolve().name == "2"
    names = {p["name"] for p in corral("list", "-n", "ml", "--json").json()["result"]["packages"]}
    assert {"six", "tinylib"} <= names
    frozen = corral("run", "-n", "ml", "pip", "freeze")
    assert frozen.code == 1 and "corral export -n ml --format requirements.txt" in frozen.err
    # After activation, as a shell user types it: the environment's bin/ comes first on PATH.
    shell_env = {**corral.env, "PATH": f"{corral.link('ml')}/bin:{corral.env['PATH']}"}
    proc = subprocess.run(
        ["bash", "-c", f"pip3 uninstall -y tinylib && pip3.12 install --no-index -f {wheels} tinylib"],
        env=shell_env,
        capture_output=True,
        text=True,
        cwd=corral.cwd,
    )
    assert proc.returncode == 0, proc.stderr
    assert corral.link("ml").resolve().name == "4"
    assert corral("doctor", "-n", "ml").code == 0
    conda_env = corral("create", "-n", "cp", "-c", str(channel), "python", "-y")
    assert conda_env.code == 0, conda_env.err
    listed = corral("run", "-n", "cp", "pip", "list")
    assert listed.code == 1 and "use: corral list -n cp" in listed.err


def test_a_pypi_request_conda_does_not_meet_moves_conda_or_is_refused(
    corral: Corral, channel: Path, wheels: Path, tmp_path: Path
) -> None:
    """A recorded request is always met (issue 16 item 2): conda's copy moves, or the change is refused."""
    find = ("--no-index", "--find-links", str(wheels))
    made = corral("create", "-n", "mix", "-c", str(channel), "python", "filelock=3.12.0", "--pip", "six", *find, "-y")
    assert made.code == 0, made.err
    moved = corral("pip", "install", "-n", "mix", "filelock>=3.13", *find, "-y")
    assert moved.code == 0, moved.err
    assert "conda request 'filelock 3.12.0.*' becomes 'filelock >=3.13'" in moved.err, moved.err
    packages = {p["name"]: p for p in corral("list", "-n", "mix", "--json").json()["result"]["packages"]}
    assert packages["filelock"]["version"] == "3.13.0" and packages["filelock"]["kind"] == "conda"
    spec = corral("export", "-n", "mix", "--format", "environment.yml", "--from-history").out
    assert "- filelock >=3.13\n" in spec and "3.12.0" not in spec, spec  # the recorded request is what is there
    assert "Nothing to do" in corral("update", "-n", "mix", "-y").out
    refused = corral("pip", "install", "-n", "mix", "filelock>=99", *find, "-y")
    assert refused.code == 1 and "Traceback" not in refused.err
    assert "conda package filelock provides 3.13.0" in refused.err and "'filelock>=99'" in refused.err, refused.err
    assert "corral install -n mix 'filelock >=99'" in refused.err
    assert corral.link("mix").resolve().name == "2"
    envfile = tmp_path / "environment.yml"
    envfile.write_text(
        f"name: mix2\nchannels: [{channel}]\ndependencies:\n  - python\n  - filelock=3.12.0\n"
        f"  - pip:\n    - --no-index\n    - --find-links {wheels}\n    - filelock>=3.13\n"
    )
    locked = corral("lock", "-f", str(envfile))
    assert locked.code == 1 and "filelock>=3.13: conda package filelock 3.12.0 provides filelock" in locked.err, (
        locked.err
    )


def test_remove_takes_pypi_names_too(corral: Corral, wheels: Path, channel: Path) -> None:
    """`corral remove NAME` of a requested PyPI package removes it, as `corral pip uninstall` (issue 16 item 6)."""
    find = ("--no-index", "--find-links", str(wheels))
    made = corral("create", "-n", "order", "-c", str(channel), "python", "--pip", "tinyapp", *find, "-y")
    assert made.code == 0, made.err
    dependency = corral("remove", "-n", "order", "tinylib", "-y")
    assert dependency.code != 0 and "installed from PyPI as a dependency" in dependency.err, dependency.err
    removed = corral("remove", "-n", "order", "tinyapp", "-y")
    assert removed.code == 0, removed.err
    names = {p["name"] for p in corral("list", "-n", "order", "--json").json()["result"]["packages"]}
    assert "tinyapp" not in names and "tinylib" not in names and "python" in names
    missing = corral("remove", "-n", "order", "nosuch", "-y")
    assert missing.code != 0 and "is not installed" in missing.err


def test_a_channel_with_a_found_interpreter_is_refused(corral: Corral, channel: Path) -> None:
    """-c is never silently dropped (issue 16 item 9)."""
    res = corral("create", "-n", "api", "--python", "3.12", "-c", str(channel), "-y")
    assert res.code == 1 and "would have no effect" in res.err and f"-c {channel} python=3.12" in res.err
    assert not corral.link("api").exists()


def test_nothing_to_do_is_the_same_with_and_without_dry_run(corral: Corral, channel: Path) -> None:
    """issue 16 item 13: `update --dry-run` and `update -y` agree."""
    assert corral("create", "-n", "u", "-c", str(channel), "liba", "-y").code == 0
    dry = corral("update", "-n", "u", "--dry-run")
    wet = corral("update", "-n", "u", "-y")
    assert "Nothing to do" in dry.out and "Nothing to do" in wet.out, dry.out + wet.out


def test_request_only_changes_do_not_push_rollback_points_out(corral: Corral, channel: Path) -> None:
    """Generations that only change the request are kept but not counted against keep-generations (item 13)."""
    env = {"CORRAL_KEEP_GENERATIONS": "2"}
    assert corral("create", "-n", "k", "-c", str(channel), "liba=1.0", "-y", extra_env=env).code == 0
    assert corral("install", "-n", "k", "liba=2.0", "-y", extra_env=env).code == 0  # 2: packages move
    for spec in ("liba>=2", "liba>=1.5", "liba"):  # 3, 4, 5: the request changes, the packages do not
        res = corral("install", "-n", "k", spec, "-y", extra_env=env)
        assert res.code == 0 and "now at generation" in res.out, res.out + res.err
    kept = sorted(int(p.name) for p in (corral.root / "generations" / "k").iterdir() if p.name.isdigit())
    assert kept == [1, 2, 3, 4, 5], kept
    back = corral("rollback", "-n", "k", "--to", "1", "-y")
    assert back.code == 0, back.err
