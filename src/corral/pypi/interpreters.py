"""Find the Python interpreters on this machine (PATH, pyenv, corral environments, uv) and pick one."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corral.errors import InterpreterNotFound
from corral.record import FoundPython
from corral.settings import Settings
from corral.store.fsutil import atomic_write_json, read_json
from corral.values import frozen

# Printed by each candidate: enough to tell a real base interpreter from a venv and to pick by version.
_QUERY = (
    "import json, platform, sys; print(json.dumps({'version': platform.python_version(),"
    " 'implementation': sys.implementation.name, 'prefix': sys.prefix, 'base_prefix': sys.base_prefix,"
    " 'executable': sys.executable, 'machine': platform.machine()}))"
)
_VERSIONED = re.compile(r"^python3(\.\d+)?$")
_REQUEST = re.compile(r"^(?:(?:cpython|python|py)[@-]?)?(\d+)(?:\.(\d+))?(?:\.(\d+))?$", re.IGNORECASE)
_QUERY_TIMEOUT = 10.0


@frozen
class Interpreter(FoundPython):
    """A base (non-venv) interpreter that can carry a venv-style generation (what a record keeps, and more)."""

    @property
    def version_tuple(self) -> tuple[int, ...]:
        """The version as integers, for ordering."""
        return tuple(int(p) for p in re.findall(r"\d+", self.version)[:3])


def discover(settings: Settings) -> list[Interpreter]:
    """Every usable base interpreter, newest first; one entry per real executable."""
    candidates = dict(_candidates(settings))  # real path -> source (first source wins)
    return sorted(_query_all(candidates, settings), key=lambda i: i.version_tuple, reverse=True)


def find(request: str, settings: Settings) -> Interpreter:
    """The interpreter for `--python REQUEST`: a version ("3.12", "3.12.1"), a path or a command name."""
    text = request.strip()
    if "/" in text or os.sep in text:
        return _from_path(Path(text).expanduser(), request, settings)
    match = _REQUEST.match(text)
    if match is None:
        found = _which(text)
        if found is None:
            raise InterpreterNotFound(
                f"--python '{request}' is neither a version, a path, nor a command on PATH",
                hint="write a version like 3.12 or 3.12.1, or a path like /usr/bin/python3.12",
            )
        return _from_path(found, request, settings)
    wanted = tuple(int(g) for g in match.groups() if g is not None)
    interpreters = discover(settings)
    matching = [i for i in interpreters if i.version_tuple[: len(wanted)] == wanted]
    if matching:
        newest = max(i.version_tuple for i in matching)
        return next(i for i in matching if i.version_tuple == newest)
    versions = sorted({i.version for i in interpreters}, key=lambda v: tuple(int(p) for p in v.split(".")[:3]))
    raise InterpreterNotFound(
        f"no Python {text} found on this machine",
        hint="install it (e.g. `pyenv install " + text + "` or `uv python install " + text + "`), pass"
        " --python /path/to/python, or request python from a conda channel (-c CHANNEL python=" + text + ")",
        details=[f"found: {', '.join(versions)}" if versions else "found no Python interpreters at all"],
    )


def _from_path(path: Path, request: str, settings: Settings) -> Interpreter:
    if not path.exists():
        raise InterpreterNotFound(f"--python {request}: {path} does not exist", hint="give the path of a python binary")
    found = _query_all({str(path.resolve()): "given path"}, settings)
    if not found:
        raise InterpreterNotFound(
            f"--python {request}: {path} is not a usable Python interpreter (or is a virtual environment)",
            hint="give the path of a real interpreter, e.g. the python of a pyenv or system installation",
        )
    return found[0]


def _which(command: str) -> Path | None:
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(directory) / command
        if directory and os.access(candidate, os.X_OK) and candidate.is_file():
            return candidate
    return None


def _candidates(settings: Settings) -> Iterator[tuple[str, str]]:
    """(real path, source) pairs, in order of preference; pyenv shims are skipped (they are not interpreters)."""
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or "shims" in Path(directory).parts or not os.path.isdir(directory):
            continue
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            if _VERSIONED.match(name) or name == "python":
                yield from _real(Path(directory) / name, "PATH")
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for home in sorted((pyenv_root / "versions").glob("*")):
        yield from _real(home / "bin" / "python3", "pyenv")
    envs = settings.envs_dir
    if envs.is_dir():
        for link in sorted(envs.iterdir()):
            if not (link / "pyvenv.cfg").exists():  # venv-style environments are not base interpreters
                yield from _real(link / "bin" / "python3", f"corral env {link.name}")
    yield from _uv_pythons()


def _real(path: Path, source: str) -> Iterator[tuple[str, str]]:
    if os.access(path, os.X_OK) and path.is_file():
        yield str(path.resolve()), source


def _uv_pythons() -> Iterator[tuple[str, str]]:
    """Interpreters uv installed itself (`uv python install`)."""
    from corral.pypi.uv import managed_python_dirs

    for directory in managed_python_dirs():
        yield from _real(directory / "bin" / "python3", "uv")


def _query_all(candidates: dict[str, str], settings: Settings) -> list[Interpreter]:
    """Ask every candidate what it is, in parallel; remember answers by (path, mtime, size)."""
    cache_file = settings.interpreter_cache
    try:
        cache: dict[str, Any] = dict(read_json(cache_file).get("interpreters", {}))
    except (OSError, ValueError, AttributeError):
        cache = {}
    known: dict[str, dict[str, Any]] = {}
    pending: dict[str, subprocess.Popen[str]] = {}
    for path in candidates:
        stamp = _stamp(path)
        entry = cache.get(path)
        if entry and entry.get("stamp") == stamp:
            known[path] = entry
            continue
        try:
            pending[path] = subprocess.Popen(
                [path, "-I", "-c", _QUERY],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
                env=_query_env(),
            )
        except OSError:
            continue
    for path, process in pending.items():
        try:
            out, _ = process.communicate(timeout=_QUERY_TIMEOUT)
            answer = json.loads(out) if process.returncode == 0 else None
        except (subprocess.TimeoutExpired, ValueError):
            process.kill()
            process.wait()
            answer = None
        known[path] = {"stamp": _stamp(path), "info": answer}
    if pending:
        cache.update({p: known[p] for p in pending})
        with contextlib.suppress(OSError):  # a read-only store only costs speed
            atomic_write_json(cache_file, {"schema": 1, "interpreters": cache})
    return [i for i in (_interpreter(p, candidates[p], known[p].get("info")) for p in candidates) if i]


def _interpreter(path: str, source: str, info: dict[str, Any] | None) -> Interpreter | None:
    if not info or info.get("prefix") != info.get("base_prefix"):
        return None  # not runnable, or a virtual environment
    return Interpreter(
        path=path,
        version=str(info["version"]),
        implementation=str(info["implementation"]),
        source=source,
        prefix=str(info["prefix"]),
    )


def _stamp(path: str) -> list[int]:
    try:
        stat = os.stat(path)
    except OSError:
        return [0, 0]
    return [stat.st_mtime_ns, stat.st_size]


def _query_env() -> dict[str, str]:
    """The environment for asking an interpreter about itself: no PYTHON* variables that would skew it."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "CONDA"))}
