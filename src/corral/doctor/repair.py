"""`doctor --fix`: repair the link, drop damaged cache entries, rebuild a generation from its own record."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from corral import layout
from corral.context import ChangeContext, ChangeResult, require_current
from corral.doctor import Diagnosis, DoctorResult, diagnose
from corral.errors import Aborted, CorralError, DamagedGeneration
from corral.lock.platforms import machine_platform
from corral.settings import Settings
from corral.store import generations as gens
from corral.store import prefix as pfx
from corral.store.envs import EnvRef
from corral.values import frozen, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from corral.context import Confirm


def fix(ctx: ChangeContext, ref: EnvRef, adopt: bool = False) -> DoctorResult:
    """Repair: the link first; then damaged cache entries go; then a fresh generation from the environment's lock.

    The old generation stays for rollback. Untracked files are left in it unless `adopt` records
    the stray PyPI distributions as requests first.
    """
    before = diagnose(ctx.settings, ref)
    if before.healthy:
        return DoctorResult((before,), actions=("healthy: nothing to fix",), after=(before,))
    actions: list[str] = []
    if any(p.check == "damaged-history" for p in before.problems):
        actions.append(_repair_history(ctx, ref))
        before = diagnose(ctx.settings, ref)
        if before.healthy:
            return DoctorResult((before,), actions=tuple(actions), after=(before,))
    if any(p.check == "broken-link" for p in before.problems):
        actions.append(_repair_link(ctx, ref))
        before = diagnose(ctx.settings, ref)
        if before.healthy:
            return DoctorResult((before,), actions=tuple(actions), after=(before,))
    actions += _unfixable_inconsistency(ref, before)
    actions += _repair_caches(ctx, ref, before)
    fixed = _rebuild(ctx, ref, before, adopt)
    actions.append(
        f"built generation {fixed.generation} from the environment's lock (generation {fixed.previous}"
        " is kept for rollback)"
    )
    after = diagnose(ctx.settings, ref)
    return DoctorResult((before,), (fixed,), tuple(actions), (after,))


def _unfixable_inconsistency(ref: EnvRef, diagnosis: Diagnosis) -> list[str]:
    """When the environment's own lock does not hold together, a rebuild from it cannot either: say so, or refuse.

    Refused when inconsistency is all there is (a rebuild would only make the same generation
    again); otherwise the rebuild repairs the rest and the note says how to repair this.
    """
    if not any(p.check == "inconsistent" for p in diagnosis.problems) or diagnosis.generation is None:
        return []
    from corral.conda.consistency import unmet

    try:
        section = gens.read_record(ref, diagnosis.generation).locked
    except DamagedGeneration:
        return []  # rebuilt from conda-meta: the edited records are what doctor saw
    found = unmet(section.conda, section.platform or machine_platform(), machine=False) if section.conda else []
    if not found:
        return []
    hint = (
        f"solve it again: corral update {ref.flag} --all (or make its lock file again with"
        " `corral lock -f FILE` and create it anew from that)"
    )
    if all(p.check == "inconsistent" for p in diagnosis.problems):
        raise CorralError(
            f"the lock {ref.label} was built from does not hold together: a rebuild would install the same packages",
            hint=hint,
            details=[str(u) for u in found[:20]],
        )
    return [f"left as it is: the environment's own lock does not hold together ({found[0]}); {hint}"]


@frozen
class RepairPlan:
    """`doctor --all --fix`: the environments about to be repaired, shown once before any of them is."""

    diagnoses: tuple[Diagnosis, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"environments": [d.to_dict() for d in self.diagnoses]}


def fix_all(ctx: ChangeContext, refs: list[EnvRef], approve: Confirm, adopt: bool = False) -> DoctorResult:
    """Repair every environment of `refs` that needs it, one after another, after one `approve` of them all.

    `ctx.confirm` then sees each repair's own plan (shown, not asked again). A repair that fails
    does not stop the others: it is named in the actions, and its environment stays unhealthy.
    """
    before = [diagnose(ctx.settings, r) for r in refs]
    sick = [(r, d) for r, d in zip(refs, before, strict=True) if not d.healthy]
    if not sick:
        return DoctorResult(
            tuple(before), actions=("every environment is healthy: nothing to fix",), after=tuple(before)
        )
    if not approve(RepairPlan(tuple(d for _, d in sick))):
        raise Aborted("nothing was changed")
    fixed: list[ChangeResult] = []
    actions: list[str] = []
    for ref, diagnosis in sick:
        try:
            result = fix(ctx, ref, adopt=adopt)
        except Aborted:
            raise
        except CorralError as exc:
            actions.append(f"{diagnosis.env}: could not repair: {exc.message}")
            continue
        fixed += result.fixed
        actions += [f"{diagnosis.env}: {a}" for a in result.actions]
    after = tuple(diagnose(ctx.settings, r) for r in refs)
    return DoctorResult(tuple(before), tuple(fixed), tuple(actions), after)


def _repair_history(ctx: ChangeContext, ref: EnvRef) -> str:
    """Write the history again from the generations' records (under the lock: recover needs a sound one)."""
    from corral.store import locking

    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        kept = gens.rebuild_history(ref)
    return f"wrote the history again from the generations' own records (the damaged file is kept as {kept})"


