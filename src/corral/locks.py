"""Use cases around locks: `corral lock` (make, --check, --update, --from), `create --lock`, lock exports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.context import ChangeContext, ChangeResult, require_current
from corral.errors import CorralError, LockError, NothingToDo, StaleLock, UsageError
from corral.lock import lockfile
from corral.lock.lockfile import Lock, LockedPlatform
from corral.models import EnvSpec
from corral.reporting import Reporter
from corral.settings import Settings
from corral.specs.envfile import EnvFile
from corral.store import generations as gens
from corral.store import locking
from corral.store.envs import EnvRef, require_absent, require_existing
from corral.values import frozen, replace


@frozen
class LockResult:
    """What `corral lock` did: the file, its platforms, what moved, or (with --check) that it is current."""

    path: str
    action: str  # "written", "unchanged" or "checked"
    platforms: tuple[str, ...]
    counts: dict[str, tuple[int, int]]  # platform -> (conda packages, PyPI packages)
    changes: tuple[str, ...] = ()  # "linux-64: numpy 1.26.4 -> 2.0.1"
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": self.path,
            "action": self.action,
            "platforms": list(self.platforms),
            "packages": {p: {"conda": c, "pypi": n} for p, (c, n) in self.counts.items()},
            "changes": list(self.changes),
            "warnings": list(self.warnings),
        }


def lock(
    settings: Settings,
    reporter: Reporter,
    spec: EnvSpec | None,
    files: EnvFile | None,
    *,
    platforms: Sequence[str] = (),
    output: str = "",
    check: bool = False,
    update: Sequence[str] = (),
    source: str = "",
) -> LockResult:
    """Make (or check, or partly update, or import) the lock of a request."""
    from corral.conda.machine import current_platform
    from corral.lock.platforms import check_platform

    for platform in platforms:
        check_platform(platform)
    path = _output(output, files, source)
    sources = tuple(_relative(s, path.parent) for s in files.sources) if files is not None else ()
    warnings = tuple(files.warnings) if files is not None else ()
    if source:
        return _import(settings, reporter, spec, Path(source), path, sources, platforms, warnings)
    assert spec is not None
    previous = _previous(path, reporter) if not check else lockfile.load(path)
    chosen = tuple(platforms) or (previous.platform_names() if previous else (current_platform(),))
    if check:
        assert previous is not None
        return _check(settings, previous, spec, chosen, path, sources)
    if update:
        _check_update(previous, update, path)
    from corral.lockmake import LockRequest, make

    request = LockRequest(spec, chosen, sources, previous, frozenset(update))
    made = make(request, settings, reporter)
    if previous is not None and previous.environments:  # a project's named environments stay as they are
        made = replace(made, environments=previous.environments)
    return _write(made, previous, path, warnings)


def _output(output: str, files: EnvFile | None, source: str) -> Path:
    if output:
        return Path(output).resolve()
    if files is not None and files.sources:
        return Path(files.sources[0]).resolve().parent / lockfile.LOCK_NAME
    if source:
        return Path(source).resolve().parent / lockfile.LOCK_NAME
    return Path.cwd() / lockfile.LOCK_NAME


def _relative(source: str, base: Path) -> str:
    """A source file as the lock names it: relative to the lock's folder when it is below it."""
    resolved = Path(source).resolve()
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return str(resolved)


def _previous(path: Path, reporter: Reporter) -> Lock | None:
    """The lock already at `path` (its versions are kept where they still fit), or None."""
    if not path.exists():
        return None
    try:
        return lockfile.load(path)
    except LockError as exc:
        reporter.warn(f"the existing {path.name} cannot be read ({exc.message}); locking from scratch")
        return None


def _check(
    settings: Settings, previous: Lock, spec: EnvSpec, platforms: Sequence[str], path: Path, sources: Sequence[str]
) -> LockResult:
    from corral.lockmake import differences

    found = differences(previous, spec, platforms, settings)
    if found:
        raise StaleLock(
            f"{path.name} is out of date with {', '.join(sources) or 'the request'}",
            hint=f"make it again: corral lock {' '.join(f'-f {s}' for s in sources)}".rstrip(),
            details=found,
        )
    return LockResult(str(path), "checked", tuple(sorted(platforms)), _counts(previous))


