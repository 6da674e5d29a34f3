"""One road to a generation (issue 14): a solve, a lock and `doctor --fix` build the same tree, from one record.

Pins: every generation records its locked platform with every field rattler gives (here
`python_site_packages_path` and `track_features`), `create --lock` and `doctor --fix` hand that
section to the same materializer, `export --format lock` is a read of it (no index asked), and a
damaged record is refused rather than read as an empty request.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import Corral
from tests.support.channel import (
    FREE_THREADED_SITE,
    free_threaded_python,
    index_channel,
    sample_noarch_python,
    write_conda_package,
)

pytestmark = pytest.mark.slow


def _subdir() -> str:
    import rattler

    return str(rattler.Subdir.current())


@pytest.fixture
def ft_channel(tmp_path: Path) -> Path:
    chan = tmp_path / "ftchan"
    for subdir in {_subdir(), "osx-arm64"}:
        write_conda_package(chan, free_threaded_python(subdir))
    write_conda_package(chan, sample_noarch_python())
    index_channel(chan)
    return chan


def tree(env: Path) -> list[str]:
    """Every file of an environment, without corral's own bookkeeping."""
    root = env.resolve()
    out = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            rel = os.path.relpath(os.path.join(folder, name), root)
            if not rel.startswith(("conda-meta", "EXTERNALLY-MANAGED")) and not rel.endswith("EXTERNALLY-MANAGED"):
                out.append(rel)
    return sorted(out)


def test_a_solve_a_lock_and_doctor_fix_build_the_same_tree(corral: Corral, ft_channel: Path) -> None:
    made = corral("create", "-n", "nap", "-c", str(ft_channel), "python=3.99.99", "sample_noarch_python", "-y")
    assert made.code == 0, made.err
    solved = tree(corral.link("nap"))
    assert f"{FREE_THREADED_SITE}/sample.py" in solved
    assert not any(p.startswith("lib/python3.99/") for p in solved)

    exported = corral("export", "-n", "nap", "--format", "lock")
    assert exported.code == 0, exported.err
    section = yaml.safe_load(exported.out)["platforms"][_subdir()]
    python = next(e for e in section["conda"] if e["name"] == "python")
    assert python["python_site_packages_path"] == FREE_THREADED_SITE
    assert python["track_features"] == ["py_freethreading"]
    (corral.cwd / "nap.lock").write_text(exported.out)

    relocked = corral("create", "-n", "nap2", "--lock", "nap.lock", "-y")
    assert relocked.code == 0, relocked.err
    assert tree(corral.link("nap2")) == solved

    # doctor --fix rebuilds from the generation's own record: same tree, and doctor calls it healthy.
    fixed = corral("doctor", "-n", "nap2", "--fix", "--json")
    assert fixed.code == 0, fixed.out + fixed.err
    assert tree(corral.link("nap2")) == solved
    assert corral("doctor", "-n", "nap2").code == 0


def test_export_lock_of_a_locked_environment_is_its_section_byte_for_byte(corral: Corral, ft_channel: Path) -> None:
    env = corral.cwd / "environment.yml"
    env.write_text(f"channels: [{ft_channel}]\ndependencies: [python=3.99.99, sample_noarch_python]\n")
    assert corral("lock", "-f", str(env), "--platform", _subdir(), "--platform", "osx-arm64").code == 0
    original = (corral.cwd / "corral.lock").read_text()
    assert corral("create", "-n", "l", "--lock", "corral.lock", "-y").code == 0
    exported = corral("export", "-n", "l", "--format", "lock").out

    def section_text(text: str) -> str:
        body = yaml.safe_load(text)["platforms"][_subdir()]
        return yaml.safe_dump(body, sort_keys=False, width=10_000)

    assert section_text(exported) == section_text(original)
    assert yaml.safe_load(exported)["input"]["sha256"] == yaml.safe_load(original)["input"]["sha256"]


def test_a_damaged_generation_record_is_refused_not_read_as_an_empty_request(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "d", "-c", str(channel), "liba", "app", "-y").code == 0
    record = corral.link("d").resolve() / "conda-meta" / "corral" / "generation.json"
    record.write_text(record.read_text()[:40])  # cut short, as a full disk or a bad edit leaves it
    for args in (("update", "-n", "d", "-y"), ("install", "-n", "d", "oldapp", "-y"), ("list", "-n", "d")):
        res = corral(*args)
        assert res.code == 1, (args, res.out)
        assert "is damaged" in res.err and str(record) in res.err, res.err
        assert "corral rollback -n d" in res.err and "Traceback" not in res.err
    document = json.loads(corral("list", "-n", "d", "--json").out)
    assert document["ok"] is False and document["error"]["code"] == "damaged-generation"
    diagnosis = corral("doctor", "-n", "d", "--json").json()["result"]
    assert diagnosis["environments"][0]["counts"]["damaged-record"] == 1
    fixed = corral("doctor", "-n", "d", "--fix", "-y")
    assert fixed.code == 0, fixed.out + fixed.err
    listed = {p["name"] for p in corral("list", "-n", "d", "--json").json()["result"]["packages"]}
    assert listed == {"liba", "app"}


