"""corral du against the kernel's own numbers, and corral clean that frees only what nothing uses."""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow


def ok(corral: Corral, *args: str, extra: dict[str, str] | None = None) -> str:
    result = corral(*args, extra_env=extra)
    assert result.code == 0, result.err
    return result.out


def kernel_inodes(root: Path) -> dict[tuple[int, int], tuple[int, int, list[str]]]:
    """(dev, ino) -> (allocated bytes, link count, paths under root), straight from lstat.

    A directory's link count counts its subdirectories, not hardlinks: it is taken as 1.
    """
    out: dict[tuple[int, int], tuple[int, int, list[str]]] = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files, ""]:
            path = os.path.join(folder, name) if name else folder
            st = os.lstat(path)
            key = (st.st_dev, st.st_ino)
            links = 1 if stat.S_ISDIR(st.st_mode) else st.st_nlink
            blocks, links, paths = out.get(key, (st.st_blocks * 512, links, []))
            if path not in paths:
                paths.append(path)
            out[key] = (blocks, links, paths)
    return out


@pytest.fixture
def store(corral: Corral, channel: Path) -> Corral:
    """Three environments sharing packages; one removed; `a` with three generations (filelock only in 2)."""
    ok(corral, "create", "-n", "a", "-c", str(channel), "python=3.12", "platformdirs", "liba=1.0", "-y")
    ok(corral, "install", "-n", "a", "filelock", "-y")
    ok(corral, "remove", "-n", "a", "filelock", "-y")
    ok(corral, "create", "-n", "b", "-c", str(channel), "python=3.12", "platformdirs", "app", "-y")
    ok(corral, "create", "-n", "c", "-c", str(channel), "oldapp", "prefixed", "-y")
    ok(corral, "env", "remove", "-n", "c", "-y")
    return corral


def test_du_counts_each_inode_once_and_matches_the_kernel(store: Corral) -> None:
    usage = store("du", "--json").json()["result"]
    du_sk = int(subprocess.run(["du", "-sk", str(store.root)], capture_output=True, text=True).stdout.split()[0])
    assert usage["total_bytes"] == du_sk * 1024
    inodes = kernel_inodes(store.root)
    assert usage["total_bytes"] == sum(blocks for blocks, _, _ in inodes.values())
    assert usage["naive_bytes"] > usage["total_bytes"]  # hardlinks: summing folders overcounts
    by_env = {e["env"]: e for e in usage["environments"]}
    assert set(by_env) == {"a", "b"}
    for name in ("a", "b"):
        generation = os.path.realpath(store.link(name))
        home = str(store.root / "generations" / name)
        unique = shared = 0
        for blocks, links, paths in inodes.values():
            if not any(p == generation or p.startswith(generation + os.sep) for p in paths):
                continue
            # The kernel's link count says whether anything outside this environment holds the inode.
            inside = sum(1 for p in paths if p.startswith(home + os.sep))
            if inside == links:
                unique += blocks
            else:
                shared += blocks
        assert (by_env[name]["unique_bytes"], by_env[name]["shared_bytes"]) == (unique, shared)
        assert by_env[name]["shared_bytes"] > 20 * 1024 * 1024  # CPython, hardlinked from the cache
    assert by_env["a"]["generations"] == 3 and by_env["a"]["current"] == "3"
    text = store("du").out
    assert "each file counted once" in text and "conda packages" in text and "PyPI wheels" in text
    one = store("du", "-n", "a", "--json").json()["result"]
    assert one["packages"][0]["name"] == "python"
    assert {p["name"] for p in one["packages"]} == {"python", "platformdirs", "liba"}