def _check_update(previous: Lock | None, names: Sequence[str], path: Path) -> None:
    from corral.models import pypi_name

    if previous is None:
        raise UsageError(f"--update needs an existing lock, and {path} does not exist", hint="run corral lock first")
    known = {e.name for p in previous.platforms for e in p.conda} | {e.name for p in previous.platforms for e in p.pypi}
    unknown = [n for n in names if n.lower() not in known and pypi_name(n) not in known]
    if unknown:
        raise NothingToDo(
            f"not in {path.name}: {', '.join(unknown)}", hint="name packages the lock holds (see the file)"
        )


def _write(made: Lock, previous: Lock | None, path: Path, warnings: Sequence[str]) -> LockResult:
    from corral.store.fsutil import atomic_write_text

    text = lockfile.dumps(made)
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old != text:
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            raise CorralError(f"cannot write {path}: {exc.strerror}", hint="choose a writable path with -o") from exc
    return LockResult(
        str(path),
        "unchanged" if old == text else "written",
        made.platform_names(),
        _counts(made),
        tuple(_moves(previous, made)),
        tuple(warnings),
    )


def _counts(lock: Lock) -> dict[str, tuple[int, int]]:
    return {p.platform: (len(p.conda), len(p.pypi)) for p in sorted(lock.platforms, key=lambda p: p.platform)}


def _moves(previous: Lock | None, made: Lock) -> list[str]:
    """Per platform, the packages added, removed or moved since the previous lock."""
    if previous is None:
        return []
    out = []
    for section in sorted(made.platforms, key=lambda p: p.platform):
        before = previous.platform(section.platform)
        if before is None:
            out.append(f"{section.platform}: added")
            continue
        old, new = _versions(before), _versions(section)
        for name in sorted(old.keys() | new.keys()):
            if old.get(name) != new.get(name):
                out.append(f"{section.platform}: {name} {old.get(name, '(none)')} -> {new.get(name, '(none)')}")
    return out


def _versions(section: LockedPlatform) -> dict[str, str]:
    out = {e.name: f"{e.version}={e.build}" for e in section.conda}
    out.update({f"{e.name} (pypi)": e.version or "editable" for e in section.pypi})
    return out


def _import(
    settings: Settings,
    reporter: Reporter,
    spec: EnvSpec | None,
    source: Path,
    path: Path,
    sources: Sequence[str],
    platforms: Sequence[str],
    warnings: Sequence[str],
) -> LockResult:
    """`corral lock --from pixi.lock|conda-lock.yml`: the same packages as a corral.lock."""
    from corral.credentials import take_lock

    imported, notes = read_foreign(source, settings)
    imported = take_lock(imported, settings.root)
    if platforms:
        missing = [p for p in platforms if imported.platform(p) is None]
        if missing:
            raise LockError(
                f"{source.name} has no section for {', '.join(missing)} (it covers"
                f" {', '.join(imported.platform_names())})"
            )
        imported = replace(imported, platforms=tuple(p for p in imported.platforms if p.platform in platforms))
    if spec is not None:
        imported = Lock(spec=spec, platforms=imported.platforms, sources=(*sources, str(source)))
    else:
        notes = (*notes, "no environment file given (-f): the lock records no request, so --check cannot compare")
    for note in notes:
        reporter.warn(note)
    return _write(imported, None, path, (*warnings, *notes))


def read_foreign(path: Path, settings: Settings) -> tuple[Lock, tuple[str, ...]]:
    """A pixi.lock or conda-lock.yml as a Lock (without a request), and notes for the user."""
    if not path.is_file():
        raise LockError(f"{path} does not exist", hint="give the path of a pixi.lock or conda-lock.yml")
    text = path.read_text(encoding="utf-8", errors="replace")
    if "\nenvironments:" in text or text.startswith("version: 5") or text.startswith("version: 6"):
        from corral.conda.pixi import read_pixi

        return read_pixi(path, settings)
    if "\npackage:" in text and "metadata:" in text:
        from corral.lock.interop import read_conda_lock

        return read_conda_lock(path, text)
    raise LockError(
        f"{path} is neither a pixi.lock nor a conda-lock.yml",
        hint="corral lock --from reads pixi.lock (version 5 and later) and conda-lock.yml (version 1)",
    )


def create_from_lock(ctx: ChangeContext, ref: EnvRef, path: str, platform: str = "") -> ChangeResult:
    """`corral create --lock FILE`: a new environment that is exactly the lock's section for this machine."""
    return create_from_locked(ctx, ref, lockfile.load(Path(path), ctx.settings.parsed_locks), platform)


