"""Solve conda requests with rattler: freeze-installed first, bounded in time and memory."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.channels import channel_display
from corral.conda.machine import machine_virtual_packages, split_virtual, virtual_package
from corral.conda.membound import abort, memory_bound
from corral.errors import (
    CorralError,
    PackageNotFound,
    SpecError,
)
from corral.lock.entries import CondaEntry
from corral.models import ALL, EnvSpec, PackageInfo, spec_name
from corral.policy import check_channels, check_request_indexes
from corral.reporting import Reporter
from corral.settings import Settings
from corral.values import frozen, mutable


@frozen
class SolveRequest:
    """What to solve and how much of the installed environment may move.

    `free` names may move but prefer their installed version (new requests);
    `upgrade` names move to the newest version allowed (`update`); `upgrade == ALL` frees everything.
    """

    spec: EnvSpec
    installed_prefix: Path | None = None
    free: frozenset[str] = frozenset()
    upgrade: frozenset[str] = frozenset()
    frozen: bool = False  # only the first attempt: what is installed and not named stays exactly as it is


@mutable
class Solution:
    """The solved records (rattler objects, kept inside corral.conda) and their corral view."""

    records: list[Any]

    def packages(self) -> tuple[PackageInfo, ...]:
        """The solution as corral values, sorted by name."""
        return tuple(sorted(package_info(r) for r in self.records))

    def entries(self) -> tuple[CondaEntry, ...]:
        """The solution as lock entries (every field of every record), sorted by name."""
        from corral.conda.records import entry_from_record

        return tuple(sorted((entry_from_record(r) for r in self.records), key=lambda e: (e.name, e.subdir)))

    def hashes(self) -> dict[str, tuple[str, str, str]]:
        """name -> (sha256, md5, url) as the channels' repodata gives them."""
        return {
            r.name.normalized: (
                r.sha256.hex() if r.sha256 else "",
                r.md5.hex() if r.md5 else "",
                str(r.url),
            )
            for r in self.records
        }


def package_info(record: Any) -> PackageInfo:
    """A rattler record as a PackageInfo."""
    return PackageInfo(
        name=record.name.normalized,
        version=str(record.version),
        build=str(record.build),
        build_number=int(record.build_number),
        channel=channel_display(str(record.channel or "")),
        subdir=str(record.subdir),
    )


def parse_specs(specs: Sequence[str]) -> list[str]:
    """Validate conda match specs leniently (as conda users write them) and return canonical strings."""
    from rattler import MatchSpec

    out = []
    for text in specs:
        try:
            spec = MatchSpec(text)
        except Exception as exc:  # rattler raises InvalidMatchSpecError
            raise SpecError(
                f"invalid package spec '{text}': {exc}",
                hint="write specs like 'numpy', 'numpy>=1.26', 'numpy=1.26', 'numpy 1.26.4' or 'conda-forge::numpy'",
            ) from exc
        if spec.name is None:
            raise SpecError(f"package spec '{text}' names no package", hint="start the spec with a package name")
        out.append(str(spec))
    return out


def spec_channel(spec: str) -> str:
    """The channel a `channel::name` spec names (a name, URL or local path), or ''."""
    from rattler import MatchSpec

    channel = MatchSpec(spec).channel
    if channel is None:
        return ""
    base = str(channel.base_url).rstrip("/")
    if base.startswith("file://"):
        from corral.channels import channel_display

        return channel_display(base)
    return str(channel.name) if base == f"https://conda.anaconda.org/{channel.name}" else base


def load_prefix_records(prefix: Path) -> list[Any]:
    """The PrefixRecords in `prefix/conda-meta`."""
    from rattler import PrefixRecord

    meta = prefix / "conda-meta"
    if not meta.is_dir():
        return []
    return [PrefixRecord.from_path(p) for p in sorted(meta.glob("*.json"))]


