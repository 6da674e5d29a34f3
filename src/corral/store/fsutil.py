"""Small filesystem helpers: atomic writes, safe removal."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from corral import jsontext

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from typing import Any


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file, fsync and rename: readers see old or new, never half."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """atomic_write_text of bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # tempfile.mkstemp's name pattern, without importing tempfile (and random) on rollback's path
    tmp = str(path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), 0o644)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    """atomic_write_text of a JSON document (sorted keys, indented, trailing newline)."""
    atomic_write_text(path, jsontext.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> Any:
    """Load a JSON file."""
    with open(path, encoding="utf-8") as handle:
        return jsontext.loads(handle.read())


def remove_tree(path: Path) -> None:
    """Remove a directory tree, or a file or symlink, if present; tolerate read-only entries."""
    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    if path.exists():

        def onerror(func: Any, target: str, _exc: Any) -> None:
            os.chmod(target, 0o700)
            func(target)

        import shutil

        shutil.rmtree(path, onerror=onerror)


def trash_then_remove(path: Path, trash_name: str) -> None:
    """Rename `path` away in one step, then delete it: an interruption never leaves a half tree in place."""
    if not path.exists() and not path.is_symlink():
        return
    trash = path.parent / trash_name
    os.replace(path, trash)
    remove_tree(trash)


def sha256_of(path: str | Path) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
