"""Projects through the real CLI: init, add, remove, and run keeping the environment in step with the lock.

Local channel and --find-links wheels only: nothing here reaches a network.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from tests.conftest import Corral, Result


def _project(corral: Corral, tmp_path: Path, channel: Path, name: str = "svc") -> Corral:
    folder = tmp_path / name
    folder.mkdir()
    return replace(corral, cwd=folder, env={**corral.env, "CORRAL_CHANNELS": str(channel)})


def _added(before: str, after: str) -> list[str]:
    """The lines a change added; fails if it removed or changed any."""
    diff = [d for d in difflib.ndiff(before.splitlines(), after.splitlines()) if d[:1] in "+-"]
    assert not [d for d in diff if d.startswith("-")], diff
    return [d[2:] for d in diff]


def _ok(result: Result) -> None:
    assert result.code == 0, result.err


def test_init_add_run_in_a_fresh_folder_records_exactly_the_added_lines(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """`corral init`, `add python`, `add --pip tinylib`, `run`: the manifest gains only the added entries."""
    project = _project(corral, tmp_path, channel)
    subprocess.run(["git", "init", "-q", str(project.cwd)], check=True)
    _ok(project("init"))
    manifest = project.cwd / "environment.yml"
    assert "dependencies:" in manifest.read_text()
    assert (project.cwd / ".corral" / ".gitignore").read_text().splitlines()[-1] == "*"
    manifest.write_text("# the service's environment\n" + manifest.read_text())

    before = manifest.read_text()
    result = project("add", "python")
    _ok(result)
    added = _added(before, manifest.read_text())
    assert len(added) == 1 and re.fullmatch(r"  - python >=\d+\.\d+", added[0]), added
    assert "environment.yml: + python >=" in result.out
    assert (project.cwd / "corral.lock").is_file()
    assert (project.cwd / ".corral" / "envs" / "default" / "bin" / "python").exists()

    before = manifest.read_text()
    _ok(project("add", "--pip", "tinylib", "--no-index", "--find-links", str(wheels)))
    assert _added(before, manifest.read_text()) == [
        "  - pip:",
        f"    - --find-links {wheels}",
        "    - --no-index",
        "    - tinylib>=2.0",
    ]

    run = project("run", "python", "-c", "import tinylib, sys; print(tinylib.VERSION, sys.prefix)")
    _ok(run)
    assert run.out.split()[0] == "2.0"
    assert run.err == ""  # up to date: no lock, no sync
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project.cwd, capture_output=True, text=True, check=True
    ).stdout
    assert sorted(line[3:] for line in status.splitlines()) == ["corral.lock", "environment.yml"]


def test_a_hand_edited_manifest_is_locked_again_by_run_and_locked_fails_naming_it(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """A hand edit makes `run` re-lock and sync; `--locked` refuses, naming the change; `--frozen` ignores it."""
    project = _project(corral, tmp_path, channel)
    _ok(project("init"))
    _ok(project("add", "python", "--pip", "tinylib", "--no-index", "--find-links", str(wheels)))
    manifest = project.cwd / "environment.yml"
    lock = project.cwd / "corral.lock"
    locked_before = lock.read_text()
    manifest.write_text(manifest.read_text().replace("tinylib>=2.0", "tinylib<2"))

    refused = project("run", "--locked", "python", "-c", "pass")
    assert refused.code == 1
    assert "out of date with environment.yml (--locked)" in refused.err
    assert "~ PyPI requirement tinylib>=2.0 -> tinylib<2" in refused.err
    assert lock.read_text() == locked_before

    frozen = project("run", "--frozen", "python", "-c", "import tinylib; print(tinylib.VERSION)")
    _ok(frozen)
    assert frozen.out.strip() == "2.0" and lock.read_text() == locked_before

    run = project("run", "python", "-c", "import tinylib; print(tinylib.VERSION)")
    _ok(run)
    assert run.out.strip() == "1.0"
    assert "corral.lock made again" in run.err and "tinylib (pypi) 2.0 -> 1.0" in run.err
    assert "synced to the lock" in run.err
    again = project("run", "python", "-c", "import tinylib; print(tinylib.VERSION)")
    assert (again.code, again.out.strip(), again.err) == (0, "1.0", "")
    history = project("history", "--json")
    _ok(history)
    entries = history.json()["result"]["entries"]
    assert [e["command"].split()[:2] for e in entries] == [["corral", "add"], ["corral", "run"]]


def test_remove_in_a_project_takes_the_line_out_and_the_package_with_it(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """`corral remove --pip NAME` without -n inside a project edits the manifest and syncs."""
    project = _project(corral, tmp_path, channel)
    _ok(project("init"))
    _ok(project("add", "python", "liba"))
    _ok(project("add", "--pip", "tinylib", "six", "--no-index", "--find-links", str(wheels)))
    manifest = project.cwd / "environment.yml"
    before = manifest.read_text()
    _ok(project("remove", "--pip", "tinylib"))
    _ok(project("remove", "liba"))
    gone = [d for d in difflib.ndiff(before.splitlines(), manifest.read_text().splitlines()) if d[:1] in "+-"]
    assert gone == ["- " + "  - liba >=2.0", "- " + "    - tinylib>=2.0"]
    assert project("run", "python", "-c", "import tinylib").code == 1
    _ok(project("run", "python", "-c", "import six"))
    listed = project("list", "--json")
    _ok(listed)
    assert "liba" not in {p["name"] for p in listed.json()["result"]["packages"]}
    missing = project("remove", "numpy")
    assert missing.code == 1 and "does not list numpy" in missing.err


def test_pyproject_gets_a_tool_corral_table_and_pep621_dependencies(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """In an existing pyproject.toml, init adds [tool.corral]; add edits it and [project].dependencies only."""
    project = _project(corral, tmp_path, channel, "lib")
    pyproject = project.cwd / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "lib"  # the name\nversion = "0.1"\ndependencies = [\n    "six",  # why six\n]\n\n'
        "[tool.ruff]\nline-length = 100\n"
    )
    original = pyproject.read_text()
    _ok(project("init"))
    assert _added(original, pyproject.read_text())[-3:] == [
        "[tool.corral]",
        f'channels = ["{channel}"]',
        "dependencies = []",
    ]
    _ok(project("add", "python", "--pip", "tinylib", "--no-index", "--find-links", str(wheels)))
    text = pyproject.read_text()
    assert '    "six",  # why six\n    "tinylib>=2.0",\n]' in text
    assert re.search(r'dependencies = \["python >=\d+\.\d+"\]', text)
    assert f'find-links = ["{wheels}"]' in text and "no-index = true" in text
    assert "[tool.ruff]\nline-length = 100\n" in text
    run = project("run", "python", "-c", "import six, tinylib; print(tinylib.VERSION)")
    _ok(run)
    assert run.out.strip() == "2.0"


def test_commands_outside_and_inside_a_project_say_what_to_do(corral: Corral, tmp_path: Path, channel: Path) -> None:
    """No project and no -n: run names both ways out; inside one, install is refused for add; init twice refused."""
    outside = corral("run", "python", "-c", "pass")
    assert outside.code == 2 and "corral init" in outside.err and "Traceback" not in outside.err
    assert corral("add", "python").code == 2
    project = _project(corral, tmp_path, channel)
    _ok(project("init"))
    again = project("init")
    assert again.code == 2 and "already a project" in again.err
    refused = project("install", "liba")
    assert refused.code == 2 and "corral add" in refused.err


def test_a_relative_find_links_is_kept_relative_and_read_from_the_manifests_folder(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """Pins conda's behaviour: the pip section's relative paths are relative to the environment file.

    conda/env/installers/pip.py writes the pip entries to a requirements file in the file's folder
    and runs pip with cwd=that folder (get_pip_workdir(args.file)), so `--find-links wheels` means
    the folder beside environment.yml, wherever the command is run from.
    """
    project = _project(corral, tmp_path, channel)
    shutil.copytree(wheels, project.cwd / "wheels")
    _ok(project("init"))
    _ok(project("add", "python", "--pip", "tinylib", "--no-index", "--find-links", "wheels"))
    assert "    - --find-links wheels\n" in (project.cwd / "environment.yml").read_text()
    manifest = project.cwd / "environment.yml"
    manifest.write_text(manifest.read_text().replace("tinylib>=2.0", "tinylib<2"))
    inner = project.cwd / "src" / "pkg"
    inner.mkdir(parents=True)
    run = replace(project, cwd=inner)("run", "python", "-c", "import tinylib, os; print(tinylib.VERSION, os.getcwd())")
    _ok(run)  # locked again from src/pkg: `wheels` is still the folder beside environment.yml
    assert run.out.split() == ["1.0", str(inner)] and "corral.lock made again" in run.err


def test_install_alone_shell_and_activate_sync_the_project_first(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """`corral install` with no packages syncs (as pixi install); shell and activate sync before they start."""
    project = _project(corral, tmp_path, channel)
    _ok(project("init"))
    _ok(project("add", "python", "--pip", "tinylib", "--no-index", "--find-links", str(wheels)))
    manifest = project.cwd / "environment.yml"
    manifest.write_text(manifest.read_text().replace("tinylib>=2.0", "tinylib<2"))
    refused = project("install", "--locked")
    assert refused.code == 1 and "~ PyPI requirement tinylib>=2.0 -> tinylib<2" in refused.err
    synced = project("install", "--json")
    _ok(synced)
    document = synced.json()["result"]
    assert (document["action"], document["lock_action"], document["synced"]) == ("sync", "written", True)
    again = project("install")
    _ok(again)
    assert "corral.lock: unchanged" in again.out and "already the lock's" in again.out

    manifest.write_text(manifest.read_text().replace("tinylib<2", "tinylib>=2"))
    link = str(project.cwd / ".corral" / "envs" / "default")
    script = project("shell", "activate", "--shell", "bash")  # what the hook runs for `corral activate`
    _ok(script)
    assert "corral.lock made again" in script.err and "tinylib (pypi) 1.0 -> 2.0" in script.err
    assert f"CONDA_PREFIX={link}" in script.out.replace("'", "")
    assert "corral.lock" not in script.out  # the notes never reach what the shell evaluates
    frozen = project("shell", "activate", "--frozen", "--shell", "bash")
    assert frozen.code == 0 and frozen.err == ""

    # `corral shell` execs $SHELL with the environment active; /bin/sh reads its commands from stdin
    shell = project(
        "shell",
        input='echo "$CONDA_PREFIX"; python -c "import tinylib; print(tinylib.VERSION)"\n',
        extra_env={"SHELL": "/bin/sh"},
    )
    _ok(shell)
    assert shell.out.split() == [link, "2.0"]
    outside = replace(project, cwd=tmp_path)
    assert outside("install").code == 2 and "inside a project" in outside("install").err
    misused = outside("shell", "--locked", "-n", "x")
    assert misused.code == 2 and "--locked is for a project's environment" in misused.err


def test_list_export_du_doctor_default_to_the_project_and_the_active_environment_wins(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """No -n/-p inside a project: list, export, du and doctor mean its environment, unless one is activated."""
    project = _project(corral, tmp_path, channel)
    _ok(project("init"))
    missing = project("list")
    assert missing.code != 0 and "not made yet" in missing.err and "corral install" in missing.err
    _ok(project("add", "python", "liba"))
    listed = project("list", "--json")
    _ok(listed)
    assert "liba" in {p["name"] for p in listed.json()["result"]["packages"]}
    exported = project("export", "--format", "environment.yml")
    _ok(exported)
    assert "liba" in exported.out
    du = project("du", "--json")
    _ok(du)
    link = str(project.cwd / ".corral" / "envs" / "default")
    assert [e["env"] for e in du.json()["result"]["environments"]] == [link]
    doctor = project("doctor", "--json")
    _ok(doctor)

    _ok(corral("create", "-n", "other", "-c", str(channel), "python", "-y"))
    active = {"CONDA_PREFIX": str(corral.link("other"))}  # as `corral activate other` leaves it
    listed = project("list", "--json", extra_env=active)
    _ok(listed)
    assert "liba" not in {p["name"] for p in listed.json()["result"]["packages"]}
    everything = project("du", "--all", "--json")
    _ok(everything)
    assert len(everything.json()["result"]["environments"]) == 2


def test_the_manifests_platforms_are_the_locks_and_a_change_to_them_relocks(
    corral: Corral, tmp_path: Path, channel: Path
) -> None:
    """environment.yml's `platforms:` (pyproject: [tool.corral] platforms) decides what corral.lock covers."""
    project = _project(corral, tmp_path, channel)
    _ok(project("init"))
    _ok(project("add", "liba"))
    manifest = project.cwd / "environment.yml"
    manifest.write_text(manifest.read_text() + "platforms: [linux-64, win-64]\n")
    refused = project("run", "--locked", "true")
    assert refused.code == 1 and "platform win-64 is not in the lock" in refused.err
    run = project("run", "true")
    _ok(run)
    assert "corral.lock made again" in run.err and "win-64: added" in run.err
    lock = yaml.safe_load((project.cwd / "corral.lock").read_text())
    assert sorted(lock["platforms"]) == ["linux-64", "win-64"]
    assert "ignored key" not in run.err  # conda-lock's key means the lock's platforms in a project
    _ok(project("lock", "--check"))
    assert "Lock unchanged" in project("lock").out

    manifest.write_text(manifest.read_text().replace("platforms: [linux-64, win-64]", "platforms: [linux-64]"))
    stale = project("lock", "--check")
    assert stale.code == 1
    _ok(project("lock"))
    assert sorted(yaml.safe_load((project.cwd / "corral.lock").read_text())["platforms"]) == ["linux-64"]

    manifest.write_text(manifest.read_text().replace("platforms: [linux-64]", "platforms: [win-64]"))
    elsewhere = project("run", "true")
    assert elsewhere.code == 1 and "no section for this machine's platform linux-64" in elsewhere.err
    assert "add linux-64 to the manifest's platforms:" in elsewhere.err
    manifest.write_text(manifest.read_text().replace("platforms: [win-64]", "platforms: [linux-32]"))
    bad = project("run", "true")
    assert bad.code == 1 and "platforms: unknown platform 'linux-32'" in bad.err and "Traceback" not in bad.err


