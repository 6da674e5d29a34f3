"""Checks a change makes before it solves: untracked files, hand edits, sides, explicit files' hashes."""

from __future__ import annotations

from corral.errors import (
    SpecError,
    UntrackedChanges,
    VerificationError,
)
from corral.store import generations as gens

TYPE_CHECKING = False
if TYPE_CHECKING:  # rollback imports this module (rollback_notes): neither pathlib nor store.prefix on its path
    from collections.abc import Mapping
    from pathlib import Path

    from _typeshed import StrPath

    from corral.handedits import HandEdit
    from corral.models import EnvSpec
    from corral.record import GenerationRecord
    from corral.reporting import Reporter
    from corral.settings import Settings
    from corral.store.envs import EnvRef


def owned_extra_files(prefix: Path, record: GenerationRecord) -> list[str]:
    """Files corral put in a generation besides conda records: its own files and the PyPI packages it installed."""
    from corral.pypi import dists

    wanted = record.pypi_names()
    owned = list(record.extra_files)
    for dist in dists.installed(prefix):
        if dist.name in wanted:
            owned += [*dists.record_files(prefix, dist), dist.dist_info + "/RECORD"]
    return owned


def check_expected(found: Mapping[str, tuple[str, str, str]], expected: Mapping[str, tuple[str, str]]) -> None:
    """Every package an explicit file names is in the solution with the hash the file gives."""
    problems = []
    for name, (sha256, md5) in sorted(expected.items()):
        if name not in found:
            problems.append(f"{name}: not in the solution")
            continue
        have_sha, have_md5, url = found[name]
        if sha256 and have_sha and sha256 != have_sha:
            problems.append(f"{name}: the file expects sha256 {sha256}, the channel has sha256 {have_sha} ({url})")
        if md5 and have_md5 and md5 != have_md5:
            problems.append(f"{name}: the file expects md5 {md5}, the channel has md5 {have_md5} ({url})")
    extra = sorted(set(found) - set(expected))
    problems += [f"{name}: not in the file" for name in extra]
    if problems:
        raise VerificationError(
            "the channels' packages differ from the explicit file; nothing was installed",
            hint="the channel changed since the file was written: export a new one, or point -c at the original",
            details=problems[:20],
        )


def check_current(
    settings: Settings, reporter: Reporter, ref: EnvRef, prefix: Path, record: GenerationRecord, discard: bool
) -> None:
    """Before a change: stop on files corral did not install, or on installed files changed by hand.

    The next generation is built from the packages, so neither would be carried over. A package
    cache entry that an edit in place changed is removed either way (the next link extracts it
    afresh); `discard` (--discard-untracked) goes on, leaving the files and edits in the old
    generation, with a warning for the edits.
    """
    edits = hand_edits(prefix, record)
    notes: list[str] = []
    if edits:
        from corral import handedits

        notes = handedits.remove_damaged(settings, handedits.damaged_cache_entries(settings, prefix, edits))
    number = gens.current_generation(ref)
    if edits and not discard:
        raise UntrackedChanges(
            f"{ref.label}: {len(edits)} file(s) that corral installed were changed by hand since generation"
            f" {number} was built; the next generation is built from the packages and would not keep the changes",
            hint="to keep a change, make it part of a package (your own code: `corral pip install"
            f" {ref.flag} -e PATH`); to go on without the changes pass --discard-untracked (they stay in"
            f" generation {number}, for rollback); `corral doctor {ref.flag} --fix` builds a generation with the"
            " packages' own files",
            details=_capped([e.line() for e in edits] + notes),
        )
    for note in notes:
        reporter.warn(note)
    if edits:
        reporter.warn(
            f"{len(edits)} installed file(s) of {ref.label} changed by hand are left behind in generation"
            f" {number} (--discard-untracked): {', '.join(e.path for e in edits[:5])}"
            + (" ..." if len(edits) > 5 else "")
        )
    if not discard:
        check_untracked(ref, prefix, record)


def hand_edits(prefix: StrPath, record: GenerationRecord) -> list[HandEdit]:
    """The owned files of a generation that hand edits changed since it was finished ([] without a snapshot).

    handedits (its confirmation by hash, its owners) is imported only when the snapshot shows a
    change: rollback and the check before every change ask, and almost always nothing moved.
    """
    from corral.store import snapshot

    found = snapshot.edits(prefix)
    if not found:
        return []
    from pathlib import Path

    from corral import handedits

    return handedits.confirm(Path(prefix), record, found)


def _capped(lines: list[str]) -> list[str]:
    return lines[:20] + ([f"... and {len(lines) - 20} more"] if len(lines) > 20 else [])


def check_untracked(ref: EnvRef, prefix: Path, record: GenerationRecord) -> None:
    """Stop when the generation holds files that no record owns."""
    from corral.store import prefix as pfx

    untracked = pfx.find_untracked(prefix, owned_extra_files(prefix, record))
    if untracked:
        raise UntrackedChanges(
            f"{ref.label} holds {len(untracked)} file(s) that corral did not install"
            " (a plain `pip install`, or a hand edit); the next generation would not carry them",
            hint=f"record the packages with `corral adopt {ref.flag}`, install them through corral, or pass"
            f" --discard-untracked to leave them behind in generation {gens.current_generation(ref)}"
            " (still there for rollback)",
            details=_capped(untracked),
        )


def rollback_notes(prefix: StrPath, record: GenerationRecord, number: int, flag: str) -> tuple[str, ...]:
    """Before a rollback to generation `number`: the hand edits that make it differ from what it was built as."""
    edits = hand_edits(prefix, record)
    if not edits:
        return ()
    shared = sum(1 for e in edits if e.shared)
    why = f" ({shared} edited in place through a hardlink another generation or the package cache shares)"
    return (
        f"generation {number} is not exactly as it was built: {len(edits)} of its installed file(s) were changed"
        f" by hand since{why if shared else ''}: "
        + "; ".join(e.line() for e in edits[:5])
        + (" ..." if len(edits) > 5 else "")
        + f"; `corral doctor {flag} --fix` after the rollback builds a generation with the packages' own files",
    )


def check_sides(ref: EnvRef, spec: EnvSpec, record: GenerationRecord | None) -> None:
    """An environment on a found interpreter holds no conda packages (they would bring their own Python)."""
    python = record.python if record else None
    if spec.specs and spec.python:
        where = f" (Python {python.version} at {python.path})" if python else ""
        raise SpecError(
            f"{ref.label} runs on a found interpreter{where}; it cannot hold conda packages",
            hint="install PyPI packages with --pip, or create a conda-based environment (-c CHANNEL python=3.12 ...)",
            details=[f"conda specs asked for: {', '.join(spec.specs)}"],
        )
