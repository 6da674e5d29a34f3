"""Locks end to end: multi-platform corral.lock, frozen installs with hash checks, --check, --update, interop."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Corral
from tests.support.channel import FileEntry, PackageDef, index_channel, simple_package, write_conda_package
from tests.support.cpython import CPythonUnavailable, add_cached_cpython
from tests.support.pypi import write_wheel
from tests.support.wheels import noarch_python_from_dist

pytestmark = pytest.mark.slow
PLATFORMS = ("linux-64", "osx-arm64", "win-64")


def _native(subdir: str, depends: tuple[str, ...] = ()) -> PackageDef:
    return PackageDef(
        name="native", version="1.0", build=f"h_{subdir.replace('-', '_')}", subdir=subdir, noarch=None, depends=depends
    )


@pytest.fixture
def lock_channel(tmp_path: Path, pytestconfig: pytest.Config) -> Path:
    """A channel with packages for linux-64 (a real CPython), osx-arm64 and win-64, and noarch ones."""
    chan = tmp_path / "lockchan"
    assert pytestconfig.cache is not None
    try:
        add_cached_cpython(chan, Path(pytestconfig.cache.mkdir("corral-cpython")), hardlink=True)
    except CPythonUnavailable as exc:
        pytest.skip(f"no CPython to package: {exc}")
    for subdir in ("osx-arm64", "win-64"):
        write_conda_package(
            chan, PackageDef(name="python", version="3.12.1", build="0_fake", subdir=subdir, noarch=None)
        )
    write_conda_package(chan, _native("linux-64", ("__glibc >=2.17",)))
    write_conda_package(chan, _native("osx-arm64", ("__osx >=11.0",)))
    write_conda_package(chan, _native("win-64"))
    write_conda_package(chan, simple_package("liba", "1.0"))
    write_conda_package(chan, simple_package("app", "1.0", ["liba"]))
    write_conda_package(chan, simple_package("gpukernel", "1.0", ["__cuda >=12"]))
    write_conda_package(chan, noarch_python_from_dist("platformdirs"))
    index_channel(chan)
    return chan


@pytest.fixture
def wheel_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lockwheels"
    write_wheel(folder, "six", "1.17.0", modules={"six.py": "VERSION = '1.17.0'\n"})
    write_wheel(folder, "tinylib", "1.0")
    return folder


def env_file(folder: Path, channel: Path, wheels: Path, extra: str = "") -> Path:
    path = folder / "environment.yml"
    path.write_text(
        f"""name: ml