def test_clean_frees_only_what_no_generation_uses(store: Corral, channel: Path) -> None:
    pkgs = store.root / "cache" / "conda" / "pkgs"
    before = {p.name for p in pkgs.iterdir() if p.is_dir()}
    assert {"oldapp-1.0-0", "prefixed-1.0-0"} <= before  # left by the removed environment c
    # Leftovers of killed runs.
    (store.root / "generations" / "a" / ".build-9-12345").mkdir()
    (store.root / "generations" / "a" / ".build-9-12345" / "junk").write_bytes(b"x" * 10000)
    (pkgs / ".trash-7-1").mkdir()
    total_before = store("du", "--json").json()["result"]["total_bytes"]

    dry = store("clean", "--dry-run", "--json").json()["result"]
    removed = {(i["kind"], i["what"]) for i in dry["items"]}
    assert ("conda package", "oldapp-1.0-0") in removed and ("conda package", "prefixed-1.0-0") in removed
    assert ("leftover", "generations/a/.build-9-12345") in removed
    assert not any(w.startswith(("python-", "platformdirs-", "liba-1.0")) for k, w in removed if k == "conda package")
    assert not any(w.startswith("filelock-") for _, w in removed)  # generation 2 of `a` still uses it
    assert dry["freed_bytes"] > 0 and dry["dry_run"]
    assert store("du", "--json").json()["result"]["total_bytes"] == total_before  # a dry run removes nothing

    done = store("clean", "-y", "--json").json()["result"]
    assert done["freed_bytes"] == dry["freed_bytes"]
    total_after = store("du", "--json").json()["result"]["total_bytes"]
    assert total_before - total_after == done["freed_bytes"]
    assert not (pkgs / "oldapp-1.0-0").exists() and not (pkgs / "oldapp-1.0-0.lock").exists()
    assert (pkgs / "python-3.12.1-0_corral_test").is_dir()
    again = store("clean", "--dry-run")
    assert "Nothing to clean" in again.out
    # Every environment still works, and every kept generation of `a` can be switched to and run.
    for env in ("a", "b"):
        assert store("run", "-n", env, "python", "-c", "import platformdirs").code == 0
    for number in ("1", "2", "3"):
        ok(store, "rollback", "-n", "a", "--to", number, "-y")
        code = "import filelock" if number == "2" else "import platformdirs"
        assert store("run", "-n", "a", "python", "-c", code).code == 0, number


def test_clean_all_and_old_generations(store: Corral) -> None:
    pkgs = store.root / "cache" / "conda" / "pkgs"
    filelock = [p.name for p in pkgs.iterdir() if p.name.startswith("filelock-") and p.is_dir()]
    assert filelock
    everything = store("clean", "--all", "-y", "--json").json()["result"]
    assert any(i["what"] == filelock[0] for i in everything["items"])  # only old generation 2 used it
    assert not (pkgs / filelock[0]).exists()
    ok(store, "rollback", "-n", "a", "--to", "2", "-y")  # the generation keeps its own links
    assert store("run", "-n", "a", "python", "-c", "import filelock").code == 0
    ok(store, "rollback", "-n", "a", "--to", "3", "-y")
    keep_one = {"CORRAL_KEEP_GENERATIONS": "1"}
    dry = store("clean", "--dry-run", "--json", extra_env=keep_one).json()["result"]
    assert {i["what"] for i in dry["items"] if i["kind"] == "generation"} == {"a generation 1", "a generation 2"}
    ok(store, "clean", "-y", extra=keep_one)
    assert sorted(p.name for p in (store.root / "generations" / "a").iterdir() if p.name.isdigit()) == ["3"]
    assert store("run", "-n", "a", "python", "-c", "import platformdirs").code == 0


def test_clean_waits_for_running_changes_and_asks(store: Corral) -> None:
    lock = store.root / "locks" / "store.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # as a change in progress holds it
        busy = store("clean", "-y", extra_env={"CORRAL_LOCK_TIMEOUT": "1"})
        assert busy.code == 1 and "the store is locked by another corral process" in busy.err
    finally:
        os.close(fd)
    refused = store("clean")  # standard input closed and no -y: nothing removed
    assert refused.code == 1 and "pass -y" in refused.err
    assert (store.root / "cache" / "conda" / "pkgs" / "oldapp-1.0-0").is_dir()


def test_clean_names_the_path_it_cannot_remove(store: Corral, monkeypatch: pytest.MonkeyPatch) -> None:
    from corral.clean import _Removal, _remove
    from corral.errors import CorralError

    target = store.root / "cache" / "conda" / "pkgs" / "oldapp-1.0-0"

    def refuse(path: Path, name: str) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("corral.store.fsutil.trash_then_remove", refuse)
    with pytest.raises(CorralError) as caught:
        _remove(_Removal("conda package", "oldapp-1.0-0", target, frozenset()))
    assert str(target) in caught.value.message and "Permission denied" in caught.value.message
    assert stat.S_ISDIR(os.lstat(target).st_mode)


def test_clean_of_pypi_wheels_keeps_uv_able_to_install_them_again(corral: Corral, channel: Path, wheels: Path) -> None:
    pip = ("--pip", "six", "--no-index", "--find-links", str(wheels))
    ok(corral, "create", "-n", "p", "-c", str(channel), "python=3.12", *pip, "-y")
    ok(corral, "env", "remove", "-n", "p", "-y")
    done = corral("clean", "-y", "--json").json()["result"]
    assert any(i["kind"] == "PyPI wheel" and i["what"] == "six 1.17.0" for i in done["items"])
    # uv reaches its unpacked wheels through pointer files: they went with the wheel, so uv fetches it again.
    ok(corral, "create", "-n", "p2", "-c", str(channel), "python=3.12", *pip, "-y")
    assert corral("run", "-n", "p2", "python", "-c", "import six").code == 0
