"""corral doctor on real environments damaged in each way it checks, and --fix restoring them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Corral

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
        "missing-file",
        "modified-file",
        "unreadable-file",
        "untracked-file",
        "foreign-dist",
        "conda-dist-overwritten",
        "lock-drift",
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
    script.write_text("#!/gone/python3\nprint('hi')\n")
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
