"""What a pack holds: a generation's files in a fixed order, which of them embed its prefix, what is refused.

Conda files that embed the prefix are known from conda-meta `paths_data` (`prefix_placeholder`
and `file_mode`: rattler wrote the generation's path where the placeholder was). Every other
file is looked at while it is archived (PyPI entry points and scripts, files link scripts made,
and conda's own python entry points, which rattler writes with the prefix in their shebang and no
placeholder: `path_type: unix_python_entry_point`, as conda-pack's `file_mode='unknown'` for
them): a text file naming the prefix is fixed up on unpack; a binary one cannot be fixed safely
(conda-pack makes the same call) and is reported. Files corral writes for itself (its
record, the pip shims, the PEP 668 marker naming corral commands) stay out: there is no corral
where the archive goes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corral import layout
from corral.errors import CorralError
from corral.pack import activation
from corral.values import frozen

# Files every pack adds (written by corral pack, not taken from the generation).
MANIFEST = "share/corral/pack.json"
UNPACK = "bin/corral-unpack"
ADDED = tuple(sorted((*activation.ACTIVATION, UNPACK, MANIFEST)))  # in the order they are written, last


class PackRefused(CorralError):
    """This environment cannot be packed as it is."""

    code = "pack-refused"


@frozen
class Member:
    """One entry of the archive: a path relative to the prefix and what it is."""

    path: str
    kind: str  # "dir", "file" or "symlink"
    mode: int  # permission bits
    size: int = 0
    target: str = ""  # a symlink's target (made relative when it points inside the prefix)
    file_mode: str = ""  # "text"/"binary" when conda-meta says the file embeds the prefix

    @property
    def is_conda_meta_record(self) -> bool:
        """A conda-meta/*.json record (written with the store's paths taken out)."""
        return (
            self.kind == "file"
            and self.path.startswith("conda-meta/")
            and self.path.count("/") == 1
            and (self.path.endswith(".json"))
        )


@frozen
class Contents:
    """Everything a pack of one generation needs to know before it writes a byte."""

    prefix: Path
    members: tuple[Member, ...]
    python: str  # the conda python's version, "" when the environment has none
    packages: int  # conda records + PyPI distributions
    variables: tuple[tuple[str, str], ...] = ()  # the environment's variables, which activation sets
    aliases: tuple[str, ...] = ()  # other paths of the same prefix: the stable path users and programs see

    @property
    def total_bytes(self) -> int:
        """The size of the regular files."""
        return sum(m.size for m in self.members)


def gather(prefix: Path, record: Any, label: str, flag: str, link: str = "") -> Contents:
    """The generation at `prefix` as archive members, or PackRefused naming what stops it.

    `link` is the environment's stable path (envs/NAME, or a `-p` path): it is the sys.prefix of
    the python run through it, so files programs wrote from an activated environment name it.
    """
    from corral.pypi import dists
    from corral.store import prefix as pfx

    if record.python is not None:
        raise PackRefused(
            f"{label} runs on a Python found on this machine ({record.python.path}), which a pack cannot"
            " carry: a venv only links to that interpreter, and the archive would not run where it is missing",
            hint=f"make an environment with a conda python (e.g. `corral create -n NAME python={record.python.minor}"
            " ...`, or add `python` to its file) and pack that",
        )
    editable = [d for d in dists.installed(prefix) if d.editable]
    if editable:
        raise PackRefused(
            f"{label} has editable installs, which link to source folders that the archive cannot carry: "
            + ", ".join(f"{d.name} ({d.editable})" for d in editable),
            hint=f"install them as regular packages (`corral pip install {flag} PATH`, without -e) and pack again",
        )
    records = pfx.read_records(prefix)
    placeholders = _placeholder_files(records)
    skipped = _corral_own_files(record)
    aliases = (link,) if link and link != str(prefix) else ()
    members = list(_walk(prefix, placeholders, skipped, aliases))
    clashes = sorted({m.path for m in members} & set(ADDED))
    if clashes:
        raise PackRefused(
            f"{label} ships {', '.join(clashes)}, which a pack writes itself",
            hint="remove the package that ships it from the environment, or pack with conda-pack",
        )
    python = next((str(r["version"]) for r in records if r.get("name") == "python"), "")
    variables = tuple((str(n), str(v)) for n, v in record.spec.variables)
    odd = [n for n, _ in variables if not activation.NAME.match(n)]
    if odd:
        raise PackRefused(
            f"{label} sets variables that shells cannot name: {', '.join(odd)}",
            hint=f"rename them (`corral env config vars unset {flag} NAME`, then set a NAME of letters, digits and _)",
        )
    return Contents(prefix, tuple(members), python, len(records) + len(record.locked.pypi), variables, aliases)


def _placeholder_files(records: list[dict[str, Any]]) -> dict[str, str]:
    """path -> "text"/"binary" for conda files installed with a prefix placeholder."""
    from corral.store import prefix as pfx

    found: dict[str, str] = {}
    for record in records:
        for entry in pfx.paths_entries(record):
            if entry.get("prefix_placeholder"):
                found[str(entry["_path"])] = "binary" if entry.get("file_mode") == "binary" else "text"
    return found


def _corral_own_files(record: Any) -> set[str]:
    """Files corral wrote for itself that name corral or the store: its record folder, pip shims, PEP 668 marker."""
    own = {f for f in record.extra_files if f.endswith("/EXTERNALLY-MANAGED") or f.startswith("bin/pip")}
    return own | {layout.CORRAL_META.replace(os.sep, "/")}


def _walk(prefix: Path, placeholders: dict[str, str], skipped: set[str], aliases: tuple[str, ...]) -> Iterator[Member]:
    """Every entry under `prefix` in sorted order (directories before their contents), minus `skipped`."""
    root = str(prefix)
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(root, rel_dir)) as scan:
            entries = sorted(scan, key=lambda e: e.name, reverse=True)
        subdirs = []
        for entry in reversed(entries):
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if rel in skipped:
                continue
            info = entry.stat(follow_symlinks=False)
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode):
                yield Member(
                    rel, "symlink", 0o777, target=_relative_target(root, rel, os.readlink(entry.path), aliases)
                )
            elif stat.S_ISDIR(info.st_mode):
                yield Member(rel, "dir", mode)
                subdirs.append(rel)
            elif stat.S_ISREG(info.st_mode):
                yield Member(rel, "file", mode, info.st_size, file_mode=placeholders.get(rel, ""))
        # Depth first, in name order: the next directory popped is the first of this one's.
        stack.extend(reversed(subdirs))


def _relative_target(root: str, rel: str, target: str, aliases: tuple[str, ...]) -> str:
    """A symlink's target, relative when absolute inside the prefix or its stable path (so the pack can move)."""
    if not os.path.isabs(target):
        return target
    for base in (root, *aliases):
        inside = os.path.relpath(target, base)
        if not inside.startswith(".."):
            return os.path.relpath(os.path.join(root, inside), os.path.join(root, os.path.dirname(rel)))
    return target


def conda_meta_record(path: Path) -> bytes:
    """A conda-meta record without the paths of corral's package cache, as conda-pack writes it.

    conda-pack's `rewrite_conda_meta` (conda_pack/core.py) empties `extracted_package_dir`,
    `package_tarball_full_path` and `link.source`: they name the packing machine's cache and mean
    nothing where the archive goes.
    """
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    for field in ("extracted_package_dir", "package_tarball_full_path"):
        if field in data:
            data[field] = ""
    if isinstance(data.get("link"), dict) and "source" in data["link"]:
        data["link"]["source"] = ""
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()
