"""A project's manifest read into an EnvFile: environment.yml as `create -f` reads it, or pyproject.toml.

pyproject.toml: PEP 621 `[project].dependencies` are the PyPI side; `[tool.corral]` says what PyPI
metadata cannot: `channels`, conda `dependencies` (MatchSpec strings, as environment.yml lists
them), `system-requirements`, and `pypi-options` (`index-url`, `extra-index-urls`, `find-links`,
`no-index`, paths relative to the file), `platforms`, and `environments`: named environments made
of groups, `test = ["test"]`, each group a PEP 735 `[dependency-groups]` entry or a
`[project.optional-dependencies]` extra whose requirements join the default environment's.

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
from corral.project import DEFAULT_ENV, Project
from corral.specs.envfile import EnvFile

PYPI_OPTIONS = ("index-url", "extra-index-urls", "find-links", "no-index")
TOOL_KEYS = ("channels", "dependencies", "environments", "package", "platforms", "pypi-options", "system-requirements")


def read(project: Project) -> EnvFile:
    """The project's request, exactly as `corral lock -f MANIFEST` reads it."""
    return read_with_platforms(project)[0]


def read_with_platforms(project: Project) -> tuple[EnvFile, tuple[str, ...]]:
    """The project's request and the platforms its manifest asks the lock to cover (() when it names none)."""
    from corral.values import replace

    path = Path(project.manifest)
    if project.kind == "environment.yml":
        from corral.specs.envfile import read_file

        if project.env != DEFAULT_ENV:
            raise _no_environment(path, project.env, [])
        files = read_file(path)
        # `corral lock -f` ignores conda-lock's key with a warning; in a project it is the lock's platforms
        warnings = tuple(w for w in files.warnings if "ignored key 'platforms'" not in w)
        return replace(files, warnings=warnings), _yaml_platforms(path)
    return read_pyproject(path, project.env), _toml_platforms(path)


def environment_names(project: Project) -> tuple[str, ...]:
    """The manifest's environments: "default", then the names of [tool.corral.environments], sorted."""
    if project.kind == "environment.yml":
        return (DEFAULT_ENV,)
    import tomllib

    from corral.textfile import read_text

    path = Path(project.manifest)
    try:
        tool = tomllib.loads(read_text(path)).get("tool", {}).get("corral", {})
    except tomllib.TOMLDecodeError as exc:
        raise EnvFileError(f"{path}: not valid TOML: {exc}", hint="fix the file (see the line named)") from exc
    named = _table(tool.get("environments", {}), "tool.corral.environments", path) if isinstance(tool, dict) else {}
    return (DEFAULT_ENV, *sorted(n for n in named if n != DEFAULT_ENV))


def _no_environment(path: Path, env: str, known: Sequence[str]) -> EnvFileError:
    if path.name != "pyproject.toml":
        return EnvFileError(
            f"{path.name} has no environment '{env}': named environments are a pyproject.toml feature",
            hint='declare them in pyproject.toml\'s [tool.corral.environments] (test = ["test"])',
        )
    return EnvFileError(
        f"{path}: no environment '{env}' in [tool.corral.environments]"
        + (f" (it has {', '.join(known)})" if known else ""),
        hint=f'declare it: [tool.corral.environments] {env} = ["GROUP"] (groups from [dependency-groups])',
    )


def _group_requirements(data: Mapping[str, Any], env: str, path: Path) -> list[tuple[str, str]]:
    """(requirement, where) of the groups the named environment `env` is made of."""
    tool = data.get("tool", {}).get("corral", {})
    named = _table(tool.get("environments", {}), "tool.corral.environments", path)
    if env not in named:
        raise _no_environment(path, env, sorted(named))
    groups = _strings(named[env], f"tool.corral.environments.{env}", path)
    deps = _table(data.get("dependency-groups", {}), "dependency-groups", path)
    extras = _table(data.get("project", {}).get("optional-dependencies", {}), "project.optional-dependencies", path)
    out: list[tuple[str, str]] = []
    for group in groups:
        if group in deps:
            out += _expand_group(deps, group, path, ())
        elif group in extras:
            out += [(r, f"project.optional-dependencies.{group}") for r in _strings(extras[group], group, path)]
        else:
            raise EnvFileError(
                f"{path}: environment '{env}' names group '{group}', which is neither in [dependency-groups]"
                " nor in [project.optional-dependencies]",
                hint=f"add it: [dependency-groups] {group} = [...], or fix the name",
            )
    return out


