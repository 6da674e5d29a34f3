"""Hostile and damaged input (issue 20): archives that do not match their records, oversized and endless files.

Pins conda's behaviour where corral follows it: conda refuses a package whose archive does not
match the sha256 its channel's repodata gives (conda's `SafetyChecks`/`extract` verify it), and
corral refuses it before a single file is linked, on every road (solve, lock, repair).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import FileEntry, PackageDef, index_channel, simple_package, write_conda_package

pytestmark = pytest.mark.slow


def test_a_file_channel_archive_that_differs_from_its_repodata_is_refused(corral: Corral, tmp_path: Path) -> None:
    chan = tmp_path / "chan"
    write_conda_package(chan, simple_package("liba", "1.0"))
    index_channel(chan)
    # The archive is replaced after indexing: same name, other content (a tampered mirror).
    write_conda_package(chan, PackageDef(name="liba", version="1.0", files={"share/evil.txt": FileEntry(b"x\n")}))
    res = corral("create", "-n", "t", "-c", str(chan), "liba", "-y")
    assert res.code == 1 and "Traceback" not in res.err
    assert "liba-1.0-0" in res.err and "sha256" in res.err, res.err
    assert not corral.link("t").exists()
    assert not (corral.root / "cache" / "conda" / "pkgs" / "liba-1.0-0" / "share" / "evil.txt").exists()


def test_leftovers_of_killed_runs_are_named_and_cleaned(corral: Corral, channel: Path) -> None:
    """What kills leave (issue 20 item 10): recover and clean remove it; nothing counts as in use."""
    assert corral("create", "-n", "k", "-c", str(channel), "liba", "-y").code == 0
    root = corral.root
    trash_env = root / "generations" / ".trash-env-gone-12345"  # a killed `env remove`
    (trash_env / "1" / "share").mkdir(parents=True)
    (trash_env / "1" / "share" / "big").write_bytes(b"x" * 50_000)
    rattler_tmp = root / "cache" / "conda" / "pkgs" / ".liba-1.0-0AbCdEf"  # a killed extraction
    rattler_tmp.mkdir()
    (rattler_tmp / "partial").write_bytes(b"y" * 10_000)
    half_write = root / "generations" / "k" / ".history.json.abc123.tmp"  # a killed atomic write
    half_write.write_text("{")
    dead_scratch = root / "tmp" / "corral-uv-999999-xyz"  # a killed uv call's inputs (no such pid)
    dead_scratch.mkdir(parents=True)
    live_scratch = root / "tmp" / f"corral-uv-{os.getpid()}-abc"  # a running one's
    live_scratch.mkdir()

    # The next change of the environment removes its own half-written file.
    assert corral("install", "-n", "k", "app", "-y").code == 0
    assert not half_write.exists()
    listed = {e["name"] for e in corral("env", "list", "--json").json()["result"]["environments"]}
    assert listed == {"k"}
    dry = corral("clean", "--dry-run", "--json").json()["result"]
    gone = {i["what"] for i in dry["items"] if i["kind"] == "leftover"}
    assert {"generations/.trash-env-gone-12345", "cache/conda/pkgs/.liba-1.0-0AbCdEf"} <= gone
    assert "tmp/corral-uv-999999-xyz" in gone and not any(
        "corral-uv-" + str(__import__("os").getpid()) in g for g in gone
    )
    assert corral("clean", "-y").code == 0
    assert not trash_env.exists() and not rattler_tmp.exists() and not dead_scratch.exists()
    assert live_scratch.exists() and (root / "cache" / "conda" / "pkgs" / ".cache.lock").exists()
    assert corral("list", "-n", "k").code == 0


def _laughs(levels: int = 9) -> str:
    """A billion-laughs YAML body: each level refers ten times to the one before."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_tiny_inputs_cannot_take_gigabytes(corral: Corral, tmp_path: Path) -> None:
    """Issue 20 item 5: devices, endless aliases and huge files are refused at once, naming the file."""
    import time

    env = tmp_path / "environment.yml"
    env.write_text("name: z\ninclude: [/dev/zero]\ndependencies: [python]\n")
    laughs_env = tmp_path / "laughs.yml"
    laughs_env.write_text("name: l\n" + _laughs() + "dependencies: *a8\n")
    lock = tmp_path / "corral.lock"
    lock.write_text("version: 1\n" + _laughs() + "input: *a8\nplatforms: {}\n")
    bad_utf8 = tmp_path / "requirements.txt"
    bad_utf8.write_bytes(b"six\n\xff\xfe\n")
    cases = [
        (("create", "-f", str(env), "-y"), "/dev/zero", "not a regular file"),
        (("create", "-n", "d", "-f", "/dev/zero", "-y"), "/dev/zero", "not a regular file"),
        (("create", "-f", str(laughs_env), "-y"), str(laughs_env), "aliases expand"),
        (("create", "-n", "k", "--lock", str(lock), "-y"), str(lock), "anchors or aliases"),
        (("create", "-n", "r", "--python", "3.11", "-f", str(bad_utf8), "-y"), str(bad_utf8), "not UTF-8"),
    ]
    for args, names, says in cases:
        start = time.monotonic()
        res = corral(*args)
        assert time.monotonic() - start < 20, args
        assert res.code == 1 and "Traceback" not in res.err and "internal error" not in res.err, (args, res.err)
        assert names in res.err and says in res.err, (args, res.err)
    assert not (corral.root / "envs").exists() or not list((corral.root / "envs").iterdir())


