"""Jupyter kernels for corral environments: kernelspecs whose argv is `corral run ENV python -m ipykernel_launcher`.

A kernel started that way follows the environment's stable path (so a rollback or an update is
what the next kernel runs) and gets the environment's activation (activate.d scripts, variables),
as `corral run` gives it. Kernelspecs live where Jupyter looks for them: `$JUPYTER_DATA_DIR/kernels`,
else `$XDG_DATA_HOME/jupyter/kernels` (`~/.local/share/jupyter/kernels`), as jupyter_core finds them.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corral.context import env_label, require_current
from corral.errors import CorralError, EnvironmentNotFound, UsageError
from corral.settings import Settings
from corral.store import generations as gens
from corral.store.envs import EnvRef, require_existing
from corral.store.fsutil import atomic_write_json, remove_tree
from corral.values import frozen

_KERNEL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@frozen
class Kernel:
    """One kernelspec corral wrote."""

    name: str
    display_name: str
    env: str
    path: str
    env_exists: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "display_name": self.display_name,
            "env": self.env,
            "path": self.path,
            "env_exists": self.env_exists,
        }


@frozen
class Kernels:
    """`corral kernel list` (and what install/remove did)."""

    kernels: tuple[Kernel, ...]
    action: str = "list"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"action": self.action, "kernels": [k.to_dict() for k in self.kernels]}


def kernels_dir(environ: Mapping[str, str]) -> Path:
    """Where Jupyter reads user kernelspecs (jupyter_core's `jupyter_data_dir()` / kernels, on Linux and macOS)."""
    if environ.get("JUPYTER_DATA_DIR"):
        return Path(environ["JUPYTER_DATA_DIR"]).expanduser() / "kernels"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Jupyter" / "kernels"
    data = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser() / "jupyter" / "kernels"


def install(
    settings: Settings, ref: EnvRef, environ: Mapping[str, str], name: str = "", display_name: str = ""
) -> Kernels:
    """Write the kernelspec of `ref` (its python must have ipykernel); an existing one of that name is replaced."""
    require_existing(ref)
    prefix = Path(gens.generation_dir(ref, require_current(ref)))
    label = env_label(ref)
    kernel = name or f"corral-{ref.name or Path(label).name}"
    if not _KERNEL_NAME.match(kernel):
        raise UsageError(f"invalid kernel name '{kernel}'", hint="use letters, digits, '.', '_' and '-'")
    if not (prefix / "bin" / "python").exists():
        raise CorralError(f"{ref.label} has no Python", hint=f"add one: corral install {ref.flag} python")
    if not _has_ipykernel(prefix):
        raise CorralError(
            f"{ref.label} has no ipykernel, which a Jupyter kernel runs",
            hint=f"install it: corral pip install {ref.flag} ipykernel (or corral install {ref.flag} ipykernel)",
        )
    folder = kernels_dir(environ) / kernel
    shown = display_name or f"Python ({label}, corral)"
    spec = _spec(settings, ref, label, shown)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_json(folder / "kernel.json", spec)
    return Kernels((Kernel(kernel, shown, label, str(folder)),), action="install")


def _spec(settings: Settings, ref: EnvRef, label: str, shown: str, auto: bool = False) -> dict[str, Any]:
    """The kernel.json of `ref` (`auto`: written by the `kernels = "auto"` setting, and so removed by it)."""
    meta: dict[str, Any] = {"env": label, "link": str(ref.link), "root": str(settings.root)}
    if auto:
        meta["auto"] = True
    return {
        "argv": [
            *_launcher(),
            "run",
            *ref.flag.split(" ", 1),
            "python",
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ],
        "display_name": shown,
        "language": "python",
        "env": {"CORRAL_ROOT": str(settings.root)},
        "metadata": {"corral": meta},
    }


def sync_auto_kernel(settings: Settings, ref: EnvRef, reporter: Any, environ: Mapping[str, str] | None = None) -> None:
    """With `kernels = "auto"`, after a switch: the environment's kernel exists iff its generation has ipykernel.

    Idempotent (an unchanged kernel.json is not rewritten); a kernel the user wrote under the same
    name is left alone. The environment is already switched, so a failure here only warns.
    """
    if settings.kernels != "auto":
        return
    where = os.environ if environ is None else environ
    label = env_label(ref)
    folder = kernels_dir(where) / f"corral-{ref.name or Path(label).name}"
    try:
        current = gens.current_generation(ref)
        prefix = Path(gens.generation_dir(ref, current)) if current is not None else None
        wanted = prefix is not None and (prefix / "bin" / "python").exists() and _has_ipykernel(prefix)
        existing = _read_spec(folder / "kernel.json")
        if existing is not None and not existing.get("metadata", {}).get("corral", {}).get("auto"):
            return  # the user's own (corral kernel install): not ours to change
        if not wanted:
            if existing is not None:
                remove_tree(folder)
            return
        spec = _spec(settings, ref, label, f"Python ({label}, corral)", auto=True)
        if existing != spec:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_json(folder / "kernel.json", spec)
    except OSError as exc:
        reporter.warn(f"could not update the Jupyter kernel in {folder}: {exc.strerror or exc}")


def forget_auto_kernels(ref: EnvRef, environ: Mapping[str, str] | None = None) -> None:
    """The kernels `kernels = "auto"` wrote for an environment that is being removed."""
    for kernel in list_kernels(os.environ if environ is None else environ).kernels:
        spec = _read_spec(Path(kernel.path) / "kernel.json") or {}
        meta = spec.get("metadata", {}).get("corral", {})
        if meta.get("auto") and meta.get("link") == str(ref.link):
            remove_tree(Path(kernel.path))


def _read_spec(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def list_kernels(environ: Mapping[str, str]) -> Kernels:
    """The kernelspecs corral wrote, with whether their environment still exists."""
    found = []
    base = kernels_dir(environ)
    for spec_file in sorted(base.glob("*/kernel.json")) if base.is_dir() else []:
        try:
            data = json.loads(spec_file.read_text(encoding="utf-8"))
            meta = data["metadata"]["corral"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not one of ours
        link = Path(str(meta.get("link", "")))
        found.append(
            Kernel(
                spec_file.parent.name,
                str(data.get("display_name", "")),
                str(meta.get("env", "")),
                str(spec_file.parent),
                os.path.lexists(link),
            )
        )
    return Kernels(tuple(found))


def remove(environ: Mapping[str, str], name: str) -> Kernels:
    """Delete a kernelspec corral wrote (never one it did not)."""
    ours = {k.name: k for k in list_kernels(environ).kernels}
    if name not in ours:
        raise EnvironmentNotFound(
            f"no corral kernel named '{name}'",
            hint="see `corral kernel list`" + (f" (known: {', '.join(sorted(ours))})" if ours else ""),
        )
    remove_tree(Path(ours[name].path))
    return Kernels((ours[name],), action="remove")


def _launcher() -> list[str]:
    """How the kernel starts corral: its console script if it is on PATH here, else this interpreter -m corral."""
    import shutil  # not at the top: rollback imports this module for the automatic kernels

    script = shutil.which("corral")
    return [os.path.abspath(script)] if script else [sys.executable, "-m", "corral"]


def _has_ipykernel(prefix: Path) -> bool:
    from corral.pypi import dists

    return any(d.name == "ipykernel" for d in dists.installed(prefix))
