"""Use cases that read: list, env list, history, python list, info."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from corral import __version__
from corral.context import env_label, require_current
from corral.errors import DamagedHistory
from corral.models import EnvInfo, HistoryEntry, PackageInfo, pypi_name, spec_name
from corral.settings import Settings
from corral.store import generations as gens
from corral.store import history as switches  # `history` is this module's use case
from corral.store import locking
from corral.store import prefix as pfx
from corral.store.envs import EnvRef, all_envs, require_existing
from corral.values import frozen


@frozen
class PythonList:
    """`corral python list`: the interpreters a PyPI-only environment can be built on."""

    interpreters: tuple[Any, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"interpreters": [i.to_dict() for i in self.interpreters]}


def list_pythons(settings: Settings) -> PythonList:
    """Every interpreter corral found (PATH, pyenv, corral environments, uv), newest first."""
    from corral.pypi.interpreters import discover

    return PythonList(tuple(discover(settings)))


@frozen
class PackageList:
    """`corral list`: the packages of the current generation."""

    env: str
    path: str
    generation: int
    packages: tuple[PackageInfo, ...]
    requested: tuple[str, ...]
    requested_pypi: tuple[str, ...] = ()

    def is_requested(self, package: PackageInfo) -> bool:
        """True when the user asked for this package (not only a dependency)."""
        if package.kind == "pypi":
            return package.name in {pypi_name(r) for r in self.requested_pypi} or package.build == "editable"
        return package.name in {spec_name(s) for s in self.requested}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "path": self.path,
            "generation": self.generation,
            "packages": [{**p.to_dict(), "requested": self.is_requested(p)} for p in self.packages],
            "requested": list(self.requested),
            "requested_pypi": list(self.requested_pypi),
        }


def list_packages(settings: Settings, ref: EnvRef, pattern: str = "") -> PackageList:
    """The packages installed in an environment's current generation; with `pattern`, those whose name it matches.

    As `conda list REGEX`: a regular expression searched for in each package name.
    """
    import re

    from corral.errors import UsageError

    try:
        wanted = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise UsageError(f"invalid regular expression '{pattern}': {exc}", hint="e.g. corral list -n ml '^py'") from exc
    require_existing(ref)
    current = require_current(ref)
    prefix = Path(gens.generation_dir(ref, current))
    record = gens.read_record(ref, current)
    spec = record.spec
    packages = _installed_packages(prefix, record.pypi_names())
    return PackageList(
        env=env_label(ref),
        path=str(ref.link),
        generation=current,
        packages=tuple(p for p in packages if wanted is None or wanted.search(p.name)),
        requested=spec.specs,
        requested_pypi=spec.pypi,
    )


def _installed_packages(prefix: Path, ours: set[str]) -> list[PackageInfo]:
    """Conda records plus the PyPI distributions conda does not provide (`untracked` when not installed by corral)."""
    from corral.pypi import dists
    from corral.pypi.resolve import conda_provided

    provided = conda_provided(prefix, pfx.read_records(prefix))
    out = pfx.read_packages(prefix)
    for dist in dists.installed(prefix):
        if dist.name in provided:
            continue
        channel = dist.editable or ("pypi" if dist.name in ours else "untracked")
        out.append(PackageInfo(dist.name, dist.version, "editable" if dist.editable else "", channel, kind="pypi"))
    return sorted(out)


def list_envs(settings: Settings) -> list[EnvInfo]:
    """Every environment with its current generation and times."""
    out = []
    for ref in all_envs(settings):
        try:
            entries: list[HistoryEntry] | None = switches.read(ref)
        except DamagedHistory:  # listed all the same: the other commands on it name the damage and the repair
            entries = None
        current = gens.current_generation(ref)
        if current is None and entries == [] and not gens.generation_numbers(ref):
            continue  # a create killed before its first generation: not an environment (recover removes it)
        out.append(
            EnvInfo(
                name=ref.name,
                path=str(ref.link),
                generation=current,
                generations=tuple(gens.generation_numbers(ref)),
                created=gens.env_created(ref),
                updated=entries[-1].time if entries else "",
                healthy_link=current is not None,
            )
        )
    return out


@frozen
class History:
    """`corral history`: every switch, with which generations still exist."""

    env: str
    current: int | None
    available: tuple[int, ...]
    entries: tuple[HistoryEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "current": self.current,
            "available": list(self.available),
            "entries": [e.to_dict() for e in self.entries],
        }


def history(settings: Settings, ref: EnvRef) -> History:
    """The environment's history."""
    require_existing(ref)
    entries = switches.read(ref)
    current = gens.current_generation(ref)
    if current is not None and (not entries or entries[-1].generation != current):
        # A switch whose recording was cut short (a kill, a full disk): record it now, as any change would.
        from corral.reporting import NullReporter

        with locking.held(ref.lock_file, ref.label, settings.lock_timeout, NullReporter()):
            gens.recover(ref)
        entries, current = switches.read(ref), gens.current_generation(ref)
    return History(
        env=env_label(ref),
        current=current,
        available=tuple(gens.generation_numbers(ref)),
        entries=tuple(entries),
    )


@frozen
class Info:
    """`corral info`: version, settings and where they came from, the machine's virtual packages."""

    version: str
    root: str
    config_file: str
    channels: tuple[str, ...]
    channel_priority: str
    offline: bool
    keep_generations: int
    platform: str
    virtual_packages: tuple[str, ...]
    environments: int
    sources: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "version": self.version,
            "root": self.root,
            "config_file": self.config_file,
            "channels": list(self.channels),
            "channel_priority": self.channel_priority,
            "offline": self.offline,
            "keep_generations": self.keep_generations,
            "platform": self.platform,
            "virtual_packages": list(self.virtual_packages),
            "environments": self.environments,
            "sources": self.sources,
        }


def info(settings: Settings) -> Info:
    """What corral is configured to do on this machine."""
    from corral.conda.machine import describe_platform

    platform, virtual = describe_platform()
    return Info(
        version=__version__,
        root=str(settings.root),
        config_file=str(settings.config_file or ""),
        channels=settings.channels,
        channel_priority=settings.channel_priority,
        offline=settings.offline,
        keep_generations=settings.keep_generations,
        platform=platform,
        virtual_packages=tuple(virtual),
        environments=sum(1 for _ in all_envs(settings)),
        sources=dict(settings.sources),
    )


@frozen
class SearchResult:
    """`corral search`: the matching package files (conda), or versions (PyPI), newest last."""

    spec: str
    hits: tuple[Any, ...] = ()
    pypi_versions: tuple[str, ...] = ()
    info: bool = False
    source: str = "conda"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        if self.source == "pypi":
            return {"spec": self.spec, "source": "pypi", "versions": list(self.pypi_versions)}
        return {"spec": self.spec, "source": "conda", "packages": [h.to_dict() for h in self.hits]}


def search_packages(
    settings: Settings,
    reporter: Any,
    spec: str,
    channels: Any = (),
    platform: str = "",
    info: bool = False,
    pypi: bool = False,
) -> SearchResult:
    """What the channels (or PyPI, with `pypi`) have for `spec`."""
    if pypi:
        from corral.pypi.search import versions

        return SearchResult(spec, pypi_versions=tuple(versions(spec, settings)), source="pypi")
    from corral.channels import canonical_channel, with_defaults
    from corral.conda.search import search
    from corral.policy import check_channels

    chosen = with_defaults([canonical_channel(c) for c in channels], settings.channels) or list(settings.channels)
    check_channels(settings, chosen)
    return SearchResult(spec, tuple(search(settings, reporter, spec, chosen, platform)), info=info)
