"""Disk accounting of the store by inode, and what `corral clean` may remove.

Every file, directory and symlink under the store's root is visited once (no symlink is followed)
and filed under its owner: a generation of an environment, a package in one of the caches, an
index cache, a leftover of a killed run, or the store's own bookkeeping. A file hardlinked into
three environments and the cache is one inode: it is counted once in every total and reported as
shared, which is how the kernel (and `du -sk` of the whole store) sees it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from corral import layout
from corral.settings import Settings
from corral.store.envs import ENV_FILE, PATHS_DIR
from corral.store.fsutil import read_json
from corral.values import field, mutable

Owner = tuple[str, ...]  # ("gen", env, "3"), ("conda-pkg", stem), ("pypi-archive", id), ("repodata",) ...


@mutable
class Inode:
    """One inode of the store: bytes the kernel allocated, its apparent size, and who links to it."""

    blocks: int
    size: int
    is_file: bool
    owners: set[Owner] = field(default_factory=set)


@mutable
class Group:
    """The inodes that have exactly the same owners: their allocated bytes, apparent file bytes, count."""

    blocks: int = 0
    size: int = 0
    count: int = 0


@mutable
class Scan:
    """Every inode of the store, and which environment labels the generation directories belong to."""

    root: Path
    inodes: dict[tuple[int, int], Inode]
    labels: dict[str, str]  # env key (a name, or _paths/KEY) -> how to name it
    errors: list[str]
    _groups: dict[frozenset[Owner], Group] | None = field(default=None)

    def total(self) -> int:
        """Bytes on disk, each inode once (what `du -sk` of the root reports, times 1024)."""
        return sum(i.blocks for i in self.inodes.values())

    def groups(self) -> dict[frozenset[Owner], Group]:
        """The inodes grouped by owner set, made once: every total of du and clean is a sum over these.

        A store has millions of inodes but few distinct owner sets (a package's files share theirs),
        so each use case costs one pass over the inodes, not one per environment or removed item.
        """
        if self._groups is None:
            out: dict[frozenset[Owner], Group] = {}
            for inode in self.inodes.values():
                key = frozenset(inode.owners)
                group = out.get(key)
                if group is None:
                    group = out[key] = Group()
                group.blocks += inode.blocks
                group.size += inode.size if inode.is_file else 0
                group.count += 1
            self._groups = out
        return self._groups


def owner_of(rel: tuple[str, ...]) -> Owner:
    """Who a path (relative to the store's root, as parts) belongs to."""
    if not rel:
        return ("store",)
    head = rel[0]
    if head == layout.TMP and len(rel) >= 2:
        return ("leftover", f"{layout.TMP}/{rel[1]}")  # a uv scratch folder: only a running change has one
    if head == "generations" and len(rel) >= 2:
        if rel[1].startswith(".trash-"):  # a whole environment a killed `env remove` was deleting
            return ("leftover", f"generations/{rel[1]}")
        if rel[1] == PATHS_DIR:
            return _generation_owner(f"{PATHS_DIR}/{rel[2]}", rel[3:]) if len(rel) >= 3 else ("store",)
        return _generation_owner(rel[1], rel[2:])
    if head == "cache" and len(rel) >= 2:
        if rel[1] == "conda" and len(rel) >= 3:
            if rel[2] == "pkgs" and len(rel) >= 4:
                name = rel[3]
                if name.startswith(".trash"):
                    return ("leftover", f"cache/conda/pkgs/{name}")
                if name.startswith(".") and not name.endswith(".lock"):
                    return ("leftover", f"cache/conda/pkgs/{name}")  # rattler's unfinished extraction
                if name.startswith("."):
                    return ("store",)
                return ("conda-pkg", name.removesuffix(".lock"))
            if rel[2] == "archives" and len(rel) >= 4:
                if rel[3].startswith("."):
                    return ("leftover", f"cache/conda/archives/{rel[3]}")
                return ("archive", rel[3])
            if rel[2] == "repodata":
                return ("repodata",)
        if rel[1] == "pypi" and len(rel) >= 3:
            if rel[2] == "archive-v0":
                return ("pypi-archive", rel[3]) if len(rel) >= 4 else ("store",)
            if rel[2].startswith(("CACHEDIR", ".")):
                return ("store",)
            if rel[2].startswith(("wheels-", "sdists-")) and len(rel) >= 4:
                return ("pypi-index", rel[2], "/".join(rel[3:]))  # uv's pointers, each on its own
            return ("pypi-index", rel[2])
    return ("store",)


# Owners that everything below them shares (a generation, a cache entry, a leftover).
_WHOLE = frozenset({"gen", "conda-pkg", "pypi-archive", "leftover", "archive", "repodata"})


def _generation_owner(env: str, rest: tuple[str, ...]) -> Owner:
    if not rest:
        return ("store",)
    if rest[0].isdigit():
        return ("gen", env, rest[0])
    if rest[0].startswith((".build-", ".trash-")) or (rest[0].startswith(".") and rest[0].endswith(".tmp")):
        return ("leftover", f"generations/{env}/{rest[0]}")
    return ("env-meta", env)


def scan(settings: Settings) -> Scan:
    """Visit the whole store once (no symlink followed).

    scandir gives each entry's inode without a stat, so a hardlink to an inode already seen (most
    of a store: every generation links the cache) costs no system call; and below a generation or
    a cache entry every path has the same owner, so it is decided once per directory.
    """
    root = Path(settings.root)
    inodes: dict[tuple[int, int], Inode] = {}
    errors: list[str] = []
    labels: dict[str, str] = {}

    def add(st: os.stat_result, owner: Owner) -> None:
        key = (st.st_dev, st.st_ino)
        node = inodes.get(key)
        if node is None:
            node = inodes[key] = Inode(st.st_blocks * 512, st.st_size, stat.S_ISREG(st.st_mode))
        node.owners.add(owner)

    stack: list[tuple[str, tuple[str, ...], Owner | None, int]] = []
    if root.is_dir():
        top = os.lstat(root)
        add(top, owner_of(()))
        stack.append((str(root), (), None, top.st_dev))
    while stack:
        path, rel, fixed, dev = stack.pop()
        try:
            entries = list(os.scandir(path))
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror}")
            continue
        for entry in entries:
            child = rel if fixed is not None else (*rel, entry.name)
            owner = fixed if fixed is not None else owner_of(child)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                if not is_dir:
                    node = inodes.get((dev, entry.inode()))
                    if node is not None:
                        node.owners.add(owner)
                        continue
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                errors.append(f"{entry.path}: {exc.strerror}")
                continue
            add(st, owner)
            if is_dir:
                stack.append((entry.path, child, owner if owner[0] in _WHOLE else None, st.st_dev))
    generations = settings.generations_dir
    if generations.is_dir():
        for home in generations.iterdir():
            if home.name == PATHS_DIR:
                for sub in home.iterdir():
                    labels[f"{PATHS_DIR}/{sub.name}"] = _path_label(sub)
            elif not home.name.startswith("."):
                labels[home.name] = home.name
    return Scan(root, inodes, labels, errors)


def _path_label(home: Path) -> str:
    try:
        return str(read_json(home / ENV_FILE)["path"])
    except (OSError, ValueError, KeyError):
        return home.name


def current_generations(settings: Settings) -> dict[str, str]:
    """env key -> the generation number its link points to."""
    out: dict[str, str] = {}
    base = settings.generations_dir
    if not base.is_dir():
        return out
    homes = [h for h in base.iterdir() if not h.name.startswith((".", PATHS_DIR))]
    if (base / PATHS_DIR).is_dir():
        homes += list((base / PATHS_DIR).iterdir())
    for home in homes:
        try:
            link = Path(str(read_json(home / ENV_FILE)["path"]))
            target = Path(os.readlink(link))
        except (OSError, ValueError, KeyError):
            continue
        if target.parent == home and target.name.isdigit():
            key = home.name if home.parent == base else f"{PATHS_DIR}/{home.name}"
            out[key] = target.name
    return out


def uv_pointers(pypi_cache: Path, ids: Iterable[str]) -> dict[str, list[Path]]:
    """For each unpacked-wheel id in uv's cache, the pointer files (wheels-*, sdists-*) that name it.

    uv reaches an `archive-v0/<id>` entry only through these small files, and fails rather than
    re-fetching when one points at an entry that is gone: an archive entry is removed together
    with its pointers, pointers first.
    """
    wanted = {i: i.encode() for i in ids}
    out: dict[str, list[Path]] = {i: [] for i in wanted}
    if not wanted or not pypi_cache.is_dir():
        return out
    for bucket in pypi_cache.iterdir():
        if not bucket.name.startswith(("wheels-", "sdists-")) or not bucket.is_dir():
            continue
        for folder, dirs, files in os.walk(bucket):
            for name in [*files, *dirs]:
                path = Path(folder) / name
                if name.endswith(".lock"):
                    continue
                try:
                    if path.is_symlink():  # uv 0.13 points with a symlink to the archive entry
                        data = os.readlink(path).encode()
                    elif name in dirs or path.stat().st_size > 1 << 20:
                        continue
                    else:
                        data = path.read_bytes()
                except OSError:
                    continue
                for key, needle in wanted.items():
                    if needle in data:
                        out[key].append(path)
    return out


def remove_entry(path: Path, pointers: Iterable[Path], tag: str) -> None:
    """Remove a store or cache entry so that an interruption never leaves half of it in place.

    uv's pointers to it go first; the entry is renamed to a `.trash-*` sibling (which the next
    clean removes if this is cut short) and deleted; an extracted conda package's `.lock` goes last.
    """
    from corral.store.fsutil import trash_then_remove

    for pointer in pointers:
        pointer.unlink(missing_ok=True)
    trash_then_remove(path, f".trash-{tag}-{os.getpid()}-{path.name}")
    lock = path.parent / f"{path.name}.lock"
    if path.parent.name == "pkgs" and lock.exists():
        lock.unlink()
