"""`corral pack --check ARCHIVE`: unpack into a scratch folder, run bin/corral-unpack, then the environment's python.

The scratch folder is as hard a place as the archive allows: its path holds a space and is as long
as the binary files permit (the packed path's length when binaries embed it, else past the
127-byte shebang limit), so scripts get the long-path headers corral-unpack writes. Each script
whose interpreter is in the environment is then checked the way the kernel and its interpreter
would take it: the header fits a shebang line, the interpreter runs, a Python script compiles.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from corral.errors import CorralError
from corral.pack.contents import MANIFEST, UNPACK
from corral.pack.corral_unpack import SHEBANG_LIMIT, script_header
from corral.values import frozen

DEEP = 200  # bytes: well past the shebang limit
_COMPILE = "import sys\nfor p in sys.argv[1:]:\n    compile(open(p, 'rb').read(), p, 'exec')\n"

_PROBE = (
    "import json, sys; print(json.dumps({'prefix': sys.prefix, 'executable': sys.executable,"
    " 'version': '%d.%d.%d' % sys.version_info[:3]}))"
)


class PackCheckFailed(CorralError):
    """A packed environment does not work where it was unpacked."""

    code = "pack-check-failed"


@frozen
class Checked:
    """What running the unpacked environment showed."""

    unpacked_to: str
    python: str  # the version the environment's python reported ("" without one)
    prefix: str  # its sys.prefix, which must be the scratch folder
    fixed: int  # files corral-unpack rewrote


def check(archive: Path, timeout: float = 120) -> Checked:
    """Unpack `archive` into a temporary folder and run it there; PackCheckFailed says what broke."""
    if not archive.exists():
        raise CorralError(f"no archive at {archive}", hint="give the path `corral pack -o` wrote")
    with tempfile.TemporaryDirectory(prefix="cp") as scratch:
        dest = Path(scratch) / "u"
        try:
            unpack(archive, dest)
        except (OSError, tarfile.TarError, zipfile.BadZipFile, ValueError) as exc:
            raise PackCheckFailed(f"cannot unpack {archive}: {exc}", hint="pack it again with `corral pack`") from exc
        if not (dest / MANIFEST).is_file() or not (dest / UNPACK).is_file():
            raise PackCheckFailed(
                f"{archive} is not a corral pack (no {MANIFEST} or {UNPACK} inside)", hint="make one with `corral pack`"
            )
        old = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
        dest = _move_deep(dest, Path(scratch), old)
        env = _clean_environ()
        unpacked = _run(["/bin/sh", str(dest / UNPACK), "-v"], env, timeout)
        if unpacked.returncode != 0:
            raise PackCheckFailed(
                f"bin/corral-unpack failed in {dest} (exit {unpacked.returncode})",
                details=unpacked.stderr.strip().splitlines()[-5:],
            )
        packed = [str(p).encode() for p in [old["prefix"], *old.get("aliases", [])]]
        still = [p for p, _ in old["files"] if any(n in (dest / p).read_bytes() for n in packed)]
        if still:
            raise PackCheckFailed(f"after bin/corral-unpack, files still name {old['prefix']}", details=still[:10])
        fixed = int(unpacked.stderr.rsplit("corral-unpack: ", 1)[-1].split(" ", 1)[0] or 0)
        python = dest / "bin" / "python"
        if not python.exists():
            return Checked(str(dest), "", "", fixed)
        probe = _run([str(python), "-c", _PROBE], env, timeout)
        if probe.returncode != 0:
            raise PackCheckFailed(
                f"the unpacked environment's python does not run (exit {probe.returncode})",
                details=probe.stderr.strip().splitlines()[-5:],
            )
        seen = json.loads(probe.stdout)
        if os.path.realpath(seen["prefix"]) != os.path.realpath(dest):
            raise PackCheckFailed(f"the unpacked python's sys.prefix is {seen['prefix']}, not where it was unpacked")
        _check_scripts(dest, [p for p, mode in old["files"] if mode == "text"], env, timeout)
        return Checked(str(dest), str(seen["version"]), str(seen["prefix"]), fixed)


def _move_deep(dest: Path, scratch: Path, manifest: dict[str, Any]) -> Path:
    """Move the unpacked folder to a path with a space, as long as its binary files allow."""
    binary = any(mode == "binary" for _, mode in manifest.get("files", []))
    packed = [str(p) for p in [manifest.get("prefix", ""), *manifest.get("aliases", [])]]
    room = min(len(p.encode()) for p in packed) if binary else DEEP
    deep = str(scratch / "un packed")
    if len(deep) + len("/env") > room:
        return dest
    while len(deep) < room - len("/env"):
        deep += "/" + "d" * min(room - len("/env") - len(deep) - 1, 64)
    target = Path(deep) / "env"
    target.parent.mkdir(parents=True)
    dest.rename(target)
    return target


def _check_scripts(dest: Path, texts: list[str], env: dict[str, str], timeout: float) -> None:
    """Each script run by an interpreter in the environment: a header the kernel takes, a program that runs it."""
    broken, python_scripts = [], []
    inside = str(dest).encode() + b"/"
    for path in texts:
        full = dest / path
        with open(full, "rb") as handle:
            head = handle.read(4096)
        found, first = script_header(head), head.split(b"\n", 1)[0]
        if found is None:
            continue
        plain = not head.startswith(b"#!/bin/sh\n") and inside in first
        if plain and (len(first) + 1 > SHEBANG_LIMIT or not found[0].startswith(inside)):
            broken.append(f"{path}: the kernel cannot run its shebang (over {SHEBANG_LIMIT} bytes, or a space)")
            continue
        if found[0] == b"/usr/bin/env" and found[1]:  # conda's form for an interpreter that is not Python
            name = found[1][0].split()[0].decode()
            if shutil.which(name, path=f"{dest}/bin{os.pathsep}{env.get('PATH', '')}") is None:
                broken.append(f"{path}: its interpreter {name} is neither in the environment's bin nor on PATH")
            continue
        if not found[0].startswith(inside):
            continue
        interpreter = found[0].decode()
        if not os.access(interpreter, os.X_OK):
            broken.append(f"{path}: its interpreter {interpreter} is not an executable file")
        elif os.path.basename(interpreter).startswith(("python", "pypy")):
            python_scripts.append(str(full))
    if python_scripts and not broken:
        compiled = _run([str(dest / "bin" / "python"), "-c", _COMPILE, *python_scripts], env, timeout)
        if compiled.returncode != 0:
            broken.append(f"a script does not compile: {compiled.stderr.strip().splitlines()[-1:]}")
    if broken:
        raise PackCheckFailed("after bin/corral-unpack, scripts would not run", details=broken[:10])


def unpack(archive: Path, dest: Path) -> None:
    """Unpack a tar (any compression), a zip (symlinks restored) or copy a folder pack into `dest`."""
    if archive.is_dir():
        shutil.copytree(archive, dest, symlinks=True, dirs_exist_ok=True)
    elif zipfile.is_zipfile(archive):
        _unzip(archive, dest)
    else:
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "r:*") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, filter="data")
            else:  # Python < 3.11.4: check the names ourselves
                for member in tar.getmembers():
                    _safe_name(member.name)
                tar.extractall(dest)


def _unzip(archive: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            target = dest / _safe_name(info.filename.rstrip("/"))
            mode = info.external_attr >> 16
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                os.symlink(zf.read(info).decode(), target)
                continue
            with zf.open(info) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            if mode:
                os.chmod(target, stat.S_IMODE(mode))


def _safe_name(name: str) -> str:
    if name.startswith("/") or ".." in name.split("/"):
        raise ValueError(f"unsafe member name {name!r}")
    return name


def _clean_environ() -> dict[str, str]:
    """This process's environment without what would make the packed python look elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CONDA_", "VIRTUAL_ENV", "CORRAL_"))}


def _run(argv: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise PackCheckFailed(f"{argv[0]} did not finish within {timeout:.0f} s") from exc
