"""A conda user's daily commands (issue 18): clone, rename, env config vars, list REGEX, list --revisions.

Pinned conda behaviour: `conda create --clone` copies an environment's packages; `conda rename`
refuses to rename the active environment (conda/cli/main_rename.py); `conda env config vars
set/unset` stores variables that activation sets (conda/cli/main_config? `env config vars`,
conda/core/prefix_data.py `set_environment_env_vars`); `conda list REGEX` filters package names
by a regular expression; `conda list --revisions` shows the history.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow


def _names(corral: Corral, env: str) -> dict[str, str]:
    return {p["name"]: p["version"] for p in corral("list", "-n", env, "--json").json()["result"]["packages"]}


def test_clone_copies_the_current_generation_offline(corral: Corral, channel: Path, wheels: Path) -> None:
    find = ("--no-index", "--find-links", str(wheels))
    assert (
        corral("create", "-n", "old", "-c", str(channel), "python", "liba=1.0", "--pip", "six", *find, "-y").code == 0
    )
    res = corral("create", "-n", "new", "--clone", "old", "--offline", "-y")
    assert res.code == 0, res.err
    assert _names(corral, "new") == _names(corral, "old")
    history = corral("history", "-n", "new", "--json").json()["result"]["entries"]
    assert history[0]["action"] == "clone" and "clone of old, generation 1" in history[0]["command"]
    prefix = corral.link("new").resolve()
    ran = corral("run", "-n", "new", "python", "-c", "import six, sys; print(sys.prefix)").out.strip()
    assert Path(ran).resolve() == prefix
    again = corral("create", "-n", "new", "--clone", "old", "-y")
    assert again.code == 1 and "already exists" in again.err
    mixed = corral("create", "-n", "x", "--clone", "old", "liba", "-y")
    assert mixed.code == 2 and "--clone copies an environment as it is" in mixed.err


def test_rename_moves_the_environment_and_keeps_its_history(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "old", "-c", str(channel), "liba", "-y").code == 0
    assert corral("install", "-n", "old", "app", "-y").code == 0
    active = corral("rename", "-n", "old", "new", "-y", extra_env={"CONDA_PREFIX": str(corral.link("old"))})
    assert active.code == 2 and "is active in this shell" in active.err
    res = corral("rename", "-n", "old", "new", "-y")
    assert res.code == 0, res.err
    assert not corral.link("old").exists() and not (corral.root / "generations" / "old").exists()
    assert set(_names(corral, "new")) == {"liba", "app"}
    history = corral("history", "-n", "new", "--json").json()["result"]
    assert [e["generation"] for e in history["entries"]] == [1, 2, 3]
    assert history["entries"][-1]["action"] == "rename" and history["available"] == [3]
    listed = {e["name"] for e in corral("env", "list", "--json").json()["result"]["environments"]}
    assert listed == {"new"}
    gone = corral("rollback", "-n", "new", "--to", "2", "-y")
    assert gone.code == 1 and "was deleted" in gone.err


def test_env_config_vars_are_a_new_generation_and_reach_run(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "v", "-c", str(channel), "liba", "-y").code == 0
    res = corral("env", "config", "vars", "set", "-n", "v", "MY_VAR=hello world", "OTHER=1", "-y")
    assert res.code == 0, res.err
    assert corral.link("v").resolve().name == "2"
    assert corral("env", "config", "vars", "list", "-n", "v").out == "MY_VAR=hello world\nOTHER=1\n"
    ran = corral("run", "-n", "v", "sh", "-c", 'echo "$MY_VAR|$OTHER"')
    assert ran.out == "hello world|1\n"
    assert corral("env", "config", "vars", "unset", "-n", "v", "OTHER", "-y").code == 0
    assert corral("env", "config", "vars", "list", "-n", "v", "--json").json()["result"]["variables"] == {
        "MY_VAR": "hello world"
    }
    assert corral("run", "-n", "v", "sh", "-c", 'echo "${OTHER-unset}"').out == "unset\n"
    bad = corral("env", "config", "vars", "set", "-n", "v", "no-equals", "-y")
    assert bad.code == 2 and "is not NAME=VALUE" in bad.err
    missing = corral("env", "config", "vars", "unset", "-n", "v", "NOPE", "-y")
    assert missing.code != 0 and "has no variable NOPE" in missing.err


def test_list_regex_and_revisions(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "l", "-c", str(channel), "app", "-y").code == 0
    only = corral("list", "-n", "l", "^li", "--json").json()["result"]["packages"]
    assert [p["name"] for p in only] == ["liba"]
    bad = corral("list", "-n", "l", "(")
    assert bad.code == 2 and "invalid regular expression" in bad.err
    revisions = corral("list", "-n", "l", "--revisions", "--json").json()["result"]
    assert [e["generation"] for e in revisions["entries"]] == [1]
