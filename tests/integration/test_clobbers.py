"""Paths that several conda packages ship (issue 15), against conda's `path_conflict` setting.

Pinned conda behaviour (conda/core/link.py `_verify_prefix_level`, conda/exceptions.py
`maybe_raise`): `path_conflict: clobber` (the default) installs both packages and keeps one file,
`warn` does the same and prints the clash, `prevent` refuses unless `--clobber` is given. Where
corral's design changes the answer: the plan always names the clashing paths and whose file is
kept (conda's default says nothing), and a file in one package where another needs a directory
is refused, since no choice of one file can make both packages whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import FileEntry, PackageDef, index_channel, simple_package, write_conda_package

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clashing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chan = tmp_path_factory.mktemp("clashing")
    same = "share/tool/config.txt"
    write_conda_package(
        chan,
        PackageDef(
            name="alpha", version="1.0", files={same: FileEntry(b"from alpha\n"), "share/a.txt": FileEntry(b"a\n")}
        ),
    )
    write_conda_package(chan, PackageDef(name="beta", version="1.0", files={same: FileEntry(b"from beta\n")}))
    write_conda_package(chan, PackageDef(name="zfile", version="1.0", files={"share/foo": FileEntry(b"a file\n")}))
    write_conda_package(chan, PackageDef(name="adir", version="1.0", files={"share/foo/bar": FileEntry(b"bar\n")}))
    write_conda_package(chan, simple_package("plain", "1.0"))
    index_channel(chan)
    return chan


def _kept(corral: Corral, name: str) -> str:
    return (corral.link(name) / "share" / "tool" / "config.txt").read_text()


def test_the_plan_names_the_clash_and_whose_file_is_kept(corral: Corral, clashing: Path) -> None:
    res = corral("create", "-n", "c", "-c", str(clashing), "alpha", "beta", "-y")
    assert res.code == 0, res.err
    kept = _kept(corral, "c").strip().split()[-1]
    loser = {"alpha", "beta"} - {kept}
    assert "Paths shipped by more than one package" in res.out, res.out
    row = next(line for line in res.out.splitlines() if "share/tool/config.txt" in line)
    assert row.split()[1:] == [kept, *loser], row
    assert res.out.index("share/tool/config.txt") < res.out.index("now at generation")
    as_json = corral("install", "-n", "c", "plain", "-y", "--json").json()["result"]
    assert as_json["clobbered"] == [{"path": "share/tool/config.txt", "kept_from": kept, "moved_aside": sorted(loser)}]
    assert corral("doctor", "-n", "c").code == 0


def test_removing_the_winner_restores_the_other_packages_file(corral: Corral, clashing: Path) -> None:
    assert corral("create", "-n", "c", "-c", str(clashing), "alpha", "beta", "-y").code == 0
    kept = _kept(corral, "c").strip().split()[-1]
    other = ({"alpha", "beta"} - {kept}).pop()
    res = corral("remove", "-n", "c", kept, "-y")
    assert res.code == 0, res.err
    assert _kept(corral, "c") == f"from {other}\n"
    assert not (corral.link("c") / "__clobbers__").exists()
    assert "Paths shipped by more than one package" not in res.out


def test_path_conflict_warn_and_prevent(corral: Corral, clashing: Path) -> None:
    warned = corral(
        "create", "-n", "w", "-c", str(clashing), "alpha", "beta", "-y", extra_env={"CORRAL_PATH_CONFLICT": "warn"}
    )
    assert warned.code == 0 and "warning: path shipped by several packages: share/tool/config.txt" in warned.err
    prevented = corral(
        "create", "-n", "p", "-c", str(clashing), "alpha", "beta", "-y", extra_env={"CORRAL_PATH_CONFLICT": "prevent"}
    )
    assert prevented.code == 1 and "Traceback" not in prevented.err
    assert "path-conflict = prevent" in prevented.err and "--clobber" in prevented.err
    assert "share/tool/config.txt" in prevented.err
    assert not corral.link("p").exists() and not list((corral.root / "generations").glob("p/*"))
    clobbered = corral(
        "create",
        "-n",
        "p",
        "-c",
        str(clashing),
        "alpha",
        "beta",
        "-y",
        "--clobber",
        extra_env={"CORRAL_PATH_CONFLICT": "prevent"},
    )
    assert clobbered.code == 0, clobbered.err


def test_a_file_against_a_directory_is_refused_every_time(corral: Corral, clashing: Path) -> None:
    """rattler's outcome here depends on linking order; corral's answer does not (5 cold runs)."""
    for attempt in range(5):
        root = corral.root.with_name(f"root{attempt}")  # a cold package cache each time
        res = corral(
            "create", "-n", "fd", "-c", str(clashing), "zfile", "adir", "-y", extra_env={"CORRAL_ROOT": str(root)}
        )
        assert res.code == 1 and "Traceback" not in res.err, res.err
        assert "share/foo: a file in zfile, a directory of files in adir" in res.err, res.err
        assert not (root / "envs" / "fd").exists()
    assert corral("create", "-n", "ok", "-c", str(clashing), "adir", "-y").code == 0
    res = corral("install", "-n", "ok", "zfile", "-y")
    assert res.code == 1 and "files or directories" in res.err
    assert corral.link("ok").resolve().name == "1"
