"""Hand edits to installed files (issue 20 item 7): found before a change, the package cache protected, rollback told.

An edit in place goes through the hardlink into rattler's package cache and every generation
that links the file; an editor's save (new file, rename) would be dropped by the next
generation; a deletion silently undone. Each generation keeps a snapshot of its owned files
(inode, size, mtime) taken after link scripts; a change compares it first and stops, as for
untracked files, with the same --discard-untracked to go on.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow
LIBA = "share/liba/liba.txt"


def _made(corral: Corral, channel: Path, name: str, *specs: str) -> Path:
    res = corral("create", "-n", name, "-c", str(channel), *specs, "-y")
    assert res.code == 0, res.err
    return corral.link(name)


def _cached(corral: Corral, package: str) -> Path:
    return corral.root / "cache" / "conda" / "pkgs" / package


def test_an_edit_in_place_stops_the_change_and_the_damaged_cache_entry_is_removed(
    corral: Corral, channel: Path
) -> None:
    env = _made(corral, channel, "e", "liba=1.0")
    _made(corral, channel, "other", "liba=1.0")  # another environment linking the same cache file
    edited = env / LIBA
    assert os.stat(edited).st_ino == os.stat(_cached(corral, "liba-1.0-0") / LIBA).st_ino
    with open(edited, "a") as handle:  # through the hardlink: the cache and `other` change too
        handle.write("edited by hand\n")

    res = corral("install", "-n", "e", "filelock", "-y")
    assert res.code == 1 and "Traceback" not in res.err, res.err
    assert "changed by hand" in res.err and f"{LIBA}: changed in place (conda package liba)" in res.err, res.err
    assert "--discard-untracked" in res.err and "doctor -n e --fix" in res.err
    assert "cache entry liba-1.0-0" in res.err and not _cached(corral, "liba-1.0-0").exists(), res.err
    assert corral("history", "-n", "e", "--json").json()["result"]["current"] == 1

    # doctor names the edit and the other generations that share the inode (their rollback is not exact).
    doc = corral("doctor", "-n", "e", "--json")
    assert doc.code == 1
    found = [p for p in doc.json()["result"]["environments"][0]["problems"] if p["check"] == "edited-file"]
    assert [p["path"] for p in found] == [LIBA], found
    assert any("other" in a and "generation 1" in a for a in found[0]["affects"]), found

    # A new environment gets the package's own file again, extracted afresh from the archive.
    fresh = _made(corral, channel, "fresh", "liba=1.0")
    assert (fresh / LIBA).read_text() == "liba 1.0\n"
    # --discard-untracked goes on: the edit stays in generation 1 only.
    res = corral("install", "-n", "e", "liba=1.0", "filelock", "--discard-untracked", "-y")
    assert res.code == 0, res.err
    assert "left behind in generation 1" in res.err, res.err
    assert (env / LIBA).read_text() == "liba 1.0\n"
    assert "edited by hand" in (corral.root / "generations" / "e" / "1" / LIBA).read_text()


def test_an_editors_save_and_a_deletion_are_named_and_a_touch_is_not(corral: Corral, channel: Path) -> None:
    env = _made(corral, channel, "s", "liba", "prefixed")
    target = env / LIBA
    tmp = target.with_name(".liba.txt.swp")
    tmp.write_text("saved by an editor\n")
    os.replace(tmp, target)  # a new inode: the next generation would silently drop it
    (env / "share/prefixed/plain.txt").unlink()
    os.utime(env / "bin/prefixed")  # only the mtime moves; the bytes are still the package's
    res = corral("install", "-n", "s", "app", "-y")
    assert res.code == 1 and "Traceback" not in res.err, res.err
    assert f"{LIBA}: replaced by another file (an editor's save)" in res.err, res.err
    assert "share/prefixed/plain.txt: deleted" in res.err and "bin/prefixed" not in res.err, res.err
    assert "2 file(s) that corral installed" in res.err
    assert corral("install", "-n", "s", "app", "--discard-untracked", "-y").code == 0
    assert (env / LIBA).read_text() == "liba 2.0\n" and (env / "share/prefixed/plain.txt").is_file()
    assert corral("install", "-n", "s", "filelock", "-y").code == 0  # the new generation has no edits


def test_new_hardlinks_and_bytecode_are_not_edits(corral: Corral, channel: Path) -> None:
    """ctime moves whenever another generation links a file, and Python writes __pycache__: neither is an edit."""
    env = _made(corral, channel, "p", "python", "filelock=3.13")
    quiet = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    python = str(env / "bin" / "python")
    ran = subprocess.run([python, "-c", "import filelock"], capture_output=True, timeout=60, env=quiet)
    assert ran.returncode == 0, ran.stderr
    assert list(env.glob("lib/python3*/site-packages/filelock/__pycache__/*.pyc"))
    _made(corral, channel, "p2", "python", "filelock=3.13")  # same cache files linked again: their ctime moves
    res = corral("install", "-n", "p", "liba", "-y")
    assert res.code == 0, res.err


def test_a_rollback_to_a_generation_edited_in_place_says_it_is_not_exact(corral: Corral, channel: Path) -> None:
    env = _made(corral, channel, "r", "liba=1.0")
    old = corral.root / "generations" / "r" / "1"
    assert corral("install", "-n", "r", "liba=2.0", "-y").code == 0
    with open(old / LIBA, "a") as handle:  # an old generation edited (or one sharing its inode)
        handle.write("edited\n")
    res = corral("rollback", "-n", "r", "-y", "--json")
    assert res.code == 0, res.err
    warnings = res.json()["result"]["warnings"]
    assert len(warnings) == 1 and "generation 1 is not exactly as it was built" in warnings[0], warnings
    assert LIBA in warnings[0] and "doctor -n r --fix" in warnings[0]
    assert os.readlink(env) == str(old)
    text = corral("rollback", "-n", "r", "--to", "2", "-y")
    assert text.code == 0 and "not exactly as it was built" not in text.err, text.err
