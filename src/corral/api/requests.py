"""Use cases that change what an environment holds: create, install, remove, update, env update."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from corral.change import (
    ChangeContext,
    ChangeResult,
    Motion,
    apply,
    dependents,
    dependents_note,
    packages_of,
    require_current,
)
from corral.context import current_spec
from corral.errors import (
    EnvironmentExists,
    NothingToDo,
    SpecError,
    Unsatisfiable,
)
from corral.models import EnvSpec, pypi_name, spec_name
from corral.settings import Settings
from corral.specs.requirements import PypiRequest, without_sources
from corral.store import generations as gens
from corral.store import locking
from corral.store import prefix as pfx
from corral.store.envs import EnvRef, require_absent
from corral.values import frozen, replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # read only with files given: not imported by a create from specs
    from corral.specs.envfile import EnvFile


@frozen
class EnvRequest:
    """What a create (or a lock) asks for: the command line's conda specs, channels, PyPI requests and --python.

    `files` (environment files, already layered) come first; the rest is laid over them.
    """

    specs: Sequence[str] = ()
    channels: Sequence[str] = ()
    pypi: PypiRequest | None = None
    python: str = ""
    files: EnvFile | None = None


def create(ctx: ChangeContext, ref: EnvRef, request: EnvRequest) -> ChangeResult:
    """Create an environment: conda specs from channels, PyPI requests, on conda's python or a found one."""
    files, pypi = request.files, request.pypi
    spec = request_spec(ctx.settings, request)
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


def request_spec(settings: Settings, request: EnvRequest) -> EnvSpec:
    """The request a create (or a lock) makes: the files' spec with the command line's laid over it."""
    from corral.credentials import take_specs

    files, channels, pypi = request.files, request.channels, request.pypi
    base = files.spec if files is not None else EnvSpec(channels=())
    parsed = _parse_conda(take_specs(request.specs, settings.root))
    conda = take_specs(base.with_specs(parsed).specs, settings.root)
    python = request.python or base.python  # a file's `python:` key works like --python
    if python and conda:
        if "python" in {spec_name(s) for s in conda}:
            raise SpecError(
                "--python and a python conda spec both choose the interpreter",
                hint="keep one: --python 3.12, or python=3.12 among the conda specs",
            )
        conda = (*_parse_conda([f"python={python}"]), *conda)
        python = ""
    if python and channels:
        raise SpecError(
            f"-c {' -c '.join(channels)} would have no effect: an environment on a found interpreter (--python"
            f" {python}) holds no conda packages, now or later",
            hint=f"to use the channel, take Python from it: -c {channels[0]} python={python} (plus your conda"
            " packages); or drop -c to stay on the found interpreter",
        )
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
    """Command-line channels first, then the files' (`defaults` anywhere means the configured channels).

    Credentials in channel URLs are taken out here and stored for rattler (corral.credentials).
    """
    from corral.channels import canonical_channel, with_defaults
    from corral.credentials import take

    out = with_defaults([canonical_channel(c) for c in given] + list(from_files), settings.channels)
    return take(out or with_defaults(settings.channels, settings.channels), settings.root).channels


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
        current = current_spec(ref)
        channels = _channels(ctx.settings, (), files.spec.channels) if files.spec.channels else ()
        top = replace(files.spec, channels=channels)
        if prune:
            spec = replace(top, channels=top.channels or current.channels, python=top.python or current.python)
        else:  # a package the files ask from another source (an editable, a path, the index) replaces the old request
            spec = without_sources(current, top.pypi, top.editables).layered(top)
        motion = Motion(free=frozenset(files.spec.names()), pypi_upgrade=files.spec.pypi_names())
        action = "update --prune" if prune else "update"
        return apply(ctx, ref, spec, action=action, motion=motion, notes=files.warnings)


@frozen
class InstallHow:
    """How an install may move what is installed: conda's --freeze-installed, pip's -U and its strategy."""

    frozen: bool = False
    upgrade: bool = False
    eager: bool = False
    override_channels: bool = False


