"""A change that installs a locked platform exactly as it is: `create --lock`, and `doctor --fix` from a record.

No solving: the section's conda entries are linked and its PyPI entries installed by the same
materializer a solved change uses, every artifact's hash checked.
"""

from __future__ import annotations

from corral import materialize as mat
from corral.context import ChangeContext, ChangeResult, env_label, packages_of, require_current
from corral.errors import Aborted
from corral.lock.entries import LockedPlatform
from corral.models import EnvSpec
from corral.record import FoundPython, GenerationRecord
from corral.store import generations as gens
from corral.store.envs import EnvRef
from corral.values import replace


def apply_locked(
    ctx: ChangeContext,
    ref: EnvRef,
    spec: EnvSpec,
    section: LockedPlatform,
    *,
    lock_sha256: str = "",
    creating: bool = True,
    action: str = "create",
    allow_build: bool = False,
    interpreter: FoundPython | None = None,
) -> ChangeResult:
    """A new generation that is exactly `section`: no solving, every artifact's hash checked.

    Creates the environment, or (with `creating=False`, for `doctor --fix`) adds a generation to it.
    Everything that can be refused is checked before the first file is linked: this machine
    provides the virtual packages the records need, and every PyPI package has a wheel for this
    machine unless `allow_build` (a section a solved change made, which built some of them).
    """
    from corral.plan import diff

    if section.conda:
        from corral.conda.records import check_machine
        from corral.policy import check_channels

        check_machine(section.conda)
        check_channels(ctx.settings, [e.channel or e.url.rsplit("/", 2)[0] for e in section.conda], "the lock")
    if section.conda and spec.pypi:
        from corral.lockmake import refuse_unmet

        refuse_unmet(spec.pypi, section.conda, section.platform)  # a lock never builds what contradicts its request
    if section.pypi:
        from corral.policy import check_indexes

        check_indexes(ctx.settings, spec.index, "the lock")
    if interpreter is None and not section.conda and (spec.python or section.pypi):
        from corral.pypi.interpreters import find

        interpreter = find(section.python or spec.python, ctx.settings)
    if not section.platform:  # a section rebuilt from a record made before records kept their platform
        from corral.conda.machine import current_platform

        section = replace(section, platform=current_platform())
    python = interpreter.version if interpreter is not None else section.python
    if section.pypi:
        from corral.lock.pypi import install_plan

        install_plan(section.pypi, python, section.platform, allow_build)  # fails fast, before anything is linked
    previous = None if creating else require_current(ref)
    old = packages_of(ref, previous) if previous is not None else []
    result = ChangeResult(
        env=env_label(ref),
        path=str(ref.link),
        action=action,
        plan=diff(old, [*[e.package_info() for e in section.conda], *(e.package_info() for e in section.pypi)]),
        spec=spec,
        generation=gens.next_number(ref),
        previous=previous,
        dry_run=ctx.options.dry_run,
        changed=False,
        python=f"{interpreter.version} ({interpreter.path})" if interpreter is not None else "",
    )
    if ctx.options.dry_run:
        return result
    number = result.generation
    assert number is not None
    if creating:
        gens.register(ref)
    placed = None
    try:
        placed = mat.place(ctx.settings, ctx.reporter, ref, number, section.conda, interpreter, spec.specs)
        result = mat.review(ctx.settings, ctx.reporter, result, placed)
        if not ctx.confirm(result):
            raise Aborted("nothing was changed")
        result, created = mat.run_link_scripts(ctx.settings, ctx.reporter, result, placed)
        mat.install_pypi(
            ctx.settings, ctx.reporter, placed, section.pypi, spec.index, python, section.platform, allow_build
        )
        record = mat.new_record(result, ctx.command, section, interpreter, lock_sha256, created)
        mat.finish(ref, placed, record, env_label(ref), ctx.settings.root)
    except BaseException as exc:
        mat.undo_unless_switched(ref, placed, number, creating, exc)
        raise
    if ctx.settings.kernels == "auto":  # the kernels module only then
        from corral.kernels import sync_auto_kernel

        sync_auto_kernel(ctx.settings, ref, ctx.reporter)
    removed = () if creating else mat.collect_garbage(ref, ctx.settings.keep_generations, ctx.reporter)
    return replace(result, changed=True, removed_generations=removed)


def apply_record(
    ctx: ChangeContext, ref: EnvRef, record: GenerationRecord, *, action: str, creating: bool = True
) -> ChangeResult:
    """A new generation (or environment) that is exactly another generation's record: doctor --fix, clone, rename.

    The record's own request, locked platform and interpreter; building is allowed when the record
    came from a solved change (no lock behind it), which may have built some of its PyPI packages.
    """
    return apply_locked(
        ctx,
        ref,
        record.spec,
        record.locked,
        lock_sha256=record.lock_sha256,
        creating=creating,
        action=action,
        allow_build=not record.lock_sha256,
        interpreter=record.python,
    )
