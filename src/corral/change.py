"""One change of an environment: solve (conda, then PyPI), plan, confirm, build a generation, verify, switch."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corral import __version__
from corral.errors import (
    Aborted,
    CorralError,
    GenerationNotFound,
    PypiConflict,
    SpecError,
    UntrackedChanges,
    VerificationError,
)
from corral.models import ChangeOptions, EnvSpec, HistoryEntry, PackageInfo, Plan
from corral.redact import redact
from corral.reporting import Reporter
from corral.settings import Settings
from corral.store import generations as gens
from corral.store import prefix as pfx
from corral.store.envs import EnvRef
from corral.store.fsutil import trash_then_remove

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


@dataclass(frozen=True)
class Motion:
    """How much of the installed environment may move in this change.

    `free` conda names may move but prefer their installed version (new requests); `upgrade` conda
    names move to the newest allowed (`ALL` frees everything); `pypi_upgrade` PyPI names may move
    (None: all of them), every other PyPI package keeps its version when it can.
    """

    free: frozenset[str] = frozenset()
    upgrade: frozenset[str] = frozenset()
    pypi_upgrade: tuple[str, ...] | None = ()


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
    python: str = ""  # the found interpreter of a venv-style environment, e.g. "3.12.1 (/usr/bin/python3.12)"

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
        }


def env_label(ref: EnvRef) -> str:
    """How results name the environment."""
    return ref.name or str(ref.link)


def require_current(ref: EnvRef) -> int:
    """The current generation, or a clear error when the link is missing or broken."""
    current = gens.current_generation(ref)
    if current is None:
        raise GenerationNotFound(
            f"{ref.label} has no current generation (its link {ref.link} is missing or broken)",
            hint=f"switch to a generation with `corral rollback {ref.flag} --to N` (see `corral history {ref.flag}`)",
        )
    return current


def packages_of(prefix: Path, meta: dict[str, Any] | None = None) -> list[PackageInfo]:
    """A generation's packages for plans: its conda records and the PyPI pins it recorded."""
    from corral.pypi.resolve import pin_info, pins_from_meta

    meta = gens.read_meta(prefix) if meta is None else meta
    return sorted([*pfx.read_packages(prefix), *(pin_info(p) for p in pins_from_meta(meta.get("pypi", [])))])


def owned_extra_files(prefix: Path, meta: dict[str, Any]) -> list[str]:
    """Files corral put in a generation besides conda records: its own files and the PyPI packages it installed."""
    from corral.pypi import dists

    wanted = {str(p["name"]) for p in meta.get("pypi", [])}
    owned = list(meta.get("extra_files", []))
    for dist in dists.installed(prefix):
        if dist.name in wanted:
            owned += [*dists.record_files(prefix, dist), dist.dist_info + "/RECORD"]
    return owned