def _repair_link(ctx: ChangeContext, ref: EnvRef) -> str:
    from corral.models import HistoryEntry
    from corral.store import locking

    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        gens.recover(ref)
        numbers = gens.generation_numbers(ref)
        complete = [
            n for n in numbers if os.path.isfile(os.path.join(gens.generation_dir(ref, n), layout.GENERATION_FILE))
        ]
        if not complete:
            raise CorralError(
                f"{ref.label} has no finished generation to point to",
                hint=f"remove it and create it again: corral env remove {ref.flag}",
            )
        target = complete[-1]
        gens.switch_recorded(
            ref, HistoryEntry(generation=target, time=gens.now(), action="repair", command=ctx.command, previous=None)
        )
    return f"pointed the environment's link at generation {target}, the newest finished one"


def _repair_caches(ctx: ChangeContext, ref: EnvRef, diagnosis: Diagnosis) -> list[str]:
    """Remove damaged cache entries (renamed away, then deleted) so the rebuild extracts or fetches them afresh."""
    from corral.store import locking

    damaged: set[Path] = set()
    settings = ctx.settings
    found: Any = None  # the store's walk, made once for all the damaged files
    prefix = Path(gens.generation_dir(ref, diagnosis.generation or 0))
    for problem in diagnosis.problems:
        if problem.check != "cache-damage":
            continue
        if problem.path.startswith(str(settings.conda_cache)):
            relative = Path(problem.path).relative_to(settings.conda_cache)
            damaged.add(settings.conda_cache / relative.parts[0])
            continue
        try:
            st = os.lstat(prefix / problem.path)
        except OSError:
            continue
        if found is None:
            from corral.store import disk

            found = disk.scan(settings)
        damaged |= _cache_entries_of(settings, found, (st.st_dev, st.st_ino))
    if not damaged:
        return []
    from corral.store.disk import remove_entry, uv_pointers

    with locking.store_held(settings.locks_dir, settings.lock_timeout, ctx.reporter):
        pointers = uv_pointers(settings.pypi_cache, [e.name for e in damaged if e.parent.name == "archive-v0"])
        for entry in sorted(damaged):
            remove_entry(entry, pointers.get(entry.name, ()), "doctor")
    return [f"removed damaged cache entry {e}" for e in sorted(damaged)]


def _cache_entries_of(settings: Settings, found: Any, key: tuple[int, int]) -> set[Path]:
    inode = found.inodes.get(key)
    out = set()
    for owner in inode.owners if inode else ():
        if owner[0] == "conda-pkg":
            out.add(settings.conda_cache / owner[1])
        elif owner[0] == "pypi-archive":
            out.add(settings.pypi_cache / "archive-v0" / owner[1])
    return out


def _rebuild(ctx: ChangeContext, ref: EnvRef, diagnosis: Diagnosis, adopt: bool) -> ChangeResult:
    """A fresh generation from the current one's own record, read under the environment's lock.

    Holding the lock while reading means a change that lands meanwhile is rebuilt from, never
    undone. A damaged record is rebuilt from what the generation holds (its conda-meta records
    and installed distributions), the request with it.
    """
    from corral.frozen import apply_record
    from corral.store import locking

    options = replace(ctx.options, discard_untracked=True)
    ctx = replace(ctx, options=options)
    if adopt and any(p.check in ("foreign-dist", "conda-dist-overwritten") for p in diagnosis.problems):
        from corral.api.adopt import adopt as adopt_strays

        return adopt_strays(ctx, ref)
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        gens.recover(ref)
        current = require_current(ref)
        try:
            record = gens.read_record(ref, current)
        except DamagedGeneration:
            record = _from_contents(ref, current)
            ctx.reporter.warn(
                f"the record of generation {current} was damaged: its request was rebuilt from what is installed"
            )
        return apply_record(ctx, ref, record, action="doctor --fix", creating=False)


def _from_contents(ref: EnvRef, number: int) -> Any:
    """A record for a generation whose own is damaged: conda-meta records, installed distributions, pyvenv.cfg."""
    from corral.models import EnvSpec
    from corral.pypi import dists
    from corral.pypi.resolve import conda_provided
    from corral.record import GenerationRecord

    prefix = Path(gens.generation_dir(ref, number))
    records = pfx.read_records(prefix)
    provided = conda_provided(prefix, records) if records else {}
    pins = [d for d in dists.installed(prefix) if d.name not in provided]
    channels = tuple(dict.fromkeys(str(r.get("channel", "")) for r in records if r.get("channel")))
    requested = tuple(str(r["requested_spec"]) for r in records if r.get("requested_spec"))
    python = _found_python(prefix) if not records else None
    spec = EnvSpec(
        channels=channels,
        specs=requested,
        pypi=tuple(f"{d.name}=={d.version}" for d in pins if not d.editable),
        editables=tuple(d.editable for d in pins if d.editable),
        python=python.minor if python is not None else "",
    )
    data = {
        "schema": 1,
        "number": number,
        "created": gens.now(),
        "action": "doctor --fix",
        "spec": spec.to_dict(),
        "pypi": [{"name": d.name, "version": d.version, "editable": d.editable, "url": d.url} for d in pins],
        "python": python.to_dict() if python is not None else None,
    }
    return GenerationRecord.from_dict(data, records)


def _found_python(prefix: Path) -> Any:
    """The interpreter a venv-style generation names in its pyvenv.cfg (None when it has none)."""
    from corral.pypi.interpreters import Interpreter

    try:
        lines = (prefix / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    values = dict(line.split(" = ", 1) for line in lines if " = " in line)
    if "executable" not in values:
        return None
    return Interpreter(values["executable"], values.get("version", ""), values.get("implementation", "cpython"), "")