def test_pyproject_platforms_in_tool_corral(corral: Corral, tmp_path: Path, channel: Path) -> None:
    """`platforms = [...]` in [tool.corral]: `corral lock` alone in the project covers them; a typo is named."""
    project = _project(corral, tmp_path, channel, "lib")
    pyproject = project.cwd / "pyproject.toml"
    pyproject.write_text(
        f'[project]\nname = "lib"\nversion = "0.1"\ndependencies = []\n\n[tool.corral]\nchannels = ["{channel}"]\n'
        'dependencies = ["liba"]\nplatforms = ["win-64", "linux-64"]\n'
    )
    locked = project("lock", "--json")
    _ok(locked)
    assert locked.json()["result"]["platforms"] == ["linux-64", "win-64"]
    refused = project("lock", "--platform", "osx-arm64")
    assert refused.code == 2 and "change the manifest's platforms" in refused.err
    pyproject.write_text(pyproject.read_text().replace('"win-64"', '"win64"'))
    bad = project("lock")
    assert bad.code == 1 and "tool.corral.platforms: unknown platform 'win64'" in bad.err


def test_named_environments_of_groups_share_one_lock_and_run_with_e(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """`add --group test` fills [dependency-groups] and declares `test = ["test"]`; `run -e test` uses it."""
    project = _project(corral, tmp_path, channel, "lib")
    pyproject = project.cwd / "pyproject.toml"
    pyproject.write_text('[project]\nname = "lib"\nversion = "0.1"\ndependencies = []\n')
    _ok(project("init"))
    _ok(project("add", "python", "--pip", "six", "--no-index", "--find-links", str(wheels)))
    before = pyproject.read_text()
    added = project("add", "--group", "test", "--pip", "tinylib")
    _ok(added)
    _added(before, pyproject.read_text())  # nothing removed or changed
    tail = '[tool.corral.environments]\ntest = ["test"]\n\n[dependency-groups]\ntest = ["tinylib>=2.0"]\n'
    assert pyproject.read_text().endswith(tail)
    lock = yaml.safe_load((project.cwd / "corral.lock").read_text())
    assert "tinylib" not in {e["name"] for e in lock["platforms"]["linux-64"]["pypi"]}
    test_section = lock["environments"]["test"]["platforms"]["linux-64"]
    assert {"six", "tinylib"} <= {e["name"] for e in test_section["pypi"]}

    run = project("run", "-e", "test", "python", "-c", "import six, tinylib, sys; print(tinylib.VERSION, sys.prefix)")
    _ok(run)
    assert run.out.split() == ["2.0", str(project.cwd / ".corral" / "envs" / "test")] and run.err == ""
    default = project("run", "-e", "X=1", "python", "-c", "import os, tinylib")  # -e KEY=VALUE is a variable
    assert default.code == 1 and "No module named 'tinylib'" in default.err

    pyproject.write_text(pyproject.read_text().replace("tinylib>=2.0", "tinylib<2"))
    refused = project("run", "--locked", "-e", "test", "python", "-c", "pass")
    assert refused.code == 1 and "tinylib<2" in refused.err
    assert project("lock", "--check").code == 1
    relocked = project("run", "--environment", "test", "python", "-c", "import tinylib; print(tinylib.VERSION)")
    _ok(relocked)
    assert relocked.out.strip() == "1.0" and "corral.lock made again" in relocked.err
    _ok(project("lock", "--check"))
    assert project("run", "python", "-c", "pass").err == ""  # the default environment did not move

    unknown = project("run", "-e", "docs", "python", "-c", "pass")
    assert unknown.code == 1 and "no environment 'docs'" in unknown.err and "Traceback" not in unknown.err
    _ok(project("remove", "--group", "test", "--pip", "tinylib"))
    assert project("run", "-e", "test", "python", "-c", "import tinylib").code == 1


def test_a_clone_at_another_path_finds_the_lock_up_to_date(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """Paths under the project are kept relative in corral.lock: a copy elsewhere passes --locked, same bytes."""
    project = _project(corral, tmp_path, channel, "svc")
    shutil.copytree(wheels, project.cwd / "wheels")
    _ok(project("init"))
    _ok(project("add", "python", "--pip", "tinylib", "--no-index", "--find-links", "wheels"))
    text = (project.cwd / "corral.lock").read_text()
    assert str(project.cwd) not in text and "url: file:./wheels/tinylib-2.0-py3-none-any.whl" in text
    clone = tmp_path / "elsewhere" / "svc"
    clone.mkdir(parents=True)
    for name in ("environment.yml", "corral.lock", "wheels"):
        (shutil.copytree if name == "wheels" else shutil.copy2)(project.cwd / name, clone / name)
    shutil.rmtree(project.cwd)  # the first folder is gone: nothing may point into it
    other = replace(project, cwd=clone, env={**project.env, "CORRAL_ROOT": str(tmp_path / "root2")})
    run = other("run", "--locked", "python", "-c", "import tinylib, sys; print(tinylib.VERSION, sys.prefix)")
    _ok(run)
    assert run.out.split() == ["2.0", str(clone / ".corral" / "envs" / "default")]
    _ok(other("lock", "--check"))
    _ok(other("lock"))
    assert (clone / "corral.lock").read_text() == text


def test_a_buildable_pyproject_is_installed_editable_in_its_own_environment(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """[build-system] + [project]: the project is an editable member (as uv does); code edits show without a sync."""
    if (wheels / "NO-BUILD-WHEELS").exists():
        pytest.skip("no setuptools/wheel wheels available to build editables offline")
    from tests.support.pypi import write_setuptools_project

    folder = write_setuptools_project(tmp_path / "mylib", "mylib", "ANSWER = 1\n")
    project = replace(corral, cwd=folder, env={**corral.env, "CORRAL_CHANNELS": str(channel)})
    _ok(project("init"))
    _ok(project("add", "python", "--pip", "six", "--no-index", "--find-links", str(wheels)))
    assert "editable: ." in (folder / "corral.lock").read_text()  # portable: the project's own folder
    code = "import sys; sys.path.pop(0); import mylib; print(mylib.ANSWER)"  # not from the current folder
    assert project("run", "python", "-c", code).out.strip() == "1"
    (folder / "mylib" / "__init__.py").write_text("ANSWER = 2\n")
    again = project("run", "python", "-c", code)
    assert (again.code, again.out.strip(), again.err) == (0, "2", "")  # no lock, no sync: it is editable

    pyproject = folder / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[tool.corral]", "[tool.corral]\npackage = false"))
    out = project("run", "python", "-c", code)
    assert out.code == 1 and "No module named 'mylib'" in out.err and "corral.lock made again" in out.err


def test_init_from_pixi_toml_writes_environment_yml_and_names_what_is_left(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """pixi.toml -> environment.yml (channels, platforms, conda and PyPI dependencies); tasks are named as left out."""
    project = _project(corral, tmp_path, channel, "pixi")
    (project.cwd / "pixi.toml").write_text(
        f'[workspace]\nname = "svc"\nchannels = ["{channel}"]\nplatforms = ["linux-64"]\n\n'
        '[dependencies]\npython = "*"\nliba = ">=2"\n\n'
        '[pypi-dependencies]\ntinylib = "==1.0"\nsix = { version = "*" }\n'
        'other = { git = "https://example.invalid/x" }\n\n'
        f'[pypi-options]\nfind-links = [{{ path = "{wheels}" }}]\nno-build = true\n\n[tasks]\nstart = "python app.py"\n'
    )
    made = project("init", "--from", "pixi.toml")
    _ok(made)
    assert "not carried over from pixi.toml: [tasks]" in made.out
    assert "pypi-dependencies.other" in made.out and "pypi-options.no-build" in made.out
    data = yaml.safe_load((project.cwd / "environment.yml").read_text())
    assert data["channels"] == [str(channel)] and data["platforms"] == ["linux-64"]
    assert data["dependencies"][:2] == ["python", "liba >=2"]
    assert data["dependencies"][2]["pip"] == [f"--find-links {wheels}", "tinylib==1.0", "six"]
    manifest = project.cwd / "environment.yml"
    data["dependencies"][2]["pip"].insert(0, "--no-index")  # offline here
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    run = project("run", "python", "-c", "import six, tinylib; print(tinylib.VERSION)")
    _ok(run)
    assert run.out.strip() == "1.0"


def test_init_from_a_poetry_pyproject_maps_caret_and_tilde_and_groups(
    corral: Corral, tmp_path: Path, channel: Path, wheels: Path
) -> None:
    """[tool.poetry] dependencies -> [project].dependencies (PEP 440), python -> a conda spec, groups -> PEP 735."""
    project = _project(corral, tmp_path, channel, "poet")
    pyproject = project.cwd / "pyproject.toml"
    pyproject.write_text(
        '[tool.poetry]\nname = "poet"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = ">=3.8"\n'
        'tinylib = "^1.0"\nsix = { version = "~1.17", extras = [] }\nlocal = { path = "../local" }\n\n'
        '[tool.poetry.group.test.dependencies]\ntinylib = "^2.0"\n'
    )
    made = project("init", "--from", "pyproject.toml")
    _ok(made)
    assert "not carried over from pyproject.toml: dependencies.local" in made.out
    text = pyproject.read_text()
    assert text.startswith('[tool.poetry]\nname = "poet"')  # the poetry tables stay as they were
    assert 'dependencies = ["tinylib>=1.0,<2", "six>=1.17,<1.18"]' in text
    assert 'dependencies = ["python >=3.8"]' in text
    assert '[dependency-groups]\ntest = ["tinylib>=2.0,<3"]' in text and 'test = ["test"]' in text
    pyproject.write_text(text + f'\n[tool.corral.pypi-options]\nfind-links = ["{wheels}"]\nno-index = true\n')
    run = project("run", "python", "-c", "import six, tinylib; print(tinylib.VERSION)")
    _ok(run)
    assert run.out.strip() == "1.0"
    test = project("run", "-e", "test", "python", "-c", "import tinylib; print(tinylib.VERSION)")
    _ok(test)  # a group's requirement for a name the default environment also names replaces it there
    assert test.out.strip() == "2.0"
    refused = replace(project, cwd=tmp_path)("init", "--from", "nothing.toml")
    assert refused.code == 2 and "does not exist" in refused.err
