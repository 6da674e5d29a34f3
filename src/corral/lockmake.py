"""Making a lock: solve the conda side for every platform, resolve the PyPI side per platform with uv."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from corral.errors import PypiConflict, SpecError
from corral.lock.lockfile import CondaEntry, Lock, LockedPlatform, PypiEntry, spec_hash
from corral.lock.platforms import uv_target, virtual_packages
from corral.models import EnvSpec, pypi_name, spec_name
from corral.reporting import Reporter
from corral.settings import Settings
from corral.values import frozen


@frozen
class LockRequest:
    """What to lock, for which platforms, and what an earlier lock keeps.

    With `previous`, every package keeps its locked version where it still fits, except the names
    in `update` (conda or PyPI names), which move to the newest version allowed.
    """

    spec: EnvSpec
    platforms: tuple[str, ...]
    sources: tuple[str, ...] = ()
    previous: Lock | None = None
    update: frozenset[str] = frozenset()


def system_of(spec: EnvSpec, settings: Settings) -> tuple[tuple[str, str], ...]:
    """The system requirements a lock assumes: the configured ones, then the file's."""
    return tuple(sorted({**dict(settings.system_requirements), **dict(spec.system)}.items()))


def make(request: LockRequest, settings: Settings, reporter: Reporter) -> Lock:
    """The lock of `request.spec` for each of its platforms."""
    spec = request.spec
    system = system_of(spec, settings)
    targets = {p: virtual_packages(p, system) for p in sorted(request.platforms)}
    conda: dict[str, list[CondaEntry]] = {p: [] for p in targets}
    if spec.specs:
        conda = _solve_conda(request, targets, settings, reporter)
    pythons = {p: _python_version(spec, conda[p], p) for p in targets}
    pypi: dict[str, tuple[PypiEntry, ...]] = {p: () for p in targets}
    if spec.has_pypi:
        pypi = _resolve_pypi(request, system, conda, pythons, settings, reporter)
    sections = tuple(
        LockedPlatform(
            platform=p,
            virtual_packages=targets[p],
            python=pythons[p],
            conda=tuple(sorted(conda[p], key=lambda e: e.name)),
            pypi=pypi[p],
        )
        for p in targets
    )
    return Lock(spec=spec, platforms=sections, sources=request.sources)


def _solve_conda(
    request: LockRequest, targets: Mapping[str, Sequence[str]], settings: Settings, reporter: Reporter
) -> dict[str, list[CondaEntry]]:
    from corral.conda.records import entry_from_record, to_record
    from corral.conda.solver import solve_for_platforms

    preferred = {}
    if request.previous is not None:
        for platform in targets:
            section = request.previous.platform(platform)
            if section is not None:
                preferred[platform] = [to_record(e) for e in section.conda]
    free = frozenset(n.lower() for n in request.update)
    solved = solve_for_platforms(request.spec, targets, preferred, free, settings, reporter)
    return {p: [entry_from_record(r) for r in records] for p, records in solved.items()}


def _python_version(spec: EnvSpec, conda: Sequence[CondaEntry], platform: str) -> str:
    python = next((e.version for e in conda if e.name == "python"), "")
    if spec.has_pypi and spec.specs and not python:
        raise SpecError(
            f"PyPI packages need a Python in the environment, and the conda packages for {platform} bring none",
            hint="add python to the conda specs (e.g. python=3.12)",
        )
    return python or spec.python


def conda_provided(conda: Sequence[CondaEntry]) -> dict[str, str]:
    """Distributions the conda packages provide (PyPI name -> version), as far as a lock can know.

    The packages are not installed when locking (they may be for another platform), so a conda
    package that needs Python is taken to provide the distribution of the same name.
    """
    out = {}
    for entry in conda:
        if entry.name == "python":
            continue
        if entry.noarch == "python" or "python" in {spec_name(d) for d in entry.depends}:
            out[pypi_name(entry.name)] = entry.version
    return out


