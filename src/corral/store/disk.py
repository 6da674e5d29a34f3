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
from dataclasses import dataclass, field
from pathlib import Path

from corral.settings import Settings
from corral.store.envs import ENV_FILE, PATHS_DIR
from corral.store.fsutil import read_json

Owner = tuple[str, ...]  # ("gen", env, "3"), ("conda-pkg", stem), ("pypi-archive", id), ("repodata",) ...


@dataclass
class Inode:
    """One inode of the store: bytes the kernel allocated, its apparent size, and who links to it."""

    blocks: int
    size: int
    is_file: bool
    owners: set[Owner] = field(default_factory=set)


@dataclass
class Scan:
    """Every inode of the store, and which environment labels the generation directories belong to."""

    root: Path
    inodes: dict[tuple[int, int], Inode]
    labels: dict[str, str]  # env key (a name, or _paths/KEY) -> how to name it
    errors: list[str]

    def total(self) -> int:
        """Bytes on disk, each inode once (what `du -sk` of the root reports, times 1024)."""
        return sum(i.blocks for i in self.inodes.values())

    def sum(self, keep: Iterable[Inode]) -> int:
        """Allocated bytes of some inodes."""
        return sum(i.blocks for i in keep)


def owner_of(rel: tuple[str, ...]) -> Owner:
    """Who a path (relative to the store's root, as parts) belongs to."""
    if not rel:
        return ("store",)
    head = rel[0]
    if head == "generations" and len(rel) >= 2:
        if rel[1] == PATHS_DIR:
            return _generation_owner(f"{PATHS_DIR}/{rel[2]}", rel[3:]) if len(rel) >= 3 else ("store",)
        return _generation_owner(rel[1], rel[2:])
    if head == "cache" and len(rel) >= 2:
        if rel[1] == "conda" and len(rel) >= 3:
            if rel[2] == "pkgs" and len(rel) >= 4:
                name = rel[3]
                if name.startswith(".trash"):
                    return ("leftover", f"cache/conda/pkgs/{name}")
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


def _generation_owner(env: str, rest: tuple[str, ...]) -> Owner:
    if not rest:
        return ("store",)
    if rest[0].isdigit():
        return ("gen", env, rest[0])
    if rest[0].startswith((".build-", ".trash-")):
        return ("leftover", f"generations/{env}/{rest[0]}")
    return ("env-meta", env)


def scan(settings: Settings) -> Scan:
    """Visit the whole store once."""
    root = settings.root
    inodes: dict[tuple[int, int], Inode] = {}
    errors: list[str] = []
    labels: dict[str, str] = {}

    def visit(path: str, rel: tuple[str, ...]) -> None:
        try:
            st = os.lstat(path)
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror}")
            return
        key = (st.st_dev, st.st_ino)
        node = inodes.get(key)
        if node is None:
            node = inodes[key] = Inode(st.st_blocks * 512, st.st_size, stat.S_ISREG(st.st_mode))
        node.owners.add(owner_of(rel))
        if stat.S_ISDIR(st.st_mode):
            try:
                names = os.listdir(path)
            except OSError as exc:
                errors.append(f"{path}: {exc.strerror}")
                return
            for name in names:
                visit(os.path.join(path, name), (*rel, name))

    if root.is_dir():
        visit(str(root), ())
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
