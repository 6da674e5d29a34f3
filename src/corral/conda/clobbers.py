"""Paths that more than one conda package ships, read from a placed generation's conda-meta records.

When two packages ship the same file, rattler keeps one and moves the others' copies to
`__clobbers__/NAME/PATH`, listing that path in the losing package's record; so the records of a
placed generation say exactly which package's file won. A file in one package where another
package needs a directory (`foo` against `foo/bar`) cannot be resolved by keeping one copy:
corral refuses it, whatever rattler's (racy) linking left behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import PathConflictError
from corral.models import Clobber
from corral.store.prefix import paths_entries

CLOBBERS_DIR = "__clobbers__"
_MOVED = CLOBBERS_DIR + "/"


def clobbered(records: Sequence[Mapping[str, Any]]) -> list[Clobber]:
    """Every path shipped by more than one package, with the package whose file is in place."""
    return examine(records)[1]


def file_directory_conflicts(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Paths one package ships as a file (or a symlink to a file) and another needs as a directory."""
    return examine(records)[0]


def examine(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[Clobber]]:
    """(`file_directory_conflicts`, `clobbered`) of the records, in one pass over their files in the common case."""
    paths: set[str] = set()  # every path some package ships
    losers: dict[str, set[str]] = {}  # path -> the packages whose copy rattler moved aside
    for record in records:
        files = record.get("files", ())
        moved = [rel for rel in files if rel.startswith(_MOVED)]
        if moved:
            files = [rel for rel in files if not rel.startswith(_MOVED)]
            for rel in moved:
                original = _original(rel)
                if original is None:
                    files.append(rel)
                else:
                    files.append(original[1])
                    losers.setdefault(original[1], set()).add(original[0])
        paths.update(files)  # set and comprehension loops run in C: this pass is ~2,800 files a create
    dirs = {path.rpartition("/")[0] for path in paths}  # the folders files are in, then their parents
    for folder in list(dirs):
        cut = folder.rfind("/")
        while cut > 0 and folder[:cut] not in dirs:  # a known directory's parents are known too
            dirs.add(folder[:cut])
            cut = folder.rfind("/", 0, cut)
    dirs.discard("")
    candidates = paths & dirs
    problems = _clashes(records, candidates) if candidates else []  # the common case ends here, in one pass
    return problems, _clobbers(records, losers) if losers else []


def _clobbers(records: Sequence[Mapping[str, Any]], losers: dict[str, set[str]]) -> list[Clobber]:
    """The clobbered paths with the package whose file is in place (the one listing the path itself)."""
    winner = {rel: str(r["name"]) for r in records for rel in r.get("files", ()) if rel in losers}
    return [
        Clobber(path, winner.get(path, ""), tuple(sorted(names - {winner.get(path, "")})))
        for path, names in sorted(losers.items())
    ]


def _clashes(records: Sequence[Mapping[str, Any]], candidates: set[str]) -> list[str]:
    """Of the paths shipped both as a file and as a directory, those shipped as a file (a symlink to a directory is
    fine), with the packages on each side."""
    shipped: dict[str, set[str]] = {}  # candidate -> packages that ship it (not as a symlink)
    under: dict[str, set[str]] = {path: set() for path in candidates}  # candidate -> packages with files inside
    for record in records:
        name = str(record["name"])
        links = {str(p.get("_path")) for p in paths_entries(record) if p.get("path_type") == "softlink"}
        for rel in record.get("files", ()):
            original = _original(rel) if rel.startswith(_MOVED) else None
            path = original[1] if original else rel
            if path in candidates and rel not in links:
                shipped.setdefault(path, set()).add(name)
            cut = path.rfind("/")
            while cut > 0:
                if path[:cut] in under:
                    under[path[:cut]].add(name)
                cut = path.rfind("/", 0, cut)
    problems = []
    for path in sorted(shipped):
        as_file = ", ".join(sorted(shipped[path]))
        as_dir = ", ".join(sorted(under[path] - shipped[path]) or sorted(under[path]))
        problems.append(f"{path}: a file in {as_file}, a directory of files in {as_dir}")
    return problems


def refuse_file_directory(problems: Sequence[str]) -> None:
    """Packages that disagree whether a path is a file or a directory are never installed together."""
    if problems:
        raise PathConflictError(
            f"conda packages disagree whether {len(problems)} path(s) are files or directories; they cannot be"
            " installed together, and nothing was changed",
            hint="drop one of the packages named (or pick other builds of them): no setting resolves this",
            details=list(problems[:20]),
        )


def _original(rel: str) -> tuple[str, str] | None:
    """(package, original path) of a file rattler moved aside, or None for a file in its place."""
    if not rel.startswith(_MOVED):
        return None
    parts = rel.split("/", 2)
    return (parts[1], parts[2]) if len(parts) == 3 else None


def conflicts_in_cache(cache: Path, entries: Sequence[Any]) -> list[str]:
    """`file_directory_conflicts` of entries read from their extracted copies in rattler's cache.

    For when linking itself failed (rattler hits the file-versus-directory clash while linking in
    parallel, and which package fails first depends on timing): the cache's paths.json say why.
    """
    import json

    records = []
    for entry in entries:
        paths_json = cache / f"{entry.name}-{entry.version}-{entry.build}" / "info" / "paths.json"
        try:
            paths = json.loads(paths_json.read_text(encoding="utf-8")).get("paths", [])
        except (OSError, ValueError, AttributeError):
            continue
        files = [str(p.get("_path", "")) for p in paths if isinstance(p, dict)]
        records.append({"name": entry.name, "files": files, "paths_data": {"paths": paths}})
    return file_directory_conflicts(records)