def test_a_wheel_that_would_overwrite_a_conda_packages_file_is_refused(
    corral: Corral, channel: Path, tmp_path: Path
) -> None:
    """Issue 20 item 6: a wheel shipping `filelock/__init__.py` over conda's filelock is refused before the switch."""
    from tests.support.pypi import write_wheel

    folder = tmp_path / "sneaky"
    folder.mkdir()
    write_wheel(folder, "sneaky", "1.0", modules={"filelock/__init__.py": "HIJACKED = True\n"})
    assert corral("create", "-n", "o", "-c", str(channel), "python", "filelock=3.13", "-y").code == 0
    site = next((corral.link("o") / "lib").glob("python3*/site-packages"))
    before = (site / "filelock" / "__init__.py").read_text()
    res = corral("pip", "install", "-n", "o", "sneaky", "--find-links", str(folder), "--no-index", "-y")
    assert res.code == 1 and "Traceback" not in res.err, res.err
    assert "would replace" in res.err and "filelock/__init__.py" in res.err and "sneaky" in res.err, res.err
    history = corral("history", "-n", "o", "--json").json()["result"]
    assert [e["generation"] for e in history["entries"]] == [1]
    assert (site / "filelock" / "__init__.py").read_text() == before  # conda's file, and the cache, untouched
    cached = corral.root / "cache" / "conda" / "pkgs"
    assert not any("HIJACKED" in p.read_text() for p in cached.glob("filelock-*/site-packages/filelock/__init__.py"))


HOSTILE = [
    ("absolute", {"/tmp/corral-hostile-outside.txt": FileEntry(b"x\n")}, "an absolute path"),
    ("dotdot", {"share/../../outside.txt": FileEntry(b"x\n")}, "leaves the package"),
    ("forger", {"conda-meta/liba-9.0-0.json": FileEntry(b"{}\n")}, "conda-meta/"),
    ("marker", {"lib/python3.12/EXTERNALLY-MANAGED": FileEntry(b"[x]\n")}, "PEP 668 marker"),
    ("escape", {"share/passwd": FileEntry(b"", symlink_to="../../../../../etc/passwd")}, "outside the environment"),
]


