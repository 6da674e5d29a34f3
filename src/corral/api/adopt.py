"""`corral adopt`: record PyPI distributions installed by hand as requests, in a new generation."""

from __future__ import annotations

from pathlib import Path

from corral.change import ChangeContext, ChangeResult, apply, require_current
from corral.context import current_spec
from corral.errors import (
    NothingToDo,
    SpecError,
)
from corral.store import generations as gens
from corral.store import locking
from corral.store import prefix as pfx
from corral.store.envs import EnvRef
from corral.values import replace


def adopt(ctx: ChangeContext, ref: EnvRef) -> ChangeResult:
    """Record PyPI distributions installed by hand (untracked) as requests, in a new generation."""
    from corral.pypi import dists
    from corral.pypi.resolve import conda_provided

    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = current_spec(ref)
        number = require_current(ref)
        prefix = Path(gens.generation_dir(ref, number))
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
