"""Use cases: each takes typed arguments and Settings, does the work, and returns a result object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from corral import __version__
from corral.change import ChangeContext, ChangeResult, Motion, apply, env_label, packages_of, require_current
from corral.errors import (
    Aborted,
    CorralError,
    EnvironmentExists,
    GenerationNotFound,
    NothingToDo,
    SpecError,
    UsageError,
)
from corral.models import EnvInfo, EnvSpec, HistoryEntry, PackageInfo, Plan, pypi_name, spec_name
from corral.settings import Settings
from corral.specs.envfile import EnvFile
from corral.specs.requirements import PypiRequest
from corral.store import generations as gens
from corral.store import locking
from corral.store import prefix as pfx
from corral.store.envs import EnvRef, all_envs, require_absent, require_existing
from corral.store.fsutil import trash_then_remove

__all__ = ["ChangeContext", "ChangeResult"]


def create(
    ctx: ChangeContext,
    ref: EnvRef,
    specs: Sequence[str],
    channels: Sequence[str],
    pypi: PypiRequest | None = None,
    python: str = "",
    files: EnvFile | None = None,
) -> ChangeResult:
    """Create an environment: conda specs from channels, PyPI requests, on conda's python or a found one.

    `files` (environment files, already layered) come first; the command line's specs, channels
    and PyPI requests are laid over them.
    """
    spec = request_spec(ctx.settings, specs, channels, pypi, python, files)
    notes = _credential_notes(pypi) + (files.warnings if files is not None else ())
    expected = _expected_hashes(files)
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        gens.recover(ref)
        try:
            require_absent(ref)
        except EnvironmentExists as exc:
            if files is not None:
                exc.hint = f"bring it in line with the file: corral env update {ref.flag} -f FILE [--prune]"
            raise
        return apply(ctx, ref, spec, action="create", creating=True, notes=notes, expected=expected)


def request_spec(
    settings: Settings,
    specs: Sequence[str],
    channels: Sequence[str],
    pypi: PypiRequest | None = None,
    python: str = "",
    files: EnvFile | None = None,
) -> EnvSpec:
    """The request a create (or a lock) makes: the files' spec with the command line's laid over it."""
    base = files.spec if files is not None else EnvSpec(channels=())
    parsed = _parse_conda(specs)
    conda = base.with_specs(parsed).specs
    python = python or base.python  # a file's `python:` key works like --python
    if python and conda:
        if "python" in {spec_name(s) for s in conda}:
            raise SpecError(
                "--python and a python conda spec both choose the interpreter",
                hint="keep one: --python 3.12, or python=3.12 among the conda specs",
            )
        conda = (*_parse_conda([f"python={python}"]), *conda)
        python = ""
    spec = replace(base, specs=tuple(conda), python=python)
    spec = _with_pypi(replace(spec, channels=_channels(settings, channels, base.channels)), pypi)
    if not spec.specs and not spec.python and (spec.pypi or spec.editables):
        raise SpecError(
            "PyPI packages need a Python: none was asked for",
            hint="add --python 3.12 (a Python found on this machine) or a conda python spec (python=3.12)",
        )
    return spec


def read_env_files(paths: Sequence[str]) -> EnvFile:
    """Environment files (environment.yml, requirements.txt, conda spec or explicit .txt) layered in order."""
    from corral.specs.envfile import read_files

    return read_files(paths)


def _channels(settings: Settings, given: Sequence[str], from_files: Sequence[str]) -> tuple[str, ...]:
    """Command-line channels first, then the files' (`defaults` there means the configured channels)."""
    from corral.conda.channels import canonical_channel

    out = [canonical_channel(c) for c in given]
    for channel in from_files:
        out += list(settings.channels) if channel == "defaults" else [channel]
    return tuple(dict.fromkeys(out or settings.channels))


