"""corral doctor on real environments damaged in each way it checks, and --fix restoring them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Corral
from tests.support.channel import PLACEHOLDER, FileEntry, PackageDef, index_channel, simple_package, write_conda_package
from tests.support.cpython import CPythonUnavailable, add_cached_cpython

pytestmark = pytest.mark.slow


def ok(corral: Corral, *args: str) -> str:
    result = corral(*args)
    assert result.code == 0, result.err
    return result.out


def doctor(corral: Corral, *args: str) -> tuple[int, dict[str, Any]]:
    result = corral("doctor", *args, "--json")
    return result.code, result.json()["result"]


def problems(document: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [p for env in document["environments"] for p in env["problems"] if p["check"] == check]


@pytest.fixture
def ml(corral: Corral, channel: Path, wheels: Path) -> Corral:
    """`ml`: CPython and platformdirs from conda, six and tinyapp (+ tinylib) from wheels; `other` shares the cache."""
    ok(
        corral,
        "create",
        "-n",
        "ml",
        "-c",
        str(channel),
        "python=3.12",
        "platformdirs",
        "liba=1.0",
        "--pip",
        "six",
        "tinyapp",
        "--no-index",
        "--find-links",
        str(wheels),
        "-y",
    )
    ok(corral, "create", "-n", "other", "-c", str(channel), "python=3.12", "platformdirs", "-y")
    return corral


def site(corral: Corral, env: str = "ml") -> Path:
    return corral.link(env) / "lib" / "python3.12" / "site-packages"


def runs(corral: Corral, env: str = "ml") -> bool:
    code = "import platformdirs, six, tinyapp; tinyapp.main()" if env == "ml" else "import platformdirs"
    return corral("run", "-n", env, "python", "-c", code).code == 0


def test_healthy_environment_and_stable_json(ml: Corral) -> None:
    code, document = doctor(ml, "-n", "ml")
    assert code == 0 and document["healthy"] is True
    env = document["environments"][0]
    assert set(env) == {"env", "path", "generation", "healthy", "counts", "problems"}
    assert env["env"] == "ml" and env["generation"] == 1 and env["problems"] == []
    assert set(env["counts"]) == {
        "broken-link",
        "damaged-record",
        "damaged-history",
        "missing-file",
        "modified-file",
        "edited-file",
        "unreadable-file",
        "untracked-file",
        "foreign-dist",
        "conda-dist-overwritten",
        "lock-drift",
        "inconsistent",
        "broken-symlink",
        "broken-entry-point",
        "cache-damage",
    }
    assert "healthy" in ml("doctor", "--all").out


def test_damage_is_named_and_fix_restores_a_working_environment(ml: Corral, wheels: Path) -> None:
    packages = site(ml)
    (packages / "platformdirs" / "version.py").open("a").write("# edited in place\n")  # a hardlink of the cache
    (ml.link("ml") / "share" / "liba" / "liba.txt").unlink()
    (packages / "six.py").write_text("raise SystemExit('tampered')\n")  # replaced: a new inode, only here
    (packages / "tinylib" / "__init__.py").unlink()
    (packages / "tinyapp" / "__init__.py").open("a").write("# edited\n")  # a hardlink of uv's cache
    (packages / "notes.txt").write_text("mine\n")
    os.symlink("/nonexistent/target", ml.link("ml") / "bin" / "dangling")
    script = ml.link("ml") / "bin" / "oldtool"
    script.write_text(f"#!{ml.link('ml')}/bin/python2.7\nprint('hi')\n")  # an interpreter the env lacks
    script.chmod(0o755)

    code, document = doctor(ml, "-n", "ml")
    assert code == 1 and document["healthy"] is False
    modified = {(p["package"], p["path"]) for p in problems(document, "modified-file")}
    assert ("platformdirs", "lib/python3.12/site-packages/platformdirs/version.py") in modified
    assert ("six", "lib/python3.12/site-packages/six.py") in modified
    assert ("tinyapp", "lib/python3.12/site-packages/tinyapp/__init__.py") in modified
    missing = {(p["package"], p["path"]) for p in problems(document, "missing-file")}
    assert ("liba", "share/liba/liba.txt") in missing
    assert ("tinylib", "lib/python3.12/site-packages/tinylib/__init__.py") in missing
    untracked = {p["path"] for p in problems(document, "untracked-file")}
    assert {"lib/python3.12/site-packages/notes.txt", "bin/dangling", "bin/oldtool"} <= untracked
    assert [p["path"] for p in problems(document, "broken-symlink")] == ["bin/dangling"]
    assert [p["path"] for p in problems(document, "broken-entry-point")] == ["bin/oldtool"]
    assert any(
        p["path"].endswith("tinyapp/__init__.py") and "PyPI wheel cache" in p["detail"]
        for p in problems(document, "cache-damage")
    )
    damage = [p for p in problems(document, "cache-damage") if p["path"].endswith("platformdirs/version.py")]
    shared = next(p for p in damage if p["affects"])
    assert set(shared["affects"]) == {"ml (generation 1)", "other (generation 1)"}
    assert "version.py" in ml("doctor", "-n", "ml").out and "affects: ml (generation 1)" in ml("doctor", "-n", "ml").out

    fixed = ml("doctor", "-n", "ml", "--fix", "-y", "--json")
    assert fixed.code == 0, fixed.out + fixed.err
    result = fixed.json()["result"]
    assert result["after"][0]["healthy"] and result["after"][0]["generation"] == 2
    assert any("removed damaged cache entry" in a for a in result["actions"])
    assert runs(ml, "ml")
    assert not (site(ml) / "notes.txt").exists()  # untracked files stay behind in generation 1
    # The other environment still holds the edited inode: doctor says so, and --fix repairs it too.
    code, other = doctor(ml, "-n", "other")
    assert code == 1 and problems(other, "modified-file")
    ok(ml, "doctor", "-n", "other", "--fix", "-y")
    assert doctor(ml, "--all")[0] == 0
    assert runs(ml, "other")
    history = ml("history", "-n", "ml", "--json").json()["result"]
    assert history["entries"][-1]["action"] == "doctor --fix" and history["available"] == [1, 2]
    ok(ml, "rollback", "-n", "ml", "--to", "1", "-y")  # the damaged generation is still there for rollback
    assert (site(ml) / "notes.txt").exists()


def test_foreign_and_overwritten_distributions_and_lock_drift(ml: Corral, wheels: Path) -> None:
    packages = site(ml)
    conda_info = next(packages.glob("platformdirs-*.dist-info"))
    shutil.rmtree(conda_info)  # what `pip install platformdirs==99` over conda's does
    pip_info = packages / "platformdirs-99.0.dist-info"
    pip_info.mkdir()
    (pip_info / "METADATA").write_text("Metadata-Version: 2.1\nName: platformdirs\nVersion: 99.0\n\n")
    (pip_info / "INSTALLER").write_text("pip\n")
    stray = packages / "stray-1.0.dist-info"
    stray.mkdir()
    (stray / "METADATA").write_text("Metadata-Version: 2.1\nName: stray\nVersion: 1.0\n\n")
    (stray / "INSTALLER").write_text("pip\n")
    shutil.rmtree(next(packages.glob("six-*.dist-info")))
    (packages / "six.py").unlink()
    code, document = doctor(ml, "-n", "ml")
    assert code == 1
    overwritten = problems(document, "conda-dist-overwritten")
    assert (
        len(overwritten) == 1
        and "pip installed platformdirs 99.0 over conda package platformdirs" in overwritten[0]["detail"]
    )
    foreign = problems(document, "foreign-dist")
    assert [p["package"] for p in foreign] == ["stray"] and "installed by pip" in foreign[0]["detail"]
    drift = problems(document, "lock-drift")
    assert any(p["package"] == "six" and "missing" in p["detail"] for p in drift)
    ok(ml, "doctor", "-n", "ml", "--fix", "-y")
    assert doctor(ml, "-n", "ml")[0] == 0 and runs(ml)


def test_adopt_keeps_packages_installed_by_hand(ml: Corral, wheels: Path) -> None:
    from corral.pypi.uv import child_environment, uv_binary

    python = ml.link("ml") / "bin" / "python"
    subprocess.run(
        [
            uv_binary(),
            "pip",
            "install",
            "--python",
            str(python),
            "--no-index",
            "--find-links",
            str(wheels),
            "--break-system-packages",
            "needs-filelock",
            "--no-deps",
            "--no-config",
            "--cache-dir",
            str(ml.root / "cache" / "pypi"),
        ],
        env=child_environment(),
        check=True,
        capture_output=True,
    )
    code, document = doctor(ml, "-n", "ml")
    assert code == 1 and [p["package"] for p in problems(document, "foreign-dist")] == ["needs-filelock"]
    fixed = ml("doctor", "-n", "ml", "--fix", "--adopt", "-y")
    assert fixed.code == 0, fixed.err
    listed = ml("list", "-n", "ml", "--json").json()["result"]
    assert "needs-filelock==1.0" in listed["requested_pypi"]


def test_broken_generation_link_is_named_and_repaired(ml: Corral) -> None:
    link = ml.link("ml")
    link.unlink()
    os.symlink(ml.root / "generations" / "ml" / ".build-7-999", link)
    code, document = doctor(ml, "-n", "ml")
    assert code == 1 and problems(document, "broken-link")[0]["detail"].startswith("points to ")
    fixed = ml("doctor", "-n", "ml", "--fix", "-y")
    assert fixed.code == 0, fixed.err
    assert "pointed the environment's link at generation 1" in fixed.out
    assert runs(ml)


def test_doctor_usage_errors(ml: Corral) -> None:
    assert ml("doctor").code == 2
    assert ml("doctor", "-n", "ml", "--all").code == 2
    assert ml("doctor", "-n", "ml", "--adopt").code == 2
    missing = ml("doctor", "-n", "nope")
    assert missing.code == 1 and "does not exist" in missing.err


# What real packages ship, and what doctor must not call damage (issue 15).

GDB_HELPER = b"#!/usr/bin/python\n# a gdb extension: gdb loads it, nobody runs it\nimport gdb\n"
TRAMPOLINE = f"#!/bin/sh\n'''exec' \"{PLACEHOLDER}/bin/python3.12\" \"$0\" \"$@\"\n' '''\nprint('tool')\n"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """A channel of what real packages do: foreign #! lines, prefix-replaced entry points, two packages on one path."""
    chan = tmp_path_factory.mktemp("shipped")
    assert pytestconfig.cache is not None
    try:
        add_cached_cpython(chan, Path(pytestconfig.cache.mkdir("corral-cpython")), hardlink=True)
    except CPythonUnavailable as exc:
        pytest.skip(f"no CPython to package: {exc}")
    files = {
        # CPython installs bin/python3.X-gdb.py, a gdb extension whose #! names the system's python.
        "bin/python3.12-gdb.py": FileEntry(GDB_HELPER, mode=0o755),
        "bin/sysreport": FileEntry(b"#!/opt/nowhere/bin/python3\nprint('report')\n", mode=0o755),
        # Entry points as conda-build leaves them: the build prefix in the #!, replaced at link time,
        # and the /bin/sh trampoline that long interpreter paths are written as.
        "bin/pytool": FileEntry(
            f"#!{PLACEHOLDER}/bin/python3.12\nprint('tool')\n".encode(), 0o755, placeholder=PLACEHOLDER
        ),
        "bin/pytool-long": FileEntry(TRAMPOLINE.encode(), 0o755, placeholder=PLACEHOLDER),
    }
    write_conda_package(chan, PackageDef(name="pytools", version="1.0", depends=("python",), files=files))
    for side in ("a", "b"):  # both ship bin/tool (a symlink to their own file) and share/same.txt
        clash = {
            "bin/tool": FileEntry(b"", symlink_to=f"tool-{side}"),
            f"bin/tool-{side}": FileEntry(f"#!/bin/sh\necho {side}\n".encode(), mode=0o755),
            "share/same.txt": FileEntry(side.encode()),
        }
        write_conda_package(chan, PackageDef(name=f"clash{side}", version="1.0", files=clash))
    for version in ("1.0", "2.0"):
        write_conda_package(chan, simple_package("liba", version))
    write_conda_package(chan, simple_package("app", "1.0", ["liba >=1", "__unix"]))
    write_conda_package(chan, PackageDef(name="guard", version="1.0", constrains=("liba <2",)))
    write_conda_package(chan, PackageDef(name="native", version="1.0", subdir="linux-64", noarch=None))
    index_channel(chan)
    return chan


