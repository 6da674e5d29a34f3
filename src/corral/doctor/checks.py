"""The checks of `corral doctor`: each takes what it needs and returns Problems (data, no printing)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.lock.entries import LockedPlatform
from corral.pypi.dists import record_hashes
from corral.store import prefix as pfx
from corral.store.fsutil import sha256_of
from corral.values import field, frozen, mutable


@frozen
class Problem:
    """One thing wrong, named: which check found it, the package and file, what is wrong."""

    check: str
    package: str
    path: str
    detail: str
    affects: tuple[str, ...] = ()  # for damaged cache files: every environment that links to them

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (see the guide for the list of checks)."""
        return {
            "check": self.check,
            "package": self.package,
            "path": self.path,
            "detail": self.detail,
            "affects": list(self.affects),
        }


@mutable
class Hasher:
    """sha256 of files, once per inode (a file hardlinked from the cache is hashed once)."""

    seen: dict[tuple[int, int, int, int], str] = field(default_factory=dict)

    def sha256(self, path: str) -> str:
        st = os.stat(path)
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if key not in self.seen:
            self.seen[key] = sha256_of(path)
        return self.seen[key]


def conda_files(prefix: Path, records: Sequence[Mapping[str, Any]], hasher: Hasher) -> list[Problem]:
    """Files of conda packages that are missing, or whose content is not what the package installed."""
    out = []
    base = str(prefix) + os.sep
    for record in records:
        name = str(record["name"])
        for entry in pfx.paths_entries(record):
            rel = str(entry.get("_path", ""))
            full = base + rel
            kind = entry.get("path_type", "hardlink")
            if not os.path.lexists(full):
                out.append(Problem("missing-file", name, rel, "listed by the package, not on disk"))
                continue
            expected = entry.get("sha256_in_prefix") or entry.get("sha256")
            if kind in ("softlink", "directory") or not expected or os.path.islink(full):
                continue
            try:
                found = hasher.sha256(full)
            except OSError as exc:
                out.append(Problem("unreadable-file", name, rel, str(exc.strerror)))
                continue
            if found != expected:
                out.append(
                    Problem("modified-file", name, rel, f"sha256 {found[:16]}..., the package has {expected[:16]}...")
                )
    return out


def pypi_files(prefix: Path, dists: Iterable[Any], hasher: Hasher) -> list[Problem]:
    """Files of PyPI distributions that are missing or changed, against their RECORD."""
    out = []
    for dist in dists:
        if not (prefix / dist.dist_info / "RECORD").is_file():
            out.append(Problem("missing-file", dist.name, f"{dist.dist_info}/RECORD", "the distribution's file list"))
            continue
        for rel, expected in record_hashes(prefix, dist.dist_info):
            full = os.path.join(prefix, rel)
            if not os.path.lexists(full):
                out.append(Problem("missing-file", dist.name, rel, "listed in RECORD, not on disk"))
            elif not os.path.islink(full):
                found = hasher.sha256(full)
                if found != expected:
                    out.append(
                        Problem(
                            "modified-file", dist.name, rel, f"sha256 {found[:16]}..., RECORD has {expected[:16]}..."
                        )
                    )
    return out


def foreign(
    prefix: Path,
    untracked: Sequence[str],
    dists: Iterable[Any],
    ours: set[str],
    conda_dists: Mapping[str, str],
    conda_dist_infos: set[str],
) -> list[Problem]:
    """Files no record owns; distributions another tool installed; conda's distributions replaced by another tool."""
    out = [
        Problem("untracked-file", "", rel, "no package record owns it") for rel in untracked if ".dist-info/" not in rel
    ]
    for dist in dists:
        if dist.dist_info in conda_dist_infos or dist.name in ours:
            continue
        installer = dist.installer or "an unknown tool"
        if dist.name in conda_dists:
            out.append(
                Problem(
                    "conda-dist-overwritten",
                    dist.name,
                    dist.dist_info,
                    f"{installer} installed {dist.name} {dist.version} over conda package {conda_dists[dist.name]}",
                )
            )
        else:
            out.append(
                Problem(
                    "foreign-dist",
                    dist.name,
                    dist.dist_info,
                    f"{dist.name} {dist.version} was installed by {installer}, not corral",
                )
            )
    return out