def _expected_hashes(files: EnvFile | None) -> dict[str, tuple[str, str]]:
    """name -> (sha256, md5) the packages of an explicit file must have."""
    if files is None:
        return {}
    return {p.name: (p.sha256, p.md5) for p in files.explicit}


def update_from_files(ctx: ChangeContext, ref: EnvRef, files: EnvFile, prune: bool = False) -> ChangeResult:
    """`corral env update -f FILE`: lay the files over the environment's request (`prune`: replace it).

    Packages the files name may move to satisfy them; the rest stay where they are.
    """
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = _current_spec(ref)
        channels = _channels(ctx.settings, (), files.spec.channels) if files.spec.channels else ()
        top = replace(files.spec, channels=channels)
        if prune:
            spec = replace(top, channels=top.channels or current.channels, python=top.python or current.python)
        else:
            spec = current.layered(top)
        motion = Motion(free=frozenset(files.spec.names()), pypi_upgrade=files.spec.pypi_names())
        action = "update --prune" if prune else "update"
        return apply(ctx, ref, spec, action=action, motion=motion, notes=files.warnings)


def install(
    ctx: ChangeContext,
    ref: EnvRef,
    specs: Sequence[str],
    channels: Sequence[str] = (),
    pypi: PypiRequest | None = None,
) -> ChangeResult:
    """Add packages to an environment, moving what is installed only where the request needs it."""
    from corral.conda.channels import canonical_channel

    parsed = _parse_conda(specs)
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = _current_spec(ref)
        extra = tuple(canonical_channel(c) for c in channels)
        spec = replace(current, channels=tuple(dict.fromkeys(extra + current.channels)))
        spec = _with_pypi(spec.with_specs(parsed), pypi)
        # New PyPI requests need no freeing: uv keeps an earlier version only while it satisfies them.
        motion = Motion(free=frozenset(spec_name(s) for s in parsed))
        return apply(ctx, ref, spec, action="install", motion=motion, notes=_credential_notes(pypi))


def _parse_conda(specs: Sequence[str]) -> list[str]:
    """Conda specs in canonical form; rattler is imported only when there are some."""
    if not specs:
        return []
    from corral.conda.solver import parse_specs

    return parse_specs(specs)


def _with_pypi(spec: EnvSpec, pypi: PypiRequest | None) -> EnvSpec:
    return spec if pypi is None else pypi.applied_to(spec)


def _credential_notes(pypi: PypiRequest | None) -> tuple[str, ...]:
    from corral.redact import has_credentials

    if pypi is None:
        return ()
    urls = [pypi.index.index_url, *pypi.index.extra_index_urls, *pypi.index.find_links]
    if any(has_credentials(u) for u in urls):
        return (
            "index credentials were used but not recorded; later changes to this environment need them"
            " in ~/.netrc (or a keyring)",
        )
    return ()


def remove(ctx: ChangeContext, ref: EnvRef, names: Sequence[str], pypi_names: Sequence[str] = ()) -> ChangeResult:
    """Remove requested packages (conda names, and PyPI names) and what only they needed."""
    wanted = [n.lower() for n in names]
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = _current_spec(ref)
        prefix = gens.generation_dir(ref, require_current(ref))
        records = pfx.read_records(prefix)
        installed = {r["name"] for r in records}
        requested = set(current.names())
        for name in wanted:
            if name not in installed:
                raise NothingToDo(
                    f"package '{name}' is not installed in {ref.label}", hint=f"see `corral list {ref.flag}`"
                )
            if name not in requested:
                users = sorted(r["name"] for r in records if name in {spec_name(d) for d in r.get("depends", ())})
                needed_by = ", ".join(users) or "another package"
                raise NothingToDo(
                    f"'{name}' was not requested; it is installed as a dependency of {needed_by}",
                    hint="remove the package that needs it instead",
                )
        spec = current.without(wanted)
        for name in pypi_names:
            key = pypi_name(name)
            editable = [e for e in spec.editables if _editable_name(e) == key]
            if key not in current.pypi_names() and not editable:
                raise NothingToDo(
                    f"'{name}' is not a requested PyPI package of {ref.label}",
                    hint=f"requested PyPI packages: {', '.join(current.pypi_names()) or 'none'}"
                    f" (see `corral list {ref.flag}`)",
                )
            spec = spec.without_pypi([name])
            spec = replace(spec, editables=tuple(e for e in spec.editables if e not in editable))
        return apply(ctx, ref, spec, action="remove")


