"""Bad input of every kind: one clear message, a non-zero exit, no traceback, nothing on disk."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import Corral, Result

pytestmark = pytest.mark.slow


def assert_clean_failure(res: Result, *needles: str, code: int = 1) -> None:
    """Failed with `code`, said every needle on stderr, showed no traceback."""
    assert res.code == code, (res.out, res.err)
    assert "Traceback" not in res.err and "Traceback" not in res.out
    for needle in needles:
        assert needle in res.err, res.err


def assert_store_has_no_env(corral: Corral, name: str) -> None:
    """No link, no generations: nothing half-written."""
    assert not corral.link(name).exists() and not corral.link(name).is_symlink()
    assert not (corral.root / "generations" / name).exists()


@pytest.mark.parametrize(
    ("specs", "needles"),
    [
        (["nosuch"], ["package 'nosuch' is not in the channels", "check the spelling"]),
        (["pythn"], ["package 'pythn' is not in the channels", "did you mean python"]),
        (["bad spec ]["], ["invalid package spec 'bad spec ]['"]),
        (["app>=5"], ["no version of 'app' matches 'app >=5'", "available versions: 1.0"]),
        (["app", "oldapp"], ["cannot be installed together", "oldapp", "liba >=2"]),
        (["needsnewglibc"], ["needsnewglibc 1.0 needs '__glibc >=99'", "has __glibc ", "CONDA_OVERRIDE_GLIBC="]),
    ],
)
def test_unusable_requests_explain_themselves_and_create_nothing(
    corral: Corral, channel: Path, specs: list[str], needles: list[str]
) -> None:
    res = corral("create", "-n", "bad", "-c", str(channel), *specs, "-y")
    assert_clean_failure(res, *needles)
    assert_store_has_no_env(corral, "bad")


def test_every_missing_package_of_a_request_is_named(corral: Corral, channel: Path) -> None:
    """conda names every requested spec the channels cannot match, not only the first.

    Pins conda/core/solve.py `_run_sat`: `absent_specs = [s for s in specs_map.values() if not
    ssc.r.find_matches(s)]` -> `PackagesNotFoundInChannelsError(absent_specs, ...)`: a missing
    name and a version no record has are listed together.
    """
    res = corral("create", "-n", "x", "-c", str(channel), "nosuch1", "nosuch2", "liba", "pythn", "app>=5", "-y")
    assert_clean_failure(res, "4 of the requested packages are not available from the channels")
    lines = res.err.splitlines()
    assert "  nosuch1: not in the channels; check the spelling" in lines
    assert "  nosuch2: not in the channels; check the spelling" in lines
    assert "  pythn: not in the channels; did you mean python?" in lines
    assert "  app >=5: no version matches; available versions: 1.0" in lines
    assert not any(line.strip().startswith("liba") for line in lines)  # found: not named
    doc = corral("create", "-n", "x", "-c", str(channel), "nosuch1", "nosuch2", "liba", "--json").json()
    assert doc["error"]["code"] == "package-not-found"
    assert [d.split(":")[0] for d in doc["error"]["details"]] == ["nosuch1", "nosuch2"]
    assert_store_has_no_env(corral, "x")


def test_missing_environment(corral: Corral) -> None:
    for args in (["list"], ["history"], ["install", "liba", "-y"], ["remove", "liba", "-y"], ["rollback", "-y"]):
        res = corral(*args, "-n", "ghost")
        assert_clean_failure(res, "environment 'ghost' does not exist", "corral env list")


def test_name_already_taken_keeps_the_environment(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "taken", "-c", str(channel), "liba", "-y").code == 0
    res = corral("create", "-n", "taken", "-c", str(channel), "app", "-y")
    assert_clean_failure(res, "environment 'taken' already exists", "corral install -n taken")
    assert [p["name"] for p in corral("list", "-n", "taken", "--json").json()["result"]["packages"]] == ["liba"]


def test_unreachable_and_missing_channels(corral: Corral, tmp_path: Path) -> None:
    res = corral("create", "-n", "x", "-c", str(tmp_path / "nowhere"), "liba", "-y")
    assert_clean_failure(res, "channel directory", "does not exist")
    (tmp_path / "empty").mkdir()
    res = corral("create", "-n", "x", "-c", str(tmp_path / "empty"), "liba", "-y")
    assert_clean_failure(res, "cannot read channel repodata", "noarch/repodata.json")
    res = corral("create", "-n", "x", "-c", "http://127.0.0.1:9/nothing", "liba", "-y")
    assert_clean_failure(res, "cannot read channel repodata", "network")
    assert_store_has_no_env(corral, "x")


def test_bad_names_and_usage(corral: Corral, channel: Path) -> None:
    assert_clean_failure(corral("create", "-n", "bad/name", "liba", "-y"), "invalid environment name", code=2)
    assert_clean_failure(corral("list"), "name the environment with -n NAME or -p PATH", code=2)
    res = corral("frobnicate")
    assert res.code == 2 and "invalid choice" in res.err


def test_removing_what_is_not_installed(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "rm", "-c", str(channel), "app", "-y").code == 0
    assert_clean_failure(corral("remove", "-n", "rm", "oldapp", "-y"), "'oldapp' is not installed")
    assert corral("history", "-n", "rm", "--json").json()["result"]["current"] == 1


@pytest.mark.parametrize(
    ("override", "needles"),
    [
        ("", ["the request asks for '__cuda >=12', and this machine has no __cuda", "CONDA_OVERRIDE_CUDA=12.0"]),
        ("11.8", ["the request asks for '__cuda >=12', and this machine has __cuda 11.8", "CONDA_OVERRIDE_CUDA=12.0"]),
    ],
)
def test_a_virtual_package_the_machine_lacks_is_named_with_its_override(
    corral: Corral, channel: Path, override: str, needles: list[str]
) -> None:
    """Not "not in the channels": the machine lacks it (CONDA_OVERRIDE_CUDA="" removes __cuda, as in conda)."""
    env = {"CONDA_OVERRIDE_CUDA": override}
    res = corral("create", "-n", "v", "-c", str(channel), "liba", "__cuda>=12", "-y", extra_env=env)
    assert_clean_failure(res, *needles)
    assert "not in the channels" not in res.err and "check the spelling" not in res.err
    assert_store_has_no_env(corral, "v")


def test_virtual_packages_of_other_platforms_and_unknown_ones(corral: Corral, channel: Path) -> None:
    """CONDA_OVERRIDE_WIN does not add __win on linux-64 (conda/plugins/virtual_packages/windows.py)."""
    res = corral("create", "-n", "v", "-c", str(channel), "__win", "-y", extra_env={"CONDA_OVERRIDE_WIN": "10"})
    assert_clean_failure(res, "'__win', which exists only on win-* platforms", "--platform win-64")
    res = corral("create", "-n", "v", "-c", str(channel), "__glibcc>=2", "-y")
    assert_clean_failure(res, "a virtual package conda does not define", "__glibc")
    res = corral("create", "-n", "v", "-c", str(channel), "liba", "-y", extra_env={"CONDA_OVERRIDE_GLIBC": "2.x.!"})
    assert_clean_failure(res, "CONDA_OVERRIDE_GLIBC='2.x.!' is not a valid __glibc value", "unset it", code=1)
    assert_store_has_no_env(corral, "v")


def test_the_override_named_in_the_hint_makes_the_package_installable(corral: Corral, channel: Path) -> None:
    """CONDA_OVERRIDE_GLIBC sets __glibc's version, as conda/plugins/virtual_packages/linux.py does."""
    args = ("create", "-n", "g", "-c", str(channel), "needsnewglibc", "-y")
    res = corral(*args, extra_env={"CONDA_OVERRIDE_GLIBC": ""})
    assert_clean_failure(res, "needsnewglibc 1.0 needs '__glibc >=99', and this machine has no __glibc")
    res = corral(*args, extra_env={"CONDA_OVERRIDE_GLIBC": "99.0"})
    assert res.code == 0, res.err
    assert corral("history", "-n", "g", "--json").json()["result"]["current"] == 1


