"""An environment written out as a file another machine (or conda, pip, uv) takes back.

Every writer is a pure function of an `Exportable` (the generation's request, conda records and
PyPI pins); nothing here reads the disk.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from corral.lock.entries import LockedPlatform
from corral.models import EnvSpec, pypi_name
from corral.specs.envfile import pypi_index_options
from corral.values import frozen

FORMATS = ("environment.yml", "requirements.txt", "explicit", "spec-list", "pylock.toml")


@frozen
class Exportable:
    """What a generation holds, as the writers need it."""

    name: str  # the environment's name ('' for a path environment)
    spec: EnvSpec
    records: tuple[Mapping[str, Any], ...]  # conda-meta records, sorted by name
    pins: tuple[Mapping[str, str], ...]  # PyPI pins: name, version, url, editable
    python: str = ""  # the found interpreter's version (environments without conda python)
    platform: str = ""  # e.g. linux-64


def environment_yml(env: Exportable, *, from_history: bool = False, no_builds: bool = False) -> str:
    """conda's environment.yml: exact packages (with channel and build), or only what was asked for."""
    lines = [f"name: {_quote(env.name)}"] if env.name else []
    if env.spec.python:
        lines.append(f"python: {_quote(env.spec.python if from_history else env.python or env.spec.python)}")
    if env.spec.channels and (env.spec.specs or env.records):
        lines.append("channels:")
        lines += [f"  - {_quote(c)}" for c in env.spec.channels]
    deps = list(env.spec.specs) if from_history else [_conda_line(r, env.spec, no_builds) for r in env.records]
    pip = _pip_lines(env, from_history)
    lines.append("dependencies:" if deps or pip else "dependencies: []")
    lines += [f"  - {_quote(d)}" for d in deps]
    if pip:
        lines.append("  - pip:")
        lines += [f"    - {_quote(p)}" for p in pip]
        lines += [f"    {c}" for c in _constraint_comments(env, from_history)]
    if env.spec.variables:
        lines.append("variables:")
        lines += [f"  {_quote(k)}: {_quote(v)}" for k, v in env.spec.variables]
    if env.spec.system:
        lines.append("system-requirements:")
        lines += [f"  {k}: {_quote(v)}" for k, v in env.spec.system]
    return "\n".join(lines) + "\n"


def requirements_txt(env: Exportable, *, from_history: bool = False) -> str:
    """pip's requirements file: the PyPI side pinned (or as asked for); the conda side in a comment."""
    lines = [f"# PyPI packages of {env.name or 'the environment'} (corral export --format requirements.txt)"]
    if env.python:
        lines.append(f"# Python {env.python}")
    if env.records:
        conda = ", ".join(f"{r['name']} {r['version']}" for r in env.records)
        lines.append(f"# conda packages (not in this file; export --format environment.yml for them): {conda}")
    return "\n".join(lines + _pip_lines(env, from_history) + _constraint_comments(env, from_history)) + "\n"


def spec_list(env: Exportable) -> str:
    """`conda list --export`: conda's header, then name=version=build per package, PyPI ones as =pypi_0.

    conda lists PyPI packages with build `pypi_0` (its interoperability records); conda itself cannot
    install those lines from a channel, corral's --file reads them back as PyPI pins.
    """
    from corral import __version__

    rows = [(str(r["name"]), f"{r['name']}={r['version']}={r.get('build', '')}") for r in env.records]
    rows += [(p["name"], f"{p['name']}={p['version']}=pypi_0") for p in env.pins if p.get("version")]
    lines = [
        "# This file may be used to create an environment using:",
        "# $ conda create --name <env> --file <this file>",
        f"# platform: {env.platform}",
        f"# created-by: corral {__version__}",
    ]
    lines += [line for _, line in sorted(rows, key=lambda row: row[0].lower())]
    skipped = [p["name"] for p in env.pins if not p.get("version")]
    if skipped:
        lines.append(f"# not listed (an editable or a direct URL has no pypi_0 line): {', '.join(skipped)}")
    return "\n".join(lines) + "\n"


def explicit(env: Exportable, digest: str = "md5") -> str:
    """conda's @EXPLICIT file: every conda package's URL with its md5 (what every conda reads), or its sha256."""
    lines = [
        f"# conda packages of {env.name or 'the environment'} (corral export --format explicit)",
        f"# platform: {env.platform}",
    ]
    if env.pins:
        names = ", ".join(p["name"] for p in env.pins)
        lines.append(f"# PyPI packages are not part of explicit files (export --format requirements.txt): {names}")
    lines.append("@EXPLICIT")
    for record in _dependencies_first(env.records):
        value = record.get(digest) or ""
        lines.append(f"{record['url']}#{value}" if value else str(record["url"]))
    return "\n".join(lines) + "\n"


