"""A project's named environments in its one corral.lock: each locked under `environments:`, beside the default.

A named environment is the default environment's request plus its groups' requirements
(project/manifest.py); it is locked with the same lockmake.make as every lock, keeping its own
earlier versions (or, the first time, the default environment's) where they still fit, and
written into the project's lock without touching the default's section or the others'.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.errors import CorralError
from corral.lock import lockfile
from corral.lock.lockfile import Lock, LockedPlatform
from corral.project import Project
from corral.settings import Settings
from corral.values import frozen


@frozen
class Locked:
    """One environment's lock after a lock step: the lock, and what the step did."""

    lock: Lock
    action: str = ""
    changes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def relock(
    settings: Settings,
    reporter: Any,
    project: Project,
    request: tuple[Any, Any, tuple[str, ...]],
    update: Sequence[str] = (),
) -> Locked:
    """Lock the named environment `project.env` into the project's lock (whose default part must exist)."""
    from corral.lockmake import LockRequest, make

    spec, files, declared = request
    path = Path(project.lock)
    full = lockfile.load(path)
    previous = full.environment(project.env)
    platforms = declared or (previous or full).platform_names()
    sources = tuple(os.path.basename(s) for s in files.sources)
    from corral.project.portable import absolute, portable

    preferences = absolute(previous or full, project.root, rehash=True)
    made = make(LockRequest(spec, tuple(platforms), sources, preferences, frozenset(update)), settings, reporter)
    made = portable(made, project.root)
    text = lockfile.dumps(full.with_environment(project.env, made))
    old = path.read_text(encoding="utf-8")
    if old != text:
        from corral.store.fsutil import atomic_write_text

        try:
            atomic_write_text(path, text)
        except OSError as exc:
            raise CorralError(f"cannot write {path}: {exc.strerror}", hint="check the project folder") from exc
    changes = tuple(f"{project.env}: {c}" for c in moves(previous, made))
    return Locked(made, "unchanged" if old == text else "written", changes, tuple(files.warnings))


def moves(previous: Lock | None, made: Lock) -> list[str]:
    """Per platform, the packages added, removed or moved (all of them new when there was no lock)."""
    out = []
    for section in sorted(made.platforms, key=lambda p: p.platform):
        before = previous.platform(section.platform) if previous is not None else None
        if before is None:
            out.append(f"{section.platform}: added")
            continue
        old, new = _versions(before), _versions(section)
        out += [
            f"{section.platform}: {name} {old.get(name, '(none)')} -> {new.get(name, '(none)')}"
            for name in sorted(old.keys() | new.keys())
            if old.get(name) != new.get(name)
        ]
    return out


def _versions(section: LockedPlatform) -> dict[str, str]:
    out = {e.name: f"{e.version}={e.build}" for e in section.conda}
    out.update({f"{e.name} (pypi)": e.version or "editable" for e in section.pypi})
    return out


def drop_unknown(project: Project, names: Sequence[str]) -> list[str]:
    """Take environments the manifest no longer names out of the lock; the names taken out."""
    path = Path(project.lock)
    if not path.is_file():
        return []
    full = lockfile.load(path)
    gone = [n for n, _ in full.environments if n not in names]
    if gone:
        from corral.store.fsutil import atomic_write_text

        for name in gone:
            full = full.with_environment(name, None)
        atomic_write_text(path, lockfile.dumps(full))
    return gone
