"""The one way files get into a generation: a locked platform's conda entries linked, then its PyPI entries installed.

A solved change, `create --lock` and `doctor --fix` differ only in where the locked platform comes
from (a solve, a lock file's section, the generation's own record); every generation is built
here from such a section, verified, described by a GenerationRecord that keeps the section, and
switched to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.context import ChangeResult
from corral.errors import VerificationError
from corral.layout import python_path
from corral.lock.lockfile import CondaEntry, LockedPlatform, PypiEntry
from corral.models import HistoryEntry
from corral.record import FoundPython, GenerationRecord
from corral.reporting import Reporter
from corral.settings import Settings
from corral.store import generations as gens
from corral.store import prefix as pfx
from corral.store.envs import EnvRef
from corral.store.fsutil import trash_then_remove


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

            link(conda, built, gens.generation_dir(ref, number), requested, settings, reporter)
        elif interpreter is not None:
            from corral.pypi.venv import make_venv

            make_venv(built, interpreter)
        (built / pfx.CORRAL_META).mkdir(parents=True, exist_ok=True)
        return gens.commit(ref, built, number)
    except BaseException:
        trash_then_remove(built, f".trash-build-{number}")
        raise


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
) -> GenerationRecord:
    """The record of the generation a change is building (its time and own files are set by `finish`)."""
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


def finish(ref: EnvRef, prefix: Path, record: GenerationRecord, label: str) -> None:
    """Mark, verify and describe the placed generation, then switch the link to it and record history."""
    from corral.pypi import dists

    records = pfx.read_records(prefix)
    marker = pfx.mark_externally_managed(prefix, records, label, ref.flag)
    extra = [marker] if marker else []
    if record.python is not None:
        extra += ["pyvenv.cfg", "lib64", "bin/python", "bin/python3", f"bin/python{record.python.minor}"]
    missing = pfx.find_missing(prefix, records)
    present = {d.name: d for d in dists.installed(prefix)}
    missing += [f"{e.name}: not installed" for e in record.locked.pypi if e.name not in present]
    _refuse_overwrites(prefix, records, [present[e.name] for e in record.locked.pypi if e.name in present])
    if missing:
        raise VerificationError(
            f"the new generation is missing {len(missing)} file(s) or package(s); it was not switched to",
            hint="run `corral clean` to drop damaged cache entries, then retry",
            details=missing[:20],
        )
    record = dataclasses.replace(record, created=gens.now(), extra_files=tuple(extra))
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


def _refuse_overwrites(prefix: Path, records: Sequence[Any], installed: Sequence[Any]) -> None:
    """No PyPI package may have written a file a conda package owns (conda's would be silently replaced)."""
    from corral.pypi import dists

    owner = {f: str(r["name"]) for r in records for f in r.get("files", ())}
    clashes = []
    for dist in installed:
        for rel in dists.record_files(prefix, dist):
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
