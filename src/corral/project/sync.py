"""Project use cases: init, add, remove, and sync (lock when stale, install the lock when the environment is not it).

One road: the lock is made by locks.lock (the earlier lock's versions kept as preferences), and
the environment is installed from it by locks.create_from_lock / frozen.apply_locked, as
`corral create --lock` does. After a sync the manifest's and lock's sizes, mtimes and hashes and
the generation are stamped in `.corral/state.json`, which `corral run` compares without parsing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from corral import project as proj
from corral.context import ChangeContext
from corral.errors import CorralError, EnvFileError, LockError, NothingToDo, StaleLock, UsageError
from corral.lock.lockfile import Lock
from corral.project import Project
from corral.project.edit import Edit, apply
from corral.settings import Settings
from corral.store.envs import EnvRef

GITIGNORE = "# made by corral: the project's environment link and state, never committed\n*\n"


@dataclass(frozen=True)
class ProjectResult:
    """What a project command did: the manifest lines it recorded, the lock, the environment."""

    action: str  # "init", "add", "remove", "sync"
    root: str
    manifest: str
    lock: str = ""
    recorded: tuple[str, ...] = ()  # entries written into the manifest
    removed: tuple[str, ...] = ()
    lock_action: str = ""  # "written", "unchanged", "checked" or ""
    lock_changes: tuple[str, ...] = ()
    env: str = ""
    generation: int | None = None
    synced: bool = False  # a new generation was installed from the lock
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "action": self.action,
            "root": self.root,
            "manifest": self.manifest,
            "lock": self.lock,
            "recorded": list(self.recorded),
            "removed": list(self.removed),
            "lock_action": self.lock_action,
            "lock_changes": list(self.lock_changes),
            "env": self.env,
            "generation": self.generation,
            "synced": self.synced,
            "warnings": list(self.warnings),
        }


def project_ref(settings: Settings, project: Project) -> EnvRef:
    """The project's environment: a `-p` style environment whose link is `.corral/envs/default`."""
    from corral.store.envs import env_ref

    return env_ref(settings, path=project.link)


def _project_lock(ref: EnvRef) -> Path:
    """Held around a project's edit, lock and sync (the environment's own lock is taken by the install)."""
    return ref.lock_file.with_name(ref.lock_file.stem + ".project.lock")


def require_project(cwd: str) -> Project:
    """The project holding `cwd`, or an error that says how to make one."""
    found = proj.find(cwd)
    if found is None:
        raise UsageError(
            f"{cwd} is not inside a project (no environment.yml, nor pyproject.toml with [tool.corral], here or above)",
            hint="make one with `corral init`, or name an environment with -n NAME",
        )
    return found


# --- init -----------------------------------------------------------------------------------


def init(settings: Settings, cwd: str, fmt: str = "") -> ProjectResult:
    """`corral init`: a minimal manifest in `cwd` (in an existing pyproject.toml, a [tool.corral] table)."""
    from corral.store.fsutil import atomic_write_text

    folder = Path(cwd)
    existing = proj.manifest_in(cwd)
    if existing:
        raise UsageError(
            f"{folder} is already a project: {existing} is its manifest",
            hint="add packages with `corral add SPEC` (or `corral add --pip REQ`)",
        )
    pyproject = folder / "pyproject.toml"
    fmt = fmt or ("pyproject" if pyproject.is_file() else "environment.yml")
    channels = list(settings.channels)
    if fmt == "environment.yml":
        path = folder / "environment.yml"
        text = "channels:\n" + "".join(f"  - {c}\n" for c in channels) + "dependencies:\n"
    else:
        path = pyproject
        text = _pyproject_text(pyproject, folder.name, channels)
    atomic_write_text(path, text)
    project = Project(str(folder), str(path))
    _write_gitignore(project)
    return ProjectResult("init", str(folder), str(path))