def solve(request: SolveRequest, settings: Settings, reporter: Reporter) -> Solution:
    """Solve `request` against its channels; raise a corral error a user can act on when it fails."""
    import rattler
    from rattler.exceptions import SolverError

    check_channels(settings, _request_channels(request.spec))
    check_request_indexes(settings, request.spec)  # before any repodata is fetched
    specs = sorted(parse_specs(request.spec.specs), key=lambda s: (spec_name(s), s))
    installed = load_prefix_records(request.installed_prefix) if request.installed_prefix else []
    channels = [rattler.Channel(c) for c in request.spec.channels]
    platforms = [rattler.Subdir.current(), rattler.Subdir("noarch")]
    machine = machine_virtual_packages()
    virtual = [virtual_package("=".join(v)) for v in machine]
    gateway = make_gateway(settings)
    priority = channel_priority(settings)
    attempts = _attempts(installed, request)

    deadline = time.monotonic() + settings.solve_timeout  # one bound for the whole solve, every attempt

    async def run() -> list[Any]:
        last: Exception | None = None
        for pinned, locked in attempts:
            left = deadline - time.monotonic()
            if left <= 0 and last is not None:
                break
            try:
                return list(
                    await rattler.solve(
                        channels,
                        specs,
                        gateway=gateway,
                        platforms=platforms,
                        locked_packages=locked,
                        pinned_packages=pinned,
                        virtual_packages=virtual,
                        channel_priority=priority,
                        timeout=datetime.timedelta(seconds=max(left, 1e-6)),
                    )
                )
            except SolverError as exc:
                last = exc
        assert last is not None
        from corral.conda.explain import explain  # only on failure: not imported by a solve that works

        raise await explain(last, specs, channels, platforms, gateway, settings.solve_timeout, (machine, None))

    reporter.status("Solving environment")
    with memory_bound(settings.solve_memory_mb, abort):
        try:
            records = asyncio.run(run())
        except CorralError:
            raise
        except Exception as exc:
            from corral.conda.explain import translate

            raise translate(exc, request.spec.channels, settings) from exc
    return Solution(records=named_artifacts(records, specs, settings))


def _request_channels(spec: EnvSpec) -> list[str]:
    """The channels a request names: its channel list and any `channel::package` spec."""
    named = [s.split("::", 1)[0].strip() for s in spec.specs if "::" in s]
    return [*spec.channels, *named]


def solve_for_platforms(
    spec: EnvSpec,
    targets: Mapping[str, Sequence[str]],
    preferred: Mapping[str, Sequence[Any]],
    free: frozenset[str],
    settings: Settings,
    reporter: Reporter,
) -> dict[str, list[Any]]:
    """Solve `spec` for each target platform with the virtual packages given for it (a lock's solve).

    `targets` maps a platform to its virtual packages (`name=version=build`); `preferred` holds
    records to keep where they still fit (an earlier lock), except the names in `free`.
    """
    check_channels(settings, _request_channels(spec))
    check_request_indexes(settings, spec)
    import rattler

    specs = sorted(parse_specs(spec.specs), key=lambda s: (spec_name(s), s))
    channels = [rattler.Channel(c) for c in spec.channels]
    gateway = make_gateway(settings)
    priority = channel_priority(settings)

    async def one(platform: str, virtual: Sequence[str]) -> list[Any]:
        subdirs = [rattler.Subdir(platform), rattler.Subdir("noarch")]
        locked = [r for r in preferred.get(platform, ()) if r.name.normalized not in free]
        try:
            return list(
                await rattler.solve(
                    channels,
                    specs,
                    gateway=gateway,
                    platforms=subdirs,
                    locked_packages=locked,
                    virtual_packages=[virtual_package(v) for v in virtual],
                    channel_priority=priority,
                    timeout=datetime.timedelta(seconds=settings.solve_timeout),
                )
            )
        except SolverError as exc:
            from corral.conda.explain import explain

            have = [split_virtual(v) for v in virtual]
            error = await explain(exc, specs, channels, subdirs, gateway, settings.solve_timeout, (have, platform))
            error.message = f"for {platform}: {error.message}"
            raise error from exc

    async def run() -> list[list[Any]]:
        return list(await asyncio.gather(*(one(p, v) for p, v in targets.items())))

    from rattler.exceptions import SolverError

    reporter.status(f"Solving for {', '.join(targets)}")
    with memory_bound(settings.solve_memory_mb, abort):
        try:
            solved = asyncio.run(run())
        except CorralError:
            raise
        except Exception as exc:
            from corral.conda.explain import translate

            raise translate(exc, spec.channels, settings) from exc
    return {p: named_artifacts(records, specs, settings) for p, records in zip(targets, solved, strict=False)}