def _editable_name(path: str) -> str:
    from corral.pypi.uv import project_name

    return project_name(Path(path))


def update(ctx: ChangeContext, ref: EnvRef, names: Sequence[str], all_packages: bool = False) -> ChangeResult:
    """Move the named packages (or all with `all_packages`) to the newest versions the specs allow."""
    from corral.models import ALL

    wanted = [n.lower() for n in names]
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = _current_spec(ref)
        packages = packages_of(ref, require_current(ref))
        conda = {p.name for p in packages if p.kind == "conda"}
        pypi = {p.name for p in packages if p.kind == "pypi"}
        for name in wanted:
            if name not in conda and pypi_name(name) not in pypi:
                raise NothingToDo(
                    f"package '{name}' is not installed in {ref.label}", hint=f"see `corral list {ref.flag}`"
                )
        everything = all_packages or not wanted
        motion = Motion(
            upgrade=ALL if everything else frozenset(n for n in wanted if n in conda),
            pypi_upgrade=None if everything else tuple(pypi_name(n) for n in wanted if pypi_name(n) in pypi),
        )
        return apply(ctx, ref, current, action="update", motion=motion)


def adopt(ctx: ChangeContext, ref: EnvRef) -> ChangeResult:
    """Record PyPI distributions installed by hand (untracked) as requests, in a new generation."""
    from corral.pypi import dists
    from corral.pypi.resolve import conda_provided

    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = _current_spec(ref)
        number = require_current(ref)
        prefix = gens.generation_dir(ref, number)
        record = gens.read_record(ref, number)
        ours = record.pypi_names() | set(conda_provided(prefix, pfx.read_records(prefix)))
        strays = [d for d in dists.installed(prefix) if d.name not in ours]
        if not strays:
            raise NothingToDo(
                f"{ref.label} has no PyPI packages installed outside corral",
                hint=f"`corral list {ref.flag}` shows what corral recorded",
            )
        if current.specs and "python" not in current.names() and not current.python:
            raise SpecError(
                f"{ref.label} has no Python of its own to install PyPI packages into",
                hint=f"add python from the channels first: corral install {ref.flag} python",
            )
        spec = current.with_pypi([f"{d.name}=={d.version}" for d in strays if not d.editable])
        editables = tuple(d.editable for d in strays if d.editable)
        spec = replace(spec, editables=tuple(dict.fromkeys(spec.editables + editables)))
        options = replace(ctx.options, discard_untracked=True)
        adopted = ", ".join(f"{d.name} {d.version}" for d in strays)
        ctx = replace(ctx, options=options)
        return apply(ctx, ref, spec, action="adopt", notes=(f"adopted: {adopted}",))


def _installed_packages(prefix: Path, ours: set[str]) -> list[PackageInfo]:
    """Conda records plus the PyPI distributions conda does not provide (`untracked` when not installed by corral)."""
    from corral.pypi import dists
    from corral.pypi.resolve import conda_provided

    provided = conda_provided(prefix, pfx.read_records(prefix))
    out = pfx.read_packages(prefix)
    for dist in dists.installed(prefix):
        if dist.name in provided:
            continue
        channel = dist.editable or ("pypi" if dist.name in ours else "untracked")
        out.append(PackageInfo(dist.name, dist.version, "editable" if dist.editable else "", channel, kind="pypi"))
    return sorted(out)


@dataclass(frozen=True)
class PythonList:
    """`corral python list`: the interpreters a PyPI-only environment can be built on."""

    interpreters: tuple[Any, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"interpreters": [i.to_dict() for i in self.interpreters]}