def create_from_locked(ctx: ChangeContext, ref: EnvRef, lock: Lock, platform: str = "") -> ChangeResult:
    """A new environment that is exactly `lock`'s section for `platform` (default: this machine's)."""
    from corral.conda.machine import current_platform
    from corral.credentials import take_lock
    from corral.frozen import apply_locked

    locked = take_lock(lock, ctx.settings.root)
    chosen = platform or current_platform()
    section = locked.platform(chosen)
    if section is None:
        raise LockError(
            f"the lock has no section for this machine's platform {chosen} (it covers"
            f" {', '.join(locked.platform_names())})",
            hint=f"add it: corral lock -f FILE --platform {chosen} (with the platforms it has)",
        )
    _refuse_inconsistent(locked, section)
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        gens.recover(ref)
        require_absent(ref)
        return apply_locked(ctx, ref, locked.spec, section, lock_sha256=locked.input_hash)


def _refuse_inconsistent(locked: Lock, section: LockedPlatform) -> None:
    """A hand-edited section whose records do not hold together is refused before anything is built."""
    if not section.conda:
        return
    from corral.conda.consistency import unmet

    found = unmet(section.conda, section.platform, machine=False)
    if found:
        sources = " ".join(f"-f {s}" for s in locked.sources) or "-f FILE"
        raise LockError(
            f"the lock's {section.platform} section does not hold together ({len(found)} unmet); nothing was installed",
            hint=f"make the lock again: corral lock {sources}",
            details=[str(u) for u in found[:20]],
        )


def generation_lock(settings: Settings, ref: EnvRef, reporter: Reporter) -> Lock:
    """The lock of an environment's current generation: the locked platform its record keeps.

    No index is asked: every generation records the exact artifacts it was built from. Only a
    generation made by a corral before records kept them lacks PyPI artifacts; those are looked
    up once with uv (the one case that asks an index).
    """
    require_existing(ref)
    number = require_current(ref)
    record = gens.read_record(ref, number)
    section = record.locked
    if any(not (e.editable or e.direct or e.wheels or e.sdist) for e in section.pypi):
        section = replace(section, pypi=_looked_up(settings, reporter, Path(gens.generation_dir(ref, number)), record))
    return Lock(spec=record.spec, platforms=(section,))


def _looked_up(settings: Settings, reporter: Reporter, prefix: Path, record: Any) -> tuple[Any, ...]:
    from corral.layout import python_path
    from corral.lock.pypi import entries_from_pylock
    from corral.pypi.resolve import entry_pin
    from corral.pypi.uv import Uv

    kept = [e for e in record.locked.pypi if e.editable or e.direct or e.wheels or e.sdist]
    bare = [entry_pin(e) for e in record.locked.pypi if e not in kept]
    text = Uv(settings, reporter).pylock(python_path(prefix), bare, record.spec.index)
    return tuple(sorted((*kept, *entries_from_pylock(text)), key=lambda e: e.name))


def export_lock(
    settings: Settings, reporter: Reporter, ref: EnvRef | None, lock_path: str, fmt: str, platform: str
) -> str:
    """The text of a lock-based export: corral.lock, pixi.lock, conda-lock.yml, or explicit/requirements from a lock."""
    from corral.conda.machine import current_platform
    from corral.lock import interop
    from corral.specs import export as writers

    if lock_path:
        from corral.credentials import take_lock

        source = take_lock(lockfile.load(Path(lock_path)), settings.root)
    elif ref is not None:
        source = generation_lock(settings, ref, reporter)
    else:
        raise UsageError("name an environment (-n/-p) or a lock file (--lock FILE)")
    if fmt == "lock":
        return lockfile.dumps(source)
    if fmt == "pixi.lock":
        from corral.conda.pixi import pixi_text

        return pixi_text(source)
    if fmt == "conda-lock.yml":
        return interop.conda_lock_text(source)
    chosen = platform or (current_platform() if lock_path else source.platforms[0].platform)
    section = source.platform(chosen)
    if section is None:
        raise LockError(
            f"the lock has no section for {chosen} (it covers {', '.join(source.platform_names())})",
            hint="pick one with --platform",
        )
    if fmt == "explicit":
        return writers.explicit_text(section)
    if fmt == "requirements.txt":
        return writers.requirements_text(section)
    raise UsageError(
        f"format '{fmt}' cannot be made from a lock",
        hint="from a lock: lock, pixi.lock, conda-lock.yml, explicit, requirements.txt",
    )