def _attempts(installed: list[Any], request: SolveRequest) -> list[tuple[list[Any], list[Any]]]:
    """(pinned, locked) pairs to try in order: freeze what may not move, then only prefer it."""
    if request.upgrade == ALL or not installed:
        return [([], [])]
    # `update NAME` moves NAME to its newest version even when that needs newer dependencies (as
    # `conda update NAME` does): NAME's installed dependencies, transitively, are neither pinned nor
    # preferred; soft preferences alone let the solver keep the old NAME to keep its old dependencies.
    needed = _dependency_closure(installed, request.upgrade)
    movable = request.free | request.upgrade | needed
    pinned = [r for r in installed if r.name.normalized not in movable]
    locked_free = [r for r in installed if r.name.normalized in request.free - request.upgrade - needed]
    preferred = [r for r in installed if r.name.normalized not in request.upgrade | needed]
    return [(pinned, locked_free)] if request.frozen else [(pinned, locked_free), ([], preferred)]


def _dependency_closure(installed: list[Any], names: frozenset[str]) -> frozenset[str]:
    """The installed packages that `names` depend on, directly or through each other (names not included)."""
    if not names:
        return frozenset()
    depends = {r.name.normalized: {spec_name(d) for d in r.depends} for r in installed}
    found: set[str] = set()
    queue = [n for n in names if n in depends]
    while queue:
        for dep in depends.get(queue.pop(), ()):
            if dep in depends and dep not in found and dep not in names:
                found.add(dep)
                queue.append(dep)
    return frozenset(found)


def channel_priority(settings: Settings) -> Any:
    """rattler's ChannelPriority for the `channel-priority` setting."""
    import rattler

    return rattler.ChannelPriority.Strict if settings.channel_priority == "strict" else rattler.ChannelPriority.Disabled


def make_gateway(settings: Settings) -> Any:
    """A rattler Gateway on corral's repodata cache; cache-only when offline."""
    import rattler

    from corral.conda.auth import client

    config = rattler.SourceConfig(cache_action="force-cache-only" if settings.offline else "cache-or-fetch")
    return rattler.Gateway(cache_dir=settings.repodata_cache, default_config=config, client=client(settings))


def named_artifacts(records: list[Any], specs: Sequence[str], settings: Settings) -> list[Any]:
    """The solution with each `[fn=FILE]` spec's package as that exact artifact (.tar.bz2 or .conda).

    rattler's Gateway keeps only the .conda of a package a channel has in both formats, so the
    solver picks the .conda even when an explicit file names the .tar.bz2; the named artifact's
    record (its own md5, sha256, size and URL) is read from the same channel's repodata.
    """
    from rattler import MatchSpec

    wanted = {}
    for text in specs:
        spec = MatchSpec(text)
        if spec.file_name and spec.name is not None:
            wanted[spec.name.normalized] = str(spec.file_name)
    swaps = {
        i: wanted[r.name.normalized]
        for i, r in enumerate(records)
        if r.file_name != wanted.get(r.name.normalized, r.file_name)
    }
    if not swaps:
        return records

    async def swapped() -> list[Any]:
        return list(await asyncio.gather(*(_artifact_record(records[i], fn, settings) for i, fn in swaps.items())))

    out = list(records)
    for i, record in zip(swaps, asyncio.run(swapped()), strict=True):
        out[i] = record
    return out


async def _artifact_record(record: Any, file_name: str, settings: Settings) -> Any:
    """The repodata record of `file_name` in the channel and subdir `record` came from."""
    import rattler
    from rattler import PackageFormatSelection
    from rattler.networking.fetch_repo_data import FetchRepoDataOptions

    from corral.conda.auth import client

    url = str(record.url)
    where = url.rsplit("/", 2)[0] + "/" + str(record.subdir)
    bz2 = file_name.endswith(".tar.bz2")
    selection = PackageFormatSelection.ONLY_TAR_BZ2 if bz2 else PackageFormatSelection.ONLY_CONDA
    options = FetchRepoDataOptions(cache_action="force-cache-only" if settings.offline else "cache-or-fetch")
    try:
        sparse = await rattler.fetch_repo_data(
            channels=[rattler.Channel(url.rsplit("/", 2)[0])],
            platforms=[rattler.Subdir(str(record.subdir))],
            cache_path=settings.repodata_cache / "artifacts",
            callback=None,
            client=client(settings),
            fetch_options=options,
        )
    except Exception as exc:  # rattler's fetch errors
        from corral.conda.explain import translate

        raise translate(exc, [where], settings) from exc
    for repodata in sparse:
        for found in repodata.load_records(record.name, selection):
            if found.file_name == file_name:
                return found
    raise PackageNotFound(
        f"{file_name} is not in {channel_display(where)} (the solver found {record.file_name} there)",
        hint="the channel no longer has that artifact: export a new explicit file, or point -c at the original channel",
    )