def list_pythons(settings: Settings) -> PythonList:
    """Every interpreter corral found (PATH, pyenv, corral environments, uv), newest first."""
    from corral.pypi.interpreters import discover

    return PythonList(tuple(discover(settings)))


def _current_spec(ref: EnvRef) -> EnvSpec:
    require_existing(ref)
    gens.recover(ref)
    return gens.read_record(ref, require_current(ref)).spec


@dataclass(frozen=True)
class PackageList:
    """`corral list`: the packages of the current generation."""

    env: str
    path: str
    generation: int
    packages: tuple[PackageInfo, ...]
    requested: tuple[str, ...]
    requested_pypi: tuple[str, ...] = ()

    def is_requested(self, package: PackageInfo) -> bool:
        """True when the user asked for this package (not only a dependency)."""
        if package.kind == "pypi":
            return package.name in {pypi_name(r) for r in self.requested_pypi} or package.build == "editable"
        return package.name in {spec_name(s) for s in self.requested}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "path": self.path,
            "generation": self.generation,
            "packages": [{**p.to_dict(), "requested": self.is_requested(p)} for p in self.packages],
            "requested": list(self.requested),
            "requested_pypi": list(self.requested_pypi),
        }


def list_packages(settings: Settings, ref: EnvRef) -> PackageList:
    """The packages installed in an environment's current generation."""
    require_existing(ref)
    current = require_current(ref)
    prefix = gens.generation_dir(ref, current)
    record = gens.read_record(ref, current)
    spec = record.spec
    return PackageList(
        env=env_label(ref),
        path=str(ref.link),
        generation=current,
        packages=tuple(_installed_packages(prefix, record.pypi_names())),
        requested=spec.specs,
        requested_pypi=spec.pypi,
    )


def list_envs(settings: Settings) -> list[EnvInfo]:
    """Every environment with its current generation and times."""
    out = []
    for ref in all_envs(settings):
        history = gens.read_history(ref)
        current = gens.current_generation(ref)
        out.append(
            EnvInfo(
                name=ref.name,
                path=str(ref.link),
                generation=current,
                generations=tuple(gens.generation_numbers(ref)),
                created=gens.env_created(ref),
                updated=history[-1].time if history else "",
                healthy_link=current is not None,
            )
        )
    return out


@dataclass(frozen=True)
class EnvRemoved:
    """`corral env remove`: what went."""

    env: str
    path: str
    generations: tuple[int, ...]
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "path": self.path,
            "generations": list(self.generations),
            "dry_run": self.dry_run,
        }


def remove_env(ctx: ChangeContext, ref: EnvRef) -> EnvRemoved:
    """Delete an environment: its link first (so nothing half-removed is ever in use), then its store."""
    import os

    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        require_existing(ref)
        result = EnvRemoved(env_label(ref), str(ref.link), tuple(gens.generation_numbers(ref)), ctx.options.dry_run)
        if ctx.options.dry_run:
            return result
        if not ctx.confirm(result):
            raise Aborted("nothing was removed")
        if ref.link.is_symlink():
            ref.link.unlink()
        trash_then_remove(ref.home, f".trash-env-{ref.home.name}-{os.getpid()}")
    return result


@dataclass(frozen=True)
class History:
    """`corral history`: every switch, with which generations still exist."""

    env: str
    current: int | None
    available: tuple[int, ...]
    entries: tuple[HistoryEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "current": self.current,
            "available": list(self.available),
            "entries": [e.to_dict() for e in self.entries],
        }


