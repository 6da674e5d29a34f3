"""Conda spec lists, @EXPLICIT files and pylock.toml (PEP 751) read into an EnvFile."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from corral.errors import ChannelError, EnvFileError
from corral.models import EnvSpec, PypiIndex
from corral.specs.envfile import EnvFile, ExplicitPackage, conda_specs, spec_channels
from corral.specs.requirements import PypiRequest

_HASH = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$|^(?:md5:)?([0-9a-f]{32})$")

# --- conda spec and explicit .txt files --------------------------------------------------------


_PYPI_0 = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)=([^=\s]+)=pypi_0$")  # `conda list --export`'s PyPI rows


def readconda_specs(path: Path, text: str) -> EnvFile:
    """A conda spec list (`conda list --export`, `conda create --file`): one match spec per line.

    conda writes PyPI packages as `name=version=pypi_0`, which no channel has; corral reads them
    as the PyPI pins they stand for (`name==version`).
    """
    entries = []
    pypi = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        found = _PYPI_0.match(content)
        if found:
            pypi.append(f"{found.group(1)}=={found.group(2)}")
        elif content:
            entries.append((content, f"{path}:{number}:{_column(line)}"))
    conda = conda_specs(entries)
    spec = EnvSpec(channels=tuple(spec_channels(conda)), specs=tuple(conda), pypi=tuple(pypi))
    return EnvFile(spec, sources=(str(path),))


def _column(line: str) -> int:
    """The 1-based column where a line's text starts."""
    return len(line) - len(line.lstrip()) + 1


_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


_PACKAGE_FILE = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<build>[^-]+)\.(?:conda|tar\.bz2)$")


def read_explicit(path: Path, text: str) -> EnvFile:
    packages = []
    started = False
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        if content == "@EXPLICIT":
            started = True
            continue
        where = f"{path}:{number}:{_column(line)}"
        if not started:
            raise EnvFileError(f"{where}: '{content}' comes before @EXPLICIT", hint="package URLs follow @EXPLICIT")
        packages.append(_explicit_line(content, where))
    if not packages:
        raise EnvFileError(
            f"{path}: @EXPLICIT lists no packages", hint="export one with corral export --format explicit"
        )
    channels = tuple(dict.fromkeys(_explicit_channel(p.channel, path) for p in packages))
    spec = EnvSpec(channels=channels, specs=tuple(p.spec for p in packages))
    return EnvFile(spec, sources=(str(path),), explicit=tuple(packages))


def _explicit_channel(url: str, path: Path) -> str:
    from corral.channels import canonical_channel

    try:
        return canonical_channel(url)
    except ChannelError as exc:
        raise EnvFileError(f"{path}: {exc.message}", hint=exc.hint) from exc


def _explicit_line(line: str, where: str) -> ExplicitPackage:
    url, _, digest = line.partition("#")
    url = url.strip()
    parts = url.rstrip("/").rsplit("/", 2)
    match = _PACKAGE_FILE.match(parts[-1]) if len(parts) == 3 else None
    if "://" not in url or match is None:
        raise EnvFileError(
            f"{where}: '{url}' is not a package URL (CHANNEL/SUBDIR/NAME-VERSION-BUILD.conda)",
            hint="explicit files list one package URL per line, optionally followed by #MD5 or #sha256:HASH",
        )
    sha256 = md5 = ""
    if digest.strip():
        found = _HASH.match(digest.strip().lower())
        if found is None:
            raise EnvFileError(
                f"{where}: '#{digest.strip()}' is not an md5 or sha256 hash", hint="write #<md5> or #sha256:<hex>"
            )
        sha256, md5 = found.group(1) or "", found.group(2) or ""
    return ExplicitPackage(
        url=url,
        channel=parts[0],
        name=match.group("name"),
        version=match.group("version"),
        build=match.group("build"),
        sha256=sha256,
        md5=md5,
    )


# --- pylock.toml (PEP 751) ----------------------------------------------------------------------

_PYPI_SIMPLE = ("https://pypi.org/simple", "https://pypi.org/simple/")


def read_pylock(path: Path, text: str) -> EnvFile:
    """A PEP 751 lock's packages as exact requests: `name==version` from the indexes (or wheel folders) it names.

    Local projects become editables (or `name @ file://` for non-editable ones).
    """
    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        lock = Pylock.from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        place = _TOML_PLACE.search(str(exc))
        where = f"{path}:{place.group(1)}:{place.group(2)}" if place else str(path)
        what = _TOML_PLACE.sub("", str(exc))
        raise EnvFileError(f"{where}: not valid TOML: {what}", hint="fix that line; the rest was not read") from exc
    except (PylockValidationError, PylockUnsupportedVersionError) as exc:
        raise EnvFileError(f"{path}: not a valid pylock.toml: {exc}", hint="check the named entry") from exc
    request = PypiRequest()
    local = True
    for package in lock.packages:
        if package.directory is not None:
            folder = (path.parent / package.directory.path).resolve()
            if package.directory.editable:
                request.editables.append(str(folder))
            else:
                request.requirements.append(f"{package.name} @ {folder.as_uri()}")
            continue
        if package.version is None:
            raise EnvFileError(f"{path}: package {package.name} has no version", hint="lock it again")
        requirement = f"{package.name}=={package.version}"
        if package.marker is not None:
            requirement += f"; {package.marker}"
        request.requirements.append(requirement)
        artifacts: list[Any] = [*(package.wheels or ()), *([package.sdist] if package.sdist else [])]
        urls = [a.url or ((path.parent / a.path).resolve().as_uri() if a.path else "") for a in artifacts]
        for url in urls:
            if url.startswith("file://"):
                request.add_index(PypiIndex(find_links=(str(Path(url.removeprefix("file://")).parent),)))
            else:
                local = False
        if package.index and package.index.rstrip("/") != _PYPI_SIMPLE[0]:
            request.add_index(PypiIndex(extra_index_urls=(package.index,)))
    if local and request.index.find_links and not request.index.extra_index_urls:
        request.add_index(PypiIndex(no_index=True))  # every artifact is in a local folder
    return EnvFile(request.applied_to(EnvSpec(channels=())), sources=(str(path),))