def test_foreign_shebangs_are_not_entry_points_but_a_gone_interpreter_is_found(
    corral: Corral, shipped: Path, wheels: Path
) -> None:
    """Only scripts whose #! names the environment's own interpreter are judged as entry points.

    A script its package ships naming another interpreter (CPython's gdb helper names
    /usr/bin/python) is the package's business: doctor used to call it broken, and --fix could
    never change that. Pins conda's linking (conda/core/portability.py, update_prefix): only
    files whose package marks a prefix placeholder are rewritten, so such a #! stays as shipped.
    """
    ok(corral, "create", "-n", "tools", "-c", str(shipped), "python=3.12", "pytools", "--pip", "tinyapp",
       "--no-index", "--find-links", str(wheels), "-y")  # fmt: skip
    env = corral.link("tools")
    assert (env / "bin" / "python3.12-gdb.py").read_bytes() == GDB_HELPER
    code, document = doctor(corral, "-n", "tools")
    assert code == 0, document
    # The real damage of that kind: the interpreter is gone, so every entry point naming it is broken.
    (env / "bin" / "python3.12").unlink()
    code, document = doctor(corral, "-n", "tools")
    assert code == 1
    broken = {(p["package"], p["path"]) for p in problems(document, "broken-entry-point")}
    assert {("pytools", "bin/pytool"), ("pytools", "bin/pytool-long"), ("", "bin/tinyapp")} <= broken
    assert not {path for _, path in broken} & {"bin/python3.12-gdb.py", "bin/sysreport"}
    assert ("python", "bin/python3.12") in {(p["package"], p["path"]) for p in problems(document, "missing-file")}
    ok(corral, "doctor", "-n", "tools", "--fix", "-y")
    assert doctor(corral, "-n", "tools")[0] == 0