def apply(
    ctx: ChangeContext,
    ref: EnvRef,
    spec: EnvSpec,
    *,
    action: str,
    motion: Motion = Motion(),
    creating: bool = False,
    notes: Sequence[str] = (),
    expected: Mapping[str, tuple[str, str]] | None = None,
) -> ChangeResult:
    """Solve, plan, confirm, then build, verify and switch to a new generation. The lock must be held.

    `expected` (from an explicit file) maps package names to the (sha256, md5) they must have.
    """
    from corral.plan import diff

    for note in notes:
        ctx.reporter.warn(note)
    previous = None if creating else require_current(ref)
    old_prefix = None if previous is None else gens.generation_dir(ref, previous)
    old_meta = gens.read_meta(old_prefix) if old_prefix else {}
    if old_prefix is not None and not ctx.options.discard_untracked:
        _check_untracked(ref, old_prefix, old_meta)
    _check_sides(ref, spec, old_meta)
    solution = None
    if spec.specs:  # rattler is imported only for environments with conda packages
        from corral.conda.solver import SolveRequest, solve

        solution = solve(SolveRequest(spec, old_prefix, motion.free, motion.upgrade), ctx.settings, ctx.reporter)
    conda_packages = list(solution.packages()) if solution else []
    if expected:
        _check_expected(solution.hashes() if solution else {}, expected)
    if spec.has_pypi and spec.specs and not any(p.name == "python" for p in conda_packages):
        raise SpecError(
            "PyPI packages need a Python in the environment, and the conda packages bring none",
            hint="add python to the conda specs (e.g. python=3.12), or drop the conda specs and use --python",
        )
    old_packages = packages_of(old_prefix, old_meta) if old_prefix else []
    result = ChangeResult(
        env=env_label(ref),
        path=str(ref.link),
        action=action,
        plan=Plan(),
        spec=spec,
        generation=gens.next_number(ref),
        previous=previous,
        dry_run=ctx.options.dry_run,
        changed=False,
        warnings=tuple(notes),
    )
    unchanged_request = not creating and EnvSpec.from_dict(old_meta.get("spec", {})) == spec
    if not spec.has_pypi:
        result = dataclasses.replace(result, plan=diff(old_packages, conda_packages))
        if ctx.options.dry_run:
            return result
        if result.plan.is_empty and unchanged_request:
            return dataclasses.replace(result, generation=previous)  # nothing to do: no new generation
        if not ctx.confirm(result):
            raise Aborted("nothing was changed")
        return _build_and_switch(ctx, ref, result, solution, None, None, creating)
    still = unchanged_request and motion.pypi_upgrade == () and not motion.upgrade
    if still and not diff([p for p in old_packages if p.kind == "conda"], conda_packages).changes:
        return dataclasses.replace(result, generation=previous)  # same request, same conda side: nothing to do
    interpreter = None if spec.specs else _interpreter(ctx, spec, old_meta, motion)
    return _build_and_switch(ctx, ref, result, solution, interpreter, (old_prefix, old_meta, motion), creating)


def _build_and_switch(
    ctx: ChangeContext,
    ref: EnvRef,
    result: ChangeResult,
    solution: Any,
    interpreter: Any,
    pypi: tuple[Path | None, dict[str, Any], Motion] | None,
    creating: bool,
) -> ChangeResult:
    """Build generation `result.generation`; with a PyPI side, resolve it there and confirm before installing."""
    from corral.plan import diff

    number = result.generation
    assert number is not None
    if creating:
        gens.register(ref)
    placed: Path | None = None
    if interpreter is not None:
        result = dataclasses.replace(result, python=f"{interpreter.version} ({interpreter.path})")
    try:
        placed = _build_base(ctx, ref, number, solution, interpreter, result.spec.specs)
        meta: dict[str, Any] = {"pypi": [], "python": interpreter.to_dict() if interpreter else None}
        if pypi is not None:
            old_prefix, old_meta, motion = pypi
            # Nothing to confirm and no earlier PyPI versions to keep: uv resolves and installs at once.
            direct = ctx.options.yes and not ctx.options.dry_run and not old_meta.get("pypi")
            placed, solution, resolution = _resolve_pypi(
                ctx, ref, result.spec, placed, solution, interpreter, old_prefix, old_meta, motion, direct
            )
            old = packages_of(old_prefix, old_meta) if old_prefix else []
            new = [*(solution.packages() if solution else ()), *resolution.packages()]
            satisfied = tuple(f"already provided by conda: {s}" for s in resolution.satisfied_by_conda)
            result = dataclasses.replace(result, plan=diff(old, new), warnings=result.warnings + satisfied)
            for warning in satisfied:
                ctx.reporter.warn(warning)
            if ctx.options.dry_run or (
                result.plan.is_empty and EnvSpec.from_dict(old_meta.get("spec", {})) == result.spec
            ):
                _discard(placed, number)
                if creating:
                    gens.recover(ref)
                if ctx.options.dry_run:
                    return result
                return dataclasses.replace(result, generation=result.previous)
            if not ctx.confirm(result):
                raise Aborted("nothing was changed")
            if not direct:
                from corral.pypi.uv import Uv

                Uv(ctx.settings, ctx.reporter).install(placed / "bin" / "python", resolution.pins, result.spec.index)
            meta["pypi"] = resolution.to_meta()
        _finish(ctx, ref, placed, result, meta, interpreter)
    except BaseException as exc:
        _undo_unless_switched(ref, placed, number, creating, exc)
        raise
    removed = _collect_garbage(ctx, ref)
    return dataclasses.replace(result, changed=True, dry_run=False, removed_generations=removed)


