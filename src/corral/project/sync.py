"""Project use cases: init, add, remove, and sync (lock when stale, install the lock when the environment is not it).

One road: the lock is made by locks.lock (the earlier lock's versions kept as preferences), and
the environment is installed from it by locks.create_from_lock / frozen.apply_locked, as
`corral create --lock` does. After a sync the manifest's and lock's sizes, mtimes and hashes and
the generation are stamped in `.corral/state.json`, which `corral run` compares without parsing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral import project as proj
from corral.context import ChangeContext
from corral.errors import CorralError, EnvFileError, LockError, StaleLock, UsageError
from corral.lock.lockfile import Lock
from corral.project import DEFAULT_ENV, Project
from corral.project.envs import Locked
from corral.project.result import ProjectResult
from corral.project.scaffold import write_gitignore
from corral.settings import Settings
from corral.store.envs import EnvRef
from corral.values import replace


def project_ref(settings: Settings, project: Project) -> EnvRef:
    """The project's environment: a `-p` style environment whose link is `.corral/envs/default`."""
    from corral.store.envs import env_ref

    return env_ref(settings, path=project.link)


def project_lock(ref: EnvRef) -> Path:
    """Held around a project's edit, lock and sync (the environment's own lock is taken by the install)."""
    lock_file = Path(ref.lock_file)
    return lock_file.with_name(lock_file.stem + ".project.lock")


def require_project(cwd: str) -> Project:
    """The project holding `cwd`, or an error that says how to make one."""
    found = proj.find(cwd)
    if found is None:
        raise UsageError(
            f"{cwd} is not inside a project (no environment.yml, nor pyproject.toml with [tool.corral], here or above)",
            hint="make one with `corral init`, or name an environment with -n NAME",
        )
    return found


# --- sync -----------------------------------------------------------------------------------


def _request(settings: Settings, project: Project) -> tuple[Any, Any, tuple[str, ...]]:
    """(request, files, platforms the manifest names) of the project's manifest."""
    from corral.api.requests import EnvRequest, request_spec
    from corral.project import manifest

    files, platforms = manifest.read_with_platforms(project)
    return request_spec(settings, EnvRequest(files=files)), files, platforms


def relock(ctx: ChangeContext, project: Project) -> Locked:
    """The environment's part of the project's lock made again from the manifest (earlier versions kept)."""
    from corral.lock import lockfile

    request = _request(ctx.settings, project)
    if project.env != DEFAULT_ENV:
        from corral.project import envs

        if not Path(project.lock).is_file():
            relock(ctx, project.environment(DEFAULT_ENV))
        return envs.relock(ctx.settings, ctx.reporter, project, request)
    spec, files, platforms = request
    made = _lock_default(ctx.settings, ctx.reporter, project, spec, files, platforms)
    return Locked(lockfile.load(Path(project.lock)), made.action, made.changes, made.warnings)


def _lock_default(
    settings: Settings,
    reporter: Any,
    project: Project,
    spec: Any,
    files: Any,
    platforms: Sequence[str],
    update: Sequence[str] = (),
) -> Any:
    """locks.lock of the default environment, then the file rewritten in its portable form (project/portable.py)."""
    from corral.lock import lockfile
    from corral.locks import lock
    from corral.project.portable import absolute, portable

    path = Path(project.lock)
    old = path.read_bytes() if path.is_file() else None
    if old is not None:  # locks.lock reads the earlier lock for its preferences: give it this folder's paths
        _write_text(path, lockfile.dumps(absolute(lockfile.load(path), project.root, rehash=True)))
    made = lock(settings, reporter, spec, files, platforms=platforms, output=project.lock, update=update)
    text = lockfile.dumps(portable(lockfile.load(path), project.root))
    if path.read_text(encoding="utf-8") != text:
        _write_text(path, text)
    return replace(made, action="unchanged" if old == text.encode() else "written")


def _write_text(path: Path, text: str) -> None:
    from corral.store.fsutil import atomic_write_text

    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise CorralError(f"cannot write {path}: {exc.strerror}", hint="check the project folder") from exc


