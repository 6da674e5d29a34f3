"""Small filesystem helpers: atomic writes, safe removal.

On rollback's path: strings or paths in, `os` functions inside (no pathlib, no contextlib).
"""

from __future__ import annotations

import os

from corral import jsontext

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from typing import Any

    from _typeshed import StrPath


def atomic_write_text(path: StrPath, text: str) -> None:
    """Write `text` to `path` through a temp file, fsync and rename: readers see old or new, never half."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: StrPath, data: bytes) -> None:
    """atomic_write_text of bytes."""
    folder, name = os.path.split(os.fspath(path))
    if folder:  # a bare file name is written in the working directory
        os.makedirs(folder, exist_ok=True)
    # tempfile.mkstemp's name pattern, without importing tempfile (and random) on rollback's path
    tmp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), 0o644)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        remove_file(tmp, OSError)
        raise


def remove_file(path: StrPath, ignored: type[OSError] = FileNotFoundError) -> None:
    """`os.unlink`, a missing file (or with `ignored=OSError` any failure) no error.

    Not `contextlib.suppress`: importing contextlib is ~3 M instructions of rollback's start-up.
    """
    try:  # noqa: SIM105
        os.unlink(path)
    except ignored:
        pass


def atomic_write_json(path: StrPath, data: Any) -> None:
    """atomic_write_text of a JSON document (sorted keys, indented, trailing newline)."""
    atomic_write_text(path, jsontext.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: StrPath) -> Any:
    """Load a JSON file."""
    with open(path, encoding="utf-8") as handle:
        return jsontext.loads(handle.read())


def remove_tree(path: StrPath) -> None:
    """Remove a directory tree, or a file or symlink, if present; tolerate read-only entries."""
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
        return
    if os.path.exists(path):

        def onerror(func: Any, target: str, _exc: Any) -> None:
            os.chmod(target, 0o700)
            func(target)

        import shutil

        shutil.rmtree(path, onerror=onerror)


def trash_then_remove(path: StrPath, trash_name: str) -> None:
    """Rename `path` away in one step, then delete it: an interruption never leaves a half tree in place."""
    if not os.path.lexists(path):
        return
    trash = os.path.join(os.path.dirname(os.fspath(path)), trash_name)
    os.replace(path, trash)
    remove_tree(trash)


def sha256_of(path: StrPath) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
