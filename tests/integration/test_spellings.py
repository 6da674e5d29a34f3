"""conda's and pip's spellings that people type from habit, Dockerfiles and READMEs (issue 18), through the real CLI.

Pinned conda behaviour (conda/cli/main_list.py, main_remove.py, main_clean.py, main_run.py, helpers.py):
- `conda list --export` prints `print_export_header` (its first two lines verbatim, `# platform: SUBDIR`),
  then `name=version=build` per record, PyPI records as `=pypi_0` (PrefixData interoperability);
- `conda list --explicit` prints `@EXPLICIT` and each URL, `#md5` / `#sha256` with --md5 / --sha256;
- `conda remove -n ENV --all` removes the environment; `conda info --envs` lists environments;
- `conda clean -i/-p/-t` each remove one kind; `conda run --no-capture-output` streams the output;
- `--override-channels` needs a channel ("--override-channels requires -c"); `--freeze-installed`
  keeps installed packages, failing instead of retrying a flexible solve.
Where corral differs: `--no-deps`/`--only-deps`, pip's `--user`, `--pre` and `--no-build-isolation` are refused
with the reason; `=pypi_0` lines are read back as PyPI pins (conda itself cannot install them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import index_channel, simple_package, write_conda_package

pytestmark = pytest.mark.slow


def _pypi(wheels: Path) -> list[str]:
    return ["--no-index", "--find-links", str(wheels)]


def test_list_export_round_trips_through_create_file(corral: Corral, channel: Path, wheels: Path) -> None:
    made = corral("create", "-n", "src", "-c", str(channel), "python", "liba=1.0", "--pip", "six", *_pypi(wheels), "-y")
    assert made.code == 0, made.err
    exported = corral("list", "-n", "src", "--export")
    assert exported.code == 0, exported.err
    lines = exported.out.splitlines()
    assert lines[:2] == [
        "# This file may be used to create an environment using:",
        "# $ conda create --name <env> --file <this file>",
    ]
    assert lines[2].startswith("# platform: linux-") and lines[3].startswith("# created-by: corral")
    assert "liba=1.0=0" in lines and "six=1.17.0=pypi_0" in lines
    body = [line for line in lines if not line.startswith("#")]
    assert body == sorted(body, key=str.lower)  # sorted by name, conda and PyPI together, as conda lists them
    spec = corral.cwd / "spec.txt"
    spec.write_text(exported.out)
    copy = corral("create", "-n", "copy", "-c", str(channel), "--file", str(spec), *_pypi(wheels), "-y")
    assert copy.code == 0, copy.err
    listed = corral("list", "-n", "copy", "--json").json()["result"]["packages"]
    assert {(p["name"], p["version"]) for p in listed} >= {("liba", "1.0"), ("six", "1.17.0")}


def test_list_explicit_hashes_and_the_whole_environment_commands(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "ex", "-c", str(channel), "liba=1.0", "-y").code == 0
    md5 = corral("list", "-n", "ex", "--explicit", "--md5")
    assert md5.code == 0 and "@EXPLICIT" in md5.out
    url = next(line for line in md5.out.splitlines() if "liba-1.0-0" in line)
    assert url.startswith("file://") and len(url.rsplit("#", 1)[1]) == 32
    sha = corral("list", "-n", "ex", "--explicit", "--sha256")
    assert len(next(line for line in sha.out.splitlines() if "liba-1.0-0" in line).rsplit("#", 1)[1]) == 64
    both = corral("list", "-n", "ex", "--explicit", "--md5", "--sha256")
    assert both.code == 2 and "choose one" in both.err
    envs = corral("info", "--envs")
    assert envs.code == 0 and "ex" in envs.out and str(corral.link("ex")) in envs.out
    named = corral("remove", "-n", "ex", "--all", "liba", "-y")
    assert named.code == 2 and "takes no package names" in named.err and corral.link("ex").exists()
    gone = corral("remove", "-n", "ex", "--all", "-y")
    assert gone.code == 0 and "Removed ex" in gone.out and not corral.link("ex").exists()


def test_install_file_and_freeze_installed(corral: Corral, tmp_path: Path) -> None:
    chan = tmp_path / "chan"
    write_conda_package(chan, simple_package("libx", "1.0"))
    write_conda_package(chan, simple_package("usex", "1.0", ["libx"]))
    index_channel(chan)
    assert corral("create", "-n", "fz", "-c", str(chan), "usex", "-y").code == 0  # libx 1.0, not requested
    write_conda_package(chan, simple_package("libx", "2.0"))
    write_conda_package(chan, simple_package("newer", "1.0", ["libx >=2"]))
    index_channel(chan)
    wants = corral.cwd / "more.txt"
    wants.write_text("# conda's spec list\nnewer\n")
    frozen = corral("install", "-n", "fz", "--file", str(wants), "--freeze-installed", "-y")
    assert frozen.code == 1 and "--freeze-installed" in frozen.err and "Traceback" not in frozen.err, frozen.err
    assert corral.link("fz").resolve().name == "1"
    moved = corral("install", "-n", "fz", "--file", str(wants), "-y")  # conda's flexible retry moves libx
    assert moved.code == 0, moved.err
    versions = {p["name"]: p["version"] for p in corral("list", "-n", "fz", "--json").json()["result"]["packages"]}
    assert versions["newer"] == "1.0" and versions["libx"] == "2.0"
    needs = corral("install", "-n", "fz", "--override-channels", "libx")
    assert needs.code == 2 and "needs at least one channel" in needs.err


def test_pip_install_upgrade_and_the_flags_dockerfiles_pass(corral: Corral, channel: Path, wheels: Path) -> None:
    made = corral("create", "-n", "up", "--python", "3.12", "--pip", "tinylib==1.0", *_pypi(wheels), "-y")
    assert made.code == 0, made.err
    noisy = ["--no-cache-dir", "--disable-pip-version-check", "--root-user-action", "ignore", "--progress-bar", "off"]
    up = corral("pip", "install", "-n", "up", "-U", "tinylib", *noisy, *_pypi(wheels), "-y", "-q")
    assert up.code == 0, up.err
    assert "Installing" not in up.err  # -q: no progress
    versions = {p["name"]: p["version"] for p in corral("list", "-n", "up", "--json").json()["result"]["packages"]}
    assert versions["tinylib"] == "2.0"
    ran = corral("run", "--no-capture-output", "-n", "up", "python", "-c", "import tinylib; print(tinylib.VERSION)")
    assert ran.code == 0 and "2.0" in ran.out, ran.err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["pip", "install", "--user", "six"], "--user is not supported"),
        (["pip", "install", "--no-deps", "six"], "--no-deps is not supported"),
        (["pip", "install", "--pre", "six"], "name the pre-release in the requirement"),
        (["pip", "install", "--no-build-isolation", "six"], "install a wheel of the package"),
        (["pip", "install", "--target", "/tmp/somewhere", "six"], "only into environments"),
        (["install", "--no-deps", "liba"], "without its dependencies"),
    ],
)
def test_habits_corral_does_not_follow_are_refused_with_the_reason(
    corral: Corral, channel: Path, argv: list[str], says: str
) -> None:
    assert corral("create", "-n", "r", "-c", str(channel), "liba=1.0", "-y").code == 0
    res = corral(*argv[:2], "-n", "r", *argv[2:], "-y") if argv[0] == "pip" else corral(argv[0], "-n", "r", *argv[1:])
    assert res.code == 2 and says in res.err and "hint:" in res.err and "Traceback" not in res.err, res.err
    assert corral.link("r").resolve().name == "1"


def test_clean_removes_only_the_kind_asked_for(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "c1", "-c", str(channel), "liba=1.0", "-y").code == 0
    assert corral("env", "remove", "-n", "c1", "-y").code == 0
    everything = {r["kind"] for r in corral("clean", "--dry-run", "--json").json()["result"]["items"]}
    assert "conda package" in everything, everything
    packages_only = corral("clean", "-p", "--dry-run", "--json")
    assert packages_only.code == 0, packages_only.err
    assert {r["kind"] for r in packages_only.json()["result"]["items"]} == {"conda package"}
    index_only = corral("clean", "-i", "--dry-run", "--json").json()["result"]["items"]
    assert {r["kind"] for r in index_only} <= {"repodata"}  # a file:// channel's index may not be cached at all
    tarballs = corral("clean", "-t", "--dry-run", "--json").json()["result"]["items"]
    assert {r["kind"] for r in tarballs} <= {"conda download"}
