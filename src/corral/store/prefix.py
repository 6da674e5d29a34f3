"""Read a prefix without rattler: its package records, the files they own, untracked files, verification."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from corral import jsontext, layout
from corral.channels import channel_display
from corral.errors import DamagedGeneration
from corral.models import PackageInfo

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from typing import Any

CORRAL_META = Path(layout.CORRAL_META)
GENERATION_FILE = Path(layout.GENERATION_FILE)

# Written by tools into every prefix, never by packages; not worth a warning (.lock is uv's).
_IGNORED_TOP = {"conda-meta", "CACHEDIR.TAG", ".lock"}


_READ: dict[tuple[int, int, int, int], dict[str, Any]] = {}  # (device, inode, mtime, size) -> the parsed record


def read_records(prefix: Path) -> list[dict[str, Any]]:
    """The raw conda-meta/*.json records of a prefix, sorted by file name (treat them as read-only).

    A change reads its new generation's records several times (review, link scripts, finish),
    across the rename of its build directory: each file is parsed once per process, keyed by its
    inode and stat, so a rewritten file is read again.
    """
    meta = prefix / "conda-meta"
    try:
        names = sorted(e.name for e in os.scandir(meta) if e.name.endswith(".json"))
    except (FileNotFoundError, NotADirectoryError):
        return []
    records = []
    for name in names:
        path = meta / name
        with open(path, encoding="utf-8") as handle:
            st = os.fstat(handle.fileno())
            key = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
            record = _READ.get(key)
            if record is None:
                record = _READ[key] = _parsed(handle, path)
        records.append(record)
    return records


def _parsed(handle: Any, path: Path) -> dict[str, Any]:
    """One conda-meta record; a damaged one is an error naming the file, never a guess or a traceback.

    Its `paths_data` (most of the file: a sha256 and size for every file) is parsed only when
    `paths_entries` asks for it; a review, a verification and a snapshot need only the rest.
    """
    try:
        text = handle.read()
        data, deferred = _split(text)
    except UnicodeDecodeError:
        reason = "the file is not UTF-8 text"
    except ValueError as exc:
        reason = f"not valid JSON ({exc})"
    else:
        files = data.get("files", []) if isinstance(data, dict) else None
        if isinstance(data, dict) and isinstance(data.get("name"), str) and isinstance(files, list):
            if deferred is not None:
                _DEFERRED[id(data)] = (deferred, path)
            return data
        reason = "not a conda package record (a mapping with its name and its list of files)"
    raise _damaged(path, reason)


_KEY = '\n  "paths_data": '


def _split(text: str) -> tuple[Any, str | None]:
    """The record without its `paths_data` and that value's text, when the file is laid out as rattler and conda write
    it (indented by two spaces: the value then ends at the first line that is `  }`); else the whole record and None.

    A JSON string holds no raw newline, so neither the key (at the start of a line, two spaces in:
    a top-level key) nor the value's closing line can be inside one.
    """
    start = text.find(_KEY)
    close = text.find("\n  }", start) if start > 0 else -1
    if close > 0 and text.startswith("{\n", start + len(_KEY)):  # `{}` on one line: parsed whole
        after = text[close + 4 :]
        # With a key after it, that key's line follows the comma; as the last key, the comma before goes.
        head = text[:start] + "\n" + after[1:] if after.startswith(",") else text[:start].rstrip(" \n,") + after
        try:
            data = jsontext.loads(head)
        except ValueError:
            data = None
        if isinstance(data, dict) and "paths_data" not in data:
            return data, text[start + len(_KEY) : close + 4]
    return jsontext.loads(text), None


_DEFERRED: dict[int, tuple[str, Path]] = {}  # id of a record in _READ -> its unparsed paths_data, and its file
_PATHS: dict[int, Any] = {}  # id of a record in _READ -> its paths_data, once parsed


def paths_entries(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The record's `paths_data` entries (one a file: _path, path_type, sha256, size_in_bytes, ...)."""
    data = record.get("paths_data")
    if data is None and id(record) in _DEFERRED:
        key = id(record)
        if key not in _PATHS:
            text, path = _DEFERRED[key]
            try:
                _PATHS[key] = jsontext.loads(text)
            except ValueError as exc:
                raise _damaged(path, f"not valid JSON ({exc})") from exc
        data = _PATHS[key]
    paths = data.get("paths") if isinstance(data, dict) else None
    return [p for p in paths if isinstance(p, dict)] if isinstance(paths, list) else []


def _damaged(path: Path, reason: str) -> DamagedGeneration:
    return DamagedGeneration(
        f"the conda-meta record {path.name} of {path.parent.parent} is damaged: {reason}",
        hint="build a fresh generation from the environment's own record with `corral doctor --fix` on it"
        " (`-n NAME` or `-p PATH`), or go back with `corral rollback`",
        details=[str(path)],
    )


def record_info(record: dict[str, Any]) -> PackageInfo:
    """A conda-meta record as a PackageInfo."""
    return PackageInfo(
        name=str(record["name"]),
        version=str(record["version"]),
        build=str(record.get("build", "")),
        build_number=int(record.get("build_number", 0)),
        channel=channel_display(str(record.get("channel") or record.get("url", ""))),
        subdir=str(record.get("subdir", "")),
    )


def read_packages(prefix: Path) -> list[PackageInfo]:
    """The packages installed in a prefix, sorted by name."""
    return sorted(record_info(r) for r in read_records(prefix))


def owned_files(records: list[dict[str, Any]], extra: list[str]) -> set[str]:
    """Relative paths that the records (and corral's own extra files) account for."""
    owned = set(extra)
    for record in records:
        owned.update(record.get("files", ()))
    return owned


def walk_files(prefix: Path) -> Iterator[str]:
    """Every file and symlink in a prefix as a relative POSIX path, skipping bytecode caches."""
    root = str(prefix)
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in _IGNORED_TOP]
            filenames = [f for f in filenames if f not in _IGNORED_TOP]
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith(".pyc"):
                continue
            yield name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
        # Symlinks to directories are listed in dirnames; they are files for ownership.
        for name in list(dirnames):
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                dirnames.remove(name)
                yield name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")


def find_untracked(prefix: Path, extra: list[str]) -> list[str]:
    """Files in the prefix that no package record owns (a stray `pip install`, a hand edit)."""
    owned = owned_files(read_records(prefix), extra)
    return sorted(path for path in walk_files(prefix) if path not in owned)


def find_missing(
    prefix: Path, records: list[dict[str, Any]], seen: dict[str, tuple[int, int, int]] | None = None
) -> list[str]:
    """Files that the prefix's records (from read_records) list but that are not on disk.

    `seen`, when given, receives each present file's (inode, size, mtime_ns), bytecode caches left
    out: the snapshot of store/snapshot.py, taken in the same walk.
    """
    missing = []
    base = str(prefix) + os.sep  # string joins: pathlib costs ~5 us a file, which adds up over 10^4 files
    for record in records:
        for rel in record.get("files", ()):
            try:
                st = os.lstat(base + rel)
            except OSError:
                missing.append(f"{record['name']}: {rel}")
                continue
            if stat.S_ISDIR(st.st_mode):  # the package's file is a directory here (another package's files)
                missing.append(f"{record['name']}: {rel} (a directory where the package has a file)")
            elif seen is not None and not (rel.endswith(".pyc") or "__pycache__/" in rel):
                seen[rel] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return missing


def python_stdlib_dir(prefix: Path, records: list[dict[str, Any]]) -> Path | None:
    """lib/pythonX.Y of the prefix's `python` package, if it has one."""
    for record in records:
        if record["name"] == "python":
            major_minor = ".".join(str(record["version"]).split(".")[:2])
            return prefix / "lib" / f"python{major_minor}"
    return None


def mark_externally_managed(prefix: Path, records: list[dict[str, Any]], label: str, flag: str) -> str | None:
    """Write PEP 668's EXTERNALLY-MANAGED so pip refuses, naming the corral command; return its path."""
    stdlib = python_stdlib_dir(prefix, records)
    if stdlib is None or not stdlib.is_dir():
        return None
    marker = stdlib / "EXTERNALLY-MANAGED"
    marker.write_text(
        "[externally-managed]\n"
        f"Error=This environment ({label}) is managed by corral: a plain `pip install` here would be lost\n"
        " on its next change. Install packages with corral instead:\n"
        f"   corral pip install {flag} PACKAGE      (from PyPI, also -r FILE, -e PATH)\n"
        f"   corral install {flag} PACKAGE          (from the conda channels)\n",
        encoding="utf-8",
    )
    return marker.relative_to(prefix).as_posix()


def write_pip_shims(prefix: Path, minor: str, label: str, flag: str, launcher: list[str], root: str) -> list[str]:
    """`bin/pip`, `pip3`, `pip3.X` that go through corral where the environment has no pip; return their paths.

    Without them, a bare `pip install` in an activated environment (or `corral run ... pip`) runs
    the next pip on PATH and installs into another interpreter. `pip install`/`uninstall` become
    `corral pip install -y`/`uninstall` for this environment (recorded, a new generation); every
    other pip command is refused with the corral command that does it. `launcher` is how this
    corral was started (its python -m corral); a `corral` on PATH is the fallback. The store's
    `root` is set for the corral it runs, whatever the caller's CORRAL_ROOT.
    """
    import shlex

    bin_dir = prefix / "bin"
    if not minor or not (bin_dir / "python").exists():
        return []
    names = [n for n in ("pip", "pip3", f"pip{minor}") if not os.path.lexists(bin_dir / n)]
    if "pip" not in names:  # the environment has a pip of its own (conda's obeys the PEP 668 marker)
        return []
    via = shlex.join(launcher)
    quoted_flag = " ".join(shlex.quote(part) for part in flag.split(" ", 1))
    script = f"""#!/bin/sh
# Written by corral: pip in {label} goes through corral, so what it installs is recorded.
case "$1" in
  install|uninstall)
    sub=$1; shift
    yes=; [ "$sub" = install ] && yes=-y
    CORRAL_ROOT={shlex.quote(str(root))}; export CORRAL_ROOT
    if [ -x {shlex.quote(launcher[0])} ]; then exec {via} pip "$sub" $yes {quoted_flag} "$@"; fi
    if command -v corral >/dev/null 2>&1; then exec corral pip "$sub" $yes {quoted_flag} "$@"; fi
    echo "error: corral was not found to run: corral pip $sub {quoted_flag} $*" >&2
    exit 1;;
  freeze) use="corral export {quoted_flag} --format requirements.txt";;
  list) use="corral list {quoted_flag}";;
  *) use="corral pip install {quoted_flag} pip   (to have pip itself here)";;
esac
echo "error: pip is not installed in {label}, a corral environment; use: $use" >&2
exit 1
"""
    written = []
    for name in names:
        path = bin_dir / name
        path.write_text(script, encoding="utf-8")
        path.chmod(0o755)
        written.append(path.relative_to(prefix).as_posix())
    return written
