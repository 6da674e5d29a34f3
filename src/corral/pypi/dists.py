"""Installed Python distributions of a prefix (.dist-info), without importing their code."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from corral.models import pypi_name
from corral.values import frozen


@frozen
class Dist:
    """One .dist-info directory: who installed it and which files it owns (relative to the prefix)."""

    name: str  # normalized
    version: str
    dist_info: str  # relative to the prefix
    installer: str
    editable: str = ""  # the project path, for editable installs
    url: str = ""  # a direct URL it was installed from


def site_packages(prefix: Path) -> list[Path]:
    """The site-packages directories of a prefix (lib/pythonX.Y/site-packages)."""
    return sorted(p for p in (prefix / "lib").glob("python3*/site-packages") if p.is_dir())


def installed(prefix: Path) -> list[Dist]:
    """Every distribution installed in the prefix, sorted by name."""
    out = []
    for site in site_packages(prefix):
        for info in site.glob("*.dist-info"):
            dist = _read(prefix, info)
            if dist is not None:
                out.append(dist)
    return sorted(out, key=lambda d: d.name)


def _read(prefix: Path, info: Path) -> Dist | None:
    name, version = _name_and_version(info / "METADATA")
    if not name or not version:
        return None
    installer = _text(info / "INSTALLER")
    editable = url = ""
    direct = _text(info / "direct_url.json")
    if direct:
        try:
            data = json.loads(direct)
        except ValueError:
            data = {}
        url = str(data.get("url", ""))
        if data.get("dir_info", {}).get("editable"):
            editable = url.removeprefix("file://")
            url = ""
    return Dist(
        name=pypi_name(name),
        version=version,
        dist_info=info.relative_to(prefix).as_posix(),
        installer=installer,
        editable=editable,
        url=url,
    )


def _name_and_version(metadata: Path) -> tuple[str, str]:
    """Name and Version from a METADATA file's header block (read line by line: descriptions can be large)."""
    found: dict[str, str] = {}
    try:
        with open(metadata, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    break  # the headers end at the first blank line
                key, sep, value = line.partition(":")
                if sep and key in ("Name", "Version") and key not in found:
                    found[key] = value.strip()
                    if len(found) == 2:
                        break
    except OSError:
        pass
    return found.get("Name", ""), found.get("Version", "")


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def record_files(prefix: Path, dist: Dist) -> list[str]:
    """The files a distribution's RECORD lists, relative to the prefix (normalized POSIX paths)."""
    info = prefix / dist.dist_info
    try:
        with open(info / "RECORD", encoding="utf-8", newline="") as handle:
            rows = list(_csv_rows(handle))
    except OSError:
        return [dist.dist_info + "/METADATA"]
    files = []
    site = os.path.dirname(dist.dist_info)  # relative to the prefix: one join a row, no relpath (10 us each)
    for row in rows:
        if row and row[0]:
            rel = _inside(prefix, site, row[0])
            if rel is not None:
                files.append(rel)
    return files


def _inside(prefix: Path, site: str, entry: str) -> str | None:
    """A RECORD entry (relative to site-packages, or absolute) relative to the prefix; None when it is outside."""
    if os.path.isabs(entry):
        rel = os.path.relpath(os.path.normpath(entry), prefix)
    else:
        rel = os.path.normpath(os.path.join(site, entry))
    return None if rel.startswith("..") else rel.replace(os.sep, "/")


def record_hashes(prefix: Path, dist_info: str) -> list[tuple[str, str]]:
    """(path relative to the prefix, sha256 hex) for each RECORD line that carries a sha256."""
    info = prefix / dist_info
    try:
        with open(info / "RECORD", encoding="utf-8", newline="") as handle:
            rows = list(_csv_rows(handle))
    except OSError:
        return []
    out = []
    site = os.path.dirname(dist_info)
    for row in rows:
        if len(row) < 2 or not row[1].startswith("sha256="):
            continue
        digest = base64.urlsafe_b64decode(row[1][7:] + "=" * (-len(row[1][7:]) % 4)).hex()
        rel = _inside(prefix, site, row[0])
        if rel is not None:
            out.append((rel, digest))
    return out


def _csv_rows(handle: Iterable[str]) -> Iterator[list[str]]:
    import csv  # only where a RECORD is read: most commands read none

    return csv.reader(handle)