def install(
    ctx: ChangeContext,
    ref: EnvRef,
    specs: Sequence[str],
    channels: Sequence[str] = (),
    pypi: PypiRequest | None = None,
    how: InstallHow | None = None,
) -> ChangeResult:
    """Add packages to an environment, moving what is installed only where the request needs it."""
    from corral.channels import canonical_channel, with_defaults
    from corral.credentials import take, take_specs

    how = how or InstallHow()
    parsed = _parse_conda(take_specs(specs, ctx.settings.root))
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = current_spec(ref)
        extra = take(with_defaults([canonical_channel(c) for c in channels], ctx.settings.channels), ctx.settings.root)
        kept = () if how.override_channels else current.channels
        spec = replace(current, channels=tuple(dict.fromkeys(extra.channels + kept)))
        spec = _with_pypi(spec.with_specs(parsed), pypi)
        # New PyPI requests need no freeing: uv keeps an earlier version only while it satisfies them;
        # `pip install -U` frees the named ones (eager: every PyPI package).
        named = tuple(pypi_name(r) for r in (pypi.requirements if pypi else ()))
        upgrade: tuple[str, ...] | None = (None if how.eager else named) if how.upgrade else ()
        motion = Motion(free=frozenset(spec_name(s) for s in parsed), pypi_upgrade=upgrade, frozen=how.frozen)
        notes = extra.notes + _credential_notes(pypi)
        try:
            return apply(ctx, ref, spec, action="install", motion=motion, notes=notes)
        except Unsatisfiable as exc:
            if how.frozen:
                exc.hint = "drop --freeze-installed to let installed packages move where the request needs it"
            raise


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
        current = current_spec(ref)
        prefix = Path(gens.generation_dir(ref, require_current(ref)))
        records = pfx.read_records(prefix)
        installed = {r["name"] for r in records}
        pypi_wanted = list(pypi_names)
        for name in list(wanted):
            if name in installed:
                continue
            if _is_requested_pypi(current, name):  # `corral remove NAME` of a PyPI package: as `corral pip uninstall`
                wanted.remove(name)
                pypi_wanted.append(name)
                continue
            raise NothingToDo(f"package '{name}' is not installed in {ref.label}", hint=_not_installed_hint(ref, name))
        needing = dependents(records, wanted)  # as `conda remove`: what needs a removed package goes too
        notes = dependents_note(needing, set(current.names()))
        spec = current.without([*wanted, *needing])
        for name in pypi_wanted:
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
        return apply(ctx, ref, spec, action="remove", notes=notes)


def _is_requested_pypi(spec: EnvSpec, name: str) -> bool:
    return pypi_name(name) in spec.pypi_names() or any(_editable_name(e) == pypi_name(name) for e in spec.editables)


def _not_installed_hint(ref: EnvRef, name: str) -> str:
    """Where `name` is, if it is installed from PyPI only as a dependency; else where to look."""
    from corral.pypi import dists

    prefix = Path(gens.generation_dir(ref, require_current(ref)))
    if any(d.name == pypi_name(name) for d in dists.installed(prefix)):
        return (
            f"'{name}' is installed from PyPI as a dependency of a requested PyPI package; remove that package"
            f" (see `corral list {ref.flag}`)"
        )
    return f"see `corral list {ref.flag}`"


def _editable_name(path: str) -> str:
    from corral.pypi.uv import project_name

    return project_name(Path(path))


def update(
    ctx: ChangeContext,
    ref: EnvRef,
    names: Sequence[str],
    all_packages: bool = False,
    pypi_names: Sequence[str] = (),
) -> ChangeResult:
    """Move the named packages (or all with `all_packages`) to the newest versions the specs allow.

    `names` may be conda or PyPI packages; `pypi_names` must be PyPI packages (`update --pip NAME`).
    """
    from corral.models import ALL

    wanted = [n.lower() for n in names]
    wanted_pypi = [pypi_name(n) for n in pypi_names]
    with locking.held(ref.lock_file, ref.label, ctx.settings.lock_timeout, ctx.reporter):
        current = current_spec(ref)
        packages = packages_of(ref, require_current(ref))
        conda = {p.name for p in packages if p.kind == "conda"}
        pypi = {p.name for p in packages if p.kind == "pypi"}
        for name in wanted:
            if name not in conda and pypi_name(name) not in pypi:
                raise NothingToDo(
                    f"package '{name}' is not installed in {ref.label}", hint=f"see `corral list {ref.flag}`"
                )
        for name in wanted_pypi:
            if name not in pypi:
                where = " (it is a conda package: name it without --pip)" if name in conda else ""
                raise NothingToDo(
                    f"PyPI package '{name}' is not installed in {ref.label}{where}",
                    hint=f"see `corral list {ref.flag}`",
                )
        everything = all_packages or not (wanted or wanted_pypi)
        from_pypi = [pypi_name(n) for n in wanted if pypi_name(n) in pypi] + wanted_pypi
        motion = Motion(
            upgrade=ALL if everything else frozenset(n for n in wanted if n in conda),
            pypi_upgrade=None if everything else tuple(dict.fromkeys(from_pypi)),
        )
        return apply(ctx, ref, current, action="update", motion=motion)