def _expand_group(groups: Mapping[str, Any], name: str, path: Path, seen: tuple[str, ...]) -> list[tuple[str, str]]:
    """PEP 735: a group's requirement strings, with `{include-group = "other"}` entries expanded."""
    if name in seen:
        raise EnvFileError(
            f"{path}: dependency group '{name}' includes itself ({' -> '.join((*seen, name))})",
            hint="remove the include-group cycle",
        )
    entries = groups[name]
    if not isinstance(entries, list):
        raise EnvFileError(f"{path}: dependency-groups.{name} must be a list", hint=f'e.g. {name} = ["pytest"]')
    out: list[tuple[str, str]] = []
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            out.append((entry, f"dependency-groups.{name}[{i}]"))
        elif isinstance(entry, dict) and set(entry) == {"include-group"} and entry["include-group"] in groups:
            out += _expand_group(groups, str(entry["include-group"]), path, (*seen, name))
        else:
            raise EnvFileError(
                f"{path}: dependency-groups.{name}[{i}] is neither a requirement nor an include of a known group",
                hint='write "name>=1" or {include-group = "other"} (PEP 735)',
            )
    return out


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


def read_pyproject(path: Path, env: str = DEFAULT_ENV) -> EnvFile:
    """pyproject.toml's `[project].dependencies` and `[tool.corral]` as an EnvFile (plus `env`'s groups)."""
    import tomllib

    from corral.textfile import read_text

    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise EnvFileError(f"{path}: not valid TOML: {exc}", hint="fix the file (see the line named)") from exc
    tool = _table(data.get("tool", {}), "tool", path).get("corral", {})
    tool = _table(tool, "tool.corral", path)
    project = _table(data.get("project", {}), "project", path)
    unknown = sorted(set(tool) - set(TOOL_KEYS))
    if unknown:
        raise EnvFileError(
            f"{path}: [tool.corral] has unknown keys: {', '.join(unknown)}",
            hint=f"[tool.corral] takes {', '.join(TOOL_KEYS)}",
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
    extra = _group_requirements(data, env, path) if env != DEFAULT_ENV else []
    options = _table(tool.get("pypi-options", {}), "tool.corral.pypi-options", path)
    request = _pypi(project, options, base, path, extra)
    if _is_package(data, tool, path):  # as uv: a buildable project is an editable member of its own environment
        from corral.specs.localreq import editable_path

        request.editables.append(editable_path(".", base))
    return EnvFile(request.applied_to(spec), sources=(str(path),), warnings=tuple(request.warnings))


def _is_package(data: Mapping[str, Any], tool: Mapping[str, Any], path: Path) -> bool:
    """A [build-system] and a [project] name, unless [tool.corral] package = false."""
    package = tool.get("package", True)
    if not isinstance(package, bool):
        raise EnvFileError(f"{path}: tool.corral.package must be true or false", hint="e.g. package = false")
    return package and "build-system" in data and bool(data.get("project", {}).get("name"))


def _pypi(
    project: Mapping[str, Any], options: Mapping[str, Any], base: Path, path: Path, extra: Sequence[tuple[str, str]]
) -> Any:
    from corral.models import PypiIndex
    from corral.specs.localreq import local_link, requirement
    from corral.specs.requirements import PypiRequest

    unknown = sorted(set(options) - set(PYPI_OPTIONS))
    if unknown:
        raise EnvFileError(
            f"{path}: [tool.corral.pypi-options] has unknown keys: {', '.join(unknown)}",
            hint=f"it takes {', '.join(PYPI_OPTIONS)}",
        )
    request = PypiRequest()
    for i, text in enumerate(_strings(project.get("dependencies", []), "project.dependencies", path)):
        request.requirements.append(requirement(text, base, f"{path}: project.dependencies[{i}]"))
    for text, where in extra:
        request.requirements.append(requirement(text, base, f"{path}: {where}"))
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
