"""Local wheels, sdists and project folders as PyPI requirements, and a new request switching a package's source.

Pinned behaviour: pip takes a requirement that looks like a path (a separator or a leading dot,
`_looks_like_path`, or an archive suffix, `is_archive_file`; pip/_internal/req/constructors.py
`_get_url_from_path`) as a local wheel, sdist or project folder. conda runs an environment.yml's
`pip:` section from the file's folder (conda/env/installers/pip.py `_pip_install_via_requirements`
with `cwd=workdir`, `get_pip_workdir` in conda/env/pip_util.py), so relative paths there are the
file's.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Corral
from tests.support.pypi import write_setuptools_project, write_setuptools_sdist, write_wheel

pytestmark = pytest.mark.slow


@pytest.fixture
def local(wheels: Path, tmp_path: Path) -> Path:
    """tmp_path with dist/ (simple-math 0.1 and 0.2 wheels, a 0.3 sdist), proj/ (a project), index/ (find-links)."""
    if (wheels / "NO-BUILD-WHEELS").exists():
        pytest.skip("no setuptools/wheel wheels available to build local projects offline")
    for version in ("0.1", "0.2"):
        module = {"simple_math/__init__.py": f"SOURCE = 'wheel {version}'\n"}
        write_wheel(tmp_path / "dist", "simple-math", version, modules=module)
    write_setuptools_sdist(tmp_path / "dist", "simple-math", "0.3", "SOURCE = 'sdist 0.3'\n")
    write_setuptools_project(tmp_path / "proj", "simple-math", "SOURCE = 'project'\n")
    index = tmp_path / "index"
    index.mkdir()
    for build in (*wheels.glob("setuptools-*.whl"), *wheels.glob("wheel-*.whl")):
        shutil.copy(build, index)
    write_wheel(index, "simple-math", "0.1", modules={"simple_math/__init__.py": "SOURCE = 'index 0.1'\n"})
    return tmp_path


def find(local: Path) -> tuple[str, ...]:
    """Index options: only the test's own find-links folder."""
    return ("--no-index", "--find-links", str(local / "index"))


def source(corral: Corral, env: str) -> str:
    """Where the environment's simple_math module came from (its SOURCE)."""
    python = corral.link(env) / "bin" / "python"
    code = "import simple_math; print(simple_math.SOURCE)"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd="/", check=True).stdout.strip()


def requested(corral: Corral, env: str) -> dict[str, Any]:
    """The PyPI side of the environment's recorded request."""
    record = corral.link(env) / "conda-meta" / "corral" / "generation.json"
    spec = json.loads(record.read_text())["spec"]
    return {"pypi": spec["pypi"], "editables": spec["editables"]}


def ok(result: Any) -> None:
    """A successful run (its output shown when not)."""
    assert result.code == 0, result.err + result.out


def test_wheel_sdist_and_project_folder_paths_install_from_every_command(corral: Corral, local: Path) -> None:
    wheel = local / "dist" / "simple_math-0.1-py3-none-any.whl"
    relative = "dist/simple_math-0.1-py3-none-any.whl"
    ok(corral("create", "-n", "a", "--python", "3.12", "--pip", relative, *find(local), "-y"))
    assert source(corral, "a") == "wheel 0.1"
    assert requested(corral, "a")["pypi"] == [f"simple-math @ {wheel.as_uri()}"]
    sdist = local / "dist" / "simple_math-0.3.tar.gz"
    ok(corral("install", "-n", "a", "--pip", str(sdist), "-y"))  # an absolute path, built from the sdist
    assert source(corral, "a") == "sdist 0.3"
    assert requested(corral, "a")["pypi"] == [f"simple-math @ {sdist.as_uri()}"]
    in_project = dataclasses.replace(corral, cwd=local / "proj")
    ok(in_project("pip", "install", "-n", "a", ".", "-y"))  # `pip install .`: a built copy, not an editable
    assert source(corral, "a") == "project"
    assert requested(corral, "a") == {"pypi": [f"simple-math @ {(local / 'proj').as_uri()}"], "editables": []}
    listed = {p["name"]: p for p in corral("list", "-n", "a", "--json").json()["result"]["packages"]}
    assert listed["simple-math"]["build"] != "editable" and listed["simple-math"]["version"] == "0.1"


def test_paths_in_requirement_files_and_environment_yml_are_taken_from_the_file(corral: Corral, local: Path) -> None:
    (local / "reqs").mkdir()
    (local / "reqs" / "requirements.txt").write_text("../dist/simple_math-0.2-py3-none-any.whl\n")
    ok(corral("create", "-n", "r", "--python", "3.12", *find(local), "-y"))
    ok(corral("pip", "install", "-n", "r", "-r", "reqs/requirements.txt", "-y"))
    assert source(corral, "r") == "wheel 0.2"
    (local / "envs").mkdir()
    (local / "envs" / "environment.yml").write_text(
        f"name: y\npython: '3.12'\ndependencies:\n  - pip:\n    - --no-index\n    - --find-links {local / 'index'}\n"
        "    - ../dist/simple_math-0.1-py3-none-any.whl\n"
    )
    ok(corral("create", "-f", "envs/environment.yml", "-y"))
    assert source(corral, "y") == "wheel 0.1"