def _dependencies_first(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Records ordered so each comes after what it depends on (ties by name): explicit files are not solved."""
    from corral.models import spec_name

    by_name = {str(r["name"]): r for r in records}
    done: dict[str, Mapping[str, Any]] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name in path or name not in by_name:
            return
        for dep in sorted(spec_name(d) for d in by_name[name].get("depends", ())):
            visit(dep, (*path, name))
        done[name] = by_name[name]

    for name in sorted(by_name):
        visit(name, ())
    return list(done.values())


def _conda_line(record: Mapping[str, Any], spec: EnvSpec, no_builds: bool) -> str:
    from corral.channels import channel_display

    channel = channel_display(str(record.get("channel", "")))
    exact = f"{record['name']}={record['version']}" + ("" if no_builds else f"={record['build']}")
    # The channel is named when the request has several, so the same package comes back from the same one.
    return f"{channel}::{exact}" if channel and len(spec.channels) > 1 else exact


def _pip_lines(env: Exportable, from_history: bool) -> list[str]:
    spec = env.spec
    asked = [*spec.pypi, *(f"-e {shlex.quote(e)}" for e in spec.editables)]
    direct = {pypi_name(r): r for r in spec.pypi if " @ " in r}  # asked by URL or local path
    reqs = asked if from_history else [_pin_line(p, direct) for p in env.pins]
    return pypi_index_options(spec.index) + reqs if reqs else []


def _constraint_comments(env: Exportable, from_history: bool) -> list[str]:
    """Constraints live in files pip reads with -c; they are noted, not recreated."""
    if not from_history or not (env.spec.pypi or env.spec.editables):
        return []
    return [f"# constraint (not recreated): {c}" for c in env.spec.pypi_constraints]


def _pin_line(pin: Mapping[str, str], direct: Mapping[str, str]) -> str:
    """The line that installs a pin again: editable, direct URL, the file the request named, or name==version.

    A distribution the request took from a URL or a local wheel/sdist is written as that reference
    (`name @ file:///...whl`): its version alone would send pip to an index that may not have it.
    """
    if pin.get("editable"):
        return f"-e {shlex.quote(pin['editable'])}"
    if pin.get("url"):
        return f"{pin['name']} @ {pin['url']}"
    if pin["name"] in direct:
        return direct[pin["name"]]
    return f"{pin['name']}=={pin['version']}"


_PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-=<>!~/:+,*@ ;[]\"'")


def _quote(text: str) -> str:
    """A YAML scalar: plain when YAML reads it back as the same string, else double-quoted."""
    import json

    plain = (
        text
        and set(text) <= _PLAIN
        and text[0] not in ":?[]'\"@ *!&%|>,"
        and not (text[0] == "-" and text[1:2] in ("", " "))
        and text[-1] != " "
        and ": " not in text
        and " #" not in text
        and not _looks_typed(text)
    )
    return text if plain else json.dumps(text, ensure_ascii=False)


def _looks_typed(text: str) -> bool:
    """True when YAML would read the plain scalar as something other than this string (a number, bool, null)."""
    import yaml

    try:
        return bool(yaml.safe_load(text) != text)
    except yaml.YAMLError:
        return True


def sort_records(records: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    """Records in a stable order (by name)."""
    return tuple(sorted(records, key=lambda r: str(r["name"])))


def explicit_text(section: LockedPlatform) -> str:
    """conda's @EXPLICIT file of one platform of a lock."""
    env = Exportable(
        name="",
        spec=EnvSpec(channels=()),
        records=tuple(e.to_dict() for e in sorted(section.conda, key=lambda e: e.name)),
        pins=tuple({"name": e.name} for e in section.pypi),
        platform=section.platform,
    )
    return explicit(env)


def requirements_text(section: LockedPlatform) -> str:
    """pip's requirements with every artifact's --hash, for one platform of a lock (pip --require-hashes)."""
    lines = [f"# PyPI packages for {section.platform} (corral export --lock ... --format requirements.txt)"]
    for entry in section.pypi:
        if entry.editable:
            lines.append(f"-e {entry.editable}")
            continue
        if entry.direct:  # a project folder or a VCS commit: no artifact a hash pins
            lines.append(f"{entry.name} @ {entry.direct}")
            continue
        artifacts = [*entry.wheels, *([entry.sdist] if entry.sdist else [])]
        hashes = sorted({a.sha256 for a in artifacts})
        lines.append(f"{entry.name}=={entry.version}" + "".join(f" \\\n    --hash=sha256:{h}" for h in hashes))
    return "\n".join(lines) + "\n"
