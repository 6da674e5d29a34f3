"""What a generation's owned files were when it was finished (inode, size, mtime), and what hand edits did since.

An edit through a hardlink changes the file's size or mtime under the same inode (and with it
the package cache and every generation that links the file); an editor's save (a new file
renamed over the old) gives it another inode, and the next generation would silently drop it;
a deletion would be silently undone. One `lstat` a file tells the three apart, about 1 us each,
so the check runs before every change. ctime is not compared: making another hardlink of a
file (every new generation does) changes it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from corral import layout
from corral.store.fsutil import atomic_write_text
from corral.values import frozen

SNAPSHOT_FILE = os.path.join(layout.CORRAL_META, "files.json")
SCHEMA = 1


@frozen
class Edit:
    """One owned file that is not as the generation was finished: `kind` is edited, replaced or deleted."""

    path: str
    kind: str
    inode: int  # the inode recorded when the generation was finished
    now_inode: int = 0  # the inode on disk now (0 when deleted)
    links: int = 0  # its hard link count now

    def describe(self) -> str:
        """The edit in words."""
        return {
            "edited": "changed in place",
            "replaced": "replaced by another file (an editor's save)",
            "deleted": "deleted",
        }[self.kind]


def take(prefix: Path, paths: Iterable[str], seen: Mapping[str, os.stat_result] | None = None) -> dict[str, list[int]]:
    """(inode, size, mtime_ns) of each path that exists; bytecode caches left out (Python rewrites them).

    `seen` holds lstats already made of some of the paths, with nothing written to them since.
    """
    base = str(prefix) + os.sep  # string joins: pathlib costs microseconds a file
    known = seen or {}
    out: dict[str, list[int]] = {}
    for rel in paths:
        if rel.endswith(".pyc") or "__pycache__/" in rel:
            continue
        st = known.get(rel)
        if st is None:
            try:
                st = os.lstat(base + rel)
            except OSError:
                continue
        out[rel] = [st.st_ino, st.st_size, st.st_mtime_ns]
    return out


def write(prefix: Path, paths: Iterable[str], seen: Mapping[str, os.stat_result] | None = None) -> None:
    """Record the owned files of a finished generation (before its switch); `seen` as for `take`."""
    files = take(prefix, paths, seen)
    atomic_write_text(prefix / SNAPSHOT_FILE, json.dumps({"schema": SCHEMA, "files": files}, separators=(",", ":")))


def read(prefix: Path) -> dict[str, list[int]] | None:
    """The recorded files, or None when the generation has no (readable) snapshot (made before corral kept one)."""
    try:
        with open(prefix / SNAPSHOT_FILE, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("schema") == SCHEMA else None
    return files if isinstance(files, dict) else None


def compare(prefix: Path, recorded: dict[str, list[int]]) -> list[Edit]:
    """The recorded files that were edited in place, replaced or deleted since, sorted by path."""
    base = str(prefix) + os.sep
    edits = []
    for rel, seen in recorded.items():
        if not isinstance(seen, list) or len(seen) != 3:
            continue
        try:
            st = os.lstat(base + rel)
        except OSError:
            edits.append(Edit(rel, "deleted", seen[0]))
            continue
        if st.st_ino != seen[0]:
            edits.append(Edit(rel, "replaced", seen[0], st.st_ino, st.st_nlink))
        elif st.st_size != seen[1] or st.st_mtime_ns != seen[2]:
            edits.append(Edit(rel, "edited", seen[0], st.st_ino, st.st_nlink))
    return sorted(edits, key=lambda e: e.path)


def edits(prefix: Path) -> list[Edit]:
    """What changed in a generation since it was finished ([] without a snapshot)."""
    recorded = read(prefix)
    return compare(prefix, recorded) if recorded else []