def lock_project(
    settings: Settings,
    reporter: Any,
    project: Project,
    *,
    platforms: Sequence[str] = (),
    check: bool = False,
    update: Sequence[str] = (),
) -> Any:
    """`corral lock` alone inside a project: every environment of the manifest locked (or checked) in corral.lock."""
    from corral.lock import lockfile
    from corral.project import envs, manifest

    base = project.environment(DEFAULT_ENV)
    spec, files, declared = _request(settings, base)
    if declared and platforms and set(platforms) != set(declared):
        raise UsageError(
            f"{os.path.basename(project.manifest)} names the lock's platforms ({', '.join(declared)});"
            " --platform would make a lock the next run finds stale",
            hint="change the manifest's platforms instead, then corral lock",
        )
    names = manifest.environment_names(base)
    if check:
        full = lockfile.load(Path(project.lock), settings.parsed_locks)
        stale: list[str] = []
        for name in names:
            found = _stale(settings, base.environment(name), full.environment(name))
            stale += found if name == DEFAULT_ENV else [f"{name}: {d}" for d in found]
        stale += [f"{n}: in the lock, no longer in the manifest" for n, _ in full.environments if n not in names]
        if stale:
            raise StaleLock(
                f"{lockfile.LOCK_NAME} is out of date with {os.path.basename(project.manifest)}",
                hint="make it again: corral lock",
                details=stale,
            )
        from corral.locks import LockResult

        counts = {p.platform: (len(p.conda), len(p.pypi)) for p in sorted(full.platforms, key=lambda p: p.platform)}
        return LockResult(str(project.lock), "checked", full.platform_names(), counts)
    made = _lock_default(settings, reporter, base, spec, files, declared or tuple(platforms), update)
    action, changes = made.action, list(made.changes)
    for name in names[1:]:
        named = base.environment(name)
        one = envs.relock(settings, reporter, named, _request(settings, named), update)
        changes += one.changes
        action = "written" if one.action == "written" else action
    gone = envs.drop_unknown(base, names)
    if gone:
        action = "written"
        changes += [f"{g}: taken out (no longer in the manifest)" for g in gone]
    return replace(made, action=action, changes=tuple(changes))


def sync(ctx: ChangeContext, project: Project, *, locked: bool = False, frozen: bool = False) -> ProjectResult:
    """The lock in step with the manifest (unless `frozen`; `locked` fails instead), the environment with the lock."""
    from corral.lock import lockfile
    from corral.store import locking

    ref = project_ref(ctx.settings, project)
    lock_path = Path(project.lock)
    with locking.held(project_lock(ref), ref.label, ctx.settings.lock_timeout, ctx.reporter):
        full = lockfile.load(lock_path, ctx.settings.parsed_locks) if lock_path.is_file() else None
        current = full.environment(project.env) if full is not None else None
        result = Locked(current, "unchanged") if current is not None else None
        if result is None and (locked or frozen):
            what = f"no {lockfile.LOCK_NAME}" if full is None else f"no environment '{project.env}' in its lock"
            raise LockError(
                f"{project.root} has {what} (--{'locked' if locked else 'frozen'} uses the lock as it is)",
                hint="make it: corral lock, or run without the flag",
            )
        if not frozen:
            stale = _stale(ctx.settings, project, result.lock if result else None)
            if stale and locked:
                raise StaleLock(
                    f"{lockfile.LOCK_NAME} is out of date with {os.path.basename(project.manifest)} (--locked)",
                    hint="run without --locked to lock again, or undo the manifest's change",
                    details=stale,
                )
            if stale:
                result = relock(ctx, project)
        assert result is not None
        from corral.project.portable import absolute

        out = sync_env(ctx, project, ref, absolute(result.lock, project.root))
    return replace(out, lock_action=result.action, lock_changes=result.changes, warnings=result.warnings)


def _stale(settings: Settings, project: Project, current: Lock | None) -> list[str]:
    """What makes the lock stale for the manifest (empty: up to date), as `corral lock --check` says it."""
    from corral.conda.machine import current_platform
    from corral.lockmake import differences

    if current is None:
        return ["no corral.lock yet" if project.env == DEFAULT_ENV else f"environment {project.env} is not locked yet"]
    spec, _, declared = _request(settings, project)
    platforms = declared or current.platform_names() or (current_platform(),)
    from corral.project.portable import portable_spec

    found = differences(current, portable_spec(spec, project.root), platforms, settings)
    found += _extra_platforms(current, platforms)
    if not declared and current.platform(current_platform()) is None:
        found.append(f"this machine's platform {current_platform()} is not in the lock")
    return found