def _build_base(
    ctx: ChangeContext, ref: EnvRef, number: int, solution: Any, interpreter: Any, requested: Sequence[str]
) -> Path:
    """Link the conda packages (or lay out a venv on `interpreter`) and move the result to its generation path.

    A generation directory is not in use until the link is switched to it; a killed run leaves one
    that `recover` deletes, since it never made it into history.
    """
    built = gens.build_dir(ref, number)
    try:
        if solution is not None:
            from corral.conda.installer import install as link_packages

            final = gens.generation_dir(ref, number)
            link_packages(solution, built, final, list(requested), ctx.settings, ctx.reporter)
        elif interpreter is not None:
            from corral.pypi.venv import make_venv

            make_venv(built, interpreter)
        (built / pfx.CORRAL_META).mkdir(parents=True, exist_ok=True)
        return gens.commit(ref, built, number)
    except BaseException:
        trash_then_remove(built, f".trash-build-{number}")
        raise


def _discard(placed: Path, number: int) -> None:
    trash_then_remove(placed, f".trash-build-{number}")


def _undo_unless_switched(ref: EnvRef, placed: Path | None, number: int, creating: bool, exc: BaseException) -> None:
    """After a failure: undo the build, unless the link already points at it.

    Once the switch happened the new generation is the environment: it is never deleted, and the
    error says where the environment is (what is missing after it, `recover` adds).
    """
    if not gens.is_current(ref, number):
        _undo(ref, placed, number, creating)
        return
    raise gens.incomplete(ref, number, exc) from exc


def _collect_garbage(ctx: ChangeContext, ref: EnvRef) -> tuple[int, ...]:
    """Delete old generations; after a successful switch a failure here is only a warning."""
    try:
        return tuple(gens.collect_garbage(ref, ctx.settings.keep_generations))
    except OSError as exc:
        ctx.reporter.warn(f"could not delete old generations ({exc}); `corral clean` retries")
        return ()


def _undo(ref: EnvRef, placed: Path | None, number: int, creating: bool) -> None:
    """After a failed build: drop the placed generation, and a new environment's registration with it."""
    if placed is not None:
        _discard(placed, number)
    if creating:
        gens.recover(ref)


def _resolve_pypi(
    ctx: ChangeContext,
    ref: EnvRef,
    spec: EnvSpec,
    placed: Path,
    solution: Any,
    interpreter: Any,
    old_prefix: Path | None,
    old_meta: dict[str, Any],
    motion: Motion,
    direct: bool = False,
) -> tuple[Path, Any, Any]:
    """Resolve the PyPI side in the built generation; on a conflict with conda, try once to move the conda side."""
    from corral.pypi.resolve import ConflictsWithConda, conda_provided, install_directly, pins_from_meta, resolve
    from corral.pypi.uv import Uv

    uv = Uv(ctx.settings, ctx.reporter)
    previous = pins_from_meta(old_meta.get("pypi", []))

    def attempt(prefix: Path) -> Any:
        provided = conda_provided(prefix, pfx.read_records(prefix)) if solution is not None else {}
        if direct:
            return install_directly(uv, prefix, spec, provided)
        return resolve(uv, prefix / "bin" / "python", spec, provided, previous, motion.pypi_upgrade)

    try:
        return placed, solution, attempt(placed)
    except ConflictsWithConda as conflict:
        if solution is None:
            raise
        first = conflict
    extra = [_conda_spec(c) for c in first.conflicts]
    names = frozenset(c.conda_package for c in first.conflicts)
    ctx.reporter.status("The PyPI requests need other versions of conda packages; trying to move the conda side")
    from corral.conda.solver import SolveRequest, solve

    try:
        moved = solve(
            SolveRequest(spec.with_specs(extra), old_prefix, motion.free | names, motion.upgrade),
            ctx.settings,
            ctx.reporter,
        )
    except CorralError as exc:
        raise _refusal(ref, first, f"the conda channels cannot provide it: {exc.message}") from exc
    number = int(placed.name)
    _discard(placed, number)
    placed = _build_base(ctx, ref, number, moved, interpreter, spec.specs)
    try:
        return placed, moved, attempt(placed)
    except ConflictsWithConda as again:
        _discard(placed, number)
        raise _refusal(ref, again, "moving the conda side did not resolve it") from again.cause
    except BaseException:
        _discard(placed, number)
        raise


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
        hint=f"install the version from conda (corral install {ref.flag} '{first.conda_package}"
        f"=={first.needed_version}'), or relax the PyPI requirement",
        details=[*details, f"tried moving the conda side: {tried}"],
    )


