"""The one way files get into a generation: a locked platform's conda entries linked, then its PyPI entries installed.

A solved change, `create --lock` and `doctor --fix` differ only in where the locked platform comes
from (a solve, a lock file's section, the generation's own record); every generation is built
here from such a section, verified, described by a GenerationRecord that keeps the section, and
switched to.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.conda.clobbers import CLOBBERS_DIR
from corral.context import ChangeResult
from corral.errors import LinkScriptError, PathConflictError, VerificationError
from corral.layout import python_path
from corral.lock.entries import CondaEntry, LockedPlatform, PypiEntry
from corral.models import Clobber, HistoryEntry, Plan
from corral.record import FoundPython, GenerationRecord
from corral.reporting import Reporter
from corral.settings import Settings
from corral.store import generations as gens
from corral.store import prefix as pfx
from corral.store import snapshot
from corral.store.envs import EnvRef
from corral.store.fsutil import trash_then_remove
from corral.values import replace


def place(
    settings: Settings,
    reporter: Reporter,
    ref: EnvRef,
    number: int,
    conda: Sequence[CondaEntry],
    interpreter: FoundPython | None,
    requested: Sequence[str],
) -> Path:
    """Link the conda entries (or lay out a venv on `interpreter`) and move the result to its generation path.

    A generation directory is not in use until the link is switched to it; a killed run leaves one
    that `recover` deletes, since it never made it into history.
    """
    built = gens.build_dir(ref, number)
    try:
        if conda:
            from corral.conda.installer import link

            link(conda, built, Path(gens.generation_dir(ref, number)), requested, settings, reporter)
        elif interpreter is not None:
            from corral.pypi.venv import make_venv

            make_venv(built, interpreter)
        (built / pfx.CORRAL_META).mkdir(parents=True, exist_ok=True)
        return Path(gens.commit(ref, built, number))
    except BaseException:
        trash_then_remove(built, f".trash-build-{number}")
        raise


def review(settings: Settings, reporter: Reporter, result: ChangeResult, prefix: Path) -> ChangeResult:
    """Before the question: what the placed generation's conda files say about the change.

    Refuses a file one package ships where another needs a directory, clobbered paths when
    `path-conflict = prevent`, and link scripts when `link-scripts = refuse`; adds the paths
    several packages ship (with the package whose file is kept) and the pre-link messages of the
    packages the change brings in.
    """
    from corral.conda import clobbers, scripts

    records = pfx.read_records(prefix)
    problems, found = clobbers.examine(records)
    clobbers.refuse_file_directory(problems)
    if found and settings.path_conflict == "prevent":
        raise PathConflictError(
            f"{len(found)} path(s) are shipped by more than one conda package, and path-conflict = prevent"
            f" (from {settings.sources.get('path_conflict', 'defaults')}); nothing was changed",
            hint="pass --clobber to keep one package's file (as conda's --clobber), or drop one of the packages",
            details=[_clobber_line(c) for c in found[:20]],
        )
    if found and settings.path_conflict == "warn":
        for c in found:
            reporter.warn(f"path shipped by several packages: {_clobber_line(c)}")
    present = scripts.find_scripts(prefix, records)
    if present and settings.link_scripts == "refuse":
        raise LinkScriptError(
            f"{len({s.package for s in present})} package(s) have link scripts, and link scripts are refused"
            f" (link-scripts = refuse, from {settings.sources.get('link_scripts', 'defaults')}); nothing was changed",
            hint="remove those packages from the request, or allow their scripts with --link-scripts run (or skip"
            " them with --link-scripts skip: the packages may then not work)",
            details=[f"{s.package}: {s.path.name}" for s in present],
        )
    messages = tuple(scripts.prelink_messages(records, _announced(result.plan)))
    return replace(result, messages=messages, clobbers=tuple(found))


def _announced(plan: Plan) -> frozenset[str]:
    """The conda packages a change brings in (added or at another build): only their messages are shown."""
    return frozenset(c.name for c in plan.changes if c.new is not None and c.new.kind == "conda")


def _clobber_line(c: Clobber) -> str:
    return f"{c.path}: {c.winner}'s file is kept; {', '.join(c.losers)}'s moved to {CLOBBERS_DIR}/NAME/{c.path}"


def run_link_scripts(
    settings: Settings, reporter: Reporter, result: ChangeResult, prefix: Path
) -> tuple[ChangeResult, tuple[str, ...]]:
    """After the question, before the PyPI side: run the placed generation's pre-link then post-link scripts.

    Every package's scripts run, since each generation is a fresh prefix. Returns the result with
    what they wrote to `.messages.txt` (for the packages the change brings in), and the files they
    created, which belong to the generation (recorded, so they are not untracked). A failing
    script raises, and the caller discards the generation.
    """
    from corral.conda import scripts

    found = scripts.find_scripts(prefix, pfx.read_records(prefix))
    if not found:
        return result, ()
    names = ", ".join(f"{s.package} ({s.kind})" for s in found)
    if settings.link_scripts == "skip":
        reporter.warn(f"link scripts not run (link-scripts = skip): {names}; those packages may not work")
        return result, ()
    reporter.status(f"Running link scripts: {names}")
    before = set(pfx.walk_files(prefix))
    done = tuple(scripts.run_scripts(prefix, found, settings, _announced(result.plan)))
    created = tuple(sorted(set(pfx.walk_files(prefix)) - before))
    return replace(result, messages=result.messages + done), created


def install_pypi(
    settings: Settings,
    reporter: Reporter,
    prefix: Path,
    entries: Sequence[PypiEntry],
    index: Any,
    python: str,
    platform: str,
    allow_build: bool,
) -> None:
    """Install exactly `entries` into the placed generation: hashed artifacts, direct references, editables."""
    if not entries:
        return
    from corral.lock.pypi import install_plan
    from corral.pypi.uv import Uv

    hashed, plain, editables = install_plan(entries, python, platform, allow_build)
    Uv(settings, reporter).install_exact(python_path(prefix), hashed, plain, editables, index, allow_build)


def new_record(
    result: ChangeResult,
    command: str,
    locked: LockedPlatform,
    python: FoundPython | None,
    lock_sha256: str = "",
    created: Sequence[str] = (),
) -> GenerationRecord:
    """The record of the generation a change is building (its time and corral's own files are set by `finish`).

    `created` are the files link scripts made, which the generation owns.
    """
    from corral import __version__
    from corral.redact import redact

    assert result.generation is not None
    return GenerationRecord(
        number=result.generation,
        created=gens.now(),
        action=result.action,
        command=redact(command),
        spec=result.spec,
        locked=locked,
        parent=result.previous,
        changes=result.plan.changes,
        python=python,
        lock_sha256=lock_sha256,
        corral_version=__version__,
        extra_files=tuple(created),
    )


def discard(placed: Path | None, number: int) -> None:
    """Delete a placed generation that will not be switched to."""
    if placed is not None:
        trash_then_remove(placed, f".trash-build-{number}")


def undo_unless_switched(ref: EnvRef, placed: Path | None, number: int, creating: bool, exc: BaseException) -> None:
    """After a failure: undo the build (and a new environment's registration), unless the link already points at it.

    Once the switch happened the new generation is the environment: it is never deleted, and the
    error says where the environment is (what is missing after it, `recover` adds).
    """
    if gens.is_current(ref, number):
        raise gens.incomplete(ref, number, exc) from exc
    discard(placed, number)
    if creating:
        gens.recover(ref)


def finish(ref: EnvRef, prefix: Path, record: GenerationRecord, label: str, root: str) -> None:
    """Mark, verify, snapshot and describe the placed generation, then switch the link to it and record history.

    The snapshot (each owned file's inode, size and mtime) is what later changes compare against
    to find hand edits (store/snapshot.py).
    """
    records = pfx.read_records(prefix)
    marker = pfx.mark_externally_managed(prefix, records, label, ref.flag)
    extra = [marker] if marker else []
    if record.python is not None:
        extra += ["pyvenv.cfg", "lib64", "bin/python", "bin/python3", f"bin/python{record.python.minor}"]
    minor = record.python.minor if record.python is not None else _minor(record.locked.python)
    extra += pfx.write_pip_shims(prefix, minor, label, ref.flag, [sys.executable, "-m", "corral"], root)
    taken: dict[str, tuple[int, int, int]] = {}  # the conda files' snapshot, from the same walk
    missing = pfx.find_missing(prefix, records, taken)
    present: dict[str, Any] = {}
    pypi_files: dict[str, list[str]] = {}
    if record.locked.pypi:  # a conda-only generation has no PyPI distribution of corral's to check
        from corral.pypi import dists

        present = {d.name: d for d in dists.installed(prefix)}
        missing += [f"{e.name}: not installed" for e in record.locked.pypi if e.name not in present]
        pypi_files = {
            e.name: dists.record_files(prefix, present[e.name]) for e in record.locked.pypi if e.name in present
        }
        _refuse_overwrites(records, [(present[name], files) for name, files in pypi_files.items()])
    if missing:
        raise VerificationError(
            f"the new generation is missing {len(missing)} file(s) or package(s); it was not switched to",
            hint="run `corral clean` to drop damaged cache entries, then retry",
            details=missing[:20],
        )
    extra += [f for f in record.extra_files if f not in extra]  # what link scripts created, kept by the caller
    record = replace(record, created=gens.now(), extra_files=tuple(extra))
    owned = list(extra)  # the conda packages' files are in `taken`
    for entry in record.locked.pypi:
        dist = present.get(entry.name)
        if dist is not None:
            owned += [*pypi_files[entry.name], dist.dist_info + "/RECORD"]
    snapshot.write(prefix, owned, taken)  # after link scripts and every write above: hand edits are measured from here
    gens.write_record(prefix, record)
    gens.switch_recorded(
        ref,
        HistoryEntry(
            generation=record.number,
            time=record.created,
            action=record.action,
            command=record.command,
            previous=record.parent,
            changes=record.changes,
        ),
    )


def _minor(version: str) -> str:
    """`3.12` of a python version such as `3.12.1` (empty when there is no python)."""
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else ""


def _refuse_overwrites(records: Sequence[Any], installed: Sequence[tuple[Any, list[str]]]) -> None:
    """No PyPI package may have written a file a conda package owns (conda's would be silently replaced).

    `installed`: each installed PyPI distribution with the files its RECORD lists.
    """
    owner = {f: str(r["name"]) for r in records for f in r.get("files", ())}
    clashes = []
    for dist, files in installed:
        for rel in files:
            if rel in owner and "__pycache__" not in rel:
                clashes.append(f"{rel}: PyPI package {dist.name} {dist.version} over conda package {owner[rel]}")
    if clashes:
        raise VerificationError(
            f"PyPI packages would replace {len(clashes)} file(s) of conda packages; the environment was not changed",
            hint="corral does not let PyPI packages replace conda packages' files: drop the PyPI package, or"
            " remove the conda package it collides with",
            details=clashes[:20],
        )


def collect_garbage(ref: EnvRef, keep: int, reporter: Reporter) -> tuple[int, ...]:
    """Delete old generations; after a successful switch a failure here is only a warning."""
    try:
        return tuple(gens.collect_garbage(ref, keep))
    except OSError as exc:
        reporter.warn(f"could not delete old generations ({exc}); `corral clean` retries")
        return ()