def history(settings: Settings, ref: EnvRef) -> History:
    """The environment's history."""
    require_existing(ref)
    entries = gens.read_history(ref)
    current = gens.current_generation(ref)
    if current is not None and (not entries or entries[-1].generation != current):
        # A switch whose recording was cut short (a kill, a full disk): record it now, as any change would.
        from corral.reporting import NullReporter

        with locking.held(ref.lock_file, ref.label, settings.lock_timeout, NullReporter()):
            gens.recover(ref)
        entries, current = gens.read_history(ref), gens.current_generation(ref)
    return History(
        env=env_label(ref),
        current=current,
        available=tuple(gens.generation_numbers(ref)),
        entries=tuple(entries),
    )


@dataclass(frozen=True)
class RollbackResult:
    """`corral rollback`: from which generation to which."""

    env: str
    path: str
    previous: int | None
    generation: int
    plan: Plan
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "path": self.path,
            "previous_generation": self.previous,
            "generation": self.generation,
            "plan": self.plan.to_dict(),
            "dry_run": self.dry_run,
        }


def rollback(ctx: ChangeContext, ref: EnvRef, to: int | None = None) -> RollbackResult:
    """Switch the link back to an earlier generation (default: the one before the current). Offline."""
    from corral.plan import diff

    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        require_existing(ref)
        gens.recover(ref)
        current = gens.current_generation(ref)
        available = gens.generation_numbers(ref)
        target = to
        if target is None:
            older = [n for n in available if current is None or n < current]
            if not older:
                raise GenerationNotFound(
                    f"{ref.label} has no generation before {current} to roll back to",
                    hint=f"available generations: {', '.join(map(str, available))}; use --to N",
                )
            target = older[-1]
        if target not in available:
            known = {e.generation for e in gens.read_history(ref)}
            why = "was deleted (only the newest generations are kept)" if target in known else "does not exist"
            raise GenerationNotFound(
                f"generation {target} of {ref.label} {why}",
                hint=f"available generations: {', '.join(map(str, available))}",
            )
        old = packages_of(ref, current) if current is not None else []
        plan = diff(old, packages_of(ref, target))
        result = RollbackResult(env_label(ref), str(ref.link), current, target, plan, ctx.options.dry_run)
        if ctx.options.dry_run or target == current:
            return result
        if not ctx.confirm(result):
            raise Aborted("nothing was changed")
        gens.switch_recorded(
            ref,
            HistoryEntry(
                generation=target,
                time=gens.now(),
                action="rollback",
                command=ctx.command,
                previous=current,
                changes=plan.changes,
            ),
        )
        return result


@dataclass(frozen=True)
class Info:
    """`corral info`: version, settings and where they came from, the machine's virtual packages."""

    version: str
    root: str
    config_file: str
    channels: tuple[str, ...]
    channel_priority: str
    offline: bool
    keep_generations: int
    platform: str
    virtual_packages: tuple[str, ...]
    environments: int
    sources: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "version": self.version,
            "root": self.root,
            "config_file": self.config_file,
            "channels": list(self.channels),
            "channel_priority": self.channel_priority,
            "offline": self.offline,
            "keep_generations": self.keep_generations,
            "platform": self.platform,
            "virtual_packages": list(self.virtual_packages),
            "environments": self.environments,
            "sources": self.sources,
        }


def info(settings: Settings) -> Info:
    """What corral is configured to do on this machine."""
    from corral.conda.solver import describe_platform

    platform, virtual = describe_platform()
    return Info(
        version=__version__,
        root=str(settings.root),
        config_file=str(settings.config_file or ""),
        channels=settings.channels,
        channel_priority=settings.channel_priority,
        offline=settings.offline,
        keep_generations=settings.keep_generations,
        platform=platform,
        virtual_packages=tuple(virtual),
        environments=sum(1 for _ in all_envs(settings)),
        sources=dict(settings.sources),
    )


@dataclass(frozen=True)
class Exported:
    """`corral export`: the file's text, and where it was written (empty: standard output)."""

    env: str
    format: str
    text: str
    output: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"env": self.env, "format": self.format, "text": self.text, "output": self.output}


