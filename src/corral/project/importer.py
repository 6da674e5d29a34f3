"""`corral init --from`: a project's manifest from a pixi.toml or a poetry pyproject.toml, where the mapping is direct.

What has no direct counterpart (tasks, features other than groups, targets, git/path/url
dependencies, optional poetry dependencies, `||` constraints) is not carried over; the result
names each such entry so that nothing is dropped silently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from corral.errors import EnvFileError, UsageError
from corral.project.result import ProjectResult
from corral.settings import Settings

PIXI_CARRIED = {"workspace", "project", "dependencies", "pypi-dependencies", "system-requirements", "pypi-options"}


def init_from(settings: Settings, cwd: str, source: str) -> ProjectResult:
    """Write the project's manifest from `source` (pixi.toml -> environment.yml; poetry -> [tool.corral] in place)."""
    from corral import project as proj
    from corral.project import Project
    from corral.project.scaffold import write_gitignore
    from corral.store.fsutil import atomic_write_text

    path = (Path(cwd) / source).resolve()
    if not path.is_file():
        raise UsageError(f"--from {source}: {path} does not exist", hint="give a pixi.toml or a poetry pyproject.toml")
    data = _toml(path)
    folder = path.parent
    existing = proj.manifest_in(str(folder))
    if existing:
        raise UsageError(f"{folder} is already a project: {existing} is its manifest", hint="edit it with corral add")
    if path.name == "pixi.toml":
        target, (text, skipped) = folder / "environment.yml", from_pixi(data)
    elif path.name == "pyproject.toml" and "poetry" in data.get("tool", {}):
        target, (text, skipped) = path, from_poetry(path.read_text(encoding="utf-8"), data, settings)
    else:
        raise UsageError(
            f"--from {source}: corral reads a pixi.toml or a pyproject.toml with [tool.poetry]",
            hint="for an environment.yml, it is already a manifest: corral init in its folder",
        )
    atomic_write_text(target, text)
    write_gitignore(Project(str(folder), str(target)))
    notes = tuple(f"not carried over from {path.name}: {s}" for s in skipped)
    return ProjectResult("init", str(folder), str(target), warnings=notes)


def _toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise EnvFileError(f"{path}: not valid TOML: {exc}", hint="fix the file first") from exc


# --- pixi.toml ---------------------------------------------------------------------------------


def from_pixi(data: dict[str, Any]) -> tuple[str, list[str]]:
    """(environment.yml text, entries not carried over) of a pixi manifest."""
    import yaml

    head = data.get("workspace") or data.get("project") or {}
    skipped = [f"[{k}]" for k in data if k not in PIXI_CARRIED]
    skipped += [f"[workspace].{k}" for k in head if k not in ("channels", "platforms", "name", "version")]
    conda, pip = [], []
    for name, value in (data.get("dependencies") or {}).items():
        spec = _pixi_conda(name, value)
        conda.append(spec) if spec else skipped.append(f"dependencies.{name}")
    for name, value in (data.get("pypi-dependencies") or {}).items():
        req = _pixi_pypi(name, value)
        pip.append(req) if req else skipped.append(f"pypi-dependencies.{name}")
    options = data.get("pypi-options") or {}
    for key, flag in (("index-url", "--index-url"), ("extra-index-urls", "--extra-index-url"), ("find-links", None)):
        values = options.get(key, [])
        for value in [values] if isinstance(values, str) else values:
            link = value.get("path") or value.get("url") if isinstance(value, dict) else value
            pip.insert(0, f"{flag or '--find-links'} {link}")
    skipped += [f"pypi-options.{k}" for k in options if k not in ("index-url", "extra-index-urls", "find-links")]
    doc: dict[str, Any] = {}
    if head.get("name"):
        doc["name"] = str(head["name"])
    doc["channels"] = [str(c) for c in head.get("channels", [])]
    if head.get("platforms"):
        doc["platforms"] = [str(p) for p in head["platforms"]]
    if data.get("system-requirements"):
        doc["system-requirements"] = {str(k): str(v) for k, v in data["system-requirements"].items()}
    doc["dependencies"] = [*conda, *([{"pip": pip}] if pip else [])]
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False), skipped


def _pixi_conda(name: str, value: Any) -> str:
    if isinstance(value, str):
        return name if value.strip() in ("", "*") else f"{name} {value.strip()}"
    if isinstance(value, dict) and set(value) <= {"version", "build", "channel"}:
        spec = f"{value['channel']}::{name}" if value.get("channel") else name
        version = str(value.get("version", "*")).strip()
        if value.get("build"):
            return f"{spec} {version} {value['build']}"
        return spec if version in ("", "*") else f"{spec} {version}"
    return ""