def lock_drift(
    records: Sequence[Mapping[str, Any]], locked: LockedPlatform, dists: Iterable[Any], provided: Mapping[str, Any]
) -> list[Problem]:
    """Where the environment differs from what its generation recorded (its locked platform).

    Conda packages missing, extra or at another build; PyPI packages missing or at another
    version; and noarch: python files outside the site-packages the interpreter's record names
    (a free-threaded python keeps them in lib/python3.Xt/site-packages).
    """
    out = []
    want_conda = {e.name: f"{e.version}={e.build}" for e in locked.conda}
    installed = {str(r["name"]): f"{r['version']}={r.get('build', '')}" for r in records}
    for name in sorted(want_conda.keys() | installed.keys()):
        want, have = want_conda.get(name), installed.get(name)
        if want != have:
            what = "missing" if have is None else "not in the lock" if want is None else f"{have}, the lock has {want}"
            out.append(Problem("lock-drift", name, "", f"conda package {what}"))
    site = next((e.python_site_packages_path for e in locked.conda if e.name == "python"), "")
    if site:
        for record in records:
            if record.get("noarch") != "python" and (record.get("noarch") or {}) != {"type": "python"}:
                continue
            stray = [f for f in record.get("files", ()) if "/site-packages/" in f and not f.startswith(site + "/")]
            if stray:
                out.append(Problem("lock-drift", str(record["name"]), stray[0], f"noarch: python files outside {site}"))
    present = {d.name: d for d in dists}
    for entry in sorted(locked.pypi, key=lambda e: e.name):
        dist = present.get(entry.name)
        if dist is None:
            out.append(
                Problem("lock-drift", entry.name, "", f"PyPI package missing (the lock has {entry.version or 'it'})")
            )
        elif entry.version and dist.version != entry.version and not dist.editable:
            what = f"PyPI package at {dist.version}, the lock has {entry.version}"
            out.append(Problem("lock-drift", entry.name, dist.dist_info, what))
    return out


def links(prefix: Path, records: Sequence[Mapping[str, Any]], roots: Sequence[str] = ()) -> list[Problem]:
    """Symlinks that point nowhere, and entry points in bin/ whose interpreter in the environment is gone.

    Two kinds of file are not judged. rattler's `__clobbers__` stash: when two packages ship one
    path, the losing copies are moved there (their record marks them with `original_path`), so a
    relative symlink among them points nowhere by design. And scripts whose `#!` names an
    interpreter outside the environment: an entry point's `#!` names the environment's own python
    (conda's prefix replacement, rattler's noarch entry points and uv's scripts all write it), while
    a script that names another (CPython's `bin/python3.12-gdb.py`, a gdb helper, says
    `/usr/bin/python`) was shipped that way by its package; a hand edit of a package's script is
    still found by the hash checks, and an unowned one is untracked.
    """
    out = []
    root = str(prefix)
    stashed = {
        str(entry.get("_path", ""))
        for record in records
        for entry in pfx.paths_entries(record)
        if entry.get("original_path")
    }
    for folder, dirs, files in os.walk(root):
        for name in [*files, *dirs]:
            full = os.path.join(folder, name)
            if os.path.islink(full) and not os.path.exists(full):
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                if rel not in stashed:
                    out.append(Problem("broken-symlink", "", rel, f"points to {os.readlink(full)}"))
    owner = {str(f): str(r["name"]) for r in records for f in r.get("files", ()) if str(f).startswith("bin/")}
    inside = tuple(dict.fromkeys(os.path.normpath(r) + os.sep for r in (root, os.path.realpath(root), *roots)))
    bin_dir = prefix / "bin"
    for script in sorted(bin_dir.iterdir()) if bin_dir.is_dir() else ():
        if script.is_symlink() or not script.is_file():
            continue
        interpreter = script_interpreter(script)
        if interpreter and os.path.normpath(interpreter).startswith(inside) and not os.path.exists(interpreter):
            rel = f"bin/{script.name}"
            out.append(Problem("broken-entry-point", owner.get(rel, ""), rel, f"its interpreter {interpreter} is gone"))
    return out


