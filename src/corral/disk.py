"""`corral du`: truthful disk usage of the store by inode, hardlinks counted once, grouped by owner."""

from __future__ import annotations

import os
from typing import Any

from corral.settings import Settings
from corral.store import disk
from corral.store.disk import Owner, Scan
from corral.store.envs import PATHS_DIR
from corral.values import frozen

CACHES = (
    ("conda packages", "conda-pkg", "cache/conda/pkgs"),
    ("conda downloads", "archive", "cache/conda/archives"),
    ("conda repodata", "repodata", "cache/conda/repodata"),
    ("PyPI wheels", "pypi-archive", "cache/pypi/archive-v0"),
    ("PyPI index and metadata", "pypi-index", "cache/pypi"),
)


@frozen
class EnvUsage:
    """One environment: what its current generation occupies, alone and shared, and its old generations."""

    env: str
    generations: int
    current: str
    unique: int
    shared: int
    apparent: int
    old_generations: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (bytes)."""
        return {
            "env": self.env,
            "generations": self.generations,
            "current": self.current,
            "unique_bytes": self.unique,
            "shared_bytes": self.shared,
            "apparent_bytes": self.apparent,
            "old_generations_bytes": self.old_generations,
        }


@frozen
class CacheUsage:
    """One cache: its bytes on disk, and how many of them no environment links to."""

    name: str
    path: str
    on_disk: int
    only_here: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (bytes)."""
        return {"name": self.name, "path": self.path, "bytes": self.on_disk, "unlinked_bytes": self.only_here}


@frozen
class PackageUsage:
    """One package of an environment (`du -n`): its bytes on disk and those no one else links to."""

    name: str
    version: str
    kind: str
    on_disk: int
    unique: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (bytes)."""
        return {
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "bytes": self.on_disk,
            "unique_bytes": self.unique,
        }


@frozen
class DiskUsage:
    """`corral du`: the store by inode."""

    root: str
    total: int
    naive: int  # what summing every path would say (hardlinks counted each time)
    envs: tuple[EnvUsage, ...]
    caches: tuple[CacheUsage, ...]
    other: int
    packages: tuple[PackageUsage, ...] = ()  # with -n: the environment's packages
    errors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (bytes)."""
        return {
            "root": self.root,
            "total_bytes": self.total,
            "naive_bytes": self.naive,
            "environments": [e.to_dict() for e in self.envs],
            "caches": [c.to_dict() for c in self.caches],
            "other_bytes": self.other,
            "packages": [p.to_dict() for p in self.packages],
            "errors": list(self.errors),
        }


def du(settings: Settings, ref: Any = None) -> DiskUsage:
    """Usage of the whole store (and, with `ref`, that environment's packages)."""
    found = disk.scan(settings)
    current = disk.current_generations(settings)
    envs = _env_usages(found, current)
    if ref is not None:
        from corral.store.envs import require_existing

        require_existing(ref)
        key = ref.name or f"{PATHS_DIR}/{os.path.basename(ref.home)}"
        envs = [e for e in envs if e.env == (ref.name or str(ref.link))]
        packages = _packages(found, settings, key, current.get(key, ""))
    else:
        packages = []
    caches = tuple(_cache_usage(found, name, kind, path) for name, kind, path in CACHES)
    other = sum(g.blocks for owners, g in found.groups().items() if not _cache_or_env(owners))
    naive = _naive(found)
    return DiskUsage(
        str(settings.root),
        found.total(),
        naive,
        tuple(sorted(envs, key=lambda e: (-e.unique - e.shared, e.env))),
        caches,
        other,
        tuple(packages),
        tuple(found.errors),
    )


def _cache_or_env(owners: frozenset[Owner]) -> bool:
    return any(o[0] in ("gen", "conda-pkg", "archive", "repodata", "pypi-archive", "pypi-index") for o in owners)


def _naive(found: Scan) -> int:
    """Bytes if each hardlink were counted again (what per-folder `du` runs add up to)."""
    total = 0
    for owners, group in found.groups().items():
        total += group.blocks * max(1, len({o for o in owners if o[0] in ("gen", "conda-pkg", "pypi-archive")}))
    return total


def _env_usages(found: Scan, current: dict[str, str]) -> list[EnvUsage]:
    """Every environment's usage, in one pass over the owner groups."""
    sums = {key: [0, 0, 0, 0] for key in found.labels}  # unique, shared, apparent, old
    numbers: dict[str, set[str]] = {key: set() for key in found.labels}
    for owners, group in found.groups().items():
        by_env: dict[str, set[str]] = {}
        for owner in owners:
            if owner[0] == "gen":
                by_env.setdefault(owner[1], set()).add(owner[2])
        for key, gens in by_env.items():
            if key not in sums:
                continue
            numbers[key] |= gens
            outside = len(by_env) > 1 or any(o[0] != "gen" for o in owners)
            totals = sums[key]
            if current.get(key, "") in gens:
                totals[2] += group.size
                totals[1 if outside else 0] += group.blocks
            elif not outside:
                totals[3] += group.blocks
    return [
        EnvUsage(label, len(numbers[key]), current.get(key, ""), *sums[key])
        for key, label in sorted(found.labels.items())
    ]


def _cache_usage(found: Scan, name: str, kind: str, path: str) -> CacheUsage:
    on_disk = only = 0
    for owners, group in found.groups().items():
        if any(o[0] == kind for o in owners):
            on_disk += group.blocks
            if all(o[0] == kind for o in owners):
                only += group.blocks
    return CacheUsage(name, str(found.root / path), on_disk, only)


def _packages(found: Scan, settings: Settings, key: str, current: str) -> list[PackageUsage]:
    """Bytes per package of the current generation, from the records' file lists and the wheels' RECORDs."""
    from corral.pypi import dists
    from corral.store import prefix as pfx

    home = settings.generations_dir / key / current
    groups: list[tuple[str, str, str, list[str]]] = []
    for record in pfx.read_records(home):
        groups.append((str(record["name"]), str(record["version"]), "conda", list(record.get("files", ()))))
    from corral.pypi.resolve import conda_provided

    provided = conda_provided(home, pfx.read_records(home))  # their files are in the conda package's list
    for dist in dists.installed(home):
        if dist.name not in provided:
            groups.append((dist.name, dist.version, "pypi", dists.record_files(home, dist)))
    out = []
    mine = ("gen", key, current)
    for name, version, kind, files in groups:
        seen: set[tuple[int, int]] = set()
        on_disk = unique = 0
        for rel in files:
            try:
                st = os.lstat(os.path.join(home, rel))
            except OSError:
                continue
            inode_key = (st.st_dev, st.st_ino)
            if inode_key in seen:
                continue
            seen.add(inode_key)
            inode = found.inodes.get(inode_key)
            if inode is None:
                continue
            on_disk += inode.blocks
            if all(o[0] == "gen" and o[1] == key for o in inode.owners) and mine in inode.owners:
                unique += inode.blocks
        out.append(PackageUsage(name, version, kind, on_disk, unique))
    return sorted(out, key=lambda p: (-p.on_disk, p.name))