def _finish(
    ctx: ChangeContext, ref: EnvRef, prefix: Path, result: ChangeResult, meta: dict[str, Any], interpreter: Any
) -> None:
    """Mark, verify and describe the placed generation, then switch the link to it and record history."""
    from corral.pypi import dists

    number = result.generation
    assert number is not None
    records = pfx.read_records(prefix)
    marker = pfx.mark_externally_managed(prefix, records, env_label(ref), ref.flag)
    extra = [marker] if marker else []
    if interpreter is not None:
        minor = interpreter.minor
        extra += ["pyvenv.cfg", "lib64", "bin/python", "bin/python3", f"bin/python{minor}"]
    missing = pfx.find_missing(prefix, records)
    installed = {d.name for d in dists.installed(prefix)}
    missing += [f"{p['name']}: not installed" for p in meta["pypi"] if p["name"] not in installed]
    if missing:
        raise VerificationError(
            f"the new generation is missing {len(missing)} file(s) or package(s); it was not switched to",
            hint="run `corral clean` to drop damaged cache entries, then retry",
            details=missing[:20],
        )
    full_meta = {
        "number": number,
        "created": gens.now(),
        "action": result.action,
        "command": redact(ctx.command),
        "parent": result.previous,
        "spec": result.spec.to_dict(),
        "changes": [c.to_dict() for c in result.plan.changes],
        "extra_files": extra,
        "corral_version": __version__,
        **meta,
    }
    gens.write_meta(prefix, full_meta)
    gens.switch_recorded(
        ref,
        HistoryEntry(
            generation=number,
            time=str(full_meta["created"]),
            action=result.action,
            command=redact(ctx.command),
            previous=result.previous,
            changes=result.plan.changes,
        ),
    )


def _check_expected(found: Mapping[str, tuple[str, str, str]], expected: Mapping[str, tuple[str, str]]) -> None:
    """Every package an explicit file names is in the solution with the hash the file gives."""
    problems = []
    for name, (sha256, md5) in sorted(expected.items()):
        if name not in found:
            problems.append(f"{name}: not in the solution")
            continue
        have_sha, have_md5, url = found[name]
        if (sha256 and have_sha and sha256 != have_sha) or (md5 and have_md5 and md5 != have_md5):
            problems.append(f"{name}: the file expects {sha256 or md5}, the channel has {have_sha or have_md5} ({url})")
    extra = sorted(set(found) - set(expected))
    problems += [f"{name}: not in the file" for name in extra]
    if problems:
        raise VerificationError(
            "the channels' packages differ from the explicit file; nothing was installed",
            hint="the channel changed since the file was written: export a new one, or point -c at the original",
            details=problems[:20],
        )


def _check_untracked(ref: EnvRef, prefix: Path, meta: dict[str, Any]) -> None:
    untracked = pfx.find_untracked(prefix, owned_extra_files(prefix, meta))
    if untracked:
        raise UntrackedChanges(
            f"{ref.label} holds {len(untracked)} file(s) that corral did not install"
            " (a plain `pip install`, or a hand edit); the next generation would not carry them",
            hint=f"record the packages with `corral adopt {ref.flag}`, install them through corral, or pass"
            f" --discard-untracked to leave them behind in generation {gens.current_generation(ref)}"
            " (still there for rollback)",
            details=untracked[:20] + ([f"... and {len(untracked) - 20} more"] if len(untracked) > 20 else []),
        )


def _check_sides(ref: EnvRef, spec: EnvSpec, old_meta: dict[str, Any]) -> None:
    """An environment on a found interpreter holds no conda packages (they would bring their own Python)."""
    python = old_meta.get("python") or {}
    if spec.specs and spec.python:
        where = f" (Python {python.get('version')} at {python.get('path')})" if python else ""
        raise SpecError(
            f"{ref.label} runs on a found interpreter{where}; it cannot hold conda packages",
            hint="install PyPI packages with --pip, or create a conda-based environment (-c CHANNEL python=3.12 ...)",
            details=[f"conda specs asked for: {', '.join(spec.specs)}"],
        )


