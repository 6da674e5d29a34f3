"""One solved change of an environment: solve (conda, then PyPI) into a locked platform, plan, confirm, materialize."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral import materialize as mat
from corral.context import ChangeContext, ChangeResult, Motion, env_label, packages_of, require_current
from corral.errors import (
    Aborted,
    CorralError,
    PypiConflict,
    SpecError,
)
from corral.layout import python_path
from corral.lock.entries import CondaEntry, LockedPlatform, PypiEntry
from corral.models import EnvSpec, PackageInfo, Plan
from corral.preflight import check_current, check_expected, check_sides
from corral.record import FoundPython, GenerationRecord
from corral.store import generations as gens
from corral.store import prefix as pfx
from corral.store.envs import EnvRef
from corral.values import frozen, replace

__all__ = [
    "ChangeContext",
    "ChangeResult",
    "Motion",
    "apply",
    "dependents",
    "dependents_note",
    "env_label",
    "packages_of",
    "require_current",
]


def dependents(records: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, str]:
    """Installed packages that need one of `names`, directly or through each other: name -> the package it needs.

    This is what `conda remove` removes with the named packages (conda/models/prefix_graph.py,
    `PrefixGraph.remove_spec`: every descendant of a matching node), so that no package is left
    without a dependency.
    """
    from corral.models import spec_name

    needs = {str(r["name"]): {spec_name(d) for d in r.get("depends", ())} for r in records}
    found: dict[str, str] = {}
    queue = list(dict.fromkeys(names))
    while queue:
        gone = queue.pop(0)
        for name, wanted in needs.items():
            if gone in wanted and name not in found and name not in names:
                found[name] = gone
                queue.append(name)
    return found


def dependents_note(needing: Mapping[str, str], requested: set[str]) -> tuple[str, ...]:
    """The warning that names what a removal takes with it, and which of those leave the request."""
    if not needing:
        return ()
    parts = [
        f"{name} (needs {need}{'; requested, so it leaves the request' if name in requested else ''})"
        for name, need in needing.items()
    ]
    return (f"also removing the packages that need what is removed, as conda does: {', '.join(parts)}",)


@frozen
class _Start:
    """The environment before a change: its current generation and that generation's record."""

    number: int | None = None
    record: GenerationRecord | None = None

    @property
    def spec(self) -> EnvSpec | None:
        return self.record.spec if self.record else None


def apply(
    ctx: ChangeContext,
    ref: EnvRef,
    spec: EnvSpec,
    *,
    action: str,
    motion: Motion | None = None,
    creating: bool = False,
    notes: Sequence[str] = (),
    expected: Mapping[str, tuple[str, str]] | None = None,
) -> ChangeResult:
    """Solve, plan, confirm, then materialize, verify and switch to a new generation. The lock must be held.

    `expected` (from an explicit file) maps package names to the (sha256, md5) they must have.
    """
    from corral.plan import diff

    motion = motion or Motion()
    for note in notes:
        ctx.reporter.warn(note)
    start = _Start()
    if not creating:
        number = require_current(ref)
        start = _Start(number, gens.read_record(ref, number))  # a damaged record is refused, never guessed
    old_prefix = None if start.number is None else Path(gens.generation_dir(ref, start.number))
    if old_prefix is not None and start.record is not None:
        check_current(ctx.settings, ctx.reporter, ref, old_prefix, start.record, ctx.options.discard_untracked)
    check_sides(ref, spec, start.record)
    solution = None
    if spec.specs:  # rattler is imported only for environments with conda packages
        from corral.conda.solver import SolveRequest, solve

        request = SolveRequest(spec, old_prefix, motion.free, motion.upgrade, motion.frozen)
        solution = solve(request, ctx.settings, ctx.reporter)
    conda = solution.entries() if solution else ()
    if expected:
        check_expected(solution.hashes() if solution else {}, expected)
    if spec.has_pypi and spec.specs and not any(e.name == "python" for e in conda):
        raise SpecError(
            "PyPI packages need a Python in the environment, and the conda packages bring none",
            hint="add python to the conda specs (e.g. python=3.12), or drop the conda specs and use --python",
        )
    old_packages = packages_of(ref, start.number, start.record) if start.number is not None else []
    result = ChangeResult(
        env=env_label(ref),
        path=str(ref.link),
        action=action,
        plan=diff(old_packages, [e.package_info() for e in conda]) if not spec.has_pypi else Plan(),
        spec=spec,
        generation=gens.next_number(ref),
        previous=start.number,
        dry_run=ctx.options.dry_run,
        changed=False,
        warnings=tuple(notes),
    )
    if old_prefix is not None and start.number is not None:
        result = _note_pre_unlink(ctx, result, old_prefix, start.number, old_packages, conda)
    unchanged_request = start.spec == spec
    if not spec.has_pypi:
        if result.plan.is_empty and unchanged_request:  # nothing to do (also for --dry-run): no new generation
            return replace(result, generation=start.number, dry_run=False)
        if ctx.options.dry_run:
            return result
        return _build(ctx, ref, result, conda, None, None, creating)
    still = unchanged_request and motion.pypi_upgrade == () and not motion.upgrade
    old_conda = [p for p in old_packages if p.kind == "conda"]
    if still and not diff(old_conda, [e.package_info() for e in conda]).changes:
        return replace(result, generation=start.number)  # same request, same conda side: nothing to do
    interpreter = None if spec.specs else _interpreter(ctx, spec, start.record, motion)
    return _build(ctx, ref, result, conda, interpreter, (start, old_packages, motion), creating)


