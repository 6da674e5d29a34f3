"""The driver's half: the user's `corral` field -> the field the nodes get (the lock's text, its hash).

No Ray import: this runs in the driver's `ray.init` (through `hook`) or before it (`runtime_env`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import CorralError

FIELD = "corral"
SOURCES = ("lock", "file", "archive")
OPTIONS = ("platforms",)
EMBEDDED = ("lock_text", "sha256", "source")
HOOK_HINT = (
    "pass runtime_env=corral.integrations.ray.runtime_env(lock='corral.lock'), or set"
    " RAY_RUNTIME_ENV_HOOK=corral.integrations.ray.hook in the driver's environment"
)


class RayEnvError(CorralError):
    """The `corral` field of a Ray runtime_env is wrong, or its environment cannot be built."""

    code = "ray-runtime-env"

    def __str__(self) -> str:
        """The message and the hint: a driver sees this in the traceback of `ray.init`."""
        return f"{self.message}\nhint: {self.hint}" if self.hint else self.message


def digest(text: str) -> str:
    """The sha256 that names a lock's environment on every node."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def runtime_env(
    *, lock: str = "", file: str = "", archive: str = "", platforms: Sequence[str] = (), **rest: Any
) -> dict[str, Any]:
    """A whole runtime_env whose `corral` field carries what the nodes need; `rest` are Ray's own fields."""
    field: dict[str, Any] = {k: v for k, v in (("lock", lock), ("file", file), ("archive", archive)) if v}
    if platforms:
        field["platforms"] = list(platforms)
    return {**rest, FIELD: embedded(field)}


def embedded(value: Any) -> dict[str, Any]:
    """The field as the nodes get it: `{"lock_text", "sha256", "source"}` or `{"archive"}` (already embedded: kept)."""
    try:
        return _embedded(_checked(value))
    except RayEnvError:
        raise
    except CorralError as exc:  # a bad lock or environment file: the same error, with its hint in str()
        raise RayEnvError(exc.message, hint=exc.hint, details=exc.details) from exc


def _embedded(field: dict[str, Any]) -> dict[str, Any]:
    if "lock_text" in field:
        return field
    if "lock" in field:
        path = _existing(field["lock"], "lock", "make one: corral lock -f environment.yml")
        return _of_lock(path)
    if "file" in field:
        path = _existing(field["file"], "file", "give the path of an environment.yml")
        return _locked_file(path, tuple(field.get("platforms", ())))
    return {"archive": archive_uri(str(field["archive"]))}


def _checked(value: Any) -> dict[str, Any]:
    """The field's shape: a mapping with exactly one source (or the embedded keys)."""
    if not isinstance(value, Mapping):
        raise RayEnvError(
            f"runtime_env['corral'] must be a mapping, not {type(value).__name__}",
            hint="e.g. {'corral': {'lock': 'corral.lock'}}, {'file': 'environment.yml'} or {'archive': URI}",
        )
    field: dict[str, Any] = dict(value)
    if "lock_text" in field:
        unknown = set(field) - set(EMBEDDED)
        if unknown or not isinstance(field["lock_text"], str) or field.get("sha256") != digest(field["lock_text"]):
            raise RayEnvError(
                "runtime_env['corral'] carries a lock whose text does not match its sha256",
                hint="let corral embed it: " + HOOK_HINT,
            )
        return field
    extra = sorted(set(field) - set(SOURCES) - set(OPTIONS))
    if extra:
        raise RayEnvError(
            f"runtime_env['corral'] has unknown keys: {', '.join(extra)}",
            hint="it takes one of 'lock', 'file' or 'archive' (and 'platforms' with 'file')",
        )
    given = [k for k in SOURCES if field.get(k)]
    if len(given) != 1:
        raise RayEnvError(
            "runtime_env['corral'] needs exactly one of 'lock', 'file' or 'archive'"
            + (f" (it has {', '.join(given)})" if given else ""),
            hint="e.g. {'corral': {'lock': 'corral.lock'}}",
        )
    if not isinstance(field[given[0]], (str, os.PathLike)):
        raise RayEnvError(f"runtime_env['corral']['{given[0]}'] must be a path or URI string")
    platforms = field.get("platforms", [])
    if "platforms" in field and (given[0] != "file" or not isinstance(platforms, (list, tuple))):
        raise RayEnvError(
            "runtime_env['corral']['platforms'] is a list, and only for 'file' (a lock has its platforms)",
            hint="e.g. {'file': 'environment.yml', 'platforms': ['linux-64']}",
        )
    return field


def _existing(value: Any, key: str, hint: str) -> Path:
    path = Path(os.fspath(value)).expanduser().resolve()
    if not path.is_file():
        raise RayEnvError(f"runtime_env['corral']['{key}']: {path} does not exist on the driver", hint=hint)
    return path


def _of_lock(path: Path) -> dict[str, Any]:
    """A lock file checked here (a bad one fails on the driver, named) and carried as its text."""
    from corral.lock import lockfile
    from corral.textfile import read_text

    lockfile.load(path)
    text = read_text(path)
    return {"lock_text": text, "sha256": digest(text), "source": str(path)}


def _locked_file(path: Path, platforms: tuple[str, ...]) -> dict[str, Any]:
    """An environment file locked on the driver (into a temporary folder: the user's folder is not written)."""
    from corral import api
    from corral.locks import lock
    from corral.reporting import NullReporter
    from corral.settings import load_settings

    settings = load_settings(os.environ, {})
    files = api.read_env_files([str(path)])
    spec = api.request_spec(settings, api.EnvRequest(files=files))
    with tempfile.TemporaryDirectory(prefix="corral-ray-") as folder:
        out = Path(folder) / "corral.lock"
        lock(settings, NullReporter(), spec, files, platforms=platforms, output=str(out))
        made = _of_lock(out)
    return {**made, "source": str(path)}


def archive_uri(value: str) -> str:
    """A `corral pack` archive's URI as every node can read it: http(s)://, file:// or an absolute path."""
    if value.startswith(("http://", "https://", "file://")):
        return value
    if "://" in value:
        raise RayEnvError(
            f"runtime_env['corral']['archive']: {value.split('://')[0]}:// URIs are not read by corral",
            hint="give an http(s):// or file:// URI, or a path every node can read",
        )
    return Path(value).expanduser().resolve().as_uri()