def test_a_damaged_conda_meta_record_is_named_and_doctor_rebuilds_from_the_generations_record(
    corral: Corral, channel: Path
) -> None:
    # conda-meta/NAME.json cut short (a full disk, an editor): named with its file, never an internal error
    assert corral("create", "-n", "m", "-c", str(channel), "liba", "app", "-y").code == 0
    (meta,) = (corral.link("m").resolve() / "conda-meta").glob("liba-*.json")
    meta.write_text(meta.read_text()[:50])
    for args in (("list", "-n", "m"), ("install", "-n", "m", "oldapp", "-y"), ("update", "-n", "m", "-y")):
        res = corral(*args)
        assert res.code == 1, (args, res.out)
        assert f"conda-meta record {meta.name}" in res.err and "is damaged" in res.err, res.err
        assert "corral doctor --fix" in res.err and "internal error" not in res.err and "Traceback" not in res.err
    diagnosis = corral("doctor", "-n", "m", "--json").json()["result"]["environments"][0]
    assert diagnosis["counts"]["damaged-record"] == 1 and diagnosis["problems"][0]["path"] == str(meta)
    fixed = corral("doctor", "-n", "m", "--fix", "-y")
    assert fixed.code == 0, fixed.out + fixed.err
    listed = {p["name"] for p in corral("list", "-n", "m", "--json").json()["result"]["packages"]}
    assert listed == {"liba", "app"}  # rebuilt from generation.json's locked platform, the one road


def test_a_damaged_history_is_refused_and_doctor_writes_it_again(corral: Corral, channel: Path) -> None:
    # recover deletes the generations history does not know: a history read as empty would lose them
    assert corral("create", "-n", "h", "-c", str(channel), "liba", "-y").code == 0
    assert corral("install", "-n", "h", "app", "-y").code == 0
    history = corral.root / "generations" / "h" / "history.json"
    history.write_text(history.read_text()[:60])
    for args in (("rollback", "-n", "h", "-y"), ("install", "-n", "h", "oldapp", "-y"), ("history", "-n", "h")):
        res = corral(*args)
        assert res.code == 1, (args, res.out)
        assert "history of environment 'h' is damaged" in res.err and str(history) in res.err, res.err
        assert "corral doctor -n h --fix" in res.err and "Traceback" not in res.err
    assert sorted(p.name for p in history.parent.iterdir() if p.name.isdigit()) == ["1", "2"]  # nothing deleted
    listed = corral("env", "list", "--json")  # the other environments' listing does not fail with it
    assert listed.code == 0 and "h" in {e["name"] for e in listed.json()["result"]["environments"]}, listed.out
    assert json.loads(corral("history", "-n", "h", "--json").out)["error"]["code"] == "damaged-history"
    diagnosis = corral("doctor", "-n", "h", "--json").json()["result"]
    assert diagnosis["environments"][0]["counts"]["damaged-history"] == 1
    fixed = corral("doctor", "-n", "h", "--fix", "-y")
    assert fixed.code == 0, fixed.out + fixed.err
    assert "wrote the history again" in fixed.out
    assert [p.name for p in history.parent.glob("history.json.damaged-*")]  # the damaged file is kept
    entries = corral("history", "-n", "h", "--json").json()["result"]["entries"]
    assert [(e["generation"], e["action"]) for e in entries] == [(1, "create"), (2, "install")]
    assert corral("rollback", "-n", "h", "-y").code == 0


def test_offline_create_from_a_lock_after_clean_all_uses_uvs_cache(corral: Corral, wheels: Path) -> None:
    from tests.support.pypi import serve_simple_index

    with serve_simple_index(wheels) as url:
        made = corral("create", "-n", "src", "--python", "3.11", "--pip", "tinyapp", "--index-url", url, "-y")
        assert made.code == 0, made.err
    # The index is gone: everything below is offline, from corral's caches only.
    assert corral("export", "-n", "src", "--format", "lock", "-o", "src.lock").code == 0
    assert corral("clean", "--all", "-y").code == 0
    offline = corral("create", "-n", "again", "--lock", "src.lock", "--offline", "-y")
    assert offline.code == 0, offline.err
    out = subprocess.run(
        [str(corral.link("again") / "bin" / "tinyapp")], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "tinyapp runs with tinylib" in out
    # With no environment using them, clean --all drops the wheels: now the error says to go online once.
    assert corral("env", "remove", "-n", "src", "-y").code == 0
    assert corral("env", "remove", "-n", "again", "-y").code == 0
    assert corral("clean", "--all", "-y").code == 0
    failed = corral("create", "-n", "third", "--lock", "src.lock", "--offline", "-y")
    assert failed.code == 1
    assert "not in the cache" in failed.err and "without --offline" in failed.err, failed.err
    assert "spelling" not in failed.err and not corral.link("third").exists()


def test_a_remote_channel_archive_with_a_wrong_sha256_is_refused(corral: Corral, channel: Path) -> None:
    """Remote archives are fetched by rattler's client, which checks the sha256 (conda does too)."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(channel))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        env = corral.cwd / "environment.yml"
        env.write_text(f"channels: [{url}]\ndependencies: [liba, app]\n")
        assert corral("lock", "-f", str(env)).code == 0
        text = (corral.cwd / "corral.lock").read_text()
        liba = next(e for e in yaml.safe_load(text)["platforms"][_subdir()]["conda"] if e["name"] == "liba")
        (corral.cwd / "bad.lock").write_text(text.replace(liba["sha256"], "ab" * 32))
        refused = corral("create", "-n", "bad", "--lock", "bad.lock", "-y")
        assert refused.code == 1 and "Traceback" not in refused.err
        assert "does not match its recorded sha256" in refused.err and "liba-" in refused.err, refused.err
        assert not corral.link("bad").exists()
        good = corral("create", "-n", "good", "--lock", "corral.lock", "-y")
        assert good.code == 0, good.err
        record = json.loads((corral.link("good") / "conda-meta" / "corral" / "generation.json").read_text())
        assert {e["url"].rsplit("/", 1)[0] for e in record["locked"]["conda"]} <= {
            f"{url}/noarch",
            f"{url}/{_subdir()}",
        }
    finally:
        server.shutdown()
        server.server_close()
