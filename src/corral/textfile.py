"""Reading the files users hand corral: regular files only, of a bounded size, as UTF-8 text.

A device (`include: /dev/zero`), a pipe or a huge file must give a clear error, not gigabytes of
memory; every reader of user files goes through here and turns the OSError into its own error.
"""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _typeshed import StrPath

MAX_BYTES = 16 * 1024 * 1024  # far above any real environment file, lock or config


def read_text(path: StrPath, encoding: str = "utf-8", limit: int = MAX_BYTES) -> str:
    """The text of a regular file of at most `limit` bytes; OSError (with strerror saying why) otherwise."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "not a regular file (a device, a pipe or a folder)", str(path))
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit // (1024 * 1024)} MiB, which no such file needs", str(path))
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise OSError(errno.EILSEQ, f"not UTF-8 text (invalid byte at offset {exc.start})", str(path)) from exc
