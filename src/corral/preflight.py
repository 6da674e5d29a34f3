"""Checks a change makes before it solves: untracked files, sides of the environment, explicit files' hashes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from corral.errors import (
    SpecError,
    UntrackedChanges,
    VerificationError,
)
from corral.models import EnvSpec
from corral.record import GenerationRecord
from corral.store import generations as gens
from corral.store import prefix as pfx
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


def check_untracked(ref: EnvRef, prefix: Path, record: GenerationRecord) -> None:
    untracked = pfx.find_untracked(prefix, owned_extra_files(prefix, record))
    if untracked:
        raise UntrackedChanges(
            f"{ref.label} holds {len(untracked)} file(s) that corral did not install"
            " (a plain `pip install`, or a hand edit); the next generation would not carry them",
            hint=f"record the packages with `corral adopt {ref.flag}`, install them through corral, or pass"
            f" --discard-untracked to leave them behind in generation {gens.current_generation(ref)}"
            " (still there for rollback)",
            details=untracked[:20] + ([f"... and {len(untracked) - 20} more"] if len(untracked) > 20 else []),
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
