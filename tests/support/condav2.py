"""The .conda (v2) format of a test package, converted from its .tar.bz2: a zip of metadata.json and two .tar.zst.

The venv has no zstandard module and py-rattler 0.28 writes no packages, so the two inner tars are
compressed with the `zstd` command-line tool (tests that need it skip when it is missing).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path


def zstd_available() -> bool:
    """Whether the `zstd` tool that compresses the inner tars is on PATH."""
    return shutil.which("zstd") is not None


def to_conda_v2(tar_bz2: Path) -> Path:
    """Write NAME-VER-BUILD.conda next to `tar_bz2`, with the same files, and return its path."""
    stem = tar_bz2.name[: -len(".tar.bz2")]
    info, pkg = io.BytesIO(), io.BytesIO()
    with (
        tarfile.open(tar_bz2, "r:bz2") as source,
        tarfile.open(fileobj=info, mode="w") as info_tar,
        tarfile.open(fileobj=pkg, mode="w") as pkg_tar,
    ):
        for member in source.getmembers():
            target = info_tar if member.name.startswith("info/") else pkg_tar
            target.addfile(member, source.extractfile(member) if member.isfile() else None)
    out = tar_bz2.with_name(f"{stem}.conda")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
        archive.writestr(f"pkg-{stem}.tar.zst", _zstd(pkg.getvalue()))
        archive.writestr(f"info-{stem}.tar.zst", _zstd(info.getvalue()))
    return out


def _zstd(data: bytes) -> bytes:
    return subprocess.run(["zstd", "-q", "-c", "-"], input=data, capture_output=True, check=True).stdout
