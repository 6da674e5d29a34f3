"""Generations of one environment: build beside, commit by rename, switch by symlink, history, GC, recovery."""

from __future__ import annotations

import os
import time

from corral import layout
from corral.errors import CorralError, DamagedGeneration, IncompleteChange
from corral.models import Change, HistoryEntry
from corral.store import history
from corral.store.children import reap
from corral.store.envs import ENV_FILE
from corral.store.fsutil import atomic_write_json, read_json, remove_file, remove_tree, trash_then_remove

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from _typeshed import StrPath

    from corral.record import GenerationRecord
    from corral.store.envs import EnvRef

NUMBERS_FILE = layout.NUMBERS_FILE  # the highest generation number ever handed to a build
PENDING_FILE = layout.PENDING_FILE  # the history entry of a switch under way (recover finishes it)
SCHEMA = 1


def now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())  # isoformat(timespec="seconds") in UTC


def generation_dir(ref: EnvRef, number: int) -> str:
    """The prefix of generation `number`."""
    return os.path.join(ref.home, str(number))


def generation_numbers(ref: EnvRef) -> list[int]:
    """The generations on disk, ascending."""
    try:
        with os.scandir(ref.home) as entries:
            return sorted(int(e.name) for e in entries if e.name.isdigit() and e.is_dir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def current_generation(ref: EnvRef) -> int | None:
    """The generation the stable link points to, or None (no link, or a link that is not ours)."""
    try:
        target = os.readlink(ref.link)
    except OSError:
        return None
    folder, name = os.path.split(os.path.normpath(target))
    if folder != os.path.normpath(ref.home) or not name.isdigit() or not os.path.isdir(target):
        return None
    return int(name)


def next_number(ref: EnvRef) -> int:
    """One past every generation ever made or handed to a build, so numbers (and paths) are never reused.

    A killed build's generation is deleted by `recover`, but a process it left behind (a uv that
    outlived its corral) may still write to that path: a later build must never be put there.
    """
    known = generation_numbers(ref) + history.generations(ref) + [_reserved(ref)]
    return max(known, default=0) + 1


def _reserved(ref: EnvRef) -> int:
    try:
        data = read_json(os.path.join(ref.home, NUMBERS_FILE))
    except (OSError, ValueError):
        return 0
    last = data.get("last") if isinstance(data, dict) else None
    return last if isinstance(last, int) and not isinstance(last, bool) else 0


def build_dir(ref: EnvRef, number: int) -> Path:
    """A fresh directory to build generation `number` in (its number reserved first); only commit() places it."""
    from pathlib import Path

    if number > _reserved(ref):
        atomic_write_json(os.path.join(ref.home, NUMBERS_FILE), {"schema": SCHEMA, "last": number})
    path = Path(ref.home, f".build-{number}-{os.getpid()}")
    remove_tree(path)
    path.mkdir(parents=True)
    return path


def commit(ref: EnvRef, built: StrPath, number: int) -> str:
    """Rename a verified build directory to its generation number."""
    target = generation_dir(ref, number)
    os.replace(built, target)
    _fsync_dir(ref.home)
    return target


def switch(ref: EnvRef, number: int) -> None:
    """Point the stable link at generation `number` with one atomic rename."""
    target = generation_dir(ref, number)
    folder, name = os.path.split(ref.link)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.corral-tmp-{os.getpid()}")
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp, target_is_directory=True)
    os.replace(tmp, ref.link)
    _fsync_dir(folder)


def is_current(ref: EnvRef, number: int) -> bool:
    """True when the stable link already points at generation `number` (it must never be deleted then)."""
    return current_generation(ref) == number


def register(ref: EnvRef) -> None:
    """Record the environment's existence (name, link path, creation time)."""
    atomic_write_json(
        os.path.join(ref.home, ENV_FILE), {"schema": SCHEMA, "name": ref.name, "path": ref.link, "created": now()}
    )


def env_created(ref: EnvRef) -> str:
    """When the environment was created."""
    try:
        return str(read_json(os.path.join(ref.home, ENV_FILE)).get("created", ""))
    except (OSError, ValueError):
        return ""


