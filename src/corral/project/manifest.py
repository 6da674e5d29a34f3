"""A project's manifest read into an EnvFile: environment.yml as `create -f` reads it, or pyproject.toml.

pyproject.toml: PEP 621 `[project].dependencies` are the PyPI side; `[tool.corral]` says what PyPI
metadata cannot: `channels`, conda `dependencies` (MatchSpec strings, as environment.yml lists
them), `system-requirements`, and `pypi-options` (`index-url`, `extra-index-urls`, `find-links`,
`no-index`, paths relative to the file), and `platforms`.

`platforms` (environment.yml's top-level key, as conda-lock reads it there; `platforms = [...]` in
`[tool.corral]`) are the platforms the project's lock covers; without it, the ones the lock
already has (or this machine's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import EnvFileError
from corral.models import EnvSpec
from corral.project import Project
from corral.specs.envfile import EnvFile

PYPI_OPTIONS = ("index-url", "extra-index-urls", "find-links", "no-index")


def read(project: Project) -> EnvFile:
    """The project's request, exactly as `corral lock -f MANIFEST` reads it."""
    return read_with_platforms(project)[0]


def read_with_platforms(project: Project) -> tuple[EnvFile, tuple[str, ...]]:
    """The project's request and the platforms its manifest asks the lock to cover (() when it names none)."""
    from dataclasses import replace

    path = Path(project.manifest)
    if project.kind == "environment.yml":
        from corral.specs.envfile import read_file

        files = read_file(path)
        # `corral lock -f` ignores conda-lock's key with a warning; in a project it is the lock's platforms
        warnings = tuple(w for w in files.warnings if "ignored key 'platforms'" not in w)
        return replace(files, warnings=warnings), _yaml_platforms(path)
    return read_pyproject(path), _toml_platforms(path)


def _yaml_platforms(path: Path) -> tuple[str, ...]:
    import yaml

    from corral.textfile import read_text

    data = yaml.safe_load(read_text(path))  # read_file parsed it already: this cannot fail here
    value = data.get("platforms", []) if isinstance(data, dict) else []
    return _platforms(value, "platforms", path)


def _toml_platforms(path: Path) -> tuple[str, ...]:
    import tomllib

    from corral.textfile import read_text

    tool = tomllib.loads(read_text(path)).get("tool", {}).get("corral", {})
    return _platforms(tool.get("platforms", []), "tool.corral.platforms", path)


def _platforms(value: Any, what: str, path: Path) -> tuple[str, ...]:
    from corral.errors import SpecError
    from corral.lock.platforms import check_platform

    names = _strings(value if value is not None else [], what, path)
    for name in names:
        try:
            check_platform(name)
        except SpecError as exc:
            raise EnvFileError(f"{path}: {what}: {exc.message}", hint=exc.hint) from exc
    return tuple(sorted(set(names)))


def read_pyproject(path: Path) -> EnvFile:
    """pyproject.toml's `[project].dependencies` and `[tool.corral]` as an EnvFile."""
    import tomllib

    from corral.textfile import read_text

    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise EnvFileError(f"{path}: not valid TOML: {exc}", hint="fix the file (see the line named)") from exc
    tool = _table(data.get("tool", {}), "tool", path).get("corral", {})
    tool = _table(tool, "tool.corral", path)
    project = _table(data.get("project", {}), "project", path)
    unknown = sorted(set(tool) - {"channels", "dependencies", "system-requirements", "pypi-options", "platforms"})
    if unknown:
        raise EnvFileError(
            f"{path}: [tool.corral] has unknown keys: {', '.join(unknown)}",
            hint="[tool.corral] takes channels, dependencies, platforms, system-requirements and pypi-options",
        )
    base = path.parent
    channels = [_channel(c, base, path) for c in _strings(tool.get("channels", []), "tool.corral.channels", path)]
    conda = _conda(_strings(tool.get("dependencies", []), "tool.corral.dependencies", path), path)
    from corral.specs.envfile import spec_channels

    channels += [c for c in spec_channels(conda) if c not in channels]
    system = {
        str(k): str(v) for k, v in _table(tool.get("system-requirements", {}), "system-requirements", path).items()
    }
    spec = EnvSpec(channels=tuple(dict.fromkeys(channels)), specs=tuple(conda), system=tuple(sorted(system.items())))
    request = _pypi(project, _table(tool.get("pypi-options", {}), "tool.corral.pypi-options", path), base, path)
    return EnvFile(request.applied_to(spec), sources=(str(path),), warnings=tuple(request.warnings))


def _pypi(project: Mapping[str, Any], options: Mapping[str, Any], base: Path, path: Path) -> Any:
    from corral.models import PypiIndex
    from corral.specs.requirements import PypiRequest, local_link, requirement

    unknown = sorted(set(options) - set(PYPI_OPTIONS))
    if unknown:
        raise EnvFileError(
            f"{path}: [tool.corral.pypi-options] has unknown keys: {', '.join(unknown)}",
            hint=f"it takes {', '.join(PYPI_OPTIONS)}",
        )
    request = PypiRequest()
    for i, text in enumerate(_strings(project.get("dependencies", []), "project.dependencies", path)):
        request.requirements.append(requirement(text, base, f"{path}: project.dependencies[{i}]"))
    index_url = options.get("index-url", "")
    if not isinstance(index_url, str):
        raise EnvFileError(f"{path}: pypi-options.index-url must be a string", hint='e.g. index-url = "https://..."')
    no_index = options.get("no-index", False)
    if not isinstance(no_index, bool):
        raise EnvFileError(f"{path}: pypi-options.no-index must be true or false", hint="e.g. no-index = true")
    request.add_index(
        PypiIndex(
            index_url=index_url,
            extra_index_urls=tuple(_strings(options.get("extra-index-urls", []), "extra-index-urls", path)),
            find_links=tuple(local_link(f, base) for f in _strings(options.get("find-links", []), "find-links", path)),
            no_index=no_index,
        )
    )
    return request


def _conda(specs: Sequence[str], path: Path) -> list[str]:
    from corral.specs.envfile import conda_specs

    return conda_specs([(s, f"{path}: tool.corral.dependencies[{i}]") for i, s in enumerate(specs)])


def _channel(text: str, base: Path, path: Path) -> str:
    from corral.channels import canonical_channel
    from corral.errors import ChannelError

    if text == "defaults":
        return text
    try:
        return canonical_channel(text, cwd=base)
    except ChannelError as exc:
        raise EnvFileError(f"{path}: tool.corral.channels: {exc.message}", hint=exc.hint) from exc


def _table(value: Any, what: str, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EnvFileError(f"{path}: '{what}' must be a table", hint=f"write it as [{what}]")
    return value


def _strings(value: Any, what: str, path: Path) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EnvFileError(f"{path}: '{what}' must be a list of strings", hint=f'e.g. {what.rsplit(".")[-1]} = ["..."]')
    return list(value)
