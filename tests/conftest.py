"""Shared fixtures: a local conda channel of real packages, an isolated store, a CLI runner."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.channel import (
    PLACEHOLDER,
    FileEntry,
    PackageDef,
    index_channel,
    simple_package,
    write_conda_package,
)
from tests.support.cpython import CPythonUnavailable, add_cached_cpython
from tests.support.pypi import collect_build_wheels, write_failing_sdist, write_wheel
from tests.support.wheels import noarch_python_from_dist


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Unit tests never reach the network: only loopback connections are allowed in-process."""
    if request.node.get_closest_marker("network"):
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1") or "/" in host):
            raise OSError(f"network access blocked in tests: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _placeholder_package() -> PackageDef:
    """A package whose files embed the install prefix, as text and as binary."""
    text = f"#!/bin/sh\necho prefix={PLACEHOLDER}\n".encode()
    binary = b"\x00\x01ELF-ish\x00" + PLACEHOLDER.encode() + b"/lib\x00tail\x00"
    return PackageDef(
        name="prefixed",
        version="1.0",
        files={
            "bin/prefixed": FileEntry(text, mode=0o755, placeholder=PLACEHOLDER, file_mode="text"),
            "lib/prefixed.bin": FileEntry(binary, placeholder=PLACEHOLDER, file_mode="binary"),
            "share/prefixed/plain.txt": FileEntry(b"no prefix here\n"),
        },
    )


@pytest.fixture(scope="session")
def channel(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """A local channel: real CPython, real pure-Python packages, and small synthetic ones."""
    chan = tmp_path_factory.mktemp("channel")
    assert pytestconfig.cache is not None
    cache = Path(pytestconfig.cache.mkdir("corral-cpython"))
    try:
        add_cached_cpython(chan, cache)
    except CPythonUnavailable as exc:
        pytest.skip(f"no CPython to package: {exc}")
    for version in ("1.0", "2.0"):
        write_conda_package(chan, simple_package("liba", version))
    write_conda_package(chan, simple_package("app", "1.0", ["liba >=2"]))
    write_conda_package(chan, simple_package("oldapp", "1.0", ["liba <2"]))
    write_conda_package(chan, simple_package("needsnewglibc", "1.0", ["__glibc >=99"], subdir="linux-64", noarch=None))
    write_conda_package(chan, _placeholder_package())
    for version in ("3.12.0", "3.13.0"):
        write_conda_package(chan, noarch_python_from_dist("filelock", version=version))
    write_conda_package(chan, noarch_python_from_dist("platformdirs"))
    index_channel(chan)
    return chan


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """A --find-links folder of wheels written at test time (plus setuptools and wheel for editable builds)."""
    folder = tmp_path_factory.mktemp("wheels")
    write_wheel(folder, "six", "1.17.0", modules={"six.py": "VERSION = '1.17.0'\n"})
    for version in ("1.0", "2.0"):
        write_wheel(folder, "tinylib", version)
    app = "def main():\n    import tinylib\n    print('tinyapp runs with tinylib', tinylib.VERSION)\n"
    write_wheel(
        folder,
        "tinyapp",
        "1.0",
        requires=["tinylib>=1"],
        modules={"tinyapp/__init__.py": app},
        scripts={"tinyapp": "tinyapp:main"},
    )
    for version in ("3.12.0", "3.13.0"):
        write_wheel(folder, "filelock", version)
    write_wheel(folder, "needs-filelock", "1.0", requires=["filelock>=3.13"])
    write_wheel(folder, "platformdirs", "99.0")
    write_wheel(folder, "needs-platformdirs", "1.0", requires=["platformdirs>=99"])
    write_failing_sdist(folder, "brokenpkg", "1.0")
    assert pytestconfig.cache is not None
    if not collect_build_wheels(folder, Path(pytestconfig.cache.mkdir("corral-build-wheels"))):
        (folder / "NO-BUILD-WHEELS").touch()
    return folder


@dataclass
class Result:
    """A finished CLI run."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """The --json document on stdout."""
        return json.loads(self.out)


@dataclass
class Corral:
    """Runs the real CLI in a subprocess against an isolated store."""

    root: Path
    env: dict[str, str]
    cwd: Path

    def __call__(self, *args: str, input: str | None = None, extra_env: dict[str, str] | None = None) -> Result:
        """Run `corral ARGS` and wait for it."""
        proc = subprocess.run(
            [sys.executable, "-m", "corral", *args],
            capture_output=True,
            text=True,
            input=input if input is not None else "",
            env={**self.env, **(extra_env or {})},
            cwd=self.cwd,
            timeout=300,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """Start `corral ARGS` without waiting."""
        return subprocess.Popen(
            [sys.executable, "-m", "corral", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env,
            cwd=self.cwd,
        )

    def link(self, name: str) -> Path:
        """The stable path of a named environment."""
        return self.root / "envs" / name


@pytest.fixture
def corral(tmp_path: Path) -> Iterator[Corral]:
    """A CLI runner with its own CORRAL_ROOT and no user config."""
    root = tmp_path / "root"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRAL_", "CONDA_"))}
    env.update({"CORRAL_ROOT": str(root), "CORRAL_CONFIG": str(tmp_path / "no-config.toml")})
    yield Corral(root=root, env=env, cwd=tmp_path)