def _pyproject_text(path: Path, folder_name: str, channels: Sequence[str]) -> str:
    import tomlkit

    if path.is_file():
        from corral.textfile import read_text

        doc: Any = tomlkit.parse(read_text(path))
    else:
        doc = tomlkit.document()
        table = tomlkit.table()
        table.add("name", re.sub(r"[^A-Za-z0-9._-]+", "-", folder_name).strip("-._") or "project")
        table.add("version", "0.1.0")
        table.add("dependencies", tomlkit.array())
        doc.add("project", table)
    corral = tomlkit.table()
    listed = tomlkit.array()
    listed.extend(channels)
    corral.add("channels", listed)
    corral.add("dependencies", tomlkit.array())
    if "tool" not in doc:
        doc.add("tool", tomlkit.table(is_super_table=True))
    doc["tool"].add("corral", corral)
    return str(tomlkit.dumps(doc))


def _write_gitignore(project: Project) -> None:
    path = Path(project.state_dir) / ".gitignore"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(GITIGNORE, encoding="utf-8")


# --- add and remove ---------------------------------------------------------------------------------


def add(
    ctx: ChangeContext,
    project: Project,
    specs: Sequence[str],
    requirements: Sequence[str],
    channels: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
) -> ProjectResult:
    """`corral add`: record the entries in the manifest, lock, and sync the environment.

    A bare name is recorded as `NAME >=X.Y` of the version the lock chose (as pixi and uv do),
    which the lock already satisfies. Nothing stays changed if the lock or the install fails.
    """
    if not specs and not requirements:
        raise UsageError("name what to add", hint="corral add SPEC... (conda) or corral add --pip REQ... (PyPI)")
    from corral.channels import canonical_channel

    edit = Edit(
        conda=tuple(specs),
        pypi=tuple(requirements),
        channels=tuple(canonical_channel(c) for c in channels),
        find_links=tuple(_as_written(project, f) for f in find_links),
        no_index=no_index,
    )
    return _change(ctx, project, "add", edit)


def remove(ctx: ChangeContext, project: Project, names: Sequence[str], pypi_names: Sequence[str]) -> ProjectResult:
    """`corral remove NAME` in a project: the manifest's entries out, lock, sync."""
    if not names and not pypi_names:
        raise UsageError("name what to remove", hint="corral remove NAME... (conda) or corral remove --pip NAME...")
    return _change(ctx, project, "remove", Edit(drop_conda=tuple(names), drop_pypi=tuple(pypi_names)))


def _as_written(project: Project, link: str) -> str:
    """A --find-links folder as the manifest keeps it: relative to the project when it is inside it."""
    if "://" in link:
        return link
    path = Path(link).expanduser().resolve()
    if not path.exists():
        raise UsageError(f"--find-links {link}: {path} does not exist", hint="give a folder of wheels or a URL")
    try:
        return path.relative_to(Path(project.root).resolve()).as_posix() or "."
    except ValueError:
        return str(path)


def _change(ctx: ChangeContext, project: Project, action: str, edit: Edit) -> ProjectResult:
    from corral.store import locking

    ref = project_ref(ctx.settings, project)
    manifest, lock_path = Path(project.manifest), Path(project.lock)
    old_text = manifest.read_text(encoding="utf-8")
    old_lock = lock_path.read_bytes() if lock_path.is_file() else None
    text, missing = apply(project.kind, old_text, edit, manifest)
    if missing:
        raise NothingToDo(
            f"{manifest.name} does not list {', '.join(missing)}",
            hint="see the manifest's dependencies"
            + ("" if edit.drop_pypi else " (PyPI ones: corral remove --pip NAME)"),
        )
    with locking.held(_project_lock(ref), ref.label, ctx.settings.lock_timeout, ctx.reporter):
        try:
            _write(manifest, text)
            locked = _relock(ctx, project)
            pinned = _pins(edit, locked.lock)
            if pinned != edit:
                text, _ = apply(project.kind, text, pinned, manifest)
                _write(manifest, text)
                locked = _relock(ctx, project)
            synced = _sync_env(ctx, project, ref, locked.lock)
        except BaseException:
            _write(manifest, old_text)
            _restore(lock_path, old_lock)
            raise
    return replace(
        synced,
        action=action,
        recorded=(*pinned.channels, *pinned.conda, *pinned.pypi),
        removed=(*edit.drop_conda, *edit.drop_pypi),
        lock_action=locked.action,
        lock_changes=locked.changes,
        warnings=locked.warnings,
    )


