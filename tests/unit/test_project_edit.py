"""Project units: manifest edits keep the rest byte for byte; the run stamp; the lock's environments; poetry."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral import project
from corral.errors import EnvFileError
from corral.lock import lockfile
from corral.lock.lockfile import Artifact, Lock, LockedPlatform, PypiEntry
from corral.models import EnvSpec, PypiIndex
from corral.project.edit import Edit, apply

SERVICE = """\
# the API service
name: api   # conda's name, unused by projects
channels:
  - conda-forge  # main channel

dependencies:
  - python=3.12  # the interpreter
  # numerics
  - numpy
  - pip:
      - --index-url https://example.org/simple
      - rich  # pretty output
"""


def _diff(before: str, after: str) -> tuple[list[str], list[str]]:
    old, new = before.splitlines(), after.splitlines()
    return [line for line in new if line not in old], [line for line in old if line not in new]


def test_yaml_add_inserts_after_the_last_entry_of_each_list_with_its_indentation() -> None:
    edit = Edit(conda=("scipy >=1.11",), pypi=("httpx>=0.27",), channels=("bioconda",))
    text, missing = apply("environment.yml", SERVICE, edit, Path("environment.yml"))
    added, removed = _diff(SERVICE, text)
    assert (added, removed, missing) == (["  - bioconda", "  - scipy >=1.11", "      - httpx>=0.27"], [], [])
    assert text.index("  - scipy >=1.11") < text.index("  - pip:")


def test_yaml_add_of_a_listed_name_replaces_only_its_value_and_keeps_the_comment() -> None:
    text, _ = apply("environment.yml", SERVICE, Edit(conda=("python=3.13",), pypi=("rich>=13",)), Path("e.yml"))
    assert _diff(SERVICE, text) == (
        ["  - python=3.13  # the interpreter", "      - rich>=13  # pretty output"],
        ["  - python=3.12  # the interpreter", "      - rich  # pretty output"],
    )


def test_yaml_remove_takes_out_one_line_and_an_emptied_pip_section() -> None:
    text, missing = apply("environment.yml", SERVICE, Edit(drop_conda=("numpy", "scipy")), Path("e.yml"))
    assert _diff(SERVICE, text) == ([], ["  - numpy"]) and missing == ["scipy"]
    bare = "dependencies:\n  - python\n  - pip:\n    - rich\n"
    assert apply("environment.yml", bare, Edit(drop_pypi=("rich",)), Path("e.yml"))[0] == "dependencies:\n  - python\n"


def test_yaml_flow_lists_are_refused_with_a_hint_and_empty_ones_become_block_lists() -> None:
    with pytest.raises(EnvFileError, match="only as a list of '- item' lines"):
        apply("environment.yml", "dependencies: [python, numpy]\n", Edit(conda=("scipy",)), Path("e.yml"))
    empty = "channels: []\ndependencies: []\n"
    text, _ = apply("environment.yml", empty, Edit(conda=("a",), channels=("c",)), Path("e.yml"))
    assert text == "channels:\n  - c\ndependencies:\n  - a\n"


def test_yaml_values_yaml_would_misread_are_quoted() -> None:
    text, _ = apply("environment.yml", "dependencies:\n", Edit(conda=("*weird: spec",)), Path("e.yml"))
    assert text == 'dependencies:\n  - "*weird: spec"\n'


def test_toml_edits_keep_comments_and_other_tables() -> None:
    before = '[project]\nname = "lib"\ndependencies = [\n    "six",  # why six\n]\n\n[tool.ruff]\nline-length = 100\n'
    text, _ = apply("pyproject", before, Edit(conda=("python >=3.12",), pypi=("rich>=13",)), Path("pyproject.toml"))
    assert text.startswith('[project]\nname = "lib"\ndependencies = [\n    "six",  # why six\n    "rich>=13",\n]\n')
    assert '[tool.corral]\ndependencies = ["python >=3.12"]\n' in text and "[tool.ruff]\nline-length = 100\n" in text
    dropped, missing = apply("pyproject", text, Edit(drop_pypi=("Rich",), drop_conda=("numpy",)), Path("p"))
    assert '"rich>=13"' not in dropped and missing == ["numpy"]


def test_toml_pypi_entries_need_a_project_table() -> None:
    with pytest.raises(EnvFileError, match=r"no \[project\] table"):
        apply("pyproject", "[tool.corral]\nchannels = []\n", Edit(pypi=("rich",)), Path("pyproject.toml"))


def test_discovery_walks_up_and_pyproject_needs_tool_corral(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    outside = project.find(str(deep))  # a pyproject.toml without [tool.corral] is not a project
    assert outside is None or not outside.root.startswith(str(tmp_path))
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.corral]\nchannels = []\n')
    found = project.find(str(deep))
    assert found is not None and found.root == str(tmp_path / "a") and found.kind == "pyproject"


def test_stamp_notices_a_changed_manifest_and_forgives_a_touch(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text("dependencies:\n  - python\n")
    (tmp_path / "corral.lock").write_text("lock\n")
    found = project.find(str(tmp_path))
    assert found is not None
    os.makedirs(os.path.dirname(found.link))
    os.symlink(tmp_path, found.link)
    assert not project.up_to_date(found)  # never synced
    project.write_state(found, project.current_state(found, hashes=True))
    assert project.up_to_date(found)
    os.utime(found.manifest, ns=(1, 1))  # a checkout: new mtime, same bytes
    assert project.up_to_date(found)
    (tmp_path / "environment.yml").write_text("dependencies:\n  - python=3.12\n")
    assert not project.up_to_date(found) and project.up_to_date(found, frozen=True)
    (tmp_path / "corral.lock").write_text("another lock\n")
    assert not project.up_to_date(found, frozen=True)


def _small_lock(root: str, name: str = "tinylib") -> Lock:
    wheel = Artifact(f"file://{root}/wheels/{name}-2.0-py3-none-any.whl", "c" * 64)
    spec = EnvSpec(channels=("conda-forge",), pypi=(name,), index=PypiIndex(find_links=(f"{root}/wheels",)))
    section = LockedPlatform("linux-64", (), "3.12.1", (), (PypiEntry(name, "2.0", "", (wheel,)),))
    return Lock(spec=spec, platforms=(section,), sources=("pyproject.toml",))


def test_named_environments_round_trip_and_a_lock_without_them_keeps_its_bytes(tmp_path: Path) -> None:
    """`environments:` is written only when there are named ones; old locks load and dump unchanged."""
    plain = _small_lock("/p")
    text = lockfile.dumps(plain)
    assert "environments" not in text
    both = plain.with_environment("test", _small_lock("/p", "six"))
    path = tmp_path / "corral.lock"
    path.write_text(lockfile.dumps(both))
    loaded = lockfile.load(path)
    assert [n for n, _ in loaded.environments] == ["test"]
    test_env = loaded.environment("test")
    assert test_env is not None and test_env.spec.pypi == ("six",) and loaded.environment("default") is loaded
    assert lockfile.dumps(loaded.with_environment("test", None)) == text


def test_portable_locks_do_not_depend_on_the_projects_folder(tmp_path: Path) -> None:
    """Paths under the project become ./ and file:./ forms, hashed so; absolute() restores them for another folder."""
    from corral.project.portable import absolute, portable

    here, there = portable(_small_lock("/work/a"), "/work/a"), portable(_small_lock("/srv/b"), "/srv/b")
    assert here.input_hash == there.input_hash and lockfile.dumps(here) == lockfile.dumps(there)
    assert here.spec.index.find_links == ("./wheels",)
    back = absolute(here, "/srv/b")
    assert back.spec.index.find_links == ("/srv/b/wheels",) and back.input_hash == here.input_hash
    assert back.platforms[0].pypi[0].wheels[0].url == "file:///srv/b/wheels/tinylib-2.0-py3-none-any.whl"
    outside = portable(_small_lock("/elsewhere"), "/work/a")
    assert outside.spec.index.find_links == ("/elsewhere/wheels",)


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1", ">=1,<2"),
        ("1.2", "==1.2"),
        ("1.2.*", "==1.2.*"),
        (">=1.0, <2", ">=1.0,<2"),
        ("*", ""),
        ("^1 || ^2", None),
    ],
)
def test_poetry_constraints_map_to_pep_440(poetry: str, pep440: str | None) -> None:
    from corral.project.importer import _poetry_constraint

    assert _poetry_constraint(poetry) == pep440
