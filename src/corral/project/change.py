"""`corral add` and `corral remove` in a project: edit the manifest in place, lock, sync; undone on failure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from corral.context import ChangeContext
from corral.errors import NothingToDo, UsageError
from corral.lock.lockfile import Lock
from corral.project import DEFAULT_ENV, Project
from corral.project.edit import Edit, apply
from corral.project.result import ProjectResult
from corral.project.sync import project_lock, project_ref, relock, sync_env
from corral.values import replace


def add(
    ctx: ChangeContext,
    project: Project,
    specs: Sequence[str],
    requirements: Sequence[str],
    channels: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    group: str = "",
) -> ProjectResult:
    """`corral add`: record the entries in the manifest, lock, and sync the environment.

    A bare name is recorded as `NAME >=X.Y` of the version the lock chose (as pixi and uv do),
    which the lock already satisfies. Nothing stays changed if the lock or the install fails.
    With `group` (pyproject), the PyPI entries go to [dependency-groups].GROUP and the environments
    made of it are locked and synced (an environment GROUP = [GROUP] is declared when none is).
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
    if group:
        edit = replace(edit, group=_group(project, group, specs), environment="")
        if not _users(project, group):
            edit = replace(edit, environment=group)
    return _change(ctx, project, "add", edit)


def remove(
    ctx: ChangeContext, project: Project, names: Sequence[str], pypi_names: Sequence[str], group: str = ""
) -> ProjectResult:
    """`corral remove NAME` in a project: the manifest's entries out, lock, sync."""
    if not names and not pypi_names:
        raise UsageError("name what to remove", hint="corral remove NAME... (conda) or corral remove --pip NAME...")
    edit = Edit(drop_conda=tuple(names), drop_pypi=tuple(pypi_names))
    return _change(ctx, project, "remove", replace(edit, group=_group(project, group, names)) if group else edit)


def _group(project: Project, group: str, conda: Sequence[str]) -> str:
    """`--group GROUP`, checked: pyproject only, PyPI entries only (groups are PEP 735's, of requirements)."""
    if project.kind != "pyproject":
        raise UsageError(
            "--group is for pyproject.toml projects ([dependency-groups], PEP 735)",
            hint="environment.yml has one environment; move the project to pyproject.toml for named ones",
        )
    if conda:
        raise UsageError(
            "a dependency group holds PyPI requirements only", hint=f"corral add --group {group} --pip REQ..."
        )
    if group == DEFAULT_ENV or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", group):
        raise UsageError(f"'{group}' cannot name a group", hint="letters, digits, '.', '_', '-' (not 'default')")
    return group


def _users(project: Project, group: str) -> list[Project]:
    """The project's named environments made of `group` (read from the manifest as it is now)."""
    import tomllib

    from corral.textfile import read_text

    tool = tomllib.loads(read_text(Path(project.manifest))).get("tool", {}).get("corral", {})
    named = tool.get("environments", {}) if isinstance(tool, dict) else {}
    return [project.environment(n) for n, gs in sorted(named.items()) if isinstance(gs, list) and group in gs]


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
    with locking.held(project_lock(ref), ref.label, ctx.settings.lock_timeout, ctx.reporter):
        try:
            _write(manifest, text)
            targets = (_users(project, edit.group) if edit.group else []) or [project]
            locked = relock(ctx, targets[0])
            pinned = _pins(edit, locked.lock)
            if pinned != edit:
                text, _ = apply(project.kind, text, replace(pinned, environment=""), manifest)
                _write(manifest, text)
                locked = relock(ctx, targets[0])
            for other in targets[1:]:
                relock(ctx, other)
            for target in targets:
                synced = sync_env(ctx, target, project_ref(ctx.settings, target), _env_lock(target))
        except BaseException:
            _write(manifest, old_text)
            _restore(lock_path, old_lock)
            raise
    return replace(
        synced,
        action=action,
        recorded=(
            *pinned.channels,
            *pinned.conda,
            *pinned.pypi,
            *([f'tool.corral.environments.{edit.environment} = ["{edit.group}"]'] if edit.environment else []),
        ),
        removed=(*edit.drop_conda, *edit.drop_pypi),
        lock_action=locked.action,
        lock_changes=locked.changes,
        warnings=locked.warnings,
    )


def _env_lock(project: Project) -> Lock:
    from corral.lock import lockfile
    from corral.project.portable import absolute

    found = lockfile.load(Path(project.lock)).environment(project.env)
    assert found is not None  # just locked
    return absolute(found, project.root)


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
    from corral.conda.machine import current_platform
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
