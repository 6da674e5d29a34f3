"""Documents parsed once and kept as JSON beside their text: start-up without PyYAML or tomllib.

Importing PyYAML costs ~15 ms here and tomllib (with typing) ~5 ms: more than the rest of
reading a small file, and paid by every command once a user has a ~/.condarc or a config.toml.
A text read before is loaded from its JSON copy instead. A copy holds the text it was parsed
from and is used only for exactly that text, so it is never stale; it is named by the text's
length and CRC-32 (zlib, ~0.4 ms to import, where hashlib with OpenSSL costs ~5 ms), and two
texts that share a name only take turns in it. Only a document JSON holds exactly is kept (no
dates, only string keys), and never one that carries credentials (a URL's user:password, a
conda token): a cache is no place for a secret. Copies are private to the user (0600), and only
the newest `KEEP` of a folder stay.
"""

from __future__ import annotations

import os

from corral import jsontext

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from _typeshed import StrPath

KEEP = 64  # copies kept in a folder; the oldest go first


def parse_kept(text: str, parse: Callable[[str], Any], folder: StrPath | None) -> Any:
    """`parse(text)`, or the kept JSON copy of an earlier parse of the same text in `folder` (None: no copies).

    `parse` raises for a text it refuses; nothing is kept then, so the refusal repeats each time.
    """
    if folder is None:
        return parse(text)
    import zlib

    encoded = text.encode("utf-8", "surrogatepass")
    kept = os.path.join(folder, f"{len(encoded)}-{zlib.crc32(encoded):08x}.json")
    try:
        with open(kept, encoding="utf-8") as handle:
            copy = jsontext.loads(handle.read())
        if isinstance(copy, dict) and copy.get("text") == text and "data" in copy:
            return copy["data"]
    except (OSError, ValueError):
        pass  # not read before (or a damaged copy): parse the text
    data = parse(text)
    _keep(kept, text, data)
    return data


def _keep(kept: str, text: str, data: Any) -> None:
    from corral.redact import redact

    try:
        encoded = jsontext.dumps({"text": text, "data": data}, separators=(",", ":"), ensure_ascii=False)
        if jsontext.loads(encoded)["data"] != data or redact(encoded) != encoded:
            return  # not a document JSON holds exactly, or one with a secret in it
        folder, name = os.path.split(kept)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(encoded)
        os.replace(tmp, kept)  # a cache: readers see the whole copy or none; no fsync needed
        with os.scandir(folder) as entries:
            copies = [(e.stat().st_mtime_ns, e.path) for e in entries if e.name.endswith(".json") and e.name[0] != "."]
        for _, old in sorted(copies)[:-KEEP]:
            os.unlink(old)
    except (OSError, TypeError, ValueError):
        pass  # a cache: a document that cannot be kept is parsed again next time
