"""Hand edits to installed files: found from a generation's snapshot, confirmed by hash, damaged cache entries out.

`store/snapshot.py` says which owned files moved since the generation was finished (one lstat
each). A file whose bytes are still its package's (a `touch`, an editor's save of unchanged
text) is not an edit, so those few are hashed against conda-meta's `sha256_in_prefix` or the
distribution's RECORD. An edit in place of a file that is a hardlink of a package cache entry
changed that entry for every later environment: the entry is removed (renamed away, then
deleted), so the next link extracts the package afresh from its archive.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from corral.record import GenerationRecord
from corral.settings import Settings
from corral.store import prefix as pfx
from corral.store import snapshot
from corral.store.fsutil import sha256_of
from corral.values import frozen

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from typing import Any


@frozen
class HandEdit:
    """An owned file changed by hand: the snapshot's finding, the package that owns it, and how it is shared."""

    edit: snapshot.Edit
    package: str  # '' for corral's own files (marker, pip shims, venv links)
    kind_of_package: str  # "conda", "pypi" or ""

    @property
    def path(self) -> str:
        return self.edit.path

    @property
    def shared(self) -> bool:
        """True for an edit in place of a file other places link (the package cache, other generations)."""
        return self.edit.kind == "edited" and self.edit.links > 1

    def line(self) -> str:
        """One line for an error or a diagnosis."""
        owner = f" ({self.kind_of_package} package {self.package})" if self.package else " (written by corral)"
        shared = f"; {self.edit.links - 1} other hardlink(s) changed with it" if self.shared else ""
        return f"{self.path}: {self.edit.describe()}{owner}{shared}"


def confirm(prefix: Path, record: GenerationRecord, found: Sequence[snapshot.Edit]) -> list[HandEdit]:
    """Of what the snapshot `found` changed, the files whose loss would lose work, with the package that owns each."""
    if not found:
        return []
    records = pfx.read_records(prefix)
    owners, expected = _owners(prefix, record, records)
    own = set(record.extra_files)
    out = []
    for edit in found:
        if edit.path not in owners and edit.path not in own:
            continue  # no record owns it any more (its package's record was removed): not the next build's
        full = os.path.join(prefix, edit.path)
        want = expected.get(edit.path, "")
        if edit.kind != "deleted" and want and not os.path.islink(full) and _sha256(full) == want:
            continue  # the package's own bytes: touched or saved unchanged, nothing would be lost
        package, kind = owners.get(edit.path, ("", ""))
        out.append(HandEdit(edit, package, kind))
    return out


def _sha256(path: str) -> str:
    try:
        return sha256_of(path)
    except OSError:
        return ""


def _owners(
    prefix: Path, record: GenerationRecord, records: Sequence[dict[str, Any]]
) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Path -> (package, conda or pypi), and path -> the sha256 its package installed."""
    from corral.pypi import dists

    owners: dict[str, tuple[str, str]] = {}
    expected: dict[str, str] = {}
    for rec in records:
        name = str(rec["name"])
        for rel in rec.get("files", ()):
            owners[str(rel)] = (name, "conda")
        for entry in pfx.paths_entries(rec):
            if entry.get("path_type", "hardlink") in ("hardlink", "copy") or "sha256_in_prefix" in entry:
                digest = entry.get("sha256_in_prefix") or entry.get("sha256")
                if digest:
                    expected[str(entry.get("_path", ""))] = str(digest)
    wanted = record.pypi_names()
    for dist in dists.installed(prefix):
        if dist.name not in wanted:
            continue
        for rel in dists.record_files(prefix, dist):
            owners.setdefault(rel, (dist.name, "pypi"))
        expected.update(dists.record_hashes(prefix, dist.dist_info))
    return owners, expected


def damaged_cache_entries(settings: Settings, prefix: Path, edits: Iterable[HandEdit]) -> list[Path]:
    """The package cache entries (rattler's extracted packages, uv's unpacked wheels) that edits in place changed."""
    found: set[Path] = set()
    records: list[dict[str, Any]] | None = None
    for edit in edits:
        if not edit.shared:
            continue
        try:
            st = os.lstat(os.path.join(prefix, edit.path))
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if edit.kind_of_package == "conda":
            records = pfx.read_records(prefix) if records is None else records
            entry = next((r for r in records if r["name"] == edit.package), None)
            folder = str(entry.get("extracted_package_dir") or "") if entry else ""
            if folder and _holds_inode(Path(folder), key):
                found.add(Path(folder))
        elif edit.kind_of_package == "pypi":
            entry_dir = _uv_entry(settings.pypi_cache, prefix, edit.path, key)
            if entry_dir is not None:
                found.add(entry_dir)
    return sorted(found)


def _holds_inode(folder: Path, key: tuple[int, int]) -> bool:
    """True when a file under `folder` is the inode `key` (a walk of one package: only after an edit)."""
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == key:
                return True
    return False


def _uv_entry(pypi_cache: Path, prefix: Path, rel: str, key: tuple[int, int]) -> Path | None:
    """uv's unpacked wheel (cache/pypi/archive-v0/ID) that holds the file: the same path under site-packages."""
    archives = pypi_cache / "archive-v0"
    sites = [s.relative_to(prefix).as_posix() + "/" for s in _sites(prefix)]
    site = next((s for s in sites if rel.startswith(s)), "")
    if not site or not archives.is_dir():
        return None
    inner = rel[len(site) :]
    for entry in archives.iterdir():
        try:
            st = os.lstat(entry / inner)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == key:
            return entry
    return None


def _sites(prefix: Path) -> list[Path]:
    from corral.pypi import dists

    return dists.site_packages(prefix)


def remove_damaged(settings: Settings, entries: Sequence[Path]) -> list[str]:
    """Remove damaged cache entries (uv's pointers to them first); what was done, in words."""
    if not entries:
        return []
    from corral.store.disk import remove_entry, uv_pointers

    pointers = uv_pointers(settings.pypi_cache, [e.name for e in entries if e.parent.name == "archive-v0"])
    notes = []
    for entry in entries:
        remove_entry(entry, pointers.get(entry.name, ()), "edited")
        where = "conda package cache" if entry.parent == settings.conda_cache else "PyPI wheel cache"
        notes.append(
            f"the edit changed the {where} entry {entry.name} too: it was removed, so the next change extracts"
            " the package afresh"
        )
    return notes


def sharing_generations(settings: Settings, edits: Sequence[HandEdit], skip: Path) -> dict[str, list[str]]:
    """For each edit in place, the other generations (of every environment) whose snapshot has that file's inode."""
    from corral.context import env_label
    from corral.store import generations as gens
    from corral.store.envs import all_envs

    inodes = {e.edit.inode: e.path for e in edits if e.shared}
    out: dict[str, list[str]] = {}
    if not inodes:
        return out
    for ref in all_envs(settings):
        for number in gens.generation_numbers(ref):
            prefix = Path(gens.generation_dir(ref, number))
            if prefix == skip:
                continue
            recorded = snapshot.read(prefix) or {}
            for rel, seen in recorded.items():
                if seen[0] in inodes and _same_inode(prefix / rel, seen[0]):
                    out.setdefault(inodes[seen[0]], []).append(f"{env_label(ref)} (generation {number}): {rel}")
    return out


def _same_inode(path: Path, inode: int) -> bool:
    try:
        return os.lstat(path).st_ino == inode
    except OSError:
        return False
