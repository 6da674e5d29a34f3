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
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corral.context import env_label, require_current
from corral.errors import CorralError, EnvironmentNotFound, UsageError
from corral.settings import Settings
from corral.store import generations as gens
from corral.store.envs import EnvRef, require_existing
from corral.store.fsutil import atomic_write_json, remove_tree

_KERNEL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
    prefix = gens.generation_dir(ref, require_current(ref))
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
    spec = {
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
        "metadata": {"corral": {"env": label, "link": str(ref.link), "root": str(settings.root)}},
    }
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_json(folder / "kernel.json", spec)
    return Kernels((Kernel(kernel, shown, label, str(folder)),), action="install")


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
    script = shutil.which("corral")
    return [os.path.abspath(script)] if script else [sys.executable, "-m", "corral"]


def _has_ipykernel(prefix: Path) -> bool:
    from corral.pypi import dists

    return any(d.name == "ipykernel" for d in dists.installed(prefix))
