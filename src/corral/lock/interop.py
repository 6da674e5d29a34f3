"""Other tools' lock formats: pixi.lock (through py-rattler) and conda-lock.yml, in and out; exports from a lock."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import LockError
from corral.lock.lockfile import Artifact, CondaEntry, Lock, LockedPlatform, PypiEntry
from corral.models import EnvSpec, spec_name
from corral.reporting import Reporter
from corral.settings import Settings

_ENV = "default"


def read_foreign(path: Path, settings: Settings, reporter: Reporter) -> tuple[Lock, tuple[str, ...]]:
    """A pixi.lock or conda-lock.yml as a Lock (without a request), and notes for the user."""
    if not path.is_file():
        raise LockError(f"{path} does not exist", hint="give the path of a pixi.lock or conda-lock.yml")
    text = path.read_text(encoding="utf-8", errors="replace")
    if "\nenvironments:" in text or text.startswith("version: 5") or text.startswith("version: 6"):
        return _read_pixi(path, settings)
    if "\npackage:" in text and "metadata:" in text:
        return _read_conda_lock(path, text, settings)
    raise LockError(
        f"{path} is neither a pixi.lock nor a conda-lock.yml",
        hint="corral lock --from reads pixi.lock (version 5 and later) and conda-lock.yml (version 1)",
    )


# -- pixi.lock --------------------------------------------------------------------------------


def _read_pixi(path: Path, settings: Settings) -> tuple[Lock, tuple[str, ...]]:
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


# -- conda-lock.yml ---------------------------------------------------------------------------


def conda_lock_text(lock: Lock) -> str:
    """The lock as conda-lock's unified conda-lock.yml (version 1)."""
    import yaml

    packages: list[dict[str, Any]] = []
    for section in sorted(lock.platforms, key=lambda p: p.platform):
        for entry in section.conda:
            hashes = {"md5": entry.md5, "sha256": entry.sha256} if entry.md5 else {"sha256": entry.sha256}
            packages.append(
                {
                    "name": entry.name,
                    "version": entry.version,
                    "manager": "conda",
                    "platform": section.platform,
                    "dependencies": _dependency_map(entry.depends),
                    "url": entry.url,
                    "hash": hashes,
                    "category": "main",
                    "optional": False,
                }
            )
        for item in section.pypi:
            if item.editable:
                continue
            artifact = item.wheels[0] if item.wheels else item.sdist
            assert artifact is not None
            packages.append(
                {
                    "name": item.name,
                    "version": item.version,
                    "manager": "pip",
                    "platform": section.platform,
                    "dependencies": {},
                    "url": artifact.url,
                    "hash": {"sha256": artifact.sha256},
                    "category": "main",
                    "optional": False,
                }
            )
    document = {
        "version": 1,
        "metadata": {
            "content_hash": {p.platform: lock.input_hash for p in lock.platforms},
            "channels": [{"url": c, "used_env_vars": []} for c in lock.spec.channels],
            "platforms": list(lock.platform_names()),
            "sources": list(lock.sources),
        },
        "package": packages,
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    header = "# conda-lock.yml written by corral (corral export --format conda-lock.yml)\n"
    return header + yaml.dump(document, Dumper=dumper, sort_keys=False, default_flow_style=False, width=10_000)


def _dependency_map(depends: Sequence[str]) -> dict[str, str]:
    out = {}
    for dependency in depends:
        name = spec_name(dependency)
        out[name] = dependency.strip()[len(name) :].strip() or "*"
    return out


def _read_conda_lock(path: Path, text: str, settings: Settings) -> tuple[Lock, tuple[str, ...]]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise LockError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("package"), list):
        raise LockError(f"{path}: not a conda-lock.yml of version 1", hint="corral reads conda-lock's unified format")
    metadata = data.get("metadata") or {}
    conda: dict[str, list[CondaEntry]] = {p: [] for p in metadata.get("platforms", [])}
    pypi: dict[str, list[PypiEntry]] = {p: [] for p in metadata.get("platforms", [])}
    for i, item in enumerate(data["package"]):
        try:
            platform = str(item["platform"])
            hashes = item.get("hash") or {}
            if item.get("manager") == "pip":
                artifact = Artifact(url=str(item["url"]), sha256=str(hashes["sha256"]))
                wheel = artifact.file_name.endswith(".whl")
                pypi.setdefault(platform, []).append(
                    PypiEntry(
                        str(item["name"]),
                        str(item["version"]),
                        wheels=(artifact,) if wheel else (),
                        sdist=None if wheel else artifact,
                    )
                )
            else:
                conda.setdefault(platform, []).append(_conda_lock_entry(item, platform, hashes))
        except (KeyError, TypeError, ValueError) as exc:
            raise LockError(f"{path}: package entry {i + 1} ({item.get('name', '?')}) is incomplete: {exc}") from exc
    sections = tuple(
        LockedPlatform(
            p,
            python=next((e.version for e in conda[p] if e.name == "python"), ""),
            conda=tuple(conda[p]),
            pypi=tuple(pypi.get(p, ())),
        )
        for p in conda
    )
    channels = tuple(str(c.get("url", "")).rstrip("/") for c in metadata.get("channels", []) if c.get("url"))
    notes = ("conda-lock.yml gives no build numbers or constrains; corral keeps what it has",)
    return Lock(spec=EnvSpec(channels=channels), platforms=sections), notes


