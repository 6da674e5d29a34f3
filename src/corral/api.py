"""Use cases: each takes typed arguments and Settings, does the work, and returns a result object."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corral import __version__
from corral.errors import Aborted, GenerationNotFound, NothingToDo, UntrackedChanges, VerificationError
from corral.models import ChangeOptions, EnvInfo, EnvSpec, HistoryEntry, PackageInfo, Plan, spec_name
from corral.reporting import Reporter
from corral.settings import Settings
from corral.store import generations as gens
from corral.store import locking
from corral.store import prefix as pfx
from corral.store.envs import EnvRef, all_envs, require_absent, require_existing
from corral.store.fsutil import trash_then_remove


@dataclass(frozen=True)
class ChangeResult:
    """What a mutating command did (or, with --dry-run, would do)."""

    env: str
    path: str
    action: str
    plan: Plan
    spec: EnvSpec
    generation: int | None
    previous: int | None
    dry_run: bool = False
    changed: bool = True
    removed_generations: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "path": self.path,
            "action": self.action,
            "plan": self.plan.to_dict(),
            "spec": self.spec.to_dict(),
            "generation": self.generation,
            "previous_generation": self.previous,
            "dry_run": self.dry_run,
            "changed": self.changed,
            "removed_generations": list(self.removed_generations),
            "warnings": list(self.warnings),
        }


Confirm = Callable[[Any], bool]


def _always(_: Any) -> bool:
    return True


@dataclass(frozen=True)
class ChangeContext:
    """Everything a mutating use case needs besides its own arguments."""

    settings: Settings
    reporter: Reporter
    command: str = "corral"
    options: ChangeOptions = field(default_factory=ChangeOptions)
    confirm: Confirm = _always


def _env_label(ref: EnvRef) -> str:
    return ref.name or str(ref.link)


def create(ctx: ChangeContext, ref: EnvRef, specs: Sequence[str], channels: Sequence[str]) -> ChangeResult:
    """Create an environment: solve `specs` and make its first generation."""
    from corral.conda.channels import canonical_channel
    from corral.conda.solver import parse_specs

    chans = tuple(dict.fromkeys(canonical_channel(c) for c in (channels or ctx.settings.channels)))
    spec = EnvSpec(channels=chans, specs=tuple(parse_specs(specs)))
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        gens.recover(ref)
        require_absent(ref)
        return _change(ctx, ref, spec, action="create", free=frozenset(), upgrade=frozenset(), creating=True)


def install(ctx: ChangeContext, ref: EnvRef, specs: Sequence[str], channels: Sequence[str] = ()) -> ChangeResult:
    """Add packages to an environment, moving what is installed only where the request needs it."""
    from corral.conda.channels import canonical_channel
    from corral.conda.solver import parse_specs

    parsed = parse_specs(specs)
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = _current_spec(ref)
        extra = tuple(canonical_channel(c) for c in channels)
        spec = EnvSpec(channels=tuple(dict.fromkeys(extra + current.channels)), specs=current.specs)
        spec = spec.with_specs(parsed)
        free = frozenset(spec_name(s) for s in parsed)
        return _change(ctx, ref, spec, action="install", free=free, upgrade=frozenset())


def remove(ctx: ChangeContext, ref: EnvRef, names: Sequence[str]) -> ChangeResult:
    """Remove requested packages (and what only they needed) from an environment."""
    wanted = [n.lower() for n in names]
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = _current_spec(ref)
        prefix = gens.generation_dir(ref, _require_current(ref))
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
        return _change(ctx, ref, current.without(wanted), action="remove", free=frozenset(), upgrade=frozenset())


def update(ctx: ChangeContext, ref: EnvRef, names: Sequence[str], all_packages: bool = False) -> ChangeResult:
    """Move the named packages (or all with `all_packages`) to the newest versions the specs allow."""
    from corral.conda.solver import ALL

    wanted = [n.lower() for n in names]
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = _current_spec(ref)
        installed = {p.name for p in pfx.read_packages(gens.generation_dir(ref, _require_current(ref)))}
        for name in wanted:
            if name not in installed:
                raise NothingToDo(
                    f"package '{name}' is not installed in {ref.label}", hint=f"see `corral list {ref.flag}`"
                )
        upgrade = ALL if all_packages or not wanted else frozenset(wanted)
        return _change(ctx, ref, current, action="update", free=frozenset(), upgrade=upgrade)


def _current_spec(ref: EnvRef) -> EnvSpec:
    require_existing(ref)
    gens.recover(ref)
    meta = gens.read_meta(gens.generation_dir(ref, _require_current(ref)))
    return EnvSpec.from_dict(meta.get("spec", {}))


def _require_current(ref: EnvRef) -> int:
    current = gens.current_generation(ref)
    if current is None:
        raise GenerationNotFound(
            f"{ref.label} has no current generation (its link {ref.link} is missing or broken)",
            hint=f"switch to a generation with `corral rollback {ref.flag} --to N` (see `corral history {ref.flag}`)",
        )
    return current


def _change(
    ctx: ChangeContext,
    ref: EnvRef,
    spec: EnvSpec,
    *,
    action: str,
    free: frozenset[str],
    upgrade: frozenset[str],
    creating: bool = False,
) -> ChangeResult:
    """Solve, plan, confirm, then materialize and switch to a new generation. Lock must be held."""
    from corral.conda.solver import SolveRequest, solve
    from corral.plan import diff

    previous = None if creating else _require_current(ref)
    old_prefix = None if previous is None else gens.generation_dir(ref, previous)
    old_meta = gens.read_meta(old_prefix) if old_prefix else {}
    if old_prefix is not None and not ctx.options.discard_untracked:
        _check_untracked(ref, old_prefix, old_meta)
    solution = solve(SolveRequest(spec, old_prefix, free, upgrade), ctx.settings, ctx.reporter)
    plan = diff(pfx.read_packages(old_prefix) if old_prefix else [], solution.packages())
    number = gens.next_number(ref)
    result = ChangeResult(
        env=_env_label(ref),
        path=str(ref.link),
        action=action,
        plan=plan,
        spec=spec,
        generation=number,
        previous=previous,
        dry_run=ctx.options.dry_run,
        changed=False,
    )
    if ctx.options.dry_run:
        return result
    if plan.is_empty and old_meta.get("spec") == spec.to_dict() and not creating:
        return dataclasses.replace(result, generation=previous)  # nothing to do: no new generation
    if not ctx.confirm(result):
        raise Aborted("nothing was changed")
    if creating:
        gens.register(ref)
    try:
        _materialize(ctx, ref, solution, spec, number, previous, action, plan)
    except BaseException:
        if creating:
            gens.recover(ref)
        raise
    removed = gens.collect_garbage(ref, ctx.settings.keep_generations)
    return ChangeResult(
        env=result.env,
        path=result.path,
        action=action,
        plan=plan,
        spec=spec,
        generation=number,
        previous=previous,
        removed_generations=tuple(removed),
    )


def _check_untracked(ref: EnvRef, prefix: Path, meta: dict[str, Any]) -> None:
    untracked = pfx.find_untracked(prefix, list(meta.get("extra_files", [])))
    if untracked:
        raise UntrackedChanges(
            f"{ref.label} holds {len(untracked)} file(s) that corral did not install"
            " (a plain `pip install`, or a hand edit); the next generation would not carry them",
            hint=f"install them through corral instead, or pass --discard-untracked to leave them behind in"
            f" generation {gens.current_generation(ref)} (still there for rollback)",
            details=untracked[:20] + ([f"... and {len(untracked) - 20} more"] if len(untracked) > 20 else []),
        )


def _materialize(
    ctx: ChangeContext,
    ref: EnvRef,
    solution: Any,
    spec: EnvSpec,
    number: int,
    previous: int | None,
    action: str,
    plan: Plan,
) -> None:
    """Build generation `number` beside the current one, verify it, commit it and switch to it."""
    from corral.conda.installer import install as link_packages

    built = gens.build_dir(ref, number)
    try:
        link_packages(solution, built, gens.generation_dir(ref, number), list(spec.specs), ctx.settings, ctx.reporter)
        records = pfx.read_records(built)
        marker = pfx.mark_externally_managed(built, records, _env_label(ref), ref.flag)
        extra = [marker] if marker else []
        missing = pfx.find_missing(built, records)
        if missing:
            raise VerificationError(
                f"the new generation is missing {len(missing)} file(s); it was not switched to",
                hint="run `corral clean` to drop damaged cache entries, then retry",
                details=missing[:20],
            )
        meta = {
            "number": number,
            "created": gens.now(),
            "action": action,
            "command": ctx.command,
            "parent": previous,
            "spec": spec.to_dict(),
            "changes": [c.to_dict() for c in plan.changes],
            "extra_files": extra,
            "corral_version": __version__,
        }
        gens.write_meta(built, meta)
        gens.commit(ref, built, number)
    except BaseException:
        trash_then_remove(built, f".trash-build-{number}")
        raise
    gens.switch(ref, number)
    gens.append_history(
        ref,
        HistoryEntry(
            generation=number,
            time=str(meta["created"]),
            action=action,
            command=ctx.command,
            previous=previous,
            changes=plan.changes,
        ),
    )


@dataclass(frozen=True)
class PackageList:
    """`corral list`: the packages of the current generation."""

    env: str
    path: str
    generation: int
    packages: tuple[PackageInfo, ...]
    requested: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        names = {spec_name(s) for s in self.requested}
        return {
            "env": self.env,
            "path": self.path,
            "generation": self.generation,
            "packages": [{**p.to_dict(), "requested": p.name in names} for p in self.packages],
            "requested": list(self.requested),
        }


def list_packages(settings: Settings, ref: EnvRef) -> PackageList:
    """The packages installed in an environment's current generation."""
    require_existing(ref)
    current = _require_current(ref)
    prefix = gens.generation_dir(ref, current)
    meta = gens.read_meta(prefix)
    return PackageList(
        env=_env_label(ref),
        path=str(ref.link),
        generation=current,
        packages=tuple(pfx.read_packages(prefix)),
        requested=tuple(EnvSpec.from_dict(meta.get("spec", {})).specs),
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
        result = EnvRemoved(_env_label(ref), str(ref.link), tuple(gens.generation_numbers(ref)), ctx.options.dry_run)
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
    return History(
        env=_env_label(ref),
        current=gens.current_generation(ref),
        available=tuple(gens.generation_numbers(ref)),
        entries=tuple(gens.read_history(ref)),
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
        old = pfx.read_packages(gens.generation_dir(ref, current)) if current is not None else []
        plan = diff(old, pfx.read_packages(gens.generation_dir(ref, target)))
        result = RollbackResult(_env_label(ref), str(ref.link), current, target, plan, ctx.options.dry_run)
        if ctx.options.dry_run or target == current:
            return result
        if not ctx.confirm(result):
            raise Aborted("nothing was changed")
        gens.switch(ref, target)
        gens.append_history(
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
