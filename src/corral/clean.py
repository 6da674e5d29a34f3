"""`corral clean`: remove what no kept generation uses, planned by owner over one walk of the store."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from corral import layout
from corral.context import ChangeContext
from corral.errors import Aborted, CorralError
from corral.settings import Settings
from corral.store import disk
from corral.store.disk import Owner, Scan
from corral.values import frozen


@frozen
class CleanItem:
    """One thing `clean` removes: what it is, where, and the bytes only it holds."""

    kind: str  # "generation", "conda package", "conda download", "repodata", "PyPI wheel", "PyPI index", "leftover"
    what: str
    path: str
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "what": self.what, "path": self.path, "bytes": self.bytes}


@frozen
class CleanResult:
    """`corral clean`: what was (or, with --dry-run, would be) removed, and the bytes freed."""

    items: tuple[CleanItem, ...]
    freed: int
    dry_run: bool
    all: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "items": [i.to_dict() for i in self.items],
            "freed_bytes": self.freed,
            "dry_run": self.dry_run,
            "all": self.all,
        }


@frozen
class _Removal:
    kind: str
    what: str
    path: Path
    owners: frozenset[Owner]
    first: tuple[Path, ...] = ()  # removed before `path` (uv's pointers to an unpacked wheel)


def clean(ctx: ChangeContext, *, everything: bool = False, kinds: frozenset[str] | None = None) -> CleanResult:
    """Remove what no kept generation uses; with `everything`, also what only old generations use.

    `kinds` keeps only those kinds of removal (conda's `clean -p/-t/-i/-l`: "conda package",
    "conda download", "repodata", "leftover"); still only what nothing uses.

    Holds the store's lock for the whole run, so no change can start or be running meanwhile.
    """
    from corral.store import locking

    settings = ctx.settings
    with locking.store_held(settings.locks_dir, settings.lock_timeout, ctx.reporter):
        found = disk.scan(settings)
        removals = _plan(settings, found, everything)
        if kinds is not None:
            removals = [r for r in removals if r.kind in kinds]
        freed = _freed(found, removals)
        index = _owner_index(found)
        items = tuple(
            CleanItem(r.kind, r.what, str(r.path), _freed(found, [r], index))
            for r in sorted(removals, key=lambda r: (r.kind, r.what))
        )
        result = CleanResult(items, freed, ctx.options.dry_run, everything)
        if ctx.options.dry_run:
            return result
        if not items:
            _recover_all(settings)
            return result
        if not ctx.confirm(result):
            raise Aborted("nothing was removed")
        for removal in removals:
            _remove(removal)
        _recover_all(settings)
        return result


def _recover_all(settings: Settings) -> None:
    """What killed changes left that only their environment's next change would repair, repaired now.

    Children a killed corral left running (and their notes), unswitched generations, a switch not yet
    in history. Safe here: no change runs while the store's lock is held exclusively.
    """
    from corral.store import generations as gens
    from corral.store.children import reap
    from corral.store.envs import all_envs

    reap(settings.run_dir)
    for ref in all_envs(settings):
        gens.recover(ref)


def _plan(settings: Settings, found: Scan, everything: bool) -> list[_Removal]:
    from corral.store.generations import kept_generations

    root = Path(settings.root)
    current = disk.current_generations(settings)
    removals: list[_Removal] = []
    kept: dict[str, list[str]] = {}
    owners = {o for key in found.groups() for o in key}
    for key in found.labels:
        numbers = sorted({o[2] for o in owners if o[0] == "gen" and o[1] == key}, key=int)
        home = settings.generations_dir / key
        now = int(current[key]) if key in current else None
        kept_numbers = kept_generations(home, [int(n) for n in numbers], settings.keep_generations, now)
        keep = {n for n in numbers if int(n) in kept_numbers}
        kept[key] = sorted(keep, key=int)
        for number in numbers:
            if number not in keep:
                removals.append(
                    _Removal(
                        "generation",
                        f"{found.labels[key]} generation {number}",
                        settings.generations_dir / key / number,
                        frozenset({("gen", key, number)}),
                    )
                )
    for owner in sorted(o for o in owners if o[0] == "leftover" and not _in_use(o[1])):
        removals.append(_Removal("leftover", owner[1], root / owner[1], frozenset({owner})))
    users = {(key, n) for key, numbers in kept.items() for n in numbers}
    if everything:
        users = {(key, n) for key, n in users if current.get(key) == n}
    used_stems = _used_stems(settings, users)
    used_groups = [k for k in found.groups() if any(o[0] == "gen" and (o[1], o[2]) in users for o in k)]
    pkgs = settings.conda_cache
    for owner in sorted(o for o in owners if o[0] == "conda-pkg"):
        if owner[1] not in used_stems:
            removals.append(_Removal("conda package", owner[1], pkgs / owner[1], frozenset({owner})))
    for owner in sorted(o for o in owners if o[0] == "archive"):
        stem = owner[1].removesuffix(".conda").removesuffix(".tar.bz2")
        if everything or stem not in used_stems:
            removals.append(
                _Removal("conda download", owner[1], pkgs.parent / "archives" / owner[1], frozenset({owner}))
            )
    if ("repodata",) in owners:
        removals.append(
            _Removal("repodata", "cached channel indexes", settings.repodata_cache, frozenset({("repodata",)}))
        )
    linked = {o for k in used_groups for o in k if o[0] == "pypi-archive"}
    unused = [o[1] for o in sorted(owners) if o[0] == "pypi-archive" and o not in linked]
    pointers = disk.uv_pointers(settings.pypi_cache, [*unused, *(o[1] for o in linked)])
    cache = settings.pypi_cache
    for archive in unused:
        path = cache / "archive-v0" / archive
        owners_of = frozenset({("pypi-archive", archive), *(_pointer_owner(cache, p) for p in pointers[archive])})
        removals.append(_Removal("PyPI wheel", _wheel_label(path), path, owners_of, tuple(pointers[archive])))
    held = {p for o in linked for p in pointers[o[1]]}
    for bucket in sorted({o[1] for o in owners if o[0] == "pypi-index"}):
        mine = frozenset(o for o in owners if o[0] == "pypi-index" and o[1] == bucket)
        pointer_bucket = bucket.startswith(("wheels-", "sdists-"))
        other = not pointer_bucket and not bucket.startswith("interpreter-")
        if bucket.startswith("simple-") or (everything and other):
            removals.append(_Removal("PyPI index", bucket, cache / bucket, mine))
        elif everything and pointer_bucket:
            # Metadata goes, but never the pointers of a wheel a kept generation links: uv reaches an
            # unpacked wheel only through them, and offline it cannot fetch it again.
            files = [cache / bucket / o[2] for o in sorted(mine) if len(o) == 3]
            pinned = {(p.parent, _pointer_stem(p.name)) for p in held}  # a pointer with its .http/.msgpack siblings
            files = [f for f in files if f.is_file() and (f.parent, _pointer_stem(f.name)) not in pinned]
            files = [f for f in files if not f.name.endswith(".lock")]
            if files:
                owners_of = frozenset(_pointer_owner(cache, f) for f in files)
                removals.append(_Removal("PyPI index", f"{bucket} metadata", files[0], owners_of, tuple(files[1:])))
    return removals


def _pointer_stem(name: str) -> str:
    for suffix in (".http", ".msgpack", ".rev", ".lock"):
        name = name.removesuffix(suffix)
    return name


def _pointer_owner(cache: Path, path: Path) -> Owner:
    rel = path.relative_to(cache).parts
    return ("pypi-index", rel[0], "/".join(rel[1:]))


def _wheel_label(path: Path) -> str:
    """`name version` of an unpacked wheel in uv's cache (its .dist-info), else the entry's id."""
    try:
        info = next(p.name for p in path.iterdir() if p.name.endswith(".dist-info"))
    except (OSError, StopIteration):
        return path.name
    name, _, version = info.removesuffix(".dist-info").partition("-")
    return f"{name} {version}"


def _used_stems(settings: Settings, users: Iterable[tuple[str, str]]) -> set[str]:
    """Package stems (name-version-build) the given generations hold: their conda-meta file names."""
    stems: set[str] = set()
    for key, number in users:
        meta = settings.generations_dir / key / number / "conda-meta"
        if meta.is_dir():
            stems |= {p.name.removesuffix(".json") for p in meta.iterdir() if p.name.endswith(".json")}
    return stems


def _owner_index(found: Scan) -> dict[Owner, list[frozenset[Owner]]]:
    """owner -> the owner groups it is part of."""
    index: dict[Owner, list[frozenset[Owner]]] = {}
    for key in found.groups():
        for owner in key:
            index.setdefault(owner, []).append(key)
    return index


def _freed(found: Scan, removals: Iterable[_Removal], index: dict[Owner, list[frozenset[Owner]]] | None = None) -> int:
    """Bytes whose every link is inside what is removed (with `index`, only the groups those owners touch)."""
    gone: set[Owner] = set().union(*(r.owners for r in removals)) if removals else set()
    if not gone:
        return 0
    groups = found.groups()
    keys = {k for o in gone for k in index.get(o, ())} if index is not None else groups.keys()
    return sum(groups[k].blocks for k in keys if k and k <= gone)


def _remove(removal: _Removal) -> None:
    """Remove one item (see disk.remove_entry); a path that cannot be removed is named."""
    path = removal.path
    try:
        disk.remove_entry(path, removal.first, "clean")
    except OSError as exc:
        raise CorralError(
            f"cannot remove {exc.filename or path}: {exc.strerror}",
            hint=f"fix its permissions (e.g. chmod -R u+w {path}) and run `corral clean` again; what was removed"
            " before it stays removed, and nothing is half-removed",
        ) from exc


def _in_use(leftover: str) -> bool:
    """True for a scratch folder of a corral that still runs (`tmp/corral-uv-PID-...`): not a leftover yet."""
    parts = leftover.split("/")
    if parts[0] != layout.TMP or len(parts) < 2 or not parts[1].startswith("corral-uv-"):
        return False
    pid = parts[1].removeprefix("corral-uv-").split("-", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