def _note_pre_unlink(
    ctx: ChangeContext,
    result: ChangeResult,
    old_prefix: Path,
    old_number: int,
    old_packages: Sequence[PackageInfo],
    conda: Sequence[CondaEntry],
) -> ChangeResult:
    """Warn about leaving conda packages whose pre-unlink script corral does not run (see docs/architecture.md)."""
    from corral.conda.scripts import pre_unlink_notes

    kept = {(e.name, e.version, e.build) for e in conda}
    leaving = [p.name for p in old_packages if p.kind == "conda" and (p.name, p.version, p.build) not in kept]
    notes = pre_unlink_notes(old_prefix, leaving, old_number)
    for note in notes:
        ctx.reporter.warn(note)
    return replace(result, warnings=result.warnings + tuple(notes))


def _build(
    ctx: ChangeContext,
    ref: EnvRef,
    result: ChangeResult,
    conda: Sequence[CondaEntry],
    interpreter: FoundPython | None,
    pypi: tuple[_Start, list[PackageInfo], Motion] | None,
    creating: bool,
) -> ChangeResult:
    """Materialize generation `result.generation`; with a PyPI side, resolve it there and confirm before installing."""
    from corral.plan import diff

    number = result.generation
    assert number is not None
    if creating:
        gens.register(ref)
    if interpreter is not None:
        result = replace(result, python=f"{interpreter.version} ({interpreter.path})")
    if conda:  # rattler is loaded anyway; a PyPI-only change must not load it just to name the platform
        from corral.conda.machine import describe_platform

        platform, virtual = describe_platform()
    else:
        from corral.lock.platforms import machine_platform

        platform, virtual = machine_platform(), []
    placed: Path | None = None
    try:
        placed = mat.place(ctx.settings, ctx.reporter, ref, number, conda, interpreter, result.spec.specs)
        entries: tuple[PypiEntry, ...] = ()
        if pypi is not None:
            start, old_packages, motion = pypi
            placed, conda, resolution, spec = _resolve_pypi(
                ctx, ref, result.spec, placed, conda, interpreter, start, motion
            )
            if spec != result.spec:
                replaced = _replaced_specs(result.spec, spec)
                for note in replaced:
                    ctx.reporter.warn(note)
                result = replace(result, spec=spec, warnings=result.warnings + replaced)
            satisfied = tuple(f"already provided by conda: {s}" for s in resolution.satisfied_by_conda)
            plan = diff(old_packages, [*[e.package_info() for e in conda], *resolution.packages()])
            result = replace(result, plan=plan, warnings=result.warnings + satisfied)
            for warning in satisfied:
                ctx.reporter.warn(warning)
            nothing = plan.is_empty and start.spec == result.spec
            if ctx.options.dry_run or nothing:
                mat.discard(placed, number)
                if creating:
                    gens.recover(ref)
                if nothing:  # the same answer with and without --dry-run
                    return replace(result, generation=result.previous, dry_run=False)
                return result
            entries = resolution.entries
        result = mat.review(ctx.settings, ctx.reporter, result, placed)
        if not ctx.confirm(result):
            raise Aborted("nothing was changed")
        result, created = mat.run_link_scripts(ctx.settings, ctx.reporter, result, placed)
        python = interpreter.version if interpreter else next((e.version for e in conda if e.name == "python"), "")
        mat.install_pypi(ctx.settings, ctx.reporter, placed, entries, result.spec.index, python, platform, True)
        locked = LockedPlatform(platform, tuple(sorted(virtual)), python, tuple(conda), entries)
        record = mat.new_record(result, ctx.command, locked, interpreter, created=created)
        mat.finish(ref, placed, record, env_label(ref), ctx.settings.root)
    except BaseException as exc:
        mat.undo_unless_switched(ref, placed, number, creating, exc)
        raise
    if ctx.settings.kernels == "auto":  # the kernels module only then
        from corral.kernels import sync_auto_kernel

        sync_auto_kernel(ctx.settings, ref, ctx.reporter)
    removed = mat.collect_garbage(ref, ctx.settings.keep_generations, ctx.reporter)
    return replace(result, changed=True, dry_run=False, removed_generations=removed)


