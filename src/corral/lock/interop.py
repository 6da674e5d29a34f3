"""conda-lock.yml in and out, and explicit and requirements files from a lock (pixi.lock is in conda/pixi.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import LockError
from corral.lock.lockfile import Artifact, CondaEntry, Lock, LockedPlatform, PypiEntry
from corral.models import EnvSpec, spec_name

_ENV = "default"


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


def read_conda_lock(path: Path, text: str) -> tuple[Lock, tuple[str, ...]]:
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