def export(
    settings: Settings,
    ref: EnvRef,
    format: str,
    *,
    from_history: bool = False,
    no_builds: bool = False,
    output: str = "",
) -> Exported:
    """Write the current generation as an environment.yml, requirements.txt or explicit file."""
    from corral.specs import export as writers

    require_existing(ref)
    number = require_current(ref)
    prefix = gens.generation_dir(ref, number)
    record = gens.read_record(ref, number)
    records = writers.sort_records(pfx.read_records(prefix))
    env = writers.Exportable(
        name=ref.name or "",
        spec=record.spec,
        records=records,
        pins=tuple(_pin(e) for e in sorted(record.locked.pypi, key=lambda e: e.name)),
        python=record.python.version if record.python else "",
        platform=_platform_of(records),
    )
    if format == "environment.yml":
        text = writers.environment_yml(env, from_history=from_history, no_builds=no_builds)
    elif format == "requirements.txt":
        text = writers.requirements_txt(env, from_history=from_history)
    elif format == "pylock.toml":
        text = _pylock(settings, ref, env, from_history or no_builds)
    elif format == "explicit":
        if from_history or no_builds:
            raise UsageError("--from-history and --no-builds do not apply to explicit files", hint="drop them")
        if not records:
            raise NothingToDo(
                f"{ref.label} holds no conda packages, so an explicit file would be empty",
                hint="export --format requirements.txt for its PyPI packages",
            )
        text = writers.explicit(env)
    else:
        raise UsageError(f"unknown export format '{format}'", hint=f"choose one of: {', '.join(writers.FORMATS)}")
    return _exported(env_label(ref), format, text, output)


def export_lock(
    settings: Settings, reporter: Any, ref: EnvRef | None, lock_path: str, format: str, platform: str, output: str
) -> Exported:
    """An export made from a lock: an environment's (its generation's lock) or a corral.lock file's."""
    from corral.lock.usecases import export_lock as make_text

    text = make_text(settings, reporter, ref, lock_path, format, platform)
    return _exported(env_label(ref) if ref is not None else lock_path, format, text, output)


def _exported(env: str, format: str, text: str, output: str) -> Exported:
    from corral.store.fsutil import atomic_write_text

    if output:
        try:
            atomic_write_text(Path(output), text)
        except OSError as exc:
            raise CorralError(
                f"cannot write {output}: {exc.strerror}", hint="choose a writable path with -o, or omit -o"
            ) from exc
    return Exported(env, format, text, str(Path(output).resolve()) if output else "")


def _pin(entry: Any) -> dict[str, str]:
    """A PyPI entry as the export writers take it."""
    return {"name": entry.name, "version": entry.version, "url": entry.direct, "editable": entry.editable}


def _pylock(settings: Settings, ref: EnvRef, env: Any, bad_flags: bool) -> str:
    """The PyPI side as PEP 751 pylock.toml, written from the artifacts the generation recorded."""
    from corral.lock.pypi import pylock_text
    from corral.lock.usecases import generation_lock
    from corral.reporting import NullReporter

    if bad_flags:
        raise UsageError("--from-history and --no-builds do not apply to pylock.toml", hint="drop them")
    if not env.pins:
        raise NothingToDo(
            f"{env.name or 'the environment'} holds no PyPI packages, so a pylock.toml would be empty",
            hint="export --format environment.yml or explicit for its conda packages",
        )
    section = generation_lock(settings, ref, NullReporter()).platforms[0]
    conda = ", ".join(f"{r['name']} {r['version']}" for r in env.records)
    head = f"# PyPI packages of {env.name or 'the environment'} (corral export --format pylock.toml)\n"
    if conda:
        head += f"# conda packages (not in this file; export --format environment.yml for them): {conda}\n"
    return head + pylock_text(section.pypi, section.python)


def _platform_of(records: Sequence[Any]) -> str:
    """The platform of a set of records: the first non-noarch subdir."""
    return next((str(r["subdir"]) for r in records if r.get("subdir") not in ("noarch", None)), "noarch")