def _write(path: Path, text: str) -> None:
    from corral.store.fsutil import atomic_write_text

    atomic_write_text(path, text)


def _restore(path: Path, old: bytes | None) -> None:
    if old is None:
        path.unlink(missing_ok=True)
    elif not path.is_file() or path.read_bytes() != old:
        from corral.store.fsutil import atomic_write_text

        atomic_write_text(path, old.decode("utf-8"))


_BARE_CONDA = re.compile(r"^(?:[A-Za-z0-9_.-]+::)?[A-Za-z0-9_.-]+$")
_BARE_PYPI = re.compile(r"^[A-Za-z0-9_.-]+(?:\[[^\]]*\])?$")


def _pins(edit: Edit, lock: Lock) -> Edit:
    """The edit with each bare name given `>=X.Y` of the version the lock holds for this machine."""
    from corral.conda.solver import current_platform
    from corral.models import pypi_name, spec_name

    section = lock.platform(current_platform()) or lock.platforms[0]
    conda = {e.name: e.version for e in section.conda}
    pypi = {e.name: e.version for e in section.pypi}
    specs = tuple(
        f"{s} >={_major_minor(conda[spec_name(s)])}" if _BARE_CONDA.match(s) and conda.get(spec_name(s)) else s
        for s in edit.conda
    )
    reqs = tuple(
        f"{r}>={_major_minor(pypi[pypi_name(r)])}" if _BARE_PYPI.match(r) and pypi.get(pypi_name(r)) else r
        for r in edit.pypi
    )
    return replace(edit, conda=specs, pypi=reqs)


def _major_minor(version: str) -> str:
    parts = re.split(r"[.+!-]", version)
    release = [p for p in parts[:2] if p.isdigit()]
    return ".".join(release) or version


# --- sync -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Locked:
    lock: Lock
    action: str = ""
    changes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _request(ctx: ChangeContext, project: Project) -> tuple[Any, Any]:
    from corral.api.requests import request_spec
    from corral.project import manifest

    files = manifest.read(project)
    return request_spec(ctx.settings, [], [], None, files=files), files


def _relock(ctx: ChangeContext, project: Project) -> _Locked:
    """The project's lock made again from the manifest (the earlier lock's versions kept where they fit)."""
    from corral.lock import lockfile
    from corral.locks import lock

    spec, files = _request(ctx, project)
    made = lock(ctx.settings, ctx.reporter, spec, files, output=project.lock)
    return _Locked(lockfile.load(Path(project.lock)), made.action, made.changes, made.warnings)


def sync(ctx: ChangeContext, project: Project, *, locked: bool = False, frozen: bool = False) -> ProjectResult:
    """The lock in step with the manifest (unless `frozen`; `locked` fails instead), the environment with the lock."""
    from corral.lock import lockfile
    from corral.store import locking

    ref = project_ref(ctx.settings, project)
    lock_path = Path(project.lock)
    with locking.held(_project_lock(ref), ref.label, ctx.settings.lock_timeout, ctx.reporter):
        result = _Locked(lockfile.load(lock_path), "unchanged") if lock_path.is_file() else None
        if result is None and (locked or frozen):
            raise LockError(
                f"{project.root} has no {lockfile.LOCK_NAME}"
                f" (--{'locked' if locked else 'frozen'} uses the lock as it is)",
                hint="make it: corral lock -f " + os.path.basename(project.manifest) + ", or run without the flag",
            )
        if not frozen:
            stale = _stale(ctx, project, result.lock if result else None)
            if stale and locked:
                raise StaleLock(
                    f"{lockfile.LOCK_NAME} is out of date with {os.path.basename(project.manifest)} (--locked)",
                    hint="run without --locked to lock again, or undo the manifest's change",
                    details=stale,
                )
            if stale:
                result = _relock(ctx, project)
        assert result is not None
        out = _sync_env(ctx, project, ref, result.lock)
    return replace(out, lock_action=result.action, lock_changes=result.changes, warnings=result.warnings)


