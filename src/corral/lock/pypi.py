"""The PyPI side of locks: uv's pylock.toml read into entries, and entries turned into verified installs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.errors import LockError
from corral.lock.entries import Artifact, PypiEntry
from corral.lock.platforms import best_wheel
from corral.models import pypi_name


def entries_from_pylock(text: str, editables: Sequence[str] = (), direct: bool = False) -> tuple[PypiEntry, ...]:
    """uv's pylock.toml as lock entries (wheels for the target, the sdist, editables by path).

    A package from a version-control URL has no artifact a hash can pin: with `direct` (a solved
    change) it becomes a direct entry at its commit; a lock refuses it. A local project folder
    installed non-editable is a direct entry of its file:// URL (it is the user's own, like an editable).
    """
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
            if directory.get("editable"):
                out.append(PypiEntry(name=name, editable=_editable(path, editables)))
            else:  # a local project installed as a built copy: built again from its folder on each install
                out.append(PypiEntry(name=name, direct=Path(path).as_uri()))
            continue
        if "vcs" in package and direct:
            vcs = package["vcs"]
            commit = vcs.get("commit-id") or vcs.get("requested-revision") or ""
            url = f"{vcs.get('type', 'git')}+{vcs.get('url', '')}" + (f"@{commit}" if commit else "")
            out.append(PypiEntry(name=name, direct=url))
            continue
        if "vcs" in package:
            raise LockError(
                f"{name} comes from a version-control URL, which a lock cannot pin by hash",
                hint="require a released version, or a URL of a built wheel",
            )
        if direct and not _all_hashed(package):  # an index without hashes: installed by version from it
            out.append(PypiEntry(name=name, version=str(package.get("version", ""))))
            continue
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


def _all_hashed(package: Any) -> bool:
    items = [*package.get("wheels", []), *(package[k] for k in ("sdist", "archive") if k in package)]
    return bool(items) and all("sha256" in item.get("hashes", {}) for item in items)


def _artifact(item: Any) -> Artifact:
    hashes = item.get("hashes", {})
    url = str(item.get("url") or "")
    if not url and item.get("path"):
        url = Path(str(item["path"])).resolve().as_uri()
    if "sha256" not in hashes:
        raise LockError(f"uv gave no sha256 for {url or item}", hint="use an index that publishes sha256 hashes")
    return Artifact(url=url, sha256=str(hashes["sha256"]))


def install_plan(
    entries: Sequence[PypiEntry], python: str, platform: str, allow_build: bool
) -> tuple[list[str], list[str], list[str]]:
    """How to install entries exactly: (hashed lines, plain lines, editable paths).

    A hashed line is `name @ URL --hash=sha256:...` of the wheel this machine prefers, or of the
    sdist when no wheel fits and building is allowed (a solved change; a lock never builds, so
    it fails fast naming every package without a wheel). Plain lines are direct references and
    versions recorded without their artifacts.
    """
    hashed, plain, editables, missing = [], [], [], []
    for entry in entries:
        if entry.editable:
            editables.append(entry.editable)
            continue
        if entry.direct:
            plain.append(f"{entry.name} @ {entry.direct}")
            continue
        if not entry.wheels and entry.sdist is None:
            plain.append(f"{entry.name}=={entry.version}")
            continue
        chosen = best_wheel([w.file_name for w in entry.wheels], python)
        artifact = entry.wheels[chosen] if chosen is not None else (entry.sdist if allow_build else None)
        if artifact is None:
            missing.append(f"{entry.name} {entry.version}" + (" (only an sdist is locked)" if entry.sdist else ""))
            continue
        hashed.append(f"{entry.name} @ {artifact.url} --hash=sha256:{artifact.sha256}")
    if missing:
        raise LockError(
            f"{len(missing)} locked PyPI package(s) have no wheel for this machine (Python {python}, {platform});"
            " corral installs from a lock without building anything",
            hint="lock on (or for) this platform with `corral lock -f FILE --platform "
            f"{platform}`, or require versions that publish wheels for it",
            details=missing[:20],
        )
    return hashed, plain, editables


def pylock_text(entries: Sequence[PypiEntry], python: str) -> str:
    """A PEP 751 pylock.toml of exactly `entries`: each artifact with its URL (or path) and sha256."""
    import json

    def quoted(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string

    def artifact(item: Artifact) -> str:
        local = item.url.startswith("file://")
        where = f"path = {quoted(item.url.removeprefix('file://'))}" if local else f"url = {quoted(item.url)}"
        return f"{{ {where}, hashes = {{ sha256 = {quoted(item.sha256)} }} }}"

    out = ['lock-version = "1.0"', 'created-by = "corral"']
    if python:
        out.append(f"requires-python = {quoted('==' + python)}")
    for entry in sorted(entries, key=lambda e: e.name):
        out += ["", "[[packages]]", f"name = {quoted(entry.name)}"]
        if entry.editable:
            out.append(f"directory = {{ path = {quoted(entry.editable)}, editable = true }}")
            continue
        if entry.direct.startswith("file:"):
            from urllib.parse import urlparse
            from urllib.request import url2pathname

            folder = url2pathname(urlparse(entry.direct).path)
            out.append(f"directory = {{ path = {quoted(folder)}, editable = false }}")
            continue
        if entry.direct:
            kind, _, rest = entry.direct.partition("+")
            url, _, commit = rest.rpartition("@") if "@" in rest.split("://", 1)[-1] else (rest, "", "")
            out.append(f"vcs = {{ type = {quoted(kind)}, url = {quoted(url)}, commit-id = {quoted(commit)} }}")
            continue
        out.append(f"version = {quoted(entry.version)}")
        if entry.sdist is not None:
            out.append(f"sdist = {artifact(entry.sdist)}")
        if entry.wheels:
            out.append("wheels = [" + ", ".join(artifact(w) for w in entry.wheels) + "]")
    return "\n".join(out) + "\n"
