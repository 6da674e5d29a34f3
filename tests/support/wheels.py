"""Turn real installed pure-Python distributions into `noarch: python` conda package definitions."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from tests.support.channel import FileEntry, PackageDef

_BINARY_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
# Files of an installed .dist-info that describe that installation rather than the package.
_DROPPED_DIST_INFO = frozenset({"direct_url.json", "RECORD", "INSTALLER", "REQUESTED"})


def conda_name(dist_name: str) -> str:
    """The conda package name for a Python distribution name (PEP 503 normalised)."""
    return re.sub(r"[-_.]+", "-", dist_name).lower()


def noarch_python_from_dist(
    dist_name: str,
    *,
    version: str | None = None,
    depends: Sequence[str] = (),
    name: str | None = None,
    build: str = "pyh_0",
) -> PackageDef:
    """A `noarch: python` package made of the files of the installed distribution `dist_name`."""
    dist = importlib.metadata.distribution(dist_name)
    listed = dist.files
    if listed is None:
        raise ValueError(f"{dist_name}: the installed distribution has no RECORD, cannot list its files")
    real_version = dist.version
    new_version = version or real_version
    dist_info = _dist_info_dir(dist_name, [PurePosixPath(str(p)) for p in listed])
    new_dist_info = f"{dist_info.removesuffix('.dist-info').rsplit('-', 1)[0]}-{new_version}.dist-info"

    contents: dict[str, tuple[bytes, int]] = {}
    for item in listed:
        rel = PurePosixPath(str(item))
        if rel.is_absolute() or ".." in rel.parts:
            continue  # scripts in bin/ and other files outside site-packages: conda makes entry points itself
        if "__pycache__" in rel.parts or rel.suffix in (".pyc", ".pyo"):
            continue
        if rel.name.endswith(_BINARY_SUFFIXES) or ".so." in rel.name:
            raise ValueError(f"{dist_name} is not pure Python: it contains {rel}")
        in_dist_info = rel.parts[0] == dist_info
        if in_dist_info and len(rel.parts) == 2 and rel.name in _DROPPED_DIST_INFO:
            continue
        path = Path(str(dist.locate_file(item)))
        if not path.is_file():
            continue
        data = path.read_bytes()
        if in_dist_info:
            if rel.parts[1:] == ("METADATA",) and version is not None:
                data = _set_metadata_version(data, new_version)
            if rel.parts[1:] == ("WHEEL",) and b"Root-Is-Purelib: false" in data:
                raise ValueError(f"{dist_name} is not pure Python (Root-Is-Purelib: false)")
            rel = PurePosixPath(new_dist_info, *rel.parts[1:])
        contents[rel.as_posix()] = (data, 0o755 if path.stat().st_mode & 0o111 else 0o644)
    contents[f"{new_dist_info}/INSTALLER"] = (b"conda\n", 0o644)
    contents[f"{new_dist_info}/RECORD"] = (_record(contents, f"{new_dist_info}/RECORD"), 0o644)

    entry_points = sorted(
        f"{ep.name} = {ep.module}:{ep.attr}" for ep in dist.entry_points if ep.group == "console_scripts"
    )
    files = {f"site-packages/{rel}": FileEntry(data, mode) for rel, (data, mode) in contents.items()}
    return PackageDef(
        name=name or conda_name(dist.metadata["Name"] or dist_name),
        version=new_version,
        build=build,
        depends=("python", *depends),
        subdir="noarch",
        noarch="python",
        files=files,
        link_json={
            "noarch": {"type": "python", "entry_points": entry_points},
            "package_metadata_version": 1,
        },
    )


def _dist_info_dir(dist_name: str, files: list[PurePosixPath]) -> str:
    for rel in files:
        if len(rel.parts) == 2 and rel.parts[0].endswith(".dist-info") and rel.name == "METADATA":
            return rel.parts[0]
    raise ValueError(f"{dist_name}: no .dist-info/METADATA among its files (egg-info is not supported)")


def _set_metadata_version(metadata: bytes, version: str) -> bytes:
    """Replace the `Version:` header of a METADATA file (only in the header block)."""
    header, sep, body = metadata.partition(b"\n\n")
    new_header, count = re.subn(rb"(?m)^Version:[^\n]*$", b"Version: " + version.encode(), header, count=1)
    if count != 1:
        raise ValueError("METADATA has no Version header")
    return new_header + sep + body


def _record(contents: dict[str, tuple[bytes, int]], record_path: str) -> bytes:
    """A wheel RECORD for `contents`, paths relative to site-packages, with RECORD itself unhashed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for rel, (data, _mode) in sorted(contents.items()):
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([rel, f"sha256={digest}", len(data)])
    writer.writerow([record_path, "", ""])
    return out.getvalue().encode()
