"""Requirement strings as pip reads them, local paths included: a wheel, an sdist or a project folder named by path.

A local path becomes a PEP 508 direct reference (`name @ file:///abs/path`) with the
distribution's own name, read from the wheel's or sdist's file name or the folder's project
metadata, so the lock and the record name what was installed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from corral.errors import SpecError
from corral.models import pypi_name
from corral.regex import Lazy

_EGG = Lazy(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


def parse_requirement(text: str, where: str = "") -> str:
    """Validate one PEP 508 requirement string and return it in canonical form.

    pip's bare URL form with `#egg=name` becomes `name @ URL`.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    egg = _EGG.search(text)
    if egg and " @ " not in text and ("://" in text or text.startswith("git+")):
        text = f"{egg.group(1)} @ {text[: egg.start()]}"
    try:
        return str(Requirement(text))
    except InvalidRequirement as exc:
        place = f"{where}: " if where else ""
        raise SpecError(
            f"{place}invalid PyPI requirement '{text}': {exc}",
            hint="write requirements like 'requests', 'numpy>=1.26', 'torch==2.3.*' or 'name @ https://...'"
            + (" (a URL needs its name: 'name @ URL' or URL#egg=name)" if "://" in text else ""),
        ) from exc


# pip's archive suffixes (pip/_internal/utils/filetypes.py): a requirement ending in one is a file.
_ARCHIVES: tuple[str, ...] = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz")
_ARCHIVES += (".tlz", ".tar.lz", ".tar.lzma")
_EXTRAS = Lazy(r"^(.*?)(\[[^\]]*\])?$")


def requirement(text: str, base: Path, where: str = "", fallback: Path | None = None) -> str:
    """One PyPI requirement as pip takes it: a PEP 508 string, or a local wheel, sdist or project folder.

    A local one (a path with a separator or a leading dot, or a name ending like an archive, as pip
    decides in `_looks_like_path`/`is_archive_file`; or a bare file:// URL) is recorded as
    `name @ file:///absolute/path`, its name read from the wheel or sdist filename or the project's
    metadata. Relative paths are taken from `base`, then (pip's own rule for requirements files)
    from `fallback`. A `name @ file://...` or `name @ PATH` reference must name an existing path.
    """
    local = _local_part(text)
    if local is None:
        return _checked_direct(parse_requirement(text, where), base, where)
    raw, extras, marker = local
    egg = _EGG.search(raw)  # file:///path#egg=name names the distribution itself, as pip reads it
    raw = raw[: egg.start()] if egg else raw
    path = _existing(raw, base, fallback)
    place = f"{where}: " if where else ""
    if not path.exists():
        raise SpecError(
            f"{place}PyPI requirement '{text}': {path} does not exist",
            hint="give the path of a wheel, an sdist or a project folder"
            + (" (relative paths are taken from the file's folder)" if where else ""),
        )
    name = pypi_name(egg.group(1)) if egg else _local_name(path, text, place)
    line = f"{name}{extras} @ {path.as_uri()}" + (f" ; {marker}" if marker else "")
    return parse_requirement(line, where)


def _local_part(text: str) -> tuple[str, str, str] | None:
    """(path, extras, marker) when `text` names a local file or folder, else None (a PEP 508 requirement)."""
    body, _, marker = text.partition(";")
    body = body.strip()
    if body.startswith("file:"):
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        url = urlparse(body)
        return url2pathname(url.path) + (f"#{url.fragment}" if url.fragment else ""), "", marker.strip()
    if "://" in body or " @ " in text or body.startswith("git+"):
        return None
    match = _EXTRAS.match(body)
    path, extras = (match.group(1), match.group(2) or "") if match else (body, "")
    if "@" in path.split("/", 1)[0]:  # name@URL-like, as pip treats an @ before any separator
        return None
    separators = [os.sep] + ([os.altsep] if os.altsep else [])
    looks = any(sep in path for sep in separators) or path.startswith(".") or path.lower().endswith(_ARCHIVES)
    return (path, extras, marker.strip()) if looks else None


