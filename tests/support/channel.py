"""Build real conda packages and local channels at test time, with tarfile and rattler's indexer."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# A long placeholder, as conda-build uses, so that binary replacement has room for real prefixes.
PLACEHOLDER = "/opt/corral-test-placeholder/" + "_placehold" * 20


@dataclass(frozen=True)
class FileEntry:
    """One file of a package: its content and how the prefix inside it is replaced."""

    content: bytes
    mode: int = 0o644
    placeholder: str | None = None
    file_mode: str = "text"  # "text" or "binary", only read when placeholder is set
    symlink_to: str | None = None


@dataclass(frozen=True)
class PackageDef:
    """What a test package is made of."""

    name: str
    version: str
    build: str = "0"
    build_number: int = 0
    depends: Sequence[str] = ()
    constrains: Sequence[str] = ()
    subdir: str = "noarch"
    noarch: str | None = "generic"
    files: Mapping[str, FileEntry] = field(default_factory=dict)
    link_json: Mapping[str, object] | None = None
    timestamp: int = 1_700_000_000_000
    extra_index: Mapping[str, object] = field(default_factory=dict)  # more index.json keys, as real packages have
    info_files: Mapping[str, bytes] = field(default_factory=dict)  # more info/ files, e.g. prelink_messages/x.txt


def write_conda_package(channel: Path, pkg: PackageDef, compresslevel: int = 9) -> Path:
    """Write `pkg` as a .tar.bz2 into `channel/<subdir>/` and return its path."""
    subdir = channel / pkg.subdir
    subdir.mkdir(parents=True, exist_ok=True)
    (channel / "noarch").mkdir(parents=True, exist_ok=True)
    files = dict(pkg.files) or {f"share/{pkg.name}/{pkg.name}.txt": FileEntry(f"{pkg.name} {pkg.version}\n".encode())}
    index: dict[str, object] = {
        "name": pkg.name,
        "version": pkg.version,
        "build": pkg.build,
        "build_number": pkg.build_number,
        "depends": list(pkg.depends),
        "constrains": list(pkg.constrains),
        "subdir": pkg.subdir,
        "license": "MIT",
        "timestamp": pkg.timestamp,
        **pkg.extra_index,
    }
    if pkg.noarch and pkg.subdir == "noarch":
        index["noarch"] = pkg.noarch
    paths = []
    for path, entry in sorted(files.items()):
        if entry.symlink_to is not None:
            digest = hashlib.sha256(entry.symlink_to.encode()).hexdigest()
            paths.append({"_path": path, "path_type": "softlink", "sha256": digest, "size_in_bytes": 0})
            continue
        item: dict[str, object] = {
            "_path": path,
            "path_type": "hardlink",
            "sha256": hashlib.sha256(entry.content).hexdigest(),
            "size_in_bytes": len(entry.content),
        }
        if entry.placeholder is not None:
            item["prefix_placeholder"] = entry.placeholder
            item["file_mode"] = entry.file_mode
        paths.append(item)
    meta: dict[str, bytes] = {
        "info/index.json": json.dumps(index, indent=2, sort_keys=True).encode(),
        "info/paths.json": json.dumps({"paths": paths, "paths_version": 1}, indent=2).encode(),
        "info/files": ("\n".join(sorted(files)) + "\n").encode(),
    }
    for rel, content in pkg.info_files.items():
        meta[f"info/{rel}"] = content
    if pkg.link_json is not None:
        meta["info/link.json"] = json.dumps(pkg.link_json, indent=2).encode()
    target = subdir / f"{pkg.name}-{pkg.version}-{pkg.build}.tar.bz2"
    tmp = target.with_suffix(".partial")
    with tarfile.open(tmp, "w:bz2", compresslevel=compresslevel) as tar:
        for path, content in meta.items():
            _add_bytes(tar, path, content, 0o644)
        for path, entry in sorted(files.items()):
            if entry.symlink_to is not None:
                info = tarfile.TarInfo(path)
                info.type = tarfile.SYMTYPE
                info.linkname = entry.symlink_to
                tar.addfile(info)
            else:
                _add_bytes(tar, path, entry.content, entry.mode)
    os.replace(tmp, target)
    return target


def _add_bytes(tar: tarfile.TarFile, path: str, content: bytes, mode: int) -> None:
    info = tarfile.TarInfo(path)
    info.size = len(content)
    info.mode = mode
    info.mtime = 0
    tar.addfile(info, io.BytesIO(content))


def index_channel(channel: Path) -> None:
    """Write repodata.json for every subdir of `channel` with rattler's indexer."""
    import rattler.index

    (channel / "noarch").mkdir(parents=True, exist_ok=True)
    asyncio.run(rattler.index.index_fs(channel, write_zst=False, write_shards=False, force=True))


def simple_package(name: str, version: str, depends: Sequence[str] = (), **kw: object) -> PackageDef:
    """A small noarch package with one data file, enough for solver and store tests."""
    return PackageDef(name=name, version=version, depends=tuple(depends), **kw)  # type: ignore[arg-type]


FREE_THREADED_SITE = "lib/python3.99t/site-packages"


def free_threaded_python(subdir: str) -> PackageDef:
    """A `python` package whose record names its own site-packages (as conda-forge's free-threaded builds do)."""
    return PackageDef(
        name="python",
        version="3.99.99",
        build="0_cp399t",
        subdir=subdir,
        noarch=None,
        files={
            "bin/python3.99": FileEntry(b"#!/bin/sh\necho python 3.99.99\n", mode=0o755),
            f"{FREE_THREADED_SITE}/README.txt": FileEntry(b"site-packages of a free-threaded python\n"),
        },
        extra_index={"python_site_packages_path": FREE_THREADED_SITE, "track_features": "py_freethreading"},
    )


def sample_noarch_python() -> PackageDef:
    """A `noarch: python` package with one module: where it lands depends on the interpreter's record."""
    return PackageDef(
        name="sample_noarch_python",
        version="1.0",
        depends=("python",),
        noarch="python",
        files={"site-packages/sample.py": FileEntry(b"VALUE = 42\n")},
        link_json={"noarch": {"type": "python"}, "package_metadata_version": 1},
    )
