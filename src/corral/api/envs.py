"""Use cases on whole environments: env remove, rollback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from corral.context import ChangeContext, env_label, packages_of
from corral.errors import (
    Aborted,
    GenerationNotFound,
)
from corral.models import HistoryEntry, Plan
from corral.store import generations as gens
from corral.store import locking
from corral.store.envs import EnvRef, require_existing
from corral.store.fsutil import trash_then_remove


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