def read_record(ref: EnvRef, number: int) -> GenerationRecord:
    """Generation `number`'s own record; a missing or damaged one is an error naming the file and the repair."""
    from corral.record import DamagedRecord, GenerationRecord

    prefix = generation_dir(ref, number)
    path = os.path.join(prefix, layout.GENERATION_FILE)
    try:
        data = read_json(path)
        legacy = _legacy_records(prefix) if isinstance(data, dict) and data.get("schema") == 1 else []
        return GenerationRecord.from_dict(data, legacy)
    except FileNotFoundError:
        reason = "the file is missing"
    except UnicodeDecodeError:
        reason = "the file is not UTF-8 text"
    except DamagedRecord as exc:
        reason = str(exc)
    except ValueError as exc:  # JSON syntax
        reason = f"not valid JSON ({exc})"
    except OSError as exc:
        reason = exc.strerror or str(exc)
    raise DamagedGeneration(
        f"the record of generation {number} of {ref.label} is damaged: {reason}; corral will not guess what the"
        " generation holds",
        hint=f"go back to a sound generation with `corral rollback {ref.flag}`, or build a fresh one from what is"
        f" installed with `corral doctor {ref.flag} --fix`",
        details=[path],
    )


def _legacy_records(prefix: str) -> list[dict[str, Any]]:
    """conda-meta's records, which a record of schema 1 (before it held the locked platform) is read with."""
    from pathlib import Path

    from corral.store import prefix as pfx

    return pfx.read_records(Path(prefix))


def write_record(prefix: StrPath, record: GenerationRecord) -> None:
    """Write a generation's own record inside it."""
    atomic_write_json(os.path.join(prefix, layout.GENERATION_FILE), record.to_dict())


def _raw_record(prefix: StrPath) -> dict[str, Any]:
    """A record's fields as JSON, {} when unreadable: only to rebuild a history entry, never to build from."""
    try:
        data = read_json(os.path.join(prefix, layout.GENERATION_FILE))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def switch_recorded(ref: EnvRef, entry: HistoryEntry) -> None:
    """Switch the link to `entry.generation` and record the switch in history.

    The entry is written down first (`pending.json`), so a kill or a failure after the switch
    leaves what `recover` needs to record it exactly; a failure after the switch raises
    IncompleteChange, which tells the truth (the environment is on the new generation).
    """
    pending = os.path.join(ref.home, PENDING_FILE)
    atomic_write_json(pending, {"schema": SCHEMA, **entry.to_dict()})
    try:
        switch(ref, entry.generation)
    except BaseException:
        if not is_current(ref, entry.generation):
            remove_file(pending)
        raise
    try:
        history.append(ref, entry)
        remove_file(pending)
    except BaseException as exc:
        raise incomplete(ref, entry.generation, exc) from exc


def incomplete(ref: EnvRef, number: int, exc: BaseException) -> IncompleteChange:
    """The error for a failure once the link points at generation `number`: it is in place, and stays."""
    if isinstance(exc, IncompleteChange):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        reason = "interrupted"
    elif isinstance(exc, CorralError):
        reason = exc.message
    else:
        reason = str(exc) or type(exc).__name__
    error = IncompleteChange(
        f"{ref.label} is now on generation {number}, but finishing the change failed ({reason})",
        hint="nothing is lost: the next corral command on it records the switch in its history"
        f" (`corral history {ref.flag}`); `corral rollback {ref.flag}` goes back",
    )
    if isinstance(exc, KeyboardInterrupt):
        error.exit_code = 130
    return error


def rebuild_history(ref: EnvRef) -> str:
    """Replace a damaged history with one entry per generation, from each one's record; return where the old file went.

    Rollbacks recorded only in the damaged file are lost (a record says how its generation was
    made, not when it was switched back to); the current generation is last, as recover expects.
    """
    current = current_generation(ref)
    numbers = [n for n in generation_numbers(ref) if n != current] + ([current] if current is not None else [])
    return history.replace_damaged(ref, [_recorded_entry(ref, n) for n in numbers])


def collect_garbage(ref: EnvRef, keep: int) -> list[int]:
    """Delete generations beyond the newest `keep` rollback points (see kept_generations), never the current one."""
    current = current_generation(ref)
    numbers = generation_numbers(ref)
    kept = kept_generations(ref.home, numbers, keep, current)
    removed = [n for n in numbers if n not in kept]
    for number in removed:
        trash_then_remove(generation_dir(ref, number), f".trash-{number}-{os.getpid()}")
    return removed