def _extra_platforms(current: Lock, platforms: Sequence[str]) -> list[str]:
    extra = sorted(set(current.platform_names()) - set(platforms))
    if not extra:
        return []
    return [f"platforms: the manifest names {', '.join(platforms)}; the lock also covers {', '.join(extra)}"]


def sync_env(ctx: ChangeContext, project: Project, ref: EnvRef, lock: Lock) -> ProjectResult:
    """Install the lock's section for this machine as a new generation unless the current one is it; stamp."""
    from corral.conda.machine import current_platform
    from corral.store import generations as gens

    base = ProjectResult("sync", project.root, project.manifest, project.lock, env=str(ref.link))
    section = lock.platform(current_platform())
    if section is None:
        key = "platforms:" if project.kind == "environment.yml" else "platforms = [...] in [tool.corral]"
        raise LockError(
            f"{project.lock} has no section for this machine's platform {current_platform()}"
            f" (it covers {', '.join(lock.platform_names())})",
            hint=f"add {current_platform()} to the manifest's {key} (or drop the key), then corral lock",
        )
    write_gitignore(project)
    number = gens.current_generation(ref) if ref.exists() else None
    if number is not None:
        record = gens.read_record(ref, number)
        if record.lock_sha256 == lock.input_hash and record.locked == section:
            proj.write_state(project, proj.current_state(project, hashes=True))
            return replace(base, generation=number)
        changed = _update(ctx, ref, lock, section)
    else:
        Path(project.link).parent.mkdir(parents=True, exist_ok=True)
        changed = _create(ctx, ref, project, lock)
    proj.write_state(project, proj.current_state(project, hashes=True))
    return replace(base, generation=changed.generation, synced=changed.changed)


def _update(ctx: ChangeContext, ref: EnvRef, lock: Lock, section: Any) -> Any:
    """A new generation that is the lock's section (files corral did not install stop it, as in any change)."""
    from corral.frozen import apply_locked
    from corral.preflight import check_current
    from corral.store import generations as gens
    from corral.store import locking

    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        gens.recover(ref)
        number = gens.current_generation(ref)
        assert number is not None
        prefix, record = Path(gens.generation_dir(ref, number)), gens.read_record(ref, number)
        check_current(ctx.settings, ctx.reporter, ref, prefix, record, ctx.options.discard_untracked)
        return apply_locked(ctx, ref, lock.spec, section, lock_sha256=lock.input_hash, creating=False, action="sync")


def _create(ctx: ChangeContext, ref: EnvRef, project: Project, lock: Lock) -> Any:

    try:
        return _create_from(ctx, ref, lock)
    except CorralError:
        raise
    except OSError as exc:
        raise EnvFileError(f"cannot make {project.link}: {exc.strerror}", hint="check the project folder") from exc


def _create_from(ctx: ChangeContext, ref: EnvRef, lock: Lock) -> Any:
    """The environment's first generation from its (absolute) part of the lock, as `create --lock` makes one."""
    from corral.locks import create_from_locked

    return create_from_locked(ctx, ref, lock)


def sync_for_run(environ: Any, project: Project, mode: str) -> list[str]:
    """`corral run`'s slow path: the project synced (`mode`: "locked", "frozen" or ""); notes for the user."""
    from corral.reporting import TextReporter
    from corral.settings import load_settings

    return prepare(load_settings(environ, {}), TextReporter(), project, mode, "corral run")


def prepare(settings: Settings, reporter: Any, project: Project, mode: str, command: str) -> list[str]:
    """The project's environment in step with its lock before `command` uses it; notes for the user (stderr).

    The cheap stamp check first (as `corral run`'s fast path); only when it fails is the lock
    checked (or made again) and the environment synced.
    """
    from corral.models import ChangeOptions

    if proj.up_to_date(project, frozen=mode == "frozen"):
        return []
    ctx = ChangeContext(settings=settings, reporter=reporter, command=command, options=ChangeOptions(yes=True))
    result = sync(ctx, project, locked=mode == "locked", frozen=mode == "frozen")
    notes = [f"warning: {w}" for w in result.warnings]
    if result.lock_action == "written":
        notes.append(f"corral: {os.path.basename(project.manifest)} changed: corral.lock made again")
        notes += [f"  {c}" for c in result.lock_changes]
    if result.synced:
        notes.append(f"corral: the project's environment synced to the lock (generation {result.generation})")
    return notes