def _resolve_pypi(
    ctx: ChangeContext,
    ref: EnvRef,
    spec: EnvSpec,
    placed: Path,
    conda: Sequence[CondaEntry],
    interpreter: FoundPython | None,
    start: _Start,
    motion: Motion,
) -> tuple[Path, Sequence[CondaEntry], Any, EnvSpec]:
    """Resolve the PyPI side in the built generation; on a conflict with conda, try once to move the conda side."""
    from corral.pypi.resolve import ConflictsWithConda, conda_provided, resolve
    from corral.pypi.uv import Uv

    uv = Uv(ctx.settings, ctx.reporter)
    previous = start.record.locked.pypi if start.record else ()

    def attempt(prefix: Path) -> Any:
        provided = conda_provided(prefix, pfx.read_records(prefix)) if conda else {}
        return resolve(uv, python_path(prefix), spec, provided, previous, motion.pypi_upgrade)

    try:
        return placed, conda, attempt(placed), spec
    except ConflictsWithConda as conflict:
        if not conda:
            raise
        first = conflict
    extra = [_conda_spec(c) for c in first.conflicts]
    # The moved conda specs replace the user's own for those packages and are recorded (the plan says
    # so), so that the recorded request is what the environment holds.
    moved_spec = spec.with_specs(extra)
    names = frozenset(c.conda_package for c in first.conflicts)
    ctx.reporter.status("The PyPI requests need other versions of conda packages; trying to move the conda side")
    from corral.conda.solver import SolveRequest, solve

    old_prefix = Path(gens.generation_dir(ref, start.number)) if start.number is not None else None
    try:
        moved = solve(
            SolveRequest(moved_spec, old_prefix, motion.free | names, motion.upgrade, motion.frozen),
            ctx.settings,
            ctx.reporter,
        ).entries()
    except CorralError as exc:
        raise _refusal(ref, first, f"the conda channels cannot provide it: {exc.message}") from exc
    number = int(placed.name)
    mat.discard(placed, number)
    placed = mat.place(ctx.settings, ctx.reporter, ref, number, moved, interpreter, spec.specs)
    try:
        return placed, moved, attempt(placed), moved_spec
    except ConflictsWithConda as again:
        mat.discard(placed, number)
        raise _refusal(ref, again, "moving the conda side did not resolve it") from again.cause
    except BaseException:
        mat.discard(placed, number)
        raise


def _replaced_specs(old: EnvSpec, new: EnvSpec) -> tuple[str, ...]:
    """Notes for conda specs a PyPI request made corral move (recorded in place of the user's)."""
    from corral.models import spec_name

    before = {spec_name(s): s for s in old.specs}
    return tuple(
        f"conda request '{before.get(spec_name(s), spec_name(s))}' becomes '{s}' to meet the PyPI requests"
        for s in new.specs
        if s not in old.specs
    )


def _conda_spec(conflict: Any) -> str:
    """The conda spec that asks the conda side for what the PyPI side needs."""
    from packaging.requirements import InvalidRequirement, Requirement

    if conflict.requested:
        try:
            specifier = str(Requirement(conflict.requested).specifier)
        except InvalidRequirement:
            specifier = ""
        if specifier and "===" not in specifier:
            return f"{conflict.conda_package} {specifier}"
    return f"{conflict.conda_package}=={conflict.needed_version}"


def _refusal(ref: EnvRef, conflict: Any, tried: str) -> PypiConflict:
    first = conflict.conflicts[0]
    details = [
        f"{c.name}: conda package {c.conda_package} provides {c.conda_version}; the PyPI side needs"
        f" {c.needed_version}" + (f" (requested as '{c.requested}')" if c.requested else " (a dependency)")
        for c in conflict.conflicts
    ]
    return PypiConflict(
        "the PyPI requests need other versions of packages that conda installed, and corral does not let"
        " PyPI packages replace conda packages; the environment was not changed",
        hint=f"install the version from conda (corral install {ref.flag} '{_conda_spec(first)}'), or relax the"
        " PyPI requirement",
        details=[*details, f"tried moving the conda side: {tried}"],
    )


def _interpreter(ctx: ChangeContext, spec: EnvSpec, record: GenerationRecord | None, motion: Motion) -> FoundPython:
    """The found interpreter for a PyPI-only environment: the recorded one while it exists, else found anew."""
    from corral.pypi.interpreters import find

    recorded = record.python if record else None
    if recorded is not None and Path(recorded.path).exists() and motion.pypi_upgrade is not None:
        return recorded
    return find(spec.python, ctx.settings)