def kept_generations(home: StrPath, numbers: list[int], keep: int, current: int | None) -> set[int]:
    """The generations GC and `clean` keep: the newest `keep` rollback points, and the current one.

    A generation that changed only the request (no package moved) is kept but not counted: it holds
    the same packages as the one before it, so it must not push a real rollback point out.
    """
    kept = {current} if current is not None else set()
    counted = 0
    for number in sorted(numbers, reverse=True):
        if counted >= keep:
            break
        kept.add(number)
        if not _request_only(os.path.join(home, str(number))):
            counted += 1
    return kept


def _request_only(prefix: StrPath) -> bool:
    """True for a generation whose change moved no package (an unreadable record counts as a real one)."""
    meta = _raw_record(prefix)
    return meta.get("parent") is not None and meta.get("changes") == []


def recover(ref: EnvRef) -> list[str]:
    """Undo what a killed or failed change left behind; call with the environment's lock held.

    Build and trash directories go; a generation that was never switched to (or never made it into
    history) goes; a current generation missing from history is added back from its own record; an
    environment whose first generation never finished is removed entirely.
    """
    notes: list[str] = []
    for pid in reap(ref.run_dir):
        notes.append(f"ended process {pid}, left running by a corral that was killed")
    try:
        with os.scandir(ref.home) as entries:
            names = [entry.name for entry in entries]
    except (FileNotFoundError, NotADirectoryError):
        return notes
    for name in names:
        if name.startswith((".build-", ".trash-")):
            remove_tree(os.path.join(ref.home, name))
            notes.append(f"removed unfinished {name}")
        elif name.startswith(".") and name.endswith(".tmp"):  # an atomic write cut short
            remove_file(os.path.join(ref.home, name))
    folder, link_name = os.path.split(ref.link)
    leftover = f".{link_name}.corral-tmp-"  # a switch's new link cut short before its rename
    try:
        with os.scandir(folder) as entries:
            stale = [entry.path for entry in entries if entry.name.startswith(leftover)]
    except (FileNotFoundError, NotADirectoryError):
        stale = []
    for path in stale:
        os.unlink(path)
    current = current_generation(ref)
    recorded = history.generations(ref)
    known = set(recorded)
    if current is not None and (not recorded or recorded[-1] != current):
        history.append(ref, _lost_entry(ref, current))
        known.add(current)
        notes.append(f"recorded the switch to generation {current} in history")
    remove_file(os.path.join(ref.home, PENDING_FILE))
    for number in generation_numbers(ref):
        if number != current and number not in known:
            trash_then_remove(generation_dir(ref, number), f".trash-{number}-{os.getpid()}")
            notes.append(f"removed generation {number}, which was never switched to")
    if current is None and not generation_numbers(ref) and not known:
        remove_tree(ref.home)
        notes.append("removed an environment whose creation never finished")
    return notes


def _lost_entry(ref: EnvRef, current: int) -> HistoryEntry:
    """The history entry of a switch whose recording was cut short: the pending one, else the generation's own."""
    try:
        pending = HistoryEntry.from_dict(read_json(os.path.join(ref.home, PENDING_FILE)))
    except (OSError, ValueError, KeyError, TypeError):
        pending = None
    if pending is not None and pending.generation == current:
        return pending
    return _recorded_entry(ref, current)


def _recorded_entry(ref: EnvRef, number: int) -> HistoryEntry:
    """Generation `number`'s history entry as its own record tells it."""
    meta = _raw_record(generation_dir(ref, number))
    return HistoryEntry(
        generation=number,
        time=str(meta.get("created", now())),
        action=str(meta.get("action", "recovered")),
        command=str(meta.get("command", "")),
        previous=meta.get("parent"),
        changes=_changes(meta.get("changes")),
    )


def _changes(data: Any) -> tuple[Change, ...]:
    """The changes a generation's record lists, for a history entry rebuilt from it."""
    if not isinstance(data, list):
        return ()
    try:
        return tuple(Change.from_dict(c) for c in data)
    except (KeyError, TypeError, ValueError):
        return ()


def _fsync_dir(path: StrPath) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
