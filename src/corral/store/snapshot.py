"""What a generation's owned files were when it was finished (inode, size, mtime), and what hand edits did since.

An edit through a hardlink changes the file's size or mtime under the same inode (and with it
the package cache and every generation that links the file); an editor's save (a new file
renamed over the old) gives it another inode, and the next generation would silently drop it;
a deletion would be silently undone. One `lstat` a file tells the three apart, about 1 us each,
so the check runs before every change. ctime is not compared: making another hardlink of a
file (every new generation does) changes it.
"""

from __future__ import annotations

import os
import sys

from corral import jsontext, layout
from corral.store.fsutil import atomic_write_bytes
from corral.values import frozen

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it
    from collections.abc import Iterable, Mapping
    from typing import Literal

    from _typeshed import StrPath

SNAPSHOT_FILE = os.path.join(layout.CORRAL_META, "files.snap")
JSON_FILE = os.path.join(layout.CORRAL_META, "files.json")  # what corral wrote before files.snap: still read
SCHEMA = 1  # of JSON_FILE
# files.snap: this line, the count of files as 8 bytes, then (inode, size, mtime_ns) of each file
# as 8-byte unsigned integers in this byte order, then the paths, each ended by a NUL (which no path holds).
# Encoding and decoding are single C calls: JSON of ~3,000 files cost ~4 ms to write, ~1.5 ms to read.
MAGIC = f"corral-files 2 {sys.byteorder}\n".encode()
# The same with this line when some file is dated before 1970 (an archive's mtime, a `touch -d`): its
# negative mtime_ns is written in two's complement, and read back signed only in such a file.
SIGNED = f"corral-files 2 {sys.byteorder} signed-mtime\n".encode()
_WORD = 1 << 64


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


def take(prefix: StrPath, paths: Iterable[str]) -> dict[str, tuple[int, int, int]]:
    """(inode, size, mtime_ns) of each path that exists; bytecode caches left out (Python rewrites them)."""
    base = str(prefix) + os.sep  # string joins: pathlib costs microseconds a file
    out: dict[str, tuple[int, int, int]] = {}
    for rel in paths:
        if rel.endswith(".pyc") or "__pycache__/" in rel:
            continue
        try:
            st = os.lstat(base + rel)
        except OSError:
            continue
        out[rel] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def write(prefix: StrPath, paths: Iterable[str], taken: Mapping[str, tuple[int, int, int]] | None = None) -> None:
    """Record the owned files of a finished generation (before its switch): `paths`, and those already `taken`.

    `taken` is what `take` (or the walk of `prefix.find_missing`) gave for some owned files, with
    nothing written to them since.
    """
    from array import array
    from itertools import chain

    files = dict(taken) if taken else {}
    files.update(take(prefix, paths))
    numbers = array("Q")
    flat = list(chain.from_iterable(files.values()))  # C loops; array("Q", iterator) appends one by one
    magic = MAGIC
    try:
        numbers.fromlist(flat)
    except OverflowError:  # a negative mtime_ns
        numbers.fromlist([n % _WORD for n in flat])
        magic = SIGNED
    names = ("\0".join(files) + "\0").encode("utf-8", "surrogatepass") if files else b""
    blob = magic + len(files).to_bytes(8, sys.byteorder) + numbers.tobytes() + names
    atomic_write_bytes(os.path.join(prefix, SNAPSHOT_FILE), blob)


def read(prefix: StrPath) -> dict[str, tuple[int, int, int]] | None:
    """The recorded files, or None when the generation has no (readable) snapshot (made before corral kept one)."""
    columns = _columns(prefix)
    if columns is None:
        return _read_json(prefix)
    if columns is False:
        return None
    names, numbers = columns
    stats = iter(numbers)
    return dict(zip(names, zip(stats, stats, stats, strict=True), strict=True))


def _columns(prefix: StrPath) -> tuple[list[str], list[int]] | Literal[False] | None:
    """files.snap as its two columns: the paths, and their (inode, size, mtime_ns) in a row.

    None when there is no files.snap; False when it is damaged (no snapshot to compare, never files that vanished).
    """
    try:
        with open(os.path.join(prefix, SNAPSHOT_FILE), "rb") as handle:
            blob = handle.read()
    except FileNotFoundError:
        return None
    except OSError:
        return False
    magic = MAGIC if blob.startswith(MAGIC) else SIGNED if blob.startswith(SIGNED) else b""
    if not magic or len(blob) < len(magic) + 8:
        return False  # damaged, or written on a machine of the other byte order
    count = int.from_bytes(blob[len(magic) : len(magic) + 8], sys.byteorder)
    start = len(magic) + 8
    end = start + 24 * count
    if len(blob) < end or (count and not blob.endswith(b"\0")):
        return False  # cut short
    try:
        names = blob[end:-1].decode("utf-8", "surrogatepass").split("\0") if count else []
    except UnicodeDecodeError:
        return False
    if len(names) != count:
        return False
    numbers = memoryview(blob)[start:end].cast("Q").tolist()
    if magic == SIGNED:
        numbers[2::3] = [n - _WORD if n >= _WORD >> 1 else n for n in numbers[2::3]]
    return names, numbers


def _read_json(prefix: StrPath) -> dict[str, tuple[int, int, int]] | None:
    """A snapshot as corral wrote it before files.snap: {"schema": 1, "files": {path: [inode, size, mtime_ns]}}."""
    try:
        with open(os.path.join(prefix, JSON_FILE), encoding="utf-8") as handle:
            data = jsontext.loads(handle.read())
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("schema") == SCHEMA else None
    if not isinstance(files, dict):
        return None
    return {
        rel: (seen[0], seen[1], seen[2])
        for rel, seen in files.items()
        if isinstance(seen, list) and len(seen) == 3 and all(type(n) is int for n in seen)
    }


def compare(prefix: StrPath, names: list[str], numbers: list[int]) -> list[Edit]:
    """The recorded files (a snapshot's two columns) edited in place, replaced or deleted since, sorted by path.

    One lstat a file, no mapping built: rollback checks every file.
    """
    base = str(prefix) + os.sep
    edits = []
    stats = iter(numbers)
    for rel, inode, size, mtime in zip(names, stats, stats, stats, strict=True):
        try:
            st = os.lstat(base + rel)
        except OSError:
            edits.append(Edit(rel, "deleted", inode))
            continue
        if st.st_ino != inode:
            edits.append(Edit(rel, "replaced", inode, st.st_ino, st.st_nlink))
        elif st.st_size != size or st.st_mtime_ns != mtime:
            edits.append(Edit(rel, "edited", inode, st.st_ino, st.st_nlink))
    return sorted(edits, key=lambda e: e.path)


def edits(prefix: StrPath) -> list[Edit]:
    """What changed in a generation since it was finished ([] without a snapshot)."""
    columns = _columns(prefix)
    if columns is False:
        return []
    if columns is not None:
        return compare(prefix, *columns)
    from itertools import chain

    recorded = _read_json(prefix) or {}  # a generation made before files.snap
    return compare(prefix, list(recorded), list(chain.from_iterable(recorded.values())))
