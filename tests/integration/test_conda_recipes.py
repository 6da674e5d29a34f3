"""corral against the packages of conda's own test suite (issue 15), with conda's expectations for them.

The packages are built at test time the way conda's tests/data/recipes build them (see
tests/support/recipes.py). What each test pins is what conda's test of the same package asserts:
tests/test_link_order.py (post-link scripts that `return` and depend on linking order),
tests/test_create.py `test_post_link_run_in_env` (post-links run with the environment activated),
the failing_post_link test (the change fails with "post-link script failed", the environment
keeps its packages), the clobber tests (`path_conflict: prevent` refuses and leaves no prefix,
`--clobber` installs both), tests/cli/test_cli_install.py `test_pre_link_message`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import index_channel, write_conda_package
from tests.support.recipes import conda_test_recipes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recipes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chan = tmp_path_factory.mktemp("conda-test-recipes")
    for package in conda_test_recipes():
        write_conda_package(chan, package)
    index_channel(chan)
    return chan


@pytest.mark.parametrize("package", ["post_link-c", "post_link-e", "post_link-d"])
def test_post_link_scripts_that_return_and_depend_on_link_order(corral: Corral, recipes: Path, package: str) -> None:
    res = corral("create", "-n", "order", "-c", str(recipes), package, "-y")
    assert res.code == 0, res.err
    assert (corral.link("order") / "bin" / "file").read_text() == "test\n"
    assert corral("doctor", "-n", "order").code == 0


def test_post_link_runs_in_the_activated_environment(corral: Corral, recipes: Path) -> None:
    res = corral("create", "-n", "act", "-c", str(recipes), "post_link_run_in_env_package", "-y")
    assert res.code == 0, res.out + res.err
    assert "Success: TEST_VAR is set correctly" in res.out and "TEST_VAR is set to :1:" in res.out
    ran = corral("run", "-n", "act", "sh", "-c", 'echo "[$TEST_VAR]"')
    assert ran.out == "[1]\n" and "setting TEST_VAR" not in ran.out  # the script's echo is not the command's output


def test_a_failing_post_link_leaves_the_environment_as_it_was(corral: Corral, recipes: Path) -> None:
    assert corral("create", "-n", "small", "-c", str(recipes), "small-executable", "-y").code == 0
    res = corral("install", "-n", "small", "failing_post_link", "-y")
    assert res.code == 1 and "post-link script failed for package failing_post_link" in res.err, res.err
    names = {p["name"] for p in corral("list", "-n", "small", "--json").json()["result"]["packages"]}
    assert names == {"small-executable"}
    assert corral("run", "-n", "small", "small", "there").out == "Hello! there\n"


def test_pre_link_messages_are_shown(corral: Corral, recipes: Path) -> None:
    res = corral("create", "-n", "msg", "-c", str(recipes), "pre_link_messages_package", "-y")
    assert res.code == 0, res.err
    assert "Lorem ipsum dolor sit amet" in res.out and "SPAM!" in res.out


def test_clobbering_pair_under_prevent_and_clobber(corral: Corral, recipes: Path) -> None:
    prevent = {"CORRAL_PATH_CONFLICT": "prevent"}
    res = corral("create", "-n", "cl", "-c", str(recipes), "clobber-a", "clobber-b", "-y", extra_env=prevent)
    assert res.code == 1 and "bin/clobber-test-file" in res.err
    assert not corral.link("cl").exists()
    assert corral("create", "-n", "cl", "-c", str(recipes), "small-executable", "-y").code == 0
    refused = corral("install", "-n", "cl", "clobber-a", "clobber-b", "-y", extra_env=prevent)
    assert refused.code == 1 and corral.link("cl").resolve().name == "1"
    res = corral("install", "-n", "cl", "--clobber", "clobber-a", "clobber-b", "-y", extra_env=prevent)
    assert res.code == 0, res.err
    names = {p["name"] for p in corral("list", "-n", "cl", "--json").json()["result"]["packages"]}
    assert {"clobber-a", "clobber-b"} <= names
    assert (corral.link("cl") / "bin" / "clobber-test-file").read_text() in ("clobber-a\n", "clobber-b\n")
    assert corral("doctor", "-n", "cl").code == 0


def test_activation_scripts_of_the_recipes(corral: Corral, recipes: Path) -> None:
    """small-executable's activate.d sets a variable it does not export: as with conda run, the command lacks it."""
    made = corral("create", "-n", "ad", "-c", str(recipes), "activate_deactivate_package", "small-executable", "-y")
    assert made.code == 0, made.err
    ran = corral("run", "-n", "ad", "sh", "-c", 'echo "$TEST|${SMALL_EXE-unset}"; echo "$PATH"')
    first, path = ran.out.splitlines()
    assert first == "teststringfromactivate|unset"
    assert path.startswith("teststringfromactivate/bin/test:")
    assert corral("doctor", "-n", "ad").code == 0
