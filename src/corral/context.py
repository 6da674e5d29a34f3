"""What every change shares: its context, its result, how much may move, and the current generation's packages.

Light on purpose: read-only commands and rollback import this, not the solving machinery.
"""

from __future__ import annotations

from collections.abc import Callable

from corral.errors import DamagedGeneration, GenerationNotFound
from corral.models import ChangeOptions, Clobber, EnvSpec, PackageInfo, PackageMessage, Plan
from corral.reporting import Reporter
from corral.settings import Settings
from corral.store import generations as gens
from corral.store.envs import EnvRef
from corral.values import field, frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from corral.record import GenerationRecord

    Confirm = Callable[[Any], bool]  # a question answered yes or no (type checkers only)


def _always(_: Any) -> bool:
    return True


@frozen
class ChangeContext:
    """Everything a mutating use case needs besides its own arguments."""

    settings: Settings
    reporter: Reporter
    command: str = "corral"
    options: ChangeOptions = field(default_factory=ChangeOptions)
    confirm: Confirm = _always


@frozen
class Motion:
    """How much of the installed environment may move in this change.

    `free` conda names may move but prefer their installed version (new requests); `upgrade` conda
    names move to the newest allowed (`ALL` frees everything); `pypi_upgrade` PyPI names may move
    (None: all of them), every other PyPI package keeps its version when it can.
    """

    free: frozenset[str] = frozenset()
    upgrade: frozenset[str] = frozenset()
    pypi_upgrade: tuple[str, ...] | None = ()
    frozen: bool = False  # conda's --freeze-installed: no flexible retry when the installed packages cannot stay


@frozen
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
    python: str = ""  # the found interpreter of a venv-style environment, e.g. "3.12.1 (/usr/bin/python3.12)"
    messages: tuple[PackageMessage, ...] = ()  # conda packages' pre-link messages, then their scripts' messages
    clobbers: tuple[Clobber, ...] = ()  # paths several conda packages ship, and whose file is kept

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
            "python": self.python,
            "messages": [m.to_dict() for m in self.messages],
            "clobbered": [c.to_dict() for c in self.clobbers],
        }


def env_label(ref: EnvRef) -> str:
    """How results name the environment."""
    return ref.name or str(ref.link)


def require_current(ref: EnvRef) -> int:
    """The current generation, or a clear error when the link is missing or broken."""
    current = gens.current_generation(ref)
    if current is None and not gens.generation_numbers(ref):
        raise GenerationNotFound(
            f"{ref.label} was never finished: it has no generation (a create that was cut short)",
            hint=f"create it again: corral create {ref.flag} PACKAGE... (or remove it: corral env remove {ref.flag})",
        )
    if current is None:
        raise GenerationNotFound(
            f"{ref.label} has no current generation (its link {ref.link} is missing or broken)",
            hint=f"switch to a generation with `corral rollback {ref.flag} --to N` (see `corral history {ref.flag}`)",
        )
    return current


def current_spec(ref: EnvRef) -> EnvSpec:
    """The request the environment's current generation was built from (after recovering a cut-short change)."""
    from corral.store.envs import require_existing

    require_existing(ref)
    gens.recover(ref)
    return gens.read_record(ref, require_current(ref)).spec


def packages_of(ref: EnvRef, number: int, record: GenerationRecord | None = None) -> list[PackageInfo]:
    """A generation's packages for plans: its conda records, and its PyPI entries (installed dists if unrecorded).

    `record` is the generation's record when the caller has read it already. Works on a generation
    whose record is damaged (rollback is a repair, so it must show its plan).
    """
    try:
        locked = (record or gens.read_record(ref, number)).locked
    except DamagedGeneration:  # what is installed, read from the files
        from pathlib import Path

        from corral.pypi import dists
        from corral.store import prefix as pfx

        prefix = Path(gens.generation_dir(ref, number))
        pypi = [PackageInfo(d.name, d.version, "", "pypi", kind="pypi") for d in dists.installed(prefix)]
        return sorted([*pfx.read_packages(prefix), *pypi])
    return sorted([*(e.package_info() for e in locked.conda), *(e.package_info() for e in locked.pypi)])
