"""A venv-style prefix on a found interpreter: pyvenv.cfg, bin/python links, an empty site-packages."""

from __future__ import annotations

import os
from pathlib import Path

from corral.record import FoundPython


def make_venv(prefix: Path, interpreter: FoundPython) -> None:
    """Lay out a virtual environment in the empty directory `prefix` (what `python -m venv --without-pip` makes).

    Written by hand rather than by `venv` or `uv venv` because those embed the build directory's path
    in activation scripts, and the generation is renamed after it is built.
    """
    executable = Path(interpreter.path)
    minor = interpreter.minor
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    (prefix / "lib" / f"python{minor}" / "site-packages").mkdir(parents=True, exist_ok=True)
    if not (prefix / "lib64").exists():
        os.symlink("lib", prefix / "lib64")
    os.symlink(executable, prefix / "bin" / "python")
    for alias in ("python3", f"python{minor}"):
        os.symlink("python", prefix / "bin" / alias)
    (prefix / "pyvenv.cfg").write_text(
        f"home = {executable.parent}\n"
        "include-system-site-packages = false\n"
        f"version = {interpreter.version}\n"
        f"executable = {executable}\n"
        f"implementation = {interpreter.implementation}\n",
        encoding="utf-8",
    )