@pytest.mark.parametrize(("name", "files", "says"), HOSTILE)
def test_hostile_archives_are_refused_before_linking(
    corral: Corral, tmp_path: Path, name: str, files: dict[str, FileEntry], says: str
) -> None:
    """Issue 20 item 8: paths that leave the package or forge records are refused, naming the package.

    An absolute path used to abort corral with a Rust panic (rc 134) inside py-rattler.
    """
    chan = tmp_path / "chan"
    write_conda_package(chan, PackageDef(name=name, version="1.0", files=files))
    write_conda_package(chan, simple_package("liba", "1.0"))
    index_channel(chan)
    res = corral("create", "-n", "h", "-c", str(chan), name, "-y")
    assert res.code == 1 and "Traceback" not in res.err and "panicked" not in res.err, res.err
    assert f"{name}-1.0-0" in res.err and says in res.err and "unsafe" not in res.out, res.err
    assert not corral.link("h").exists() and not Path("/tmp/corral-hostile-outside.txt").exists()
    assert corral("create", "-n", "fine", "-c", str(chan), "liba", "-y").code == 0  # the channel's other packages


@contextlib.contextmanager
def served(root: Path) -> Iterator[tuple[str, dict[str, int]]]:
    """`root` over HTTP on 127.0.0.1 (stopped on exit), with a count of the GETs of each path."""
    seen: dict[str, int] = {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen[self.path] = seen.get(self.path, 0) + 1
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("name", "files", "says"), HOSTILE)
def test_hostile_archives_over_http_are_refused_before_linking(
    corral: Corral, tmp_path: Path, name: str, files: dict[str, FileEntry], says: str
) -> None:
    """Issue 20 item 8, remote archives: downloaded by corral, checked, and only then linked (from the download)."""
    chan = tmp_path / "chan"
    write_conda_package(chan, PackageDef(name=name, version="1.0", files=files))
    write_conda_package(chan, simple_package("liba", "1.0"))
    index_channel(chan)
    pkgs = corral.root / "cache" / "conda" / "pkgs"
    with served(chan) as (url, seen):
        res = corral("create", "-n", "h", "-c", url, name, "-y")
        assert res.code == 1 and "Traceback" not in res.err and "panicked" not in res.err, res.err
        assert f"{name}-1.0-0" in res.err and says in res.err, res.err
        assert not corral.link("h").exists() and not Path("/tmp/corral-hostile-outside.txt").exists()
        assert not (pkgs / f"{name}-1.0-0").exists()  # never extracted
        assert not [p.name for p in pkgs.iterdir() if p.name.startswith(".corral-")]  # the download is gone
        fine = corral("create", "-n", "fine", "-c", url, "liba", "-y")
        assert fine.code == 0, fine.err
    assert seen["/noarch/liba-1.0-0.tar.bz2"] == 1  # downloaded once: rattler linked corral's download


def test_a_remote_package_is_downloaded_once_and_its_records_keep_the_channel_url(
    corral: Corral, tmp_path: Path
) -> None:
    chan = tmp_path / "chan"
    write_conda_package(chan, simple_package("liba", "1.0"))
    index_channel(chan)
    with served(chan) as (url, seen):
        assert corral("create", "-n", "one", "-c", url, "liba", "-y").code == 0
        assert corral("create", "-n", "two", "-c", url, "liba", "-y").code == 0  # from rattler's cache
    assert seen["/noarch/liba-1.0-0.tar.bz2"] == 1
    meta = json.loads(next((corral.link("two") / "conda-meta").glob("liba-*.json")).read_text())
    assert meta["url"] == f"{url}/noarch/liba-1.0-0.tar.bz2", meta["url"]
    first = json.loads(next((corral.link("one") / "conda-meta").glob("liba-*.json")).read_text())
    assert first["url"] == meta["url"]
    assert (corral.link("two") / "share" / "liba" / "liba.txt").read_text() == "liba 1.0\n"
    assert corral("doctor", "-n", "one").code == 0