def _interpreter(ctx: ChangeContext, spec: EnvSpec, old_meta: dict[str, Any], motion: Motion) -> Any:
    """The found interpreter for a PyPI-only environment: the recorded one while it exists, else found anew."""
    from corral.pypi.interpreters import Interpreter, find

    recorded = old_meta.get("python")
    if recorded and Path(str(recorded.get("path", ""))).exists() and motion.pypi_upgrade is not None:
        return Interpreter(**recorded)
    return find(spec.python, ctx.settings)


def apply_locked(
    ctx: ChangeContext, ref: EnvRef, lock: Any, platform: str, *, creating: bool = True, action: str = "create"
) -> ChangeResult:
    """A new generation that is exactly a lock's section for `platform`: no solving, every artifact's hash checked.

    Creates the environment, or (with `creating=False`, for `doctor --fix`) adds a generation to it.

    Everything that can be refused is checked before the first file is linked: the platform is in
    the lock, this machine provides the virtual packages the records need, every PyPI package has
    a wheel for this machine (nothing is built), and every conda archive matches its sha256.
    """
    from corral.errors import LockError
    from corral.lock.conda import check_machine, restore_urls, verified_records
    from corral.lock.pypi import install_lines
    from corral.plan import diff
    from corral.pypi.resolve import pin_info, pin_to_dict
    from corral.pypi.uv import Pin

    section = lock.platform(platform)
    if section is None:
        raise LockError(
            f"the lock has no section for this machine's platform {platform} (it covers"
            f" {', '.join(lock.platform_names())})",
            hint=f"add it: corral lock -f FILE --platform {platform} (with the platforms it has)",
        )
    spec = lock.spec
    check_machine(section.conda)
    interpreter = None
    if not section.conda and (spec.python or section.pypi):
        from corral.pypi.interpreters import find

        interpreter = find(section.python or spec.python, ctx.settings)
    python = interpreter.version if interpreter is not None else section.python
    lines = install_lines(section.pypi, python, platform)
    editables = [e.editable for e in section.pypi if e.editable]
    pins = [
        Pin(name=e.name, editable=e.editable) if e.editable else Pin(name=e.name, version=e.version)
        for e in section.pypi
    ]
    conda = [_locked_info(e) for e in section.conda]
    previous = None if creating else require_current(ref)
    old = packages_of(gens.generation_dir(ref, previous)) if previous is not None else []
    result = ChangeResult(
        env=env_label(ref),
        path=str(ref.link),
        action=action,
        plan=diff(old, [*conda, *(pin_info(p) for p in pins)]),
        spec=spec,
        generation=gens.next_number(ref),
        previous=previous,
        dry_run=ctx.options.dry_run,
        changed=False,
        python=f"{interpreter.version} ({interpreter.path})" if interpreter is not None else "",
    )
    if ctx.options.dry_run:
        return result
    if not ctx.confirm(result):
        raise Aborted("nothing was changed")
    number = result.generation
    assert number is not None
    if creating:
        gens.register(ref)
    placed: Path | None = None
    try:
        solution = None
        if section.conda:
            from corral.conda.solver import Solution

            solution = Solution(records=verified_records(section.conda, ctx.settings, ctx.reporter))
        placed = _build_base(ctx, ref, number, solution, interpreter, spec.specs)
        restore_urls(placed, section.conda)
        if lines or editables:
            from corral.pypi.uv import Uv

            Uv(ctx.settings, ctx.reporter).install_locked(placed / "bin" / "python", lines, spec.index, editables)
        meta = {
            "pypi": [pin_to_dict(p) for p in pins],
            "python": interpreter.to_dict() if interpreter else None,
            "lock": {"sha256": lock.input_hash, "platform": platform, "section": section.to_dict()},
        }
        _finish(ctx, ref, placed, result, meta, interpreter)
    except BaseException as exc:
        _undo_unless_switched(ref, placed, number, creating, exc)
        raise
    removed = () if creating else _collect_garbage(ctx, ref)
    return dataclasses.replace(result, changed=True, removed_generations=removed)


def _locked_info(entry: Any) -> PackageInfo:
    from corral.conda.channels import channel_display

    return PackageInfo(
        name=entry.name,
        version=entry.version,
        build=entry.build,
        build_number=entry.build_number,
        channel=channel_display(entry.channel),
        subdir=entry.subdir,
    )