_TRAMPOLINE = b"'''exec' "


def script_interpreter(path: Path) -> str:
    """The absolute interpreter a script's `#!` runs ('' for none), through the /bin/sh trampoline of long paths.

    A `#!` line longer than the kernel takes is written as `#!/bin/sh` followed by a line
    `'''exec' /path/to/python "$0" "$@"` (distlib, uv and rattler do): that line names the
    real interpreter.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return ""
    if not head.startswith(b"#!"):
        return ""
    lines = head.split(b"\n", 2)
    words = lines[0][2:].decode(errors="replace").split()
    if words == ["/bin/sh"] and len(lines) > 1 and lines[1].startswith(_TRAMPOLINE):
        rest = lines[1][len(_TRAMPOLINE) :].decode(errors="replace").strip()
        return rest[1:].split('"', 1)[0] if rest.startswith('"') else rest.split(" ", 1)[0]
    interpreter = words[0] if words else ""
    return interpreter if interpreter.startswith("/") else ""


def consistency(records: Sequence[Mapping[str, Any]], platform: str) -> list[Problem]:
    """conda records whose `depends` or `constrains` the installed set does not meet, or of another platform."""
    if not records:
        return []
    from corral.conda.consistency import unmet_installed

    found = unmet_installed(records, platform)
    return [Problem("inconsistent", u.package.split(" ", 1)[0], "", u.detail) for u in found]


def cache_files(records: Sequence[Mapping[str, Any]], hasher: Hasher) -> list[Problem]:
    """Files of the extracted packages in the cache that no longer match the package's own paths.json."""
    out = []
    for record in records:
        folder = record.get("extracted_package_dir") or ""
        if not folder:
            continue
        try:
            paths = json.loads((Path(folder) / "info" / "paths.json").read_text(encoding="utf-8")).get("paths", [])
        except (OSError, ValueError):
            continue  # the entry is gone (cleaned): nothing links to it any more
        for entry in paths:
            if entry.get("path_type", "hardlink") != "hardlink" or not entry.get("sha256"):
                continue
            full = os.path.join(folder, entry["_path"])
            if not os.path.lexists(full):
                out.append(Problem("cache-damage", str(record["name"]), full, "missing from the package cache"))
            elif hasher.sha256(full) != entry["sha256"]:
                out.append(Problem("cache-damage", str(record["name"]), full, "changed in the package cache"))
    return out


def conda_dist_infos(records: Sequence[Mapping[str, Any]]) -> tuple[dict[str, str], set[str]]:
    """PyPI names conda packages provide (name -> conda package) and their .dist-info folders."""
    from corral.models import pypi_name

    names: dict[str, str] = {}
    infos: set[str] = set()
    for record in records:
        for rel in record.get("files", ()):
            if ".dist-info/" in rel:
                info = rel.split(".dist-info/", 1)[0] + ".dist-info"
                infos.add(info)
                folder = info.rsplit("/", 1)[-1].removesuffix(".dist-info")
                names[pypi_name(folder.rsplit("-", 1)[0])] = str(record["name"])
    return names, infos


def hand_edits(settings: Any, prefix: Path, record: Any, found: Sequence[Problem]) -> list[Problem]:
    """Installed files changed by hand since the generation was finished (its snapshot), with what shares them.

    A deletion is already a missing-file; an edit in place lists under `affects` the other
    generations (of any environment) that link the same inode, whose rollback is no longer exact.
    """
    from corral import handedits
    from corral.preflight import hand_edits

    edits = hand_edits(prefix, record)
    missing = {p.path for p in found if p.check == "missing-file"}
    edits = [e for e in edits if not (e.edit.kind == "deleted" and e.path in missing)]
    sharing = handedits.sharing_generations(settings, edits, prefix)
    return [
        Problem(
            "edited-file",
            e.package,
            e.path,
            e.edit.describe() + " since the generation was built",
            tuple(sharing.get(e.path, ())),
        )
        for e in edits
    ]