def _pixi_pypi(name: str, value: Any) -> str:
    if isinstance(value, str):
        return name if value.strip() in ("", "*") else f"{name}{value.strip()}"
    if isinstance(value, dict) and set(value) <= {"version", "extras"}:
        extras = f"[{','.join(value.get('extras', []))}]" if value.get("extras") else ""
        version = str(value.get("version", "*")).strip()
        return f"{name}{extras}" + ("" if version in ("", "*") else version)
    if isinstance(value, dict) and set(value) <= {"path", "editable"} and value.get("editable"):
        return f"-e {value['path']}"
    return ""


# --- poetry ------------------------------------------------------------------------------------


def from_poetry(text: str, data: dict[str, Any], settings: Settings) -> tuple[str, list[str]]:
    """(pyproject.toml text with [tool.corral] and PEP 621/735 entries, entries not carried over)."""
    import tomlkit

    doc: Any = tomlkit.parse(text)
    poetry = data["tool"]["poetry"]
    skipped: list[str] = []
    python = ""
    requirements = []
    for name, value in (poetry.get("dependencies") or {}).items():
        if name == "python":
            python = (_poetry_constraint(str(value)) or "") if isinstance(value, str) else ""
            if not python and value not in ("*", ""):
                skipped.append(f"dependencies.python = {value!r}")
            continue
        req = _poetry_requirement(name, value)
        requirements.append(req) if req else skipped.append(f"dependencies.{name}")
    if "project" not in doc:
        table = tomlkit.table()
        for key in ("name", "version", "description"):
            if poetry.get(key):
                table.add(key, str(poetry[key]))
        doc.add("project", table)
    project = doc["project"]
    if not project.get("dependencies"):
        listed = tomlkit.array()
        listed.extend(requirements)
        project["dependencies"] = listed
    groups: dict[str, list[str]] = {}
    for group, body in (poetry.get("group") or {}).items():
        for name, value in (body.get("dependencies") or {}).items():
            req = _poetry_requirement(name, value)
            groups.setdefault(group, []).append(req) if req else skipped.append(f"group.{group}.{name}")
    if groups and "dependency-groups" not in doc:
        table = tomlkit.table()
        for group, reqs in groups.items():
            listed = tomlkit.array()
            listed.extend(reqs)
            table.add(group, listed)
        doc.add("dependency-groups", table)
    corral = tomlkit.table()
    channels = tomlkit.array()
    channels.extend(settings.channels)
    corral.add("channels", channels)
    conda = tomlkit.array()
    conda.extend([f"python {python}".strip()] if python else [])
    corral.add("dependencies", conda)
    if groups:
        named = tomlkit.table()
        for group in groups:
            listed = tomlkit.array()
            listed.append(group)
            named.add(group, listed)
        corral.add("environments", named)
    doc["tool"].add("corral", corral)
    skipped += [f"[tool.poetry].{k}" for k in poetry if k in ("scripts", "source", "extras", "plugins")]
    return str(tomlkit.dumps(doc)), skipped


def _poetry_requirement(name: str, value: Any) -> str:
    if isinstance(value, str):
        constraint = _poetry_constraint(value)
        return "" if constraint is None else f"{name}{constraint}"
    if isinstance(value, dict) and set(value) <= {"version", "extras", "markers"} and "version" in value:
        constraint = _poetry_constraint(str(value["version"]))
        if constraint is None:
            return ""
        extras = f"[{','.join(value['extras'])}]" if value.get("extras") else ""
        markers = f"; {value['markers']}" if value.get("markers") else ""
        return f"{name}{extras}{constraint}{markers}"
    return ""


def _poetry_constraint(text: str) -> str | None:
    """Poetry's version constraint as PEP 440 ('' for any; None when there is no direct mapping, e.g. `||`)."""
    text = text.strip()
    if text in ("", "*"):
        return ""
    if "||" in text:
        return None
    parts = [p.strip() for p in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", text) if p.strip()]
    out = []
    for part in parts:
        match = re.fullmatch(r"([\^~])\s*(\d+(?:\.\d+)*)", part)
        if match:
            out.append(_range(match.group(1), match.group(2)))
        elif re.fullmatch(r"\d+(?:\.\d+)*(?:\.\*)?", part):
            out.append(f"=={part}")
        elif re.fullmatch(r"(?:[<>]=?|==|!=|~=)\s*\d[\w.*+!-]*", part):
            out.append(part.replace(" ", ""))
        else:
            return None
    return ",".join(out)


def _range(kind: str, version: str) -> str:
    """^X.Y.Z / ~X.Y.Z as >=,< (poetry's rules: caret bumps the first non-zero part, tilde the minor)."""
    nums = [int(n) for n in version.split(".")]
    if kind == "^":
        index = next((i for i, n in enumerate(nums) if n != 0), len(nums) - 1)
    else:
        index = min(1, len(nums) - 1) if len(nums) > 1 else 0
    upper = [*nums[:index], nums[index] + 1]
    return f">={version},<{'.'.join(map(str, upper))}"