def _stale(ctx: ChangeContext, project: Project, current: Lock | None) -> list[str]:
    """What makes the lock stale for the manifest (empty: up to date), as `corral lock --check` says it."""
    from corral.conda.solver import current_platform
    from corral.lockmake import differences

    if current is None:
        return ["no corral.lock yet"]
    spec, _ = _request(ctx, project)
    platforms = current.platform_names() or (current_platform(),)
    found = differences(current, spec, platforms, ctx.settings)
    if current.platform(current_platform()) is None:
        found.append(f"this machine's platform {current_platform()} is not in the lock")
    return found


def _sync_env(ctx: ChangeContext, project: Project, ref: EnvRef, lock: Lock) -> ProjectResult:
    """Install the lock's section for this machine as a new generation unless the current one is it; stamp."""
    from corral.conda.solver import current_platform
    from corral.store import generations as gens

    base = ProjectResult("sync", project.root, project.manifest, project.lock, env=str(ref.link))
    section = lock.platform(current_platform())
    if section is None:
        raise LockError(
            f"{project.lock} has no section for this machine's platform {current_platform()}",
            hint=f"add it: corral lock -f {os.path.basename(project.manifest)} --platform {current_platform()}"
            " (with the platforms it has)",
        )
    _write_gitignore(project)
    number = gens.current_generation(ref) if ref.exists() else None
    if number is not None:
        record = gens.read_record(ref, number)
        if record.lock_sha256 == lock.input_hash and record.locked == section:
            proj.write_state(project, proj.current_state(project, hashes=True))
            return replace(base, generation=number)
        changed = _update(ctx, ref, lock, section)
    else:
        Path(project.link).parent.mkdir(parents=True, exist_ok=True)
        changed = _create(ctx, ref, project)
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
        prefix, record = gens.generation_dir(ref, number), gens.read_record(ref, number)
        check_current(ctx.settings, ctx.reporter, ref, prefix, record, ctx.options.discard_untracked)
        return apply_locked(ctx, ref, lock.spec, section, lock_sha256=lock.input_hash, creating=False, action="sync")


def _create(ctx: ChangeContext, ref: EnvRef, project: Project) -> Any:
    from corral.locks import create_from_lock

    try:
        return create_from_lock(ctx, ref, project.lock)
    except CorralError:
        raise
    except OSError as exc:
        raise EnvFileError(f"cannot make {project.link}: {exc.strerror}", hint="check the project folder") from exc


def sync_for_run(environ: Any, project: Project, mode: str) -> list[str]:
    """`corral run`'s slow path: the project synced (`mode`: "locked", "frozen" or ""); notes for the user."""
    from corral.models import ChangeOptions
    from corral.reporting import TextReporter
    from corral.settings import load_settings

    settings = load_settings(environ, {})
    ctx = ChangeContext(
        settings=settings, reporter=TextReporter(), command="corral run", options=ChangeOptions(yes=True)
    )
    result = sync(ctx, project, locked=mode == "locked", frozen=mode == "frozen")
    notes = [f"warning: {w}" for w in result.warnings]
    if result.lock_action == "written":
        notes.append(f"corral: {os.path.basename(project.manifest)} changed: corral.lock made again")
        notes += [f"  {c}" for c in result.lock_changes]
    if result.synced:
        notes.append(f"corral: the project's environment synced to the lock (generation {result.generation})")
    return notes