def refuse_unmet(requirements: Sequence[str], conda: Sequence[CondaEntry], platform: str) -> None:
    """A PyPI requirement that the conda package providing its distribution does not meet is refused.

    Recording it would make a lock (and the environments made from it) contradict its own request.
    """
    from corral.pypi.resolve import unmet_requests

    by_name = {pypi_name(e.name): e.name for e in conda}
    unmet = unmet_requests(requirements, {n: (v, by_name[n]) for n, v in conda_provided(conda).items()})
    if unmet:
        first = unmet[0]
        raise PypiConflict(
            f"PyPI requirements that the conda packages do not meet on {platform}: corral does not let PyPI"
            " packages replace conda packages, and a request is never recorded unmet",
            hint=f"ask conda for it instead (e.g. '{first.conda_package} {first.needed_version}' in the conda"
            " dependencies), or relax the PyPI requirement",
            details=[
                f"{c.requested}: conda package {c.conda_package} {c.conda_version} provides {c.name}" for c in unmet
            ],
        )


def _resolve_pypi(
    request: LockRequest,
    system: tuple[tuple[str, str], ...],
    conda: Mapping[str, Sequence[CondaEntry]],
    pythons: Mapping[str, str],
    settings: Settings,
    reporter: Reporter,
) -> dict[str, tuple[PypiEntry, ...]]:
    from corral.lock.pypi import entries_from_pylock
    from corral.pypi.uv import Uv, uv_binary

    spec = request.spec
    uv = Uv(settings, reporter)
    update = {pypi_name(n) for n in request.update}

    def one(platform: str) -> tuple[PypiEntry, ...]:
        provided = conda_provided(conda[platform])
        refuse_unmet(spec.pypi, conda[platform], platform)
        section = request.previous.platform(platform) if request.previous is not None else None
        keep = [(e.name, e.version) for e in (section.pypi if section else ()) if e.version and e.name not in update]
        text = uv.lock(
            Path(sys.executable),
            (uv_target(platform, system), pythons[platform]),
            (spec.pypi, spec.editables, spec.pypi_constraints),
            spec.index,
            excludes=sorted(provided),
            preferences=keep,
            upgrade=sorted(update),
        )
        return entries_from_pylock(text, spec.editables)

    platforms = list(conda)
    uv_binary()  # found before the threads start: its lookup (sysconfig) is not thread-safe
    with ThreadPoolExecutor(max_workers=min(4, len(platforms))) as pool:
        results = list(pool.map(one, platforms))
    return dict(zip(platforms, results, strict=False))


def differences(lock: Lock, spec: EnvSpec, platforms: Sequence[str], settings: Settings) -> list[str]:
    """What makes `lock` stale for `spec` on `platforms` (empty: it is up to date)."""
    out = []
    if lock.input_hash != spec_hash(spec):
        out += _spec_changes(lock.spec, spec)
    system = system_of(spec, settings)
    for platform in platforms:
        section = lock.platform(platform)
        if section is None:
            out.append(f"platform {platform} is not in the lock (it covers {', '.join(lock.platform_names())})")
        elif tuple(sorted(section.virtual_packages)) != virtual_packages(platform, system):
            assumed = ", ".join(virtual_packages(platform, system))
            out.append(f"{platform}: the system requirements changed (now {assumed})")
    return out


def _spec_changes(old: EnvSpec, new: EnvSpec) -> list[str]:
    out = []
    for label, before, after, key in (
        ("conda spec", old.specs, new.specs, spec_name),
        ("PyPI requirement", old.pypi, new.pypi, pypi_name),
        ("PyPI constraint", old.pypi_constraints, new.pypi_constraints, pypi_name),
    ):
        was = {key(s): s for s in before}
        now = {key(s): s for s in after}
        out += [f"+ {label} {now[n]}" for n in now if n not in was]
        out += [f"- {label} {was[n]}" for n in was if n not in now]
        out += [f"~ {label} {was[n]} -> {now[n]}" for n in now if n in was and was[n] != now[n]]
    others: tuple[tuple[str, object, object], ...] = (
        ("channels", old.channels, new.channels),
        ("editables", old.editables, new.editables),
        ("python", old.python, new.python),
        ("index", old.index, new.index),
        ("variables", old.variables, new.variables),
        ("system requirements", old.system, new.system),
    )
    for label, was_value, now_value in others:
        if was_value != now_value:
            out.append(f"~ {label}: {_show(was_value)} -> {_show(now_value)}")
    return out or ["the request changed"]


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(map(str, value)) or "(none)"
    return str(value) or "(none)"
