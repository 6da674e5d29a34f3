"""The PyPI side of a change: resolve against the new generation's interpreter with conda's dists pinned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import CorralError
from corral.lock.entries import PypiEntry
from corral.models import EnvSpec, PackageInfo, pypi_name
from corral.pypi import dists
from corral.pypi.uv import Pin, Uv
from corral.values import frozen


@frozen
class Conflict:
    """A distribution a conda package provides at one version while the PyPI side needs another."""

    name: str
    conda_package: str
    conda_version: str
    needed_version: str
    requested: str  # the user's PyPI requirement naming it, or "" when only a dependency needs it


class ConflictsWithConda(Exception):
    """Raised by resolve(): the PyPI requests need conda-provided distributions at other versions."""

    def __init__(self, conflicts: list[Conflict], cause: CorralError) -> None:
        super().__init__(", ".join(c.name for c in conflicts))
        self.conflicts = conflicts
        self.cause = cause


@frozen
class Resolution:
    """What the PyPI side installs (artifacts with their sha256), and which requests conda already satisfies."""

    entries: tuple[PypiEntry, ...]
    satisfied_by_conda: tuple[str, ...]  # "filelock 3.12.0 (conda package filelock)"

    def packages(self) -> list[PackageInfo]:
        """The entries as plan entries."""
        return [e.package_info() for e in self.entries]


def entry_pin(entry: PypiEntry) -> Pin:
    """The requirement an entry stands for (`name==version`, `name @ URL`, or an editable path)."""
    if entry.editable:
        return Pin(name=entry.name, editable=entry.editable)
    if entry.direct:
        return Pin(name=entry.name, url=entry.direct)
    return Pin(name=entry.name, version=entry.version)


def conda_provided(prefix: Path, records: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """Distributions the conda packages of a prefix provide: PyPI name -> (version, conda package name)."""
    owner: dict[str, str] = {}
    for record in records:
        for rel in record.get("files", ()):
            if ".dist-info/" in rel:
                owner[rel.split(".dist-info/", 1)[0] + ".dist-info"] = str(record["name"])
    return {d.name: (d.version, owner[d.dist_info]) for d in dists.installed(prefix) if d.dist_info in owner}


def resolve(
    uv: Uv,
    python: Path,
    spec: EnvSpec,
    provided: Mapping[str, tuple[str, str]],
    previous: Sequence[PypiEntry],
    upgrade: Sequence[str] | None,
) -> Resolution:
    """Resolve the spec's PyPI side to artifacts; distributions conda provides stay exactly as conda installed them.

    uv compiles the requests for this interpreter into a pylock.toml (each package's wheels for
    this machine and its sdist, with sha256) with conda's distributions left out and earlier
    versions preferred; then a dry run in the new generation, where conda's distributions are
    installed and held with `==`, checks that the result works with them and would uninstall none
    of them. Raises ConflictsWithConda when the requests need other versions of conda's distributions.
    """
    from corral.lock.pypi import entries_from_pylock

    unmet = unmet_requests(spec.pypi, provided)
    if unmet:
        raise ConflictsWithConda(
            unmet, CorralError(f"conda provides {', '.join(c.name for c in unmet)} at other versions")
        )
    names = sorted(provided)
    sourced = _sourced_names(spec)
    keep = [(e.name, e.version) for e in previous if e.version and e.name not in provided and e.name not in sourced]
    text = uv.lock(
        python,
        None,
        (spec.pypi, spec.editables, spec.pypi_constraints),
        spec.index,
        excludes=names,
        preferences=keep,
        upgrade=upgrade,
    )
    entries = tuple(e for e in entries_from_pylock(text, spec.editables, direct=True) if e.name not in provided)
    if provided and entries:
        held = _held(provided)
        try:
            changes = uv.dry_run(python, [entry_pin(e) for e in entries], [*spec.pypi_constraints, *held], spec.index)
        except CorralError as error:
            conflicts = _find_conflicts(uv, python, spec, provided)
            if not conflicts:
                raise
            raise ConflictsWithConda(conflicts, error) from error
        replaced = sorted({pypi_name(str(c.get("name", ""))) for c in changes if c.get("action") != "installed"})
        if replaced:  # cannot happen while they are held with ==; refuse rather than trust it
            raise CorralError(
                f"uv planned to remove conda-provided distributions: {', '.join(replaced)}",
                hint="report this; the environment was not changed",
            )
    return Resolution(entries=entries, satisfied_by_conda=_satisfied(spec, provided))


def _sourced_names(spec: EnvSpec) -> set[str]:
    """Distributions requested from a URL, a local path or as editables: their source fixes the version.

    The previous generation's version of them is no preference (a wheel switched for another wheel,
    or an index version for a local project, must not be held back by what was installed before).
    """
    from corral.pypi.uv import project_name

    return {pypi_name(r) for r in spec.pypi if " @ " in r} | {project_name(Path(e)) for e in spec.editables}


def unmet_requests(requirements: Sequence[str], provided: Mapping[str, tuple[str, str]]) -> list[Conflict]:
    """PyPI requirements naming a distribution a conda package provides at a version they do not allow.

    uv is never asked about those names (conda's copy stays), so without this check the request
    would be recorded and silently unmet. Requirements with markers are left to uv's dry run.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        name = pypi_name(req.name)
        if name not in provided or req.marker is not None or req.url:
            continue
        version, package = provided[name]
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            out.append(Conflict(name, package, version, str(req.specifier), text))
    return out


def _held(provided: Mapping[str, tuple[str, str]]) -> list[str]:
    """`name==version` constraints that keep conda's distributions as they are."""
    return [f"{name}=={version}" for name, (version, _) in sorted(provided.items())]


def _satisfied(spec: EnvSpec, provided: Mapping[str, tuple[str, str]]) -> tuple[str, ...]:
    requested = set(spec.pypi_names())
    return tuple(
        f"{name} {provided[name][0]} (conda package {provided[name][1]})"
        for name in sorted(requested & provided.keys())
    )


def _find_conflicts(uv: Uv, python: Path, spec: EnvSpec, provided: Mapping[str, tuple[str, str]]) -> list[Conflict]:
    """Resolve again without holding conda's dists; those that move are the conflicts."""
    try:
        free = uv.compile(python, spec.pypi, spec.editables, spec.pypi_constraints, spec.index)
    except CorralError:
        return []  # the PyPI requests fail on their own: the first error is the one to show
    by_name = {pypi_name(r): r for r in spec.pypi}
    conflicts = []
    for pin in free:
        if pin.name in provided and pin.version and pin.version != provided[pin.name][0]:
            version, package = provided[pin.name]
            conflicts.append(Conflict(pin.name, package, version, pin.version, by_name.get(pin.name, "")))
    return conflicts