def test_rattlers_clobber_stash_is_not_damage_but_a_packages_broken_symlink_is(corral: Corral, shipped: Path) -> None:
    """Two packages that ship one path: rattler keeps the loser's copy in `__clobbers__/`, which doctor leaves alone.

    Pins py-rattler 0.28's clobbering: the losing package's file moves to
    `__clobbers__/<package>/<path>` and its conda-meta entry says so (`original_path`); a relative
    symlink moved there points nowhere by design.
    """
    ok(corral, "create", "-n", "clash", "-c", str(shipped), "clasha", "clashb", "-y")
    env = corral.link("clash")
    stash = [p for p in (env / "__clobbers__").rglob("*") if p.is_symlink()]
    assert stash and not any(p.exists() for p in stash)
    code, document = doctor(corral, "-n", "clash")
    assert code == 0, document
    (env / "bin" / os.readlink(env / "bin" / "tool")).unlink()  # the winner's target: bin/tool now dangles
    code, document = doctor(corral, "-n", "clash")
    assert code == 1
    assert [p["path"] for p in problems(document, "broken-symlink")] == ["bin/tool"]


def edit_installed(corral: Corral, env: str, name: str, edit: Callable[[dict[str, Any]], None] | None) -> None:
    """Change (or, with None, remove) a package in an environment's conda-meta and in its generation's record alike.

    This is what an environment built from a hand-edited lock before `create --lock` checked
    consistency looks like: its conda-meta holds the records, and its record the lock's section.
    """
    prefix = corral.link(env).resolve()
    meta = next((prefix / "conda-meta").glob(f"{name}-[0-9]*.json"))
    installed = json.loads(meta.read_text())
    record_file = prefix / "conda-meta" / "corral" / "generation.json"
    record = json.loads(record_file.read_text())
    entries = record["locked"]["conda"]
    index = next(i for i, e in enumerate(entries) if e["name"] == name)
    if edit is None:
        for rel in installed["files"]:
            (prefix / rel).unlink()
        meta.unlink()
        del entries[index]
    else:
        edit(installed)
        edit(entries[index])
        meta.write_text(json.dumps(installed))
    record_file.write_text(json.dumps(record))