def test_errors_have_a_json_form(corral: Corral, channel: Path) -> None:
    res = corral("create", "-n", "j", "-c", str(channel), "nosuch", "--json")
    assert res.code == 1
    doc = res.json()
    assert doc["ok"] is False and doc["schema"] == 1
    assert doc["error"]["code"] == "package-not-found" and doc["error"]["hint"]


def test_bad_config_file_names_the_file(corral: Corral, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("keep-generations = 0\n")
    res = corral("info", extra_env={"CORRAL_CONFIG": str(config)})
    assert_clean_failure(res, "keep-generations", str(config))
    config.write_text("color = 1\n")
    assert_clean_failure(corral("info", extra_env={"CORRAL_CONFIG": str(config)}), "unknown setting 'color'")


def test_runaway_solver_is_stopped_with_a_clear_error(corral: Corral, channel: Path) -> None:
    # A 1 MB bound trips at once: the watchdog path, end to end, without a real runaway solve.
    res = corral("create", "-n", "w", "-c", str(channel), "app", "-y", extra_env={"CORRAL_SOLVE_MEMORY_MB": "1"})
    assert_clean_failure(res, "the solver used more than 1 MB", "nothing was changed")
    assert_store_has_no_env(corral, "w")


def test_solver_timeout_is_a_limit_not_a_conflict(corral: Corral, channel: Path) -> None:
    res = corral(
        "create", "-n", "t", "-c", str(channel), "python", "app", "-y", extra_env={"CORRAL_SOLVE_TIMEOUT": "1e-6"}
    )
    assert_clean_failure(res, "did not finish within", "CORRAL_SOLVE_TIMEOUT")
    assert "cannot be installed together" not in res.err
    assert_store_has_no_env(corral, "t")


def test_virtual_package_overrides_are_honoured(corral: Corral, channel: Path) -> None:
    info = corral("info", "--json", extra_env={"CONDA_OVERRIDE_GLIBC": "2.17", "CONDA_OVERRIDE_CUDA": "12.4"}).json()
    virtual = info["result"]["virtual_packages"]
    assert "__glibc=2.17=0" in virtual and any(v.startswith("__cuda=12.4") for v in virtual)
    res = corral(
        "create", "-n", "g", "-c", str(channel), "needsnewglibc", "-y", extra_env={"CONDA_OVERRIDE_GLIBC": "99.1"}
    )
    assert res.code == 0, res.err


def test_version_does_not_import_rattler(corral: Corral) -> None:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "corral", "--version"],
        capture_output=True,
        text=True,
        env=corral.env,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("corral ")
    assert "rattler" not in proc.stderr


def test_a_lock_names_the_virtual_package_its_target_lacks(corral: Corral, channel: Path) -> None:
    """A lock solves against the platform's default virtual packages, not this machine's: the hint is
    system-requirements, not CONDA_OVERRIDE_*."""
    (corral.cwd / "env.yml").write_text(f"channels: [{channel}]\ndependencies: [needsnewglibc]\n")
    res = corral("lock", "-f", "env.yml", "--platform", "linux-64")
    assert_clean_failure(res, "for linux-64: needsnewglibc 1.0 needs '__glibc >=99', and the lock's target has __glibc")
    assert "system-requirements" in res.err and "CONDA_OVERRIDE" not in res.err
    assert not (corral.cwd / "corral.lock").exists()
