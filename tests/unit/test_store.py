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
    return gens.commit(ref, built, number)


def switch_and_record(ref: EnvRef, number: int) -> None:
    gens.switch(ref, number)
    history.append(ref, HistoryEntry(number, gens.now(), "install", "test"))


def settings(tmp_path: Path) -> Settings:
    return Settings(root=tmp_path / "root")


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
    assert os.readlink(ref.link) == str(ref.home / "2")
    assert gens.current_generation(ref) == 2
    assert [e.generation for e in history.read(ref)] == [1, 2]
    assert gens.next_number(ref) == 3
    gens.switch(ref, 1)
    assert gens.current_generation(ref) == 1


def test_history_is_one_entry_a_line_and_an_indented_one_still_reads(tmp_path: Path) -> None:
    ref = switched_through(tmp_path, 2)
    text = (ref.home / "history.json").read_text()
    assert len(text.splitlines()) == 4 and json.loads(text)["schema"] == 1  # head, two entries, tail
    older = {"schema": 1, "entries": [e.to_dict() for e in history.read(ref)]}
    (ref.home / "history.json").write_text(json.dumps(older, indent=2))  # as corral wrote it before
    history.append(ref, HistoryEntry(1, gens.now(), "rollback", "test", previous=2))
    entries = [(e.generation, e.action) for e in history.read(ref)]
    assert entries == [(1, "install"), (2, "install"), (1, "rollback")]
    assert len((ref.home / "history.json").read_text().splitlines()) == 5  # rewritten one entry a line
    assert history.generations(ref) == [1, 2, 1]


def test_a_damaged_history_is_refused_and_rebuilt_from_the_records(tmp_path: Path) -> None:
    from corral.errors import DamagedHistory

    ref = switched_through(tmp_path, 3)
    gens.switch(ref, 2)
    for damage in ('{"entries": [', '{"entries": [{"time": "x"}]}', '["not", "a", "document"]', "\udcff"):
        (ref.home / "history.json").write_text(damage, errors="surrogateescape")
        for read in (gens.recover, history.read, gens.next_number):
            try:
                read(ref)
            except DamagedHistory as exc:
                assert exc.details == [str(ref.home / "history.json")] and "doctor -n e --fix" in (exc.hint or "")
            else:
                raise AssertionError(f"{read.__name__} read {damage!r}")
        assert gens.generation_numbers(ref) == [1, 2, 3]  # recover deleted nothing
    (ref.home / "history.json").unlink()
    (ref.home / "history.json").mkdir()  # not even a file: named the same way
    try:
        history.read(ref)
    except DamagedHistory as exc:
        assert "cannot be read" in exc.message
    else:
        raise AssertionError("a directory read as a history")
    (ref.home / "history.json").rmdir()
    (ref.home / "history.json").write_bytes(b"\xff")
    kept = gens.rebuild_history(ref)
    assert kept.read_bytes() == b"\xff"
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
    notes = gens.recover(ref)
    assert not stray.exists()
    assert gens.generation_numbers(ref) == [1, 3]
    assert [e.generation for e in history.read(ref)] == [1, 3]
    assert notes


def test_recover_removes_a_create_that_never_finished(tmp_path: Path) -> None:
    ref = env_ref(settings(tmp_path), name="e")
    gens.register(ref)
    gens.build_dir(ref, 1)
    gens.recover(ref)
    assert not ref.home.exists() and not ref.exists()


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
    assert [(r.name, r.link) for r in all_envs(s)] == [("b", named.link), (None, tmp_path / "proj" / "env")]


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
