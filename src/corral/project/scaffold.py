"""`corral init`: a minimal manifest (in an existing pyproject.toml, a [tool.corral] table) and .corral/.gitignore."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral import project as proj
from corral.errors import UsageError
from corral.project import Project
from corral.project.result import ProjectResult
from corral.settings import Settings

GITIGNORE = "# made by corral: the project's environment link and state, never committed\n*\n"


def init(settings: Settings, cwd: str, fmt: str = "") -> ProjectResult:
    """`corral init`: a minimal manifest in `cwd` (in an existing pyproject.toml, a [tool.corral] table)."""
    from corral.store.fsutil import atomic_write_text

    folder = Path(cwd)
    existing = proj.manifest_in(cwd)
    if existing:
        raise UsageError(
            f"{folder} is already a project: {existing} is its manifest",
            hint="add packages with `corral add SPEC` (or `corral add --pip REQ`)",
        )
    pyproject = folder / "pyproject.toml"
    fmt = fmt or ("pyproject" if pyproject.is_file() else "environment.yml")
    channels = list(settings.channels)
    if fmt == "environment.yml":
        path = folder / "environment.yml"
        text = "channels:\n" + "".join(f"  - {c}\n" for c in channels) + "dependencies:\n"
    else:
        path = pyproject
        text = _pyproject_text(pyproject, folder.name, channels)
    atomic_write_text(path, text)
    project = Project(str(folder), str(path))
    write_gitignore(project)
    return ProjectResult("init", str(folder), str(path))


def _pyproject_text(path: Path, folder_name: str, channels: Sequence[str]) -> str:
    import tomlkit

    if path.is_file():
        from corral.textfile import read_text

        doc: Any = tomlkit.parse(read_text(path))
    else:
        doc = tomlkit.document()
        table = tomlkit.table()
        table.add("name", re.sub(r"[^A-Za-z0-9._-]+", "-", folder_name).strip("-._") or "project")
        table.add("version", "0.1.0")
        table.add("dependencies", tomlkit.array())
        doc.add("project", table)
    corral = tomlkit.table()
    listed = tomlkit.array()
    listed.extend(channels)
    corral.add("channels", listed)
    corral.add("dependencies", tomlkit.array())
    if "tool" not in doc:
        doc.add("tool", tomlkit.table(is_super_table=True))
    doc["tool"].add("corral", corral)
    return str(tomlkit.dumps(doc))


def write_gitignore(project: Project) -> None:
    path = Path(project.state_dir) / ".gitignore"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(GITIGNORE, encoding="utf-8")