def _conda_lock_entry(item: Mapping[str, Any], platform: str, hashes: Mapping[str, str]) -> CondaEntry:
    url = str(item["url"])
    file_name = url.rsplit("/", 1)[-1]
    stem = file_name.removesuffix(".conda").removesuffix(".tar.bz2")
    name, version = str(item["name"]), str(item["version"])
    build = stem[len(f"{name}-{version}-") :] if stem.startswith(f"{name}-{version}-") else stem.rsplit("-", 1)[-1]
    subdir = url.rsplit("/", 2)[-2] if url.count("/") >= 2 else platform
    depends = tuple(f"{k} {v}".strip() if v and v != "*" else k for k, v in (item.get("dependencies") or {}).items())
    return CondaEntry(
        name=name,
        version=version,
        build=build,
        build_number=0,
        subdir=subdir,
        channel=url.rsplit("/", 2)[0] + "/" if url.count("/") >= 2 else "",
        url=url,
        sha256=str(hashes.get("sha256", "")),
        md5=str(hashes.get("md5", "")),
        depends=depends,
        noarch="python" if subdir == "noarch" and "python" in {spec_name(d) for d in depends} else "",
    )


# -- plain exports from a lock ----------------------------------------------------------------


def explicit_text(section: LockedPlatform) -> str:
    """conda's @EXPLICIT file of one platform of a lock."""
    from corral.specs.export import Exportable, explicit

    env = Exportable(
        name="",
        spec=EnvSpec(channels=()),
        records=tuple(e.to_dict() for e in sorted(section.conda, key=lambda e: e.name)),
        pins=tuple({"name": e.name} for e in section.pypi),
        platform=section.platform,
    )
    return explicit(env)


def requirements_text(section: LockedPlatform) -> str:
    """pip's requirements with every artifact's --hash, for one platform of a lock (pip --require-hashes)."""
    lines = [f"# PyPI packages for {section.platform} (corral export --lock ... --format requirements.txt)"]
    for entry in section.pypi:
        if entry.editable:
            lines.append(f"-e {entry.editable}")
            continue
        artifacts = [*entry.wheels, *([entry.sdist] if entry.sdist else [])]
        hashes = sorted({a.sha256 for a in artifacts})
        lines.append(f"{entry.name}=={entry.version}" + "".join(f" \\\n    --hash=sha256:{h}" for h in hashes))
    return "\n".join(lines) + "\n"


def _as_url(location: str, base: Path) -> str:
    if "://" in location:
        return location
    path = Path(location)
    return (path if path.is_absolute() else (base / path).resolve()).as_uri()


def _sha256_at(location: str, settings: Settings) -> str:
    """The sha256 of the file at a URL or path (streamed, not kept, when remote)."""
    import hashlib
    import urllib.request

    from corral.conda.records import local_path, sha256_of

    local = local_path(location)
    if local is not None:
        if not local.is_file():
            raise LockError(f"{location} does not exist, so its sha256 cannot be computed")
        return sha256_of(local)
    if settings.offline:
        raise LockError(f"{location} has no sha256 in the lock, and --offline forbids fetching it")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(location, timeout=60) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise LockError(f"cannot fetch {location} to hash it: {exc}") from exc
    return digest.hexdigest()
