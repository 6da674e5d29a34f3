"""Local PyPI material for tests: wheels written from scratch, failing sdists, setuptools/wheel for builds."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import http.server
import io
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path


def _dist(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name)


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(
    folder: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    modules: Mapping[str, str] | None = None,
    scripts: Mapping[str, str] | None = None,
) -> Path:
    """Write a valid pure-Python wheel: modules (path -> source), console scripts (name -> 'mod:func')."""
    dist = _dist(name)
    info = f"{dist}-{version}.dist-info"
    files: dict[str, bytes] = {}
    for path, source in (modules or {f"{dist.lower()}/__init__.py": f"VERSION = {version!r}\n"}).items():
        files[path] = source.encode()
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: corral-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    if scripts:
        entry = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
        files[f"{info}/entry_points.txt"] = entry.encode()
    record = "".join(f"{path},{_hash(data)},{len(data)}\n" for path, data in files.items()) + f"{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = record.encode()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return target


def write_failing_sdist(folder: Path, name: str, version: str) -> Path:
    """An sdist whose in-tree build backend fails with a clear message (no build requirements to fetch)."""
    root = f"{_dist(name)}-{version}"
    pyproject = (
        '[build-system]\nrequires = []\nbuild-backend = "boom"\nbackend-path = ["."]\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
    )
    backend = (
        "def _fail(*args, **kwargs):\n"
        "    raise RuntimeError('this package cannot be built here (test)')\n"
        "get_requires_for_build_wheel = prepare_metadata_for_build_wheel = build_wheel = _fail\n"
    )
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{root}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for path, text in {"pyproject.toml": pyproject, "boom.py": backend, "PKG-INFO": pkg_info}.items():
            data = text.encode()
            member = tarfile.TarInfo(f"{root}/{path}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return target


def write_setuptools_project(folder: Path, name: str, module_source: str) -> Path:
    """A local project with a setuptools backend (pyproject.toml only), for editable installs."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}"\nversion = "0.1"\n'
    )
    package = folder / _dist(name)
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text(module_source)
    return folder


def write_setuptools_sdist(folder: Path, name: str, version: str, module_source: str) -> Path:
    """A buildable sdist (setuptools backend; setuptools must be in the find-links folder) of one package."""
    root = f"{_dist(name)}-{version}"
    texts = {
        "pyproject.toml": '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n',
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{_dist(name)}/__init__.py": module_source,
    }
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{root}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for path, text in texts.items():
            data = text.encode()
            member = tarfile.TarInfo(f"{root}/{path}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return target


def collect_build_wheels(folder: Path, cache: Path, download: bool = True) -> bool:
    """Put setuptools and wheel wheels in `folder` (from CPython's own test data, or PyPI once); True if done."""
    folder.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    places = [cache]
    for home in [Path(sys.base_prefix), *Path.home().joinpath(".pyenv", "versions").glob("3.1[2-9]*")]:
        places += [*home.glob("lib/python3.*/test"), *home.glob("lib/python3.*/test/wheeldata")]
    found: dict[str, Path] = {}
    for place in places:
        for pattern in ("setuptools-6[7-9]*.whl", "setuptools-[7-9]*.whl", "wheel-0.4*.whl"):
            for wheel in sorted(place.glob(pattern)):
                found.setdefault(wheel.name.split("-")[0], wheel)
    if len(found) < 2:
        if not download:
            return False
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), "setuptools", "wheel"],
            capture_output=True,
            check=False,
        )
        return collect_build_wheels(folder, cache, download=False)
    for wheel in found.values():
        (folder / wheel.name).write_bytes(wheel.read_bytes())
    return True


@contextlib.contextmanager
def serve_simple_index(wheels: Path, delay: float = 0.0) -> Iterator[str]:
    """Serve the wheels of a folder as a PEP 503 simple index on loopback; yield its URL (…/simple).

    `delay` seconds pass before each file is served (a slow index, to catch a change mid-download).
    """
    with tempfile.TemporaryDirectory(prefix="corral-index-") as tmp:
        root = Path(tmp)
        by_project: dict[str, list[Path]] = {}
        for wheel in sorted(wheels.glob("*.whl")):
            by_project.setdefault(re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower(), []).append(wheel)
        for project, files in by_project.items():
            page = root / "simple" / project
            page.mkdir(parents=True)
            links = "".join(f'<a href="/files/{f.name}">{f.name}</a>\n' for f in files)
            (page / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
            (root / "files").mkdir(exist_ok=True)
            for f in files:
                (root / "files" / f.name).write_bytes(f.read_bytes())
        handler = functools.partial(_SlowHandler if delay else _QuietHandler, directory=str(root))
        _SlowHandler.delay = delay
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/simple"
        finally:
            server.shutdown()
            server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged to the test output."""


class _SlowHandler(_QuietHandler):
    delay = 0.0

    def do_GET(self) -> None:
        """Files wait `delay` seconds; index pages come at once."""
        if self.path.startswith("/files/"):
            time.sleep(self.delay)
        super().do_GET()
