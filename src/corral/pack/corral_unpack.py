"""corral-unpack: make an unpacked corral archive name the folder it now lives in.

This file is copied, as it is, into every archive `corral pack` writes (as `bin/corral-unpack`,
behind a two-line POSIX sh header that runs it with the environment's own python), so it uses the
standard library only and the syntax of Python 3.6. It reads `share/corral/pack.json`: the prefix
the files were packed from, other paths that named it (the environment's stable path, which is the
sys.prefix of a python run through it), and which files embed them, as text or as binary (conda's
`file_mode`).

Text files get the new prefix wherever the old one stands. Binary files get conda's (and
conda-pack's) binary rule: each C string that starts with the old prefix is rewritten in place
and padded with NULs to its old length, so a binary can only move to a path that is not longer
than the one it was packed from; such a move is refused before any file is touched. After a
successful run the manifest names the new prefix, so running it again (or after moving the
folder again) is safe.

Scripts whose interpreter lives in the environment get a header that works from the new path. A
shebang line is limited to 127 bytes by Linux before 5.1 (conda's MAX_SHEBANG_LENGTH; pip and uv
use the same limit) and cannot hold a space, so for a longer path or one with a space a Python
interpreter gets the /bin/sh trampoline pip and uv write (line 2 is `'''exec' 'PYTHON' "$0" "$@"`:
sh runs it, Python reads lines 2-3 as a string) and any other interpreter gets conda's
`#!/usr/bin/env NAME`. A trampoline the packing machine wrote (its store path was long) is read
back the same way, so a script moved to a short path gets a plain shebang again.
"""

import json
import os
import re
import sys
from typing import Any

MANIFEST = os.path.join("share", "corral", "pack.json")
TOO_LONG_EXIT = 3
SHEBANG_LIMIT = 127  # bytes of the line, its newline included
_PYTHON_NAME = re.compile(rb"(python|pypy)[0-9.]*[a-z]?\Z")  # python, python3.12, python3.13t, pypy3
_TRAMPOLINE_HEAD = b"#!/bin/sh\n'''exec' "
_TRAMPOLINE_TAIL = b" \"$0\" \"$@\"\n' '''"
_UNSAFE_IN_TRAMPOLINE = re.compile(rb"['\\\n]")  # would end sh's quoting, or be a Python escape


class Refused(Exception):
    """The environment cannot be fixed up where it is; nothing was changed."""


def read_manifest(prefix: str) -> "dict[str, Any]":
    """The manifest of the unpacked environment at `prefix` (a dict)."""
    with open(os.path.join(prefix, MANIFEST), encoding="utf-8") as handle:
        data = json.load(handle)  # type: dict[str, Any]
    return data


def binary_replace(data: bytes, old: bytes, new: bytes) -> bytes:
    """Replace `old` by `new` in every NUL-terminated string of `data`, padding each with NULs."""

    def one(match: "re.Match[bytes]") -> bytes:
        found = match.group()
        padding = (len(old) - len(new)) * found.count(old)
        return found.replace(old, new) + b"\0" * padding

    return re.sub(re.escape(old) + b"[^\0]*?\0", one, data)


def script_header(data: bytes) -> "tuple[bytes, list[bytes], int] | None":
    """(interpreter, its options, where the body starts) of a script with a shebang or a trampoline, else None."""
    if data.startswith(_TRAMPOLINE_HEAD):
        import shlex

        end = data.find(_TRAMPOLINE_TAIL)
        if end < 0 or b"\n" in data[len(_TRAMPOLINE_HEAD) : end]:
            return None
        try:
            words = [w.encode("utf-8") for w in shlex.split(data[len(_TRAMPOLINE_HEAD) : end].decode("utf-8"))]
        except ValueError:
            return None
        body = end + len(_TRAMPOLINE_TAIL)
        body += 1 if data[body : body + 1] == b"\n" else 0
        return (words[0], words[1:], body) if words else None
    match = re.match(rb"#![ \t]*(/[^ \t\n]*)[ \t]*([^\n]*?)[ \t]*(?:\n|\Z)", data)
    if match is None:
        return None
    return match.group(1), [match.group(2)] if match.group(2) else [], match.end()


