"""Use cases on whole environments: env remove, rollback, clone, rename, environment variables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from corral.context import ChangeContext, ChangeResult, env_label, packages_of, require_current
from corral.errors import (
    Aborted,
    DamagedGeneration,
    GenerationNotFound,
)
from corral.models import HistoryEntry, Plan
from corral.store import generations as gens
from corral.store import history, locking
from corral.store.envs import EnvRef, require_absent, require_existing
from corral.store.fsutil import remove_tree, trash_then_remove
from corral.values import frozen, replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from typing import Any


@frozen
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
        if os.path.islink(ref.link):
            os.unlink(ref.link)
        trash_then_remove(ref.home, f".trash-env-{os.path.basename(ref.home)}-{os.getpid()}")
        from corral.kernels import forget_auto_kernels

        forget_auto_kernels(ref)
    return result


@frozen
class RollbackResult:
    """`corral rollback`: from which generation to which."""

    env: str
    path: str
    previous: int | None
    generation: int
    plan: Plan
    dry_run: bool = False
    warnings: tuple[str, ...] = ()  # hand edits that make the target differ from what it was built as

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "path": self.path,
            "previous_generation": self.previous,
            "generation": self.generation,
            "plan": self.plan.to_dict(),
            "dry_run": self.dry_run,
            "warnings": list(self.warnings),
        }


def rollback(ctx: ChangeContext, ref: EnvRef, to: int | None = None) -> RollbackResult:
    """Switch the link back to an earlier generation (default: the one before the current). Offline."""
    from corral.plan import diff

    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        require_existing(ref)
        gens.recover(ref)
        current = gens.current_generation(ref)
        available = gens.generation_numbers(ref)
        if current is None and not available:
            require_current(ref)  # a create cut short: says it was never finished, not "before None"
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
            known = set(history.generations(ref))
            why = "was deleted (only the newest generations are kept)" if target in known else "does not exist"
            raise GenerationNotFound(
                f"generation {target} of {ref.label} {why}",
                hint=f"available generations: {', '.join(map(str, available))}",
            )
        old = packages_of(ref, current) if current is not None else []
        try:
            record = gens.read_record(ref, target)
        except DamagedGeneration:
            record = None  # the plan reads what is installed; a damaged record is its own error
        plan = diff(old, packages_of(ref, target, record))
        from corral.preflight import rollback_notes

        target_dir = gens.generation_dir(ref, target)
        try:
            notes = rollback_notes(target_dir, record, target, ref.flag) if record is not None else ()
        except DamagedGeneration:
            notes = ()  # a damaged conda-meta record: the plan above read it; it is its own error
        for note in notes:
            ctx.reporter.warn(note)
        result = RollbackResult(env_label(ref), str(ref.link), current, target, plan, ctx.options.dry_run, notes)
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
        if ctx.settings.kernels == "auto":  # the kernels module only then
            from corral.kernels import sync_auto_kernel

            sync_auto_kernel(ctx.settings, ref, ctx.reporter)
        return result


def clone(ctx: ChangeContext, ref: EnvRef, source: EnvRef) -> ChangeResult:
    """`corral create -n NEW --clone OLD`: a new environment that is exactly OLD's current generation.

    Built from OLD's record by the one materializer, as `create --lock` builds from a lock: no
    solve, offline when the caches hold the artifacts. Its history names the source.
    """
    from corral.frozen import apply_record

    with _both_locked(ctx, source, ref):
        require_existing(source)
        gens.recover(ref)
        require_absent(ref)
        number = require_current(source)
        record = gens.read_record(source, number)
        ctx = replace(ctx, command=f"{ctx.command}  # clone of {env_label(source)}, generation {number}")
        return apply_record(ctx, ref, record, action="clone")


def rename(ctx: ChangeContext, ref: EnvRef, new: EnvRef, active: EnvRef | None) -> ChangeResult:
    """`corral rename -n OLD NEW`: NEW is OLD's current generation, rebuilt at NEW's path; then OLD goes.

    A generation's files name its own path (shebangs, prefix-replaced files), so generations cannot
    be moved: the current one is built again under the new name (no solve, from the caches) with
    the next generation number, the history is carried over (so `history` tells the whole story),
    and the old generations are deleted with the old name. Refused while OLD is active in this
    shell, as conda refuses it.
    """
    from corral.errors import UsageError

    if active is not None and active.link == ref.link:
        raise UsageError(
            f"{ref.label} is active in this shell; it cannot be renamed from inside it (as conda refuses)",
            hint="run `corral deactivate` first",
        )
    with _both_locked(ctx, ref, new):
        require_existing(ref)
        gens.recover(new)
        require_absent(new)
        number = require_current(ref)
        record = gens.read_record(ref, number)
        entries = history.read(ref)
        if not ctx.options.dry_run:
            history.write(new, entries)
        from corral.frozen import apply_record

        try:
            renamed = replace(ctx, command=f"{ctx.command}  # renamed from {env_label(ref)}, generation {number}")
            result = apply_record(renamed, new, record, action="rename")
        except BaseException:
            if gens.current_generation(new) is None:  # never switched: nothing of the new name may stay
                remove_tree(new.home)
            raise
        if result.dry_run:
            return result
        import os

        if os.path.islink(ref.link):
            os.unlink(ref.link)
        trash_then_remove(ref.home, f".trash-env-{os.path.basename(ref.home)}-{os.getpid()}")
        return result


def set_variables(
    ctx: ChangeContext, ref: EnvRef, assignments: Mapping[str, str], unset: Sequence[str] = ()
) -> ChangeResult:
    """`corral env config vars set/unset`: the environment's variables change in a new generation."""
    from corral.change import apply
    from corral.errors import NothingToDo

    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        require_existing(ref)
        gens.recover(ref)
        spec = gens.read_record(ref, require_current(ref)).spec
        values = dict(spec.variables)
        missing = [name for name in unset if name not in values]
        if missing:
            raise NothingToDo(
                f"{ref.label} has no variable {', '.join(missing)}",
                hint=f"see `corral env config vars list {ref.flag}`",
            )
        for name in unset:
            values.pop(name)
        values.update(assignments)
        return apply(ctx, ref, replace(spec, variables=tuple(values.items())), action="env config vars")


@frozen
class Variables:
    """`corral env config vars list`: what activation and `run` set."""

    env: str
    variables: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"env": self.env, "variables": dict(self.variables)}


def list_variables(ref: EnvRef) -> Variables:
    """The variables of an environment's current generation."""
    require_existing(ref)
    return Variables(env_label(ref), gens.read_record(ref, require_current(ref)).spec.variables)


def _both_locked(ctx: ChangeContext, one: EnvRef, other: EnvRef) -> locking.Held:
    """Hold two environments' locks, always taken in the same order (no deadlock between two renames)."""
    locks = [(one.lock_file, one.label), (other.lock_file, other.label)]
    return locking.held_together(locks, ctx.settings.lock_timeout, ctx.reporter)
