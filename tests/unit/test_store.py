"""The store without rattler: generations, switch, history, GC, recovery, untracked files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from corral.lock.lockfile import LockedPlatform
from corral.models import EnvSpec, HistoryEntry
from corral.record import GenerationRecord
from corral.settings import Settings
from corral.store import generations as gens
from corral.store import history
from corral.store import prefix as pfx
from corral.store.envs import EnvRef, all_envs, env_ref


def make_generation(ref: EnvRef, number: int, files: dict[str, str] | None = None) -> Path:
    """A committed generation with one fake package record owning `files`."""
    files = files or {"share/a.txt": "a"}
    built = gens.build_dir(ref, number)
    (built / "conda-meta").mkdir()
    for rel, text in files.items():
        (built / rel).parent.mkdir(parents=True, exist_ok=True)
        (built / rel).write_text(text)
    record = {"name": "a", "version": "1", "build": "0", "channel": "file:///c/", "files": sorted(files)}
    (built / "conda-meta" / "a-1-0.json").write_text(json.dumps(record))
    locked = LockedPlatform("linux-64")
    gens.write_record(built, GenerationRecord(number, gens.now(), "install", "test", EnvSpec(channels=()), locked))
    return Path(gens.commit(ref, built, number))


def switch_and_record(ref: EnvRef, number: int) -> None:
    gens.switch(ref, number)
    history.append(ref, HistoryEntry(number, gens.now(), "install", "test"))


def settings(tmp_path: Path) -> Settings:
    return Settings(root=str(tmp_path / "root"))


def switched_through(tmp_path: Path, last: int) -> EnvRef:
    """Environment `e` with generations 1..`last`, each made, switched to and recorded in turn."""
    ref = env_ref(settings(tmp_path), name="e")
    gens.register(ref)
    for n in range(1, last + 1):
        make_generation(ref, n)
        switch_and_record(ref, n)
    return ref


def test_switch_is_a_symlink_swap_and_history_records_it(tmp_path: Path) -> None:
    ref = switched_through(tmp_path, 2)
    assert os.readlink(ref.link) == os.path.join(ref.home, "2")
    assert gens.current_generation(ref) == 2
    assert [e.generation for e in history.read(ref)] == [1, 2]
    assert gens.next_number(ref) == 3
    gens.switch(ref, 1)
    assert gens.current_generation(ref) == 1


def test_history_is_one_entry_a_line_and_an_indented_one_still_reads(tmp_path: Path) -> None:
    ref = switched_through(tmp_path, 2)
    text = Path(ref.home, "history.json").read_text()
    assert len(text.splitlines()) == 4 and json.loads(text)["schema"] == 1  # head, two entries, tail
    older = {"schema": 1, "entries": [e.to_dict() for e in history.read(ref)]}
    Path(ref.home, "history.json").write_text(json.dumps(older, indent=2))  # as corral wrote it before
    history.append(ref, HistoryEntry(1, gens.now(), "rollback", "test", previous=2))
    entries = [(e.generation, e.action) for e in history.read(ref)]
    assert entries == [(1, "install"), (2, "install"), (1, "rollback")]
    assert len(Path(ref.home, "history.json").read_text().splitlines()) == 5  # rewritten one entry a line
    assert history.generations(ref) == [1, 2, 1]


def test_a_damaged_history_is_refused_and_rebuilt_from_the_records(tmp_path: Path) -> None:
    from corral.errors import DamagedHistory

    ref = switched_through(tmp_path, 3)
    gens.switch(ref, 2)
    for damage in ('{"entries": [', '{"entries": [{"time": "x"}]}', '["not", "a", "document"]', "\udcff"):
        Path(ref.home, "history.json").write_text(damage, errors="surrogateescape")
        for read in (gens.recover, history.read, gens.next_number):
            try:
                read(ref)
            except DamagedHistory as exc:
                assert exc.details == [os.path.join(ref.home, "history.json")]
                assert "doctor -n e --fix" in (exc.hint or "")
            else:
                raise AssertionError(f"{read.__name__} read {damage!r}")
        assert gens.generation_numbers(ref) == [1, 2, 3]  # recover deleted nothing
    Path(ref.home, "history.json").unlink()
    Path(ref.home, "history.json").mkdir()  # not even a file: named the same way
    try:
        history.read(ref)
    except DamagedHistory as exc:
        assert "cannot be read" in exc.message
    else:
        raise AssertionError("a directory read as a history")
    Path(ref.home, "history.json").rmdir()
    Path(ref.home, "history.json").write_bytes(b"\xff")
    kept = gens.rebuild_history(ref)
    assert Path(kept).read_bytes() == b"\xff"
    assert history.generations(ref) == [1, 3, 2]  # the current one last, as recover expects
    assert gens.recover(ref) == [] and gens.generation_numbers(ref) == [1, 2, 3]


def test_gc_keeps_the_newest_and_the_current(tmp_path: Path) -> None:
    ref = switched_through(tmp_path, 5)
    gens.switch(ref, 1)
    removed = gens.collect_garbage(ref, keep=2)
    assert removed == [2, 3]
    assert gens.generation_numbers(ref) == [1, 4, 5]
    assert gens.next_number(ref) == 6  # numbers are never reused


def test_recover_removes_unfinished_work_and_repairs_history(tmp_path: Path) -> None:
    ref = env_ref(settings(tmp_path), name="e")
    gens.register(ref)
    make_generation(ref, 1)
    switch_and_record(ref, 1)
    make_generation(ref, 2)  # committed but never switched to (killed before the switch)
    make_generation(ref, 3)
    gens.switch(ref, 3)  # switched but killed before history was written
    stray = gens.build_dir(ref, 4)  # killed while building
    link = Path(ref.link)
    cut = link.parent / f".{link.name}.corral-tmp-4242"  # the new link of a switch killed before its rename
    cut.symlink_to(gens.generation_dir(ref, 2))
    other = link.parent / ".other.corral-tmp-4242"  # another environment's: not this one's to remove
    other.symlink_to(gens.generation_dir(ref, 2))
    notes = gens.recover(ref)
    assert not stray.exists()
    assert not cut.is_symlink() and other.is_symlink()
    assert gens.generation_numbers(ref) == [1, 3]
    assert [e.generation for e in history.read(ref)] == [1, 3]
    assert notes


def test_recover_removes_a_create_that_never_finished(tmp_path: Path) -> None:
    ref = env_ref(settings(tmp_path), name="e")
    gens.register(ref)
    gens.build_dir(ref, 1)
    gens.recover(ref)
    assert not os.path.exists(ref.home) and not ref.exists()


def test_a_damaged_conda_meta_record_is_refused_naming_its_file(tmp_path: Path) -> None:
    from corral.errors import DamagedGeneration

    ref = env_ref(settings(tmp_path), name="e")
    prefix = make_generation(ref, 1)
    meta = prefix / "conda-meta" / "a-1-0.json"
    for damage in (b'{"name": "a", "fil', b"\xff\xfe", b"[1, 2]", b'{"version": "1"}', b'{"name": "a", "files": "x"}'):
        meta.write_bytes(damage)
        try:
            pfx.read_records(prefix)
        except DamagedGeneration as exc:
            assert exc.details == [str(meta)] and "a-1-0.json" in exc.message and "doctor --fix" in (exc.hint or "")
        else:
            raise AssertionError(f"read {damage!r}")


def test_paths_data_is_parsed_only_when_asked_and_reads_as_a_whole_parse(tmp_path: Path) -> None:
    """A record's `paths_data` (most of a conda-meta file) is parsed on first use; what reads equals a whole parse.

    The layouts: rattler's (two-space indent, paths_data before link), paths_data last, conda's
    sorted keys, an empty paths_data on one line, and compact JSON (no indent: parsed whole).
    """
    import pytest

    from corral.errors import DamagedGeneration

    paths = {"paths": [{"_path": "bin/a", "path_type": "hardlink", "sha256": "ab" * 32, "size_in_bytes": 3}]}
    head = {"name": "a", "version": "1", "build": "0", "files": ["bin/a"]}
    layouts = {
        "rattler": (json.dumps({**head, "paths_data": paths, "link": {"source": "/c", "type": 1}}, indent=2)),
        "last": json.dumps({**head, "paths_data": paths}, indent=2),
        "conda": json.dumps({**head, "paths_data": paths, "requested_spec": "a", "size": 3}, indent=2, sort_keys=True),
        "empty": json.dumps({**head, "paths_data": {}, "link": {"type": 1}}, indent=2),
        "compact": json.dumps({**head, "paths_data": paths}),
    }
    for label, text in layouts.items():
        prefix = tmp_path / label
        (prefix / "conda-meta").mkdir(parents=True)
        (prefix / "conda-meta" / "a-1-0.json").write_text(text)
        [record] = pfx.read_records(prefix)
        whole = json.loads(text)
        assert {k: v for k, v in record.items() if k != "paths_data"} == {
            k: v for k, v in whole.items() if k != "paths_data"
        }, label
        assert pfx.paths_entries(record) == whole["paths_data"].get("paths", []), label
    split = pfx._split(layouts["rattler"])
    assert split[1] is not None and "paths_data" not in split[0]  # the rattler layout is the one deferred

    damaged = tmp_path / "damaged"
    (damaged / "conda-meta").mkdir(parents=True)
    text = layouts["rattler"].replace('"size_in_bytes": 3', '"size_in_bytes": 3,,')
    (damaged / "conda-meta" / "a-1-0.json").write_text(text)
    [record] = pfx.read_records(damaged)  # the rest of the record reads
    with pytest.raises(DamagedGeneration, match=r"a-1-0\.json"):
        pfx.paths_entries(record)


def test_without_a_name_the_hint_fits_the_command(tmp_path: Path) -> None:
    import pytest

    from corral.errors import UsageError

    with pytest.raises(UsageError, match="name the new environment") as new:
        env_ref(settings(tmp_path), command="create")
    assert "activate" not in (new.value.hint or "") and "corral create -n ml" in (new.value.hint or "")
    with pytest.raises(UsageError, match="no corral environment is active") as existing:
        env_ref(settings(tmp_path), command="install")
    assert "corral activate ml" in (existing.value.hint or "")


def test_path_envs_are_listed_with_named_ones(tmp_path: Path) -> None:
    s = settings(tmp_path)
    named = env_ref(s, name="b")
    path = env_ref(s, path=tmp_path / "proj" / "env")
    for ref in (path, named):
        gens.register(ref)
    assert [(r.name, r.link) for r in all_envs(s)] == [("b", named.link), (None, str(tmp_path / "proj" / "env"))]


def test_untracked_and_missing_files(tmp_path: Path) -> None:
    ref = env_ref(settings(tmp_path), name="e")
    prefix = make_generation(ref, 1, {"bin/tool": "x", "lib/mod.py": "y"})
    (prefix / "lib" / "__pycache__").mkdir()
    (prefix / "lib" / "__pycache__" / "mod.cpython-312.pyc").write_text("")
    assert pfx.find_untracked(prefix, []) == []
    (prefix / "lib" / "stray.py").write_text("z")
    os.symlink("tool", prefix / "bin" / "alias")
    assert pfx.find_untracked(prefix, []) == ["bin/alias", "lib/stray.py"]
    assert pfx.find_untracked(prefix, ["lib/stray.py", "bin/alias"]) == []
    (prefix / "bin" / "tool").unlink()
    assert pfx.find_missing(prefix, pfx.read_records(prefix)) == ["a: bin/tool"]


def test_a_file_dated_before_1970_is_snapshotted_and_not_taken_for_an_edit(tmp_path: Path) -> None:
    """rattler keeps an archive's mtimes, and `touch -d 1969-12-31` is a user's: a negative mtime_ns is a file's too.

    files.snap holds unsigned numbers: such an mtime once stopped every create with an internal
    error (OverflowError) after the generation was built.
    """
    from corral.store import snapshot

    prefix = tmp_path / "g"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin/old").write_bytes(b"x")
    (prefix / "bin/new").write_bytes(b"y")
    os.utime(prefix / "bin/old", ns=(-(10**9) - 1, -(10**9) - 1))
    snapshot.write(prefix, ["bin/old", "bin/new"])
    assert (prefix / snapshot.SNAPSHOT_FILE).read_bytes().startswith(snapshot.SIGNED)  # others keep MAGIC
    recorded = snapshot.read(prefix)
    assert recorded is not None and recorded["bin/old"][2] == -(10**9) - 1
    assert recorded["bin/new"][2] == os.lstat(prefix / "bin/new").st_mtime_ns
    assert snapshot.edits(prefix) == []
    os.utime(prefix / "bin/old", ns=(-5, -5))
    assert [(e.path, e.kind) for e in snapshot.edits(prefix)] == [("bin/old", "edited")]


def test_the_snapshot_reads_back_what_was_taken_and_old_json_snapshots_still_read(tmp_path: Path) -> None:
    """files.snap holds each owned file's (inode, size, mtime_ns); generations made before it have files.json."""
    from corral.store import snapshot

    prefix = tmp_path / "g"
    names = ["bin/tool", "lib/caf\u00e9.py", "lib/odd\udcff name", "lib/__pycache__/x.pyc", "lib/gone"]
    for rel in names[:4]:
        (prefix / rel).parent.mkdir(parents=True, exist_ok=True)
        (prefix / rel).write_bytes(b"x")
    snapshot.write(prefix, names)
    recorded = snapshot.read(prefix)
    expected = {}
    for rel in names[:3]:  # bytecode left out, a missing file not recorded
        st = os.lstat(prefix / rel)
        expected[rel] = (st.st_ino, st.st_size, st.st_mtime_ns)
    assert recorded == expected
    assert snapshot.edits(prefix) == []
    (prefix / "bin/tool").write_bytes(b"edited")
    assert [(e.path, e.kind) for e in snapshot.edits(prefix)] == [("bin/tool", "edited")]

    blob = (prefix / snapshot.SNAPSHOT_FILE).read_bytes()
    other = blob.replace(snapshot.MAGIC, b"corral-files 2 other\n")  # another byte order
    for damaged in (blob[:-3], blob[:-1], blob[:20], b"not a snapshot", other, blob[:-9] + b"\xff\xfe\x00"):
        (prefix / snapshot.SNAPSHOT_FILE).write_bytes(damaged)
        assert snapshot.read(prefix) is None  # read as no snapshot, never as files that vanished

    (prefix / snapshot.SNAPSHOT_FILE).unlink()
    old = {"schema": 1, "files": {rel: list(stats) for rel, stats in expected.items()}}
    (prefix / snapshot.JSON_FILE).write_text(json.dumps(old))
    assert snapshot.read(prefix) == expected
    assert snapshot.read(tmp_path / "none") is None