channels: [{channel}]
dependencies:
  - python=3.12
  - app
  - native
  - platformdirs
  - pip:
    - --no-index
    - --find-links {wheels}
    - six
    - tinylib
{extra}"""
    )
    return path


def lock(corral: Corral, *args: str) -> str:
    result = corral("lock", "-v", *args)
    assert result.code == 0, result.err
    return result.out


def packages(corral: Corral, env: str) -> dict[str, tuple[str, str]]:
    result = corral("list", "-n", env, "--json")
    assert result.code == 0, result.err
    return {p["name"]: (p["version"], p["build"]) for p in result.json()["result"]["packages"]}


def test_three_platform_lock_is_deterministic_and_complete(corral: Corral, lock_channel: Path, wheel_dir: Path) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    flags = [arg for p in PLATFORMS for arg in ("--platform", p)]
    out = lock(corral, "-f", str(source), *flags)
    assert "linux-64: 5 conda + 2 PyPI" in out
    first = (corral.cwd / "corral.lock").read_bytes()
    (corral.cwd / "corral.lock").unlink()
    lock(corral, "-f", str(source), *flags)
    assert (corral.cwd / "corral.lock").read_bytes() == first  # same inputs, same bytes
    assert "Lock unchanged" in lock(corral, "-f", str(source))  # platforms kept from the lock

    data = yaml.safe_load(first)
    assert data["input"]["sources"] == ["environment.yml"]
    assert sorted(data["platforms"]) == sorted(PLATFORMS)
    for platform in PLATFORMS:
        section = data["platforms"][platform]
        native = next(e for e in section["conda"] if e["name"] == "native")
        assert native["subdir"] == platform and native["url"].endswith(
            f"native-1.0-h_{platform.replace('-', '_')}.tar.bz2"
        )
        python = next(e for e in section["conda"] if e["name"] == "python")
        assert python["version"] == "3.12.1" == section["python"]
        for entry in section["conda"]:
            digest = hashlib.sha256(Path(entry["url"].removeprefix("file://")).read_bytes()).hexdigest()
            assert entry["sha256"] == digest and len(entry["md5"]) == 32 and entry["size"] > 0
        assert [p["name"] for p in section["pypi"]] == ["six", "tinylib"]
        assert all(len(p["wheels"][0]["sha256"]) == 64 for p in section["pypi"])
    assert "__glibc=2.28=0" in data["platforms"]["linux-64"]["virtual-packages"]
    assert "__osx=13.0=0" in data["platforms"]["osx-arm64"]["virtual-packages"]
    assert "__win=0=0" in data["platforms"]["win-64"]["virtual-packages"]


def test_frozen_install_equals_solved_install_and_runs(corral: Corral, lock_channel: Path, wheel_dir: Path) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    lock(corral, "-f", str(source))
    made = corral("create", "-f", str(source), "-n", "solved", "-y")
    assert made.code == 0, made.err
    frozen = corral("create", "-n", "frozen", "--lock", "corral.lock", "-y")
    assert frozen.code == 0, frozen.err
    assert packages(corral, "frozen") == packages(corral, "solved")
    run = __import__("subprocess").run(
        [str(corral.link("frozen") / "bin" / "python"), "-c", "import six, tinylib, platformdirs; print('ok')"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.stdout.strip() == "ok", run.stderr
    # The environment keeps its lock: exporting it gives the same section back.
    exported = yaml.safe_load(corral("export", "-n", "frozen", "--format", "lock").out)
    assert (
        exported["platforms"]["linux-64"]
        == yaml.safe_load((corral.cwd / "corral.lock").read_text())["platforms"]["linux-64"]
    )
    # A solved environment's lock, installed frozen, gives the same packages again.
    again = corral("export", "-n", "solved", "--format", "lock", "-o", "solved.lock")
    assert again.code == 0, again.err
    third = corral("create", "-n", "third", "--lock", "solved.lock", "-y")
    assert third.code == 0, third.err
    assert packages(corral, "third") == packages(corral, "solved")


def test_tampered_hashes_are_refused_and_nothing_is_created(
    corral: Corral, lock_channel: Path, wheel_dir: Path
) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    lock(corral, "-f", str(source))
    text = (corral.cwd / "corral.lock").read_text()
    data = yaml.safe_load(text)
    liba = next(e for e in data["platforms"]["linux-64"]["conda"] if e["name"] == "liba")
    edited = text.replace(liba["sha256"], "ab" * 32)
    (corral.cwd / "edited.lock").write_text(edited)
    refused = corral("create", "-n", "bad", "--lock", "edited.lock", "-y")
    assert refused.code == 1
    assert "liba-1.0-0" in refused.err and "do not match their recorded sha256" in refused.err
    assert not corral.link("bad").exists() and not (corral.root / "generations" / "bad").exists()

    # The channel's file changes under the lock: refused too.
    archive = Path(liba["url"].removeprefix("file://"))
    rebuilt = {"share/liba/liba.txt": FileEntry(b"rebuilt\n")}
    write_conda_package(lock_channel, PackageDef(name="liba", version="1.0", files=rebuilt))
    assert hashlib.sha256(archive.read_bytes()).hexdigest() != liba["sha256"]
    refused = corral("create", "-n", "bad", "--lock", "corral.lock", "-y")
    assert refused.code == 1 and "liba-1.0-0" in refused.err

    # A wheel that changed is refused by uv's hash check, and nothing is created.
    write_conda_package(lock_channel, simple_package("liba", "1.0"))
    write_wheel(wheel_dir, "tinylib", "1.0", modules={"tinylib/__init__.py": "VERSION = 'evil'\n"})
    refused = corral("create", "-n", "bad", "--lock", "corral.lock", "-y")
    assert refused.code == 1 and "hash" in refused.err.lower(), refused.err
    assert not corral.link("bad").exists()


def test_offline_frozen_install_from_the_caches(corral: Corral, lock_channel: Path, wheel_dir: Path) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    lock(corral, "-f", str(source))
    first = corral("create", "-n", "one", "--lock", "corral.lock", "-y")
    assert first.code == 0, first.err
    shutil.rmtree(lock_channel)  # the channel is gone; the package cache remains
    second = corral("create", "-n", "two", "--lock", "corral.lock", "-y", "--offline")
    assert second.code == 0, second.err
    assert packages(corral, "two") == packages(corral, "one")


def test_check_says_what_changed(corral: Corral, lock_channel: Path, wheel_dir: Path) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    lock(corral, "-f", str(source), "--platform", "linux-64", "--platform", "win-64")
    assert "up to date" in lock(corral, "-f", str(source), "--check")
    source.write_text(source.read_text().replace("  - app\n", "  - app\n  - liba=1.0\n").replace("    - six\n", ""))
    stale = corral("lock", "-f", str(source), "--check")
    assert stale.code == 1
    assert "+ conda spec liba 1.0.*" in stale.err and "- PyPI requirement six" in stale.err
    missing = corral("lock", "-f", str(source), "--check", "--platform", "osx-arm64", "--json")
    assert missing.code == 1 and missing.json()["error"]["code"] == "stale-lock"
    assert any("osx-arm64 is not in the lock" in d for d in missing.json()["error"]["details"])


def test_update_moves_only_what_it_names(corral: Corral, lock_channel: Path, wheel_dir: Path) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    lock(corral, "-f", str(source))
    write_conda_package(lock_channel, simple_package("liba", "2.0"))
    write_conda_package(lock_channel, simple_package("app", "2.0", ["liba"]))
    index_channel(lock_channel)
    write_wheel(wheel_dir, "tinylib", "2.0")
    write_wheel(wheel_dir, "six", "1.18.0", modules={"six.py": "VERSION = '1.18.0'\n"})
    assert "Lock unchanged" in lock(corral, "-f", str(source))  # newer versions alone move nothing
    out = lock(corral, "-f", str(source), "--update", "liba", "tinylib")
    assert "liba 1.0=0 -> 2.0=0" in out and "tinylib (pypi) 1.0 -> 2.0" in out
    section = yaml.safe_load((corral.cwd / "corral.lock").read_text())["platforms"]["linux-64"]
    versions = {e["name"]: e["version"] for e in section["conda"] + section["pypi"]}
    assert versions["liba"] == "2.0" and versions["tinylib"] == "2.0"
    assert versions["app"] == "1.0" and versions["six"] == "1.17.0"


def test_system_requirements_and_machine_checks(corral: Corral, lock_channel: Path, wheel_dir: Path) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    source.write_text(source.read_text().replace("  - native\n", "  - native\n  - gpukernel\n"))
    refused = corral("lock", "-f", str(source))
    assert refused.code == 1 and "for linux-64" in refused.err and "__cuda" in refused.err
    source.write_text(source.read_text() + "system-requirements:\n  cuda: '12.0'\n")
    lock(corral, "-f", str(source))
    data = yaml.safe_load((corral.cwd / "corral.lock").read_text())
    assert "__cuda=12.0=0" in data["platforms"]["linux-64"]["virtual-packages"]
    # This machine has no CUDA: the frozen install says so before linking anything.
    no_gpu = corral("create", "-n", "gpu", "--lock", "corral.lock", "-y", extra_env={"CONDA_OVERRIDE_CUDA": ""})
    assert no_gpu.code == 1 and "gpukernel-1.0-0 needs __cuda >=12" in no_gpu.err
    assert not corral.link("gpu").exists()


def test_lock_errors_name_the_problem(corral: Corral, lock_channel: Path, wheel_dir: Path) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    lock(corral, "-f", str(source), "--platform", "win-64")
    other = corral("create", "-n", "x", "--lock", "corral.lock", "-y")
    assert other.code == 1 and "no section for this machine's platform linux-64" in other.err
    assert "--platform linux-64" in other.err
    text = (corral.cwd / "corral.lock").read_text()
    (corral.cwd / "broken.lock").write_text(text.replace("platforms:", "platforms: [", 1))
    broken = corral("create", "-n", "x", "--lock", "broken.lock", "-y")
    assert broken.code == 1 and "broken.lock:" in broken.err and "not valid YAML" in broken.err
    (corral.cwd / "edited.lock").write_text(text.replace("name: native", "name: nativ"))
    edited = corral("create", "-n", "x", "--lock", "edited.lock", "-y", "--json")
    assert edited.code == 1 and edited.json()["error"]["code"] == "bad-lock"
    assert "win-64.conda[" in edited.json()["error"]["message"] and "(nativ)" in edited.json()["error"]["message"]
    (corral.cwd / "input.lock").write_text(text.replace("- six", "- seven", 1))
    assert "edited by hand" in corral("create", "-n", "x", "--lock", "input.lock", "-y").err
    assert "unknown platform 'linux-32'" in corral("lock", "-f", str(source), "--platform", "linux-32").err
    mixed = corral("create", "-n", "x", "--lock", "corral.lock", "numpy")
    assert mixed.code == 2 and "does not take SPEC" in mixed.err
    assert not corral.link("x").exists()


def test_pixi_and_conda_lock_round_trips(corral: Corral, lock_channel: Path, wheel_dir: Path) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    lock(corral, "-f", str(source), "--platform", "linux-64", "--platform", "osx-arm64")
    original = yaml.safe_load((corral.cwd / "corral.lock").read_text())
    for fmt in ("pixi.lock", "conda-lock.yml"):
        out = corral("export", "--lock", "corral.lock", "--format", fmt, "-o", fmt)
        assert out.code == 0, out.err
        back = corral("lock", "--from", fmt, "-f", str(source), "-o", f"from-{fmt}.lock")
        assert back.code == 0, back.err
        imported = yaml.safe_load((corral.cwd / f"from-{fmt}.lock").read_text())
        for platform in ("linux-64", "osx-arm64"):
            want, got = original["platforms"][platform], imported["platforms"][platform]
            key = ("name", "version", "build", "url", "sha256", "md5")
            assert [{k: e[k] for k in key} for e in got["conda"]] == [{k: e[k] for k in key} for e in want["conda"]]
            assert [(p["name"], p["version"], p["wheels"]) for p in got["pypi"]] == [
                (p["name"], p["version"], p["wheels"]) for p in want["pypi"]
            ]
        made = corral("create", "-n", fmt.split(".")[0], "--lock", f"from-{fmt}.lock", "-y")
        assert made.code == 0, made.err
    pixi = yaml.safe_load((corral.cwd / "pixi.lock").read_text())
    assert pixi["version"] >= 6 and "default" in pixi["environments"]
    assert all("sha256" in p for p in pixi["packages"])
    conda_lock = yaml.safe_load((corral.cwd / "conda-lock.yml").read_text())
    assert conda_lock["version"] == 1 and set(conda_lock["metadata"]["platforms"]) == {"linux-64", "osx-arm64"}


def test_exports_from_a_lock(corral: Corral, lock_channel: Path, wheel_dir: Path) -> None:
    source = env_file(corral.cwd, lock_channel, wheel_dir)
    lock(corral, "-f", str(source), "--platform", "linux-64", "--platform", "win-64")
    explicit = corral("export", "--lock", "corral.lock", "--format", "explicit", "--platform", "win-64")
    assert explicit.code == 0, explicit.err
    assert "# platform: win-64" in explicit.out and "native-1.0-h_win_64.tar.bz2#" in explicit.out
    reqs = corral("export", "--lock", "corral.lock", "--format", "requirements.txt")
    assert "six==1.17.0" in reqs.out and "--hash=sha256:" in reqs.out
    (corral.cwd / "explicit.txt").write_text(corral("export", "--lock", "corral.lock", "--format", "explicit").out)
    made = corral("create", "-n", "fromexplicit", "-f", "explicit.txt", "-y")
    assert made.code == 0, made.err
    data = json.loads(corral("list", "-n", "fromexplicit", "--json").out)
    assert {p["name"] for p in data["result"]["packages"]} >= {"python", "native", "app", "liba", "platformdirs"}


def test_pypi_only_lock_on_a_found_python(corral: Corral, wheel_dir: Path) -> None:
    source = corral.cwd / "api.yml"
    source.write_text(
        f'name: api\npython: "3.12"\ndependencies:\n  - pip:\n    - --no-index\n    - --find-links {wheel_dir}\n'
        "    - six\n    - tinylib\n"
    )
    lock(corral, "-f", str(source), "--platform", "linux-64", "--platform", "win-64")
    data = yaml.safe_load((corral.cwd / "corral.lock").read_text())
    assert data["platforms"]["win-64"]["python"] == "3.12" and not data["platforms"]["win-64"]["conda"]
    made = corral("create", "-n", "api", "--lock", "corral.lock", "-y")
    assert made.code == 0, made.err
    assert packages(corral, "api") == {"six": ("1.17.0", ""), "tinylib": ("1.0", "")}
    # A solved PyPI-only environment's lock (uv looks the artifacts up) installs the same.
    solved = corral("create", "-n", "api2", "-f", str(source), "-y")
    assert solved.code == 0, solved.err
    assert corral("export", "-n", "api2", "--format", "lock", "-o", "api2.lock").code == 0
    again = corral("create", "-n", "api3", "--lock", "api2.lock", "-y")
    assert again.code == 0, again.err
    assert packages(corral, "api3") == packages(corral, "api2")


def test_create_lock_refuses_records_that_do_not_hold_together(corral: Corral, lock_channel: Path) -> None:
    """A hand-edited lock whose records do not meet each other's depends/constrains, or are of another platform.

    Pins conda's consistency rules (conda/plugins/subcommands/doctor/health_checks/consistency.py):
    a dependency needs a record of its name that matches; a constraint binds only when its
    package is there. Virtual packages are left to the machine check (test above).
    """
    write_conda_package(lock_channel, simple_package("liba", "2.0"))
    write_conda_package(lock_channel, PackageDef(name="guard", version="1.0", constrains=("liba <2",)))
    index_channel(lock_channel)
    (corral.cwd / "environment.yml").write_text(f"channels: [{lock_channel}]\ndependencies: [app, guard, native]\n")
    lock(corral, "-f", "environment.yml", "--platform", "linux-64", "--platform", "osx-arm64")
    newer = corral.cwd / "newer"
    newer.mkdir()
    (newer / "environment.yml").write_text(f"channels: [{lock_channel}]\ndependencies: [liba=2.0]\n")
    lock(corral, "-f", str(newer / "environment.yml"))
    data = yaml.safe_load((corral.cwd / "corral.lock").read_text())
    liba2 = yaml.safe_load((newer / "corral.lock").read_text())["platforms"]["linux-64"]["conda"][0]
    osx_native = next(e for e in data["platforms"]["osx-arm64"]["conda"] if e["name"] == "native")

    def edited(label: str, name: str, replacement: dict[str, Any] | None) -> str:
        """The lock with the linux-64 record of `name` replaced (or dropped), written as LABEL.lock."""
        copy = yaml.safe_load(yaml.safe_dump(data))
        section = copy["platforms"]["linux-64"]["conda"]
        section[:] = [e for e in (replacement if e["name"] == name else e for e in section) if e is not None]
        (corral.cwd / f"{label}.lock").write_text(yaml.safe_dump(copy, sort_keys=False))
        return f"{label}.lock"

    cases = {
        edited("dropped", "liba", None): "app 1.0 0: needs liba; no liba is locked",
        edited("bumped", "liba", liba2): "guard 1.0 0: constrains liba <2; locked: liba 2.0 0",
        edited("foreign", "native", osx_native): "native 1.0 h_osx_arm64: is built for osx-arm64, not linux-64",
    }
    for path, unmet in cases.items():
        refused = corral("create", "-n", "x", "--lock", path, "-y", "--json")
        assert refused.code == 1, path
        error = refused.json()["error"]
        assert error["code"] == "bad-lock" and "does not hold together" in error["message"]
        assert error["details"] == [unmet]
        assert error["hint"] == "make the lock again: corral lock -f environment.yml"
        assert not corral.link("x").exists() and not (corral.root / "generations" / "x").exists()
    text = corral("create", "-n", "x", "--lock", "dropped.lock", "-y")
    assert "app 1.0 0: needs liba; no liba is locked" in text.err and "corral lock -f environment.yml" in text.err
    assert corral("create", "-n", "x", "--lock", "corral.lock", "-y").code == 0  # the lock as made holds together
