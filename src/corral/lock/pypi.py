"""The PyPI side of locks: uv's pylock.toml read into entries, and entries turned into verified installs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.errors import LockError
from corral.lock.lockfile import Artifact, PypiEntry
from corral.lock.platforms import best_wheel
from corral.models import pypi_name


def entries_from_pylock(text: str, editables: Sequence[str] = ()) -> tuple[PypiEntry, ...]:
    """uv's pylock.toml as lock entries (wheels for the target, the sdist, editables by path)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    data = tomllib.loads(text)
    out = []
    for package in data.get("packages", []):
        name = pypi_name(str(package["name"]))
        directory = package.get("directory")
        if directory is not None:
            path = str(Path(str(directory.get("path", ""))).resolve())
            out.append(PypiEntry(name=name, editable=_editable(path, editables)))
            continue
        if "vcs" in package:
            raise LockError(
                f"{name} comes from a version-control URL, which a lock cannot pin by hash",
                hint="require a released version, or a URL of a built wheel",
            )
        wheels = tuple(_artifact(w) for w in package.get("wheels", []))
        sdist = _artifact(package["sdist"]) if "sdist" in package else None
        archive = package.get("archive")
        if archive is not None:
            artifact = _artifact(archive)
            if artifact.file_name.endswith(".whl"):
                wheels = (*wheels, artifact)
            else:
                sdist = artifact
        out.append(
            PypiEntry(
                name=name,
                version=str(package.get("version", "")),
                requires_python=str(package.get("requires-python", "")),
                wheels=wheels,
                sdist=sdist,
            )
        )
    return tuple(sorted(out, key=lambda e: e.name))


def _editable(path: str, editables: Sequence[str]) -> str:
    return next((e for e in editables if str(Path(e).resolve()) == path), path)


def _artifact(item: Any) -> Artifact:
    hashes = item.get("hashes", {})
    url = str(item.get("url") or "")
    if not url and item.get("path"):
        url = Path(str(item["path"])).resolve().as_uri()
    if "sha256" not in hashes:
        raise LockError(f"uv gave no sha256 for {url or item}", hint="use an index that publishes sha256 hashes")
    return Artifact(url=url, sha256=str(hashes["sha256"]))


def install_lines(entries: Sequence[PypiEntry], python: str, platform: str) -> list[str]:
    """`name @ URL --hash=sha256:...` for the wheel this machine prefers, per entry; fail fast when one has none."""
    lines, missing = [], []
    for entry in entries:
        if entry.editable:
            continue
        chosen = best_wheel([w.file_name for w in entry.wheels], python)
        if chosen is None:
            missing.append(f"{entry.name} {entry.version}" + (" (only an sdist is locked)" if entry.sdist else ""))
            continue
        wheel = entry.wheels[chosen]
        lines.append(f"{entry.name} @ {wheel.url} --hash=sha256:{wheel.sha256}")
    if missing:
        raise LockError(
            f"{len(missing)} locked PyPI package(s) have no wheel for this machine (Python {python}, {platform});"
            " corral installs from a lock without building anything",
            hint="lock on (or for) this platform with `corral lock -f FILE --platform "
            f"{platform}`, or require versions that publish wheels for it",
            details=missing[:20],
        )
    return lines
