"""The files a pack adds besides activation (activation.py): bin/corral-unpack (the fix-up) and the manifest."""

from __future__ import annotations

import json
from pathlib import Path

# sh runs line 2 (the environment's python, else python3, on this very file); Python reads lines 2-3
# as a string. The same trick pip's launchers use for long shebangs.
_UNPACK_HEADER = """#!/bin/sh
'''true' ; p="$(dirname -- "$0")/python"; [ -x "$p" ] || p=python3; exec "$p" "$0" "$@"
' '''
# corral-unpack: written by `corral pack`; run it once after unpacking (it needs no corral).
"""


def unpack_script() -> bytes:
    """bin/corral-unpack: a sh header and corral_unpack.py, which the environment's python runs."""
    source = (Path(__file__).parent / "corral_unpack.py").read_text(encoding="utf-8")
    return (_UNPACK_HEADER + source).encode()


def manifest(prefix: str, aliases: tuple[str, ...], python: str, files: list[tuple[str, str]]) -> bytes:
    """share/corral/pack.json: the packed prefix, other paths that named it, which files embed them, sorted."""
    data = {"format": 1, "prefix": prefix, "aliases": list(aliases), "python": python, "files": sorted(files)}
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()