def test_export_of_local_requirements_recreates_the_environment(corral: Corral, local: Path) -> None:
    relative = "./dist/simple_math-0.2-py3-none-any.whl"
    ok(corral("create", "-n", "e", "--python", "3.12", "--pip", relative, *find(local), "-y"))
    exported = corral("export", "-n", "e", "--format", "requirements.txt", "-o", "exported.txt")
    ok(exported)
    text = (local / "exported.txt").read_text()
    assert f"simple-math @ {(local / 'dist' / 'simple_math-0.2-py3-none-any.whl').as_uri()}" in text.splitlines()
    ok(corral("create", "-n", "copy", "--python", "3.12", "-f", "exported.txt", "-y"))
    assert source(corral, "copy") == "wheel 0.2"  # not 0.1, the version the index folder has
    yml = corral("export", "-n", "e", "--format", "environment.yml")
    ok(yml)
    assert f"    - simple-math @ {(local / 'dist' / 'simple_math-0.2-py3-none-any.whl').as_uri()}" in yml.out


def test_a_missing_path_is_named_not_called_an_invalid_requirement(corral: Corral, local: Path) -> None:
    ok(corral("create", "-n", "m", "--python", "3.12", *find(local), "-y"))
    (local / "req.txt").write_text("dist/simple_math-9.9-py3-none-any.whl\n")
    for args in (("pip", "install", "-n", "m", "./dist/gone"), ("pip", "install", "-n", "m", "-r", "req.txt")):
        refused = corral(*args, "-y", "--json")
        assert refused.code != 0 and "Traceback" not in refused.err
        error = refused.json()["error"]
        assert "does not exist" in error["message"] and "invalid PyPI requirement" not in error["message"]
        assert str(local / "dist") in error["message"]


@pytest.mark.parametrize("first", ["index", "wheel"])
def test_a_new_request_switches_the_source_of_a_package(corral: Corral, local: Path, first: str) -> None:
    """index -> wheel file -> editable -> index version, and wheel -> another wheel path: the newest request wins."""
    wheel1 = local / "dist" / "simple_math-0.1-py3-none-any.whl"
    wheel2 = local / "dist" / "simple_math-0.2-py3-none-any.whl"
    ok(corral("create", "-n", "s", "--python", "3.12", *find(local), "-y"))
    if first == "index":
        ok(corral("pip", "install", "-n", "s", "simple-math", "-y"))
        assert source(corral, "s") == "index 0.1"
        ok(corral("pip", "install", "-n", "s", str(wheel2), "-y"))  # index -> wheel file
        assert source(corral, "s") == "wheel 0.2"
        assert requested(corral, "s") == {"pypi": [f"simple-math @ {wheel2.as_uri()}"], "editables": []}
        ok(dataclasses.replace(corral, cwd=local / "proj")("pip", "install", "-n", "s", "-e", ".", "-y"))
        assert source(corral, "s") == "project"  # wheel file -> editable
        assert requested(corral, "s") == {"pypi": [], "editables": [str((local / "proj").resolve())]}
        ok(corral("pip", "install", "-n", "s", "simple-math==0.1", "-y"))  # editable -> index version
        assert source(corral, "s") == "index 0.1"
        assert requested(corral, "s") == {"pypi": ["simple-math==0.1"], "editables": []}
    else:
        ok(corral("pip", "install", "-n", "s", str(wheel1), "-y"))
        assert source(corral, "s") == "wheel 0.1"
        ok(corral("pip", "install", "-n", "s", "dist/simple_math-0.2-py3-none-any.whl", "-y"))  # wheel -> wheel
        assert source(corral, "s") == "wheel 0.2"
        assert requested(corral, "s") == {"pypi": [f"simple-math @ {wheel2.as_uri()}"], "editables": []}
        back = corral("rollback", "-n", "s", "-y")
        ok(back)
        assert source(corral, "s") == "wheel 0.1"


def test_env_update_switches_a_package_to_the_source_the_file_names(corral: Corral, local: Path) -> None:
    head = f"name: u\npython: '3.12'\ndependencies:\n  - pip:\n    - --no-index\n    - --find-links {local / 'index'}\n"
    (local / "environment.yml").write_text(head + "    - -e ./proj\n")
    ok(corral("create", "-f", "environment.yml", "-y"))
    assert source(corral, "u") == "project"
    (local / "environment.yml").write_text(head + "    - dist/simple_math-0.2-py3-none-any.whl\n")
    ok(corral("env", "update", "-f", "environment.yml", "-y"))  # editable -> wheel file, laid over the request
    assert source(corral, "u") == "wheel 0.2"
    wheel = (local / "dist" / "simple_math-0.2-py3-none-any.whl").as_uri()
    assert requested(corral, "u") == {"pypi": [f"simple-math @ {wheel}"], "editables": []}