def make_header(interpreter: bytes, options: "list[bytes]") -> bytes:
    """A header that runs `interpreter`: a shebang when it fits, else a trampoline (Python) or env (others)."""
    line = b"#!" + b" ".join([interpreter, *options])
    if len(line) + 1 <= SHEBANG_LIMIT and not re.search(rb"\s", interpreter):
        return line + b"\n"
    name = interpreter.rsplit(b"/", 1)[-1]
    if _PYTHON_NAME.match(name) and not any(_UNSAFE_IN_TRAMPOLINE.search(w) for w in [interpreter, *options]):
        words = b" ".join(b"'" + w + b"'" for w in [interpreter, *options])
        return _TRAMPOLINE_HEAD + words + _TRAMPOLINE_TAIL + b"\n"
    return b"#!/usr/bin/env " + b" ".join([name, *options]) + b"\n"


def text_replace(data: bytes, old: bytes, new: bytes) -> bytes:
    """`old` -> `new` everywhere; a script run by an interpreter under `old` gets a header that fits `new`."""
    found = script_header(data)
    if found is None or not found[0].startswith(old + b"/"):
        return data.replace(old, new)
    interpreter, options, body = found
    header = make_header(new + interpreter[len(old) :], [w.replace(old, new) for w in options])
    return header + data[body:].replace(old, new)


def _binaries_in_the_way(prefix: str, files: "list[tuple[str, str]]", olds: "list[bytes]", new: bytes) -> "list[str]":
    """[path, the old path it embeds] of the first binary file with no room for `new`, else []."""
    shorter = [old for old in olds if len(new) > len(old)]
    for path, mode in files if shorter else []:
        if mode == "binary":
            with open(os.path.join(prefix, path), "rb") as handle:
                data = handle.read()
            for old in shorter:
                if old in data:
                    return [path, old.decode("utf-8")]
    return []


def fix_up(prefix: str, verbose: bool = False) -> int:
    """Rewrite the files of the environment unpacked at `prefix`; return how many changed."""
    prefix = os.path.abspath(prefix)
    manifest = read_manifest(prefix)
    new = prefix.encode("utf-8")
    # The packed prefix and the other paths that named it (the stable path), longest first.
    olds = sorted({p.encode("utf-8") for p in [manifest["prefix"], *manifest.get("aliases", [])]} - {new}, key=len)
    olds.reverse()
    if not olds:
        return 0
    files = [(str(path), str(mode)) for path, mode in manifest["files"]]
    blocking = _binaries_in_the_way(prefix, files, olds, new)
    if blocking:
        raise Refused(
            "cannot unpack into {0}: that path is {1} bytes long, and binary files embed the packed"
            " path {2} ({3} bytes) with no room for a longer one (e.g. {4}).\n"
            "hint: unpack into a folder whose path is at most {3} bytes long".format(
                prefix, len(new), blocking[1], len(blocking[1].encode("utf-8")), blocking[0]
            )
        )
    changed = 0
    for path, mode in files:
        full = os.path.join(prefix, path)
        with open(full, "rb") as handle:
            data = handle.read()
        fixed = data
        for old in olds:
            fixed = binary_replace(fixed, old, new) if mode == "binary" else text_replace(fixed, old, new)
        if fixed != data:
            with open(full, "r+b") as handle:
                handle.write(fixed)
                handle.truncate()
            changed += 1
            if verbose:
                sys.stderr.write(f"fixed {path}\n")
    manifest["prefix"], manifest["aliases"] = prefix, []
    scratch = os.path.join(prefix, MANIFEST + ".tmp")
    with open(scratch, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(scratch, os.path.join(prefix, MANIFEST))
    return changed


def main() -> int:
    """`corral-unpack [-v]`: fix up the environment this script belongs to."""
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write("usage: corral-unpack [-v]\nRewrite this unpacked environment's files for its new path.\n")
        return 0
    prefix = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        changed = fix_up(prefix, verbose="-v" in args)
    except Refused as exc:
        sys.stderr.write(f"corral-unpack: error: {exc}\n")
        return TOO_LONG_EXIT
    except (OSError, ValueError, KeyError) as exc:
        sys.stderr.write(f"corral-unpack: error: {prefix} is not a complete corral pack: {exc}\n")
        return 1
    if "-v" in args:
        sys.stderr.write(f"corral-unpack: {changed} files now name {prefix}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
