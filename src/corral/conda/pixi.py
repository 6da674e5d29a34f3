"""pixi.lock in and out, through py-rattler's LockFile (so only conda/ imports rattler)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corral.errors import LockError
from corral.lock.lockfile import Artifact, Lock, LockedPlatform, PypiEntry
from corral.models import EnvSpec
from corral.settings import Settings

_ENV = "default"


def read_pixi(path: Path, settings: Settings) -> tuple[Lock, tuple[str, ...]]:
    import rattler

    from corral.conda.records import entry_from_record

    try:
        document = rattler.LockFile.from_path(path)
    except Exception as exc:  # rattler raises its own parse errors
        raise LockError(f"{path}: not a readable pixi.lock: {exc}") from exc
    env = document.default_environment()
    if env is None:
        raise LockError(f"{path} has no default environment", hint="corral imports pixi's default environment")
    filled: list[str] = []
    sections = []
    for platform in env.platforms():
        conda = tuple(entry_from_record(r) for r in env.conda_repodata_records_for_platform(platform) or [])
        pypi = []
        for package in env.pypi_packages_for_platform(platform) or []:
            location = str(package.location)
            digest = package.hashes.sha256.hex() if package.hashes is not None and package.hashes.sha256 else ""
            if not digest:
                digest = _sha256_at(location, settings)
                filled.append(package.name)
            artifact = Artifact(url=_as_url(location, path.parent), sha256=digest)
            wheel = artifact.file_name.endswith(".whl")
            pypi.append(
                PypiEntry(
                    name=str(package.name),
                    version=str(package.version),
                    requires_python=str(package.requires_python or ""),
                    wheels=(artifact,) if wheel else (),
                    sdist=None if wheel else artifact,
                )
            )
        python = next((e.version for e in conda if e.name == "python"), "")
        sections.append(
            LockedPlatform(str(platform.name), tuple(platform.virtual_packages or ()), python, conda, tuple(pypi))
        )
    channels = tuple(str(c).rstrip("/") for c in _pixi_channels(env))
    notes: tuple[str, ...] = ()
    if filled:
        notes = (
            f"{path.name} carries no sha256 for PyPI package(s) {', '.join(sorted(set(filled)))}: corral hashed the"
            " files at their URLs now (trust on first use)",
        )
    return Lock(spec=EnvSpec(channels=channels), platforms=tuple(sections)), notes


def _pixi_channels(env: Any) -> list[str]:
    out = []
    for channel in env.channels():
        text = str(channel)
        out.append(text.split("url=", 1)[1].strip(")'\" ") if "url=" in text else text)
    return out


def pixi_text(lock: Lock) -> str:
    """The lock as a pixi.lock (written by py-rattler; PyPI sha256 added, which its API cannot write)."""
    import rattler

    from corral.conda.records import to_record

    platforms = {
        p.platform: rattler.LockPlatform(p.platform, virtual_packages=list(p.virtual_packages)) for p in lock.platforms
    }
    document = rattler.LockFile(list(platforms.values()))
    hashes = {}
    for section in sorted(lock.platforms, key=lambda p: p.platform):
        target = platforms[section.platform]
        for entry in section.conda:
            document.add_conda_package(_ENV, target, to_record(entry))
        for item in section.pypi:
            if item.editable:
                continue
            artifact = item.wheels[0] if item.wheels else item.sdist
            assert artifact is not None
            document.add_pypi_package(_ENV, target, item.name, item.version, artifact.url)
            hashes[artifact.url] = artifact.sha256
    document.set_channels(_ENV, [rattler.LockChannel(_channel_url(c)) for c in lock.spec.channels])
    with tempfile.TemporaryDirectory(prefix="corral-pixi-") as tmp:
        out = Path(tmp) / "pixi.lock"
        document.to_path(out)
        return _add_pypi_hashes(out.read_text(encoding="utf-8"), hashes)


def _add_pypi_hashes(text: str, hashes: Mapping[str, str]) -> str:
    """Add `sha256:` to each top-level `- pypi: URL` package block that lacks one."""
    lines = text.splitlines()
    out: list[str] = []
    current = ""
    for line in lines:
        if line.startswith("- ") and current:
            out.append(f"  sha256: {hashes[current]}")
            current = ""
        if line.startswith("- pypi: ") and line[8:] in hashes:
            current = line[8:]
        out.append(line)
    if current:
        out.append(f"  sha256: {hashes[current]}")
    return "\n".join(out) + "\n"


def _channel_url(channel: str) -> str:
    if "://" in channel:
        return channel
    if channel.startswith("/"):
        return Path(channel).as_uri()
    return f"https://conda.anaconda.org/{channel}"


def _as_url(location: str, base: Path) -> str:
    if "://" in location:
        return location
    path = Path(location)
    return (path if path.is_absolute() else (base / path).resolve()).as_uri()


def _sha256_at(location: str, settings: Settings) -> str:
    """The sha256 of the file at a URL or path (streamed, not kept, when remote)."""
    import hashlib

    from corral.conda.records import local_path
    from corral.store.fsutil import sha256_of

    local = local_path(location)
    if local is not None:
        if not local.is_file():
            raise LockError(f"{location} does not exist, so its sha256 cannot be computed")
        return sha256_of(local)
    if settings.offline:
        raise LockError(f"{location} has no sha256 in the lock, and --offline forbids fetching it")
    digest = hashlib.sha256()
    try:
        from corral.netconfig import url_opener

        with url_opener(settings.proxy_servers, settings.ssl_verify).open(location, timeout=60) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise LockError(f"cannot fetch {location} to hash it: {exc}") from exc
    return digest.hexdigest()
