"""Bytecode that stays valid in a pack: a .pyc names its source's mtime, which the archive changes.

A timestamp-based .pyc (PEP 552 flags 0) holds its source's mtime and size; Python recompiles when
they differ from the source file's, and where the folder is read-only (a container's /opt/env as
another user) it compiles every module on every start. Every member of a tar pack gets the
archive's one mtime, so a .pyc that matches its source now gets that mtime in its header: it
matches again where it is unpacked. Hash-based .pyc files and stale ones are left as they are.
"""

from __future__ import annotations

import os
from pathlib import Path


def restamped(root: Path, path: str, mtime: int) -> bytes | None:
    """The .pyc at `path` with `mtime` as its source's mtime, or None (not a valid timestamp .pyc)."""
    folder, name = os.path.split(path)
    if not name.endswith(".pyc") or os.path.basename(folder) != "__pycache__":
        return None
    source = root / os.path.dirname(folder) / (name.split(".", 1)[0] + ".py")
    try:
        info = source.stat()
        with open(root / path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if len(data) < 16 or data[4:8] != b"\0\0\0\0":
        return None
    if data[8:12] != (int(info.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little"):
        return None
    if data[12:16] != (info.st_size & 0xFFFFFFFF).to_bytes(4, "little"):
        return None
    return data[:8] + (mtime & 0xFFFFFFFF).to_bytes(4, "little") + data[12:]