def test_inconsistent_records_are_found(corral: Corral, shipped: Path) -> None:
    """Every depends and constrains of the installed records is met by the installed set and this machine.

    Pins conda's own consistency check (conda/plugins/subcommands/doctor/health_checks/
    consistency.py): a dependency needs an installed record of its name that matches; a
    constraint binds only when its package is installed; virtual packages are this machine's.
    corral adds: every record is of this platform or noarch.
    """
    ok(corral, "create", "-n", "odd", "-c", str(shipped), "app", "guard", "native", "-y")
    code, document = doctor(corral, "-n", "odd")
    assert code == 0, document  # app needs __unix, which this machine has

    def bump(record: dict[str, Any]) -> None:
        record["version"] = "2.0"
        record["url"] = record["url"].replace("liba-1.0-", "liba-2.0-")

    def other_platform(record: dict[str, Any]) -> None:
        record["subdir"] = "osx-arm64"

    def needs_newer_glibc(record: dict[str, Any]) -> None:
        record["depends"] = [*record["depends"], "__glibc >=99"]

    edit_installed(corral, "odd", "liba", bump)
    edit_installed(corral, "odd", "native", other_platform)
    edit_installed(corral, "odd", "app", needs_newer_glibc)
    code, document = doctor(corral, "-n", "odd")
    assert code == 1
    assert {p["check"] for p in document["environments"][0]["problems"]} == {"inconsistent"}
    found = {(p["package"], p["detail"].split(";")[0]) for p in problems(document, "inconsistent")}
    assert found == {
        ("guard", "constrains liba <2"),
        ("native", "is built for osx-arm64, not linux-64"),
        ("app", "needs __glibc >=99"),
    }
    details = " | ".join(p["detail"] for p in problems(document, "inconsistent"))
    assert "installed: liba 2.0 0" in details and "this machine has __glibc " in details
    text = corral("doctor", "-n", "odd").out
    assert "inconsistent (3):" in text and "guard: constrains liba <2; installed: liba 2.0 0" in text

    edit_installed(corral, "odd", "liba", None)  # a dependency dropped: the constraint no longer binds
    code, document = doctor(corral, "-n", "odd")
    found = {(p["package"], p["detail"]) for p in problems(document, "inconsistent")}
    assert code == 1 and ("app", "needs liba >=1; no liba is installed") in found
    assert not any(package == "guard" for package, _ in found)

    # --fix would rebuild from the same lock: refused, naming the way out, which works.
    refused = corral("doctor", "-n", "odd", "--fix", "-y", "--json")
    assert refused.code == 1 and "does not hold together" in refused.json()["error"]["message"]
    assert "corral update -n odd --all" in refused.json()["error"]["hint"]
    assert doctor(corral, "-n", "odd")[1]["environments"][0]["generation"] == 1  # nothing was built
    ok(corral, "update", "-n", "odd", "--all", "-y")
    assert doctor(corral, "-n", "odd")[0] == 0