def _existing(raw: str, base: Path, fallback: Path | None) -> Path:
    """`raw` made absolute against `base`, or against `fallback` where only that one exists."""
    given = Path(raw).expanduser()
    if given.is_absolute():
        return Path(os.path.abspath(given))
    first = Path(os.path.abspath(base / given))
    if not first.exists() and fallback is not None and (fallback / given).exists():
        return Path(os.path.abspath(fallback / given))
    return first


def _local_name(path: Path, text: str, place: str) -> str:
    """The distribution name of a local wheel, sdist or project folder."""
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

    if path.is_dir():
        if not (path / "pyproject.toml").is_file() and not (path / "setup.py").is_file():
            raise SpecError(
                f"{place}directory {path} is not installable: it has neither pyproject.toml nor setup.py",
                hint="give the folder of a Python project, a wheel or an sdist",
            )
        name = project_name(path, fallback=False)
        if not name:
            raise SpecError(
                f"{place}cannot tell the distribution name of the project in {path}",
                hint=f"give it a [project] name in pyproject.toml, or write 'NAME @ {path.as_uri()}'",
            )
        return name
    filename = path.name
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise SpecError(
            f"{place}cannot read a distribution name from {filename}: {exc}",
            hint=f"write 'NAME @ {path.as_uri()}'",
        ) from exc
    stem = next((filename[: -len(s)] for s in _ARCHIVES if filename.lower().endswith(s)), "")
    name, dash, _version = stem.rpartition("-")
    if not stem or not dash or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", name):
        raise SpecError(
            f"{place}PyPI requirement '{text}': {path} is not a wheel, an sdist or a project folder",
            hint="a requirements file is read with -r FILE; a package is a .whl, an sdist (.tar.gz) or a folder"
            " with pyproject.toml",
        )
    return pypi_name(name)


def _checked_direct(text: str, base: Path, where: str) -> str:
    """A direct reference to a local path made absolute (`name @ ./x.whl` -> a file:// URL); it must exist."""
    from packaging.requirements import Requirement

    req = Requirement(text)
    if not req.url or ("://" in req.url and not req.url.startswith("file:")):
        return text
    if req.url.startswith("file:"):
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        path = Path(url2pathname(urlparse(req.url).path))
    else:
        path = Path(os.path.abspath(base / Path(req.url).expanduser()))
    if not path.exists():
        place = f"{where}: " if where else ""
        raise SpecError(
            f"{place}PyPI requirement '{text}': {path} does not exist",
            hint="give the path of a wheel, an sdist or a project folder",
        )
    req.url = path.as_uri()
    return str(req)


def project_name(path: Path, fallback: bool = True) -> str:
    """The normalized name of a local project: pyproject's [project] name, else setup.cfg's, else the folder's.

    With `fallback=False` an unknown name is "" instead of the folder's name.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    name = ""
    try:
        with open(path / "pyproject.toml", "rb") as handle:
            name = str(tomllib.load(handle).get("project", {}).get("name") or "")
    except (OSError, ValueError):
        pass
    if not name:
        import configparser

        config = configparser.ConfigParser()
        try:
            config.read(path / "setup.cfg", encoding="utf-8")
            name = config.get("metadata", "name", fallback="")
        except (configparser.Error, UnicodeDecodeError):
            name = ""
    if not name and fallback:
        name = path.name
    return pypi_name(name) if name else ""


def editable_path(text: str, base: Path) -> str:
    """The absolute path of a local project given to -e; it must hold a pyproject.toml or setup.py."""
    raw = text.removeprefix("file://")
    path = (base / raw).resolve() if not Path(raw).is_absolute() else Path(raw).resolve()
    if not path.is_dir():
        raise SpecError(f"editable project {text}: {path} is not a directory", hint="give the project's folder")
    if not (path / "pyproject.toml").is_file() and not (path / "setup.py").is_file():
        raise SpecError(
            f"editable project {path} has neither pyproject.toml nor setup.py",
            hint="point -e at the folder of a Python project",
        )
    return str(path)


def local_link(text: str, base: Path) -> str:
    """A --find-links value: URLs are kept, local paths made absolute (they must exist)."""
    if "://" in text:
        return text
    path = (base / text).resolve()
    if not path.exists():
        raise SpecError(f"--find-links {text}: {path} does not exist", hint="give a folder of wheels or a URL")
    return str(path)
