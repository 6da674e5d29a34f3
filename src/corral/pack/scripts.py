"""The files a pack adds: bin/corral-unpack (the fix-up), bin/activate and bin/deactivate (POSIX sh), the manifest."""

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

_ACTIVATE = """# Use this environment in this shell: `. bin/activate` (bash, zsh, dash, ksh); `deactivate` undoes it.
# Written by `corral pack`: it needs no corral. Run bin/corral-unpack once after unpacking.
if command -v deactivate >/dev/null 2>&1 && [ -n "${_CORRAL_PACK_PREFIX:-}" ]; then deactivate; fi
_CORRAL_PACK_PREFIX='@PREFIX@'
if [ -n "${BASH_VERSION:-}" ]; then
    _CORRAL_PACK_PREFIX=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
elif [ -n "${ZSH_VERSION:-}" ]; then
    eval '_CORRAL_PACK_PREFIX=$(cd "$(dirname -- "${(%):-%x}")/.." && pwd)'
fi
_CORRAL_PACK_OLD_PATH=$PATH
_CORRAL_PACK_OLD_PS1=${PS1:-}
_CORRAL_PACK_HAD_CONDA_PREFIX=${CONDA_PREFIX+x}
_CORRAL_PACK_OLD_CONDA_PREFIX=${CONDA_PREFIX:-}
PATH="$_CORRAL_PACK_PREFIX/bin:$PATH"
CONDA_PREFIX=$_CORRAL_PACK_PREFIX
export PATH CONDA_PREFIX
PS1="(${_CORRAL_PACK_PREFIX##*/}) ${PS1:-}"

deactivate() {
    if [ -d "$_CORRAL_PACK_PREFIX/etc/conda/deactivate.d" ]; then
        for _corral_script in "$_CORRAL_PACK_PREFIX"/etc/conda/deactivate.d/*.sh; do
            [ -f "$_corral_script" ] && . "$_corral_script"
        done
    fi
    PATH=$_CORRAL_PACK_OLD_PATH
    PS1=$_CORRAL_PACK_OLD_PS1
    if [ -n "$_CORRAL_PACK_HAD_CONDA_PREFIX" ]; then
        CONDA_PREFIX=$_CORRAL_PACK_OLD_CONDA_PREFIX
    else
        unset CONDA_PREFIX
    fi
    export PATH
    unset _CORRAL_PACK_PREFIX _CORRAL_PACK_OLD_PATH _CORRAL_PACK_OLD_PS1 _corral_script
    unset _CORRAL_PACK_HAD_CONDA_PREFIX _CORRAL_PACK_OLD_CONDA_PREFIX
    unset -f deactivate
    hash -r 2>/dev/null || true
}

if [ -d "$_CORRAL_PACK_PREFIX/etc/conda/activate.d" ]; then
    for _corral_script in "$_CORRAL_PACK_PREFIX"/etc/conda/activate.d/*.sh; do
        [ -f "$_corral_script" ] && . "$_corral_script"
    done
    unset _corral_script
fi
hash -r 2>/dev/null || true
"""

_DEACTIVATE = """# Leave the environment `. bin/activate` entered: `. bin/deactivate` (or call `deactivate`).
# Written by `corral pack`: it needs no corral.
if command -v deactivate >/dev/null 2>&1 && [ -n "${_CORRAL_PACK_PREFIX:-}" ]; then deactivate; fi
"""


def unpack_script() -> bytes:
    """bin/corral-unpack: a sh header and corral_unpack.py, which the environment's python runs."""
    source = (Path(__file__).parent / "corral_unpack.py").read_text(encoding="utf-8")
    return (_UNPACK_HEADER + source).encode()


def activate_script(prefix: str) -> bytes:
    """bin/activate, naming the packed prefix (corral-unpack rewrites it; bash and zsh find their own)."""
    return _ACTIVATE.replace("@PREFIX@", prefix.replace("'", "'\\''")).encode()


def deactivate_script() -> bytes:
    """bin/deactivate."""
    return _DEACTIVATE.encode()


def manifest(prefix: str, python: str, files: list[tuple[str, str]]) -> bytes:
    """share/corral/pack.json: the packed prefix and which files embed it (path, text/binary), sorted."""
    data = {"format": 1, "prefix": prefix, "python": python, "files": sorted(files)}
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()
