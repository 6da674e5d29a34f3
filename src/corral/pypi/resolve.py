"""The PyPI side of a change: resolve against the new generation's interpreter with conda's dists pinned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corral.errors import CorralError
from corral.models import EnvSpec, PackageInfo, pypi_name
from corral.pypi import dists
from corral.pypi.uv import Pin, Uv


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Resolution:
    """What the PyPI side installs, and which requests conda already satisfies."""

    pins: tuple[Pin, ...]  # to install with uv
    satisfied_by_conda: tuple[str, ...]  # "filelock 3.12.0 (conda package filelock)"

    def packages(self) -> list[PackageInfo]:
        """The pins as plan entries."""
        return [pin_info(p) for p in self.pins]

    def to_meta(self) -> list[dict[str, str]]:
        """The pins as recorded in the generation."""
        return [pin_to_dict(p) for p in self.pins]


def pin_info(pin: Pin) -> PackageInfo:
    """A pin as a PackageInfo of kind pypi."""
    if pin.editable:
        return PackageInfo(name=pin.name, version="", build="editable", channel=pin.editable, kind="pypi")
    return PackageInfo(name=pin.name, version=pin.version or "", build="", channel="pypi", kind="pypi")


def pin_to_dict(pin: Pin) -> dict[str, str]:
    """JSON-ready form of a pin."""
    return {"name": pin.name, "version": pin.version, "url": pin.url, "editable": pin.editable}


def pins_from_meta(data: Sequence[Mapping[str, Any]]) -> list[Pin]:
    """Inverse of pin_to_dict for a list."""
    return [
        Pin(
            name=str(d["name"]),
            version=str(d.get("version", "")),
            url=str(d.get("url", "")),
            editable=str(d.get("editable", "")),
        )
        for d in data
    ]


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
    previous: Sequence[Pin],
    upgrade: Sequence[str] | None,
) -> Resolution:
    """Resolve the spec's PyPI side; distributions conda provides stay exactly as conda installed them.

    uv compiles the requests with conda's distributions left out (and earlier versions preferred),
    then a dry run in the new generation, where conda's distributions are installed and held with
    `==`, checks that the result works with them and would uninstall none of them. Raises
    ConflictsWithConda when the requests need other versions of conda's distributions.
    """
    names = sorted(provided)
    preferences = [p for p in previous if p.name not in provided]
    pins = uv.compile(
        python, spec.pypi, spec.editables, spec.pypi_constraints, spec.index, preferences, upgrade, excludes=names
    )
    ours = tuple(p for p in pins if p.name not in provided)
    if provided and ours:
        held = _held(provided)
        try:
            changes = uv.dry_run(python, ours, [*spec.pypi_constraints, *held], spec.index)
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
    return Resolution(pins=ours, satisfied_by_conda=_satisfied(spec, provided))


def install_directly(uv: Uv, prefix: Path, spec: EnvSpec, provided: Mapping[str, tuple[str, str]]) -> Resolution:
    """Resolve and install the PyPI side in one uv call into a generation not yet in use; read back the pins.

    Used when nothing needs confirming and no earlier PyPI versions are to be kept: uv does one
    resolution instead of three. Conda's distributions are held with `==` as in resolve(), and are
    checked afterwards: a generation in which one moved is never switched to.
    """
    held = _held(provided)
    python = prefix / "bin" / "python"
    try:
        uv.install_requests(python, spec.pypi, spec.editables, [*spec.pypi_constraints, *held], spec.index)
    except CorralError as error:
        conflicts = _find_conflicts(uv, python, spec, provided) if provided else []
        if conflicts:
            raise ConflictsWithConda(conflicts, error) from error
        raise
    present = {d.name: d for d in dists.installed(prefix)}
    moved = sorted(n for n, (v, _) in provided.items() if n not in present or present[n].version != v)
    if moved:
        raise CorralError(
            f"uv changed conda-provided distributions: {', '.join(moved)}; the generation was not switched to",
            hint="report this; the environment was not changed",
        )
    pins = tuple(
        Pin(name=d.name, editable=d.editable)
        if d.editable
        else Pin(name=d.name, url=d.url)
        if d.url
        else Pin(name=d.name, version=d.version)
        for d in present.values()
        if d.name not in provided
    )
    return Resolution(pins=pins, satisfied_by_conda=_satisfied(spec, provided))


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
