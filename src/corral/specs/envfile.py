"""Environment files read into an EnvFile, and several files layered into one.

Formats, told apart by name and content (`file_kind`):
- environment.yml / .yaml: conda's format (`name`, `prefix`, `channels`, `dependencies` with a
  `pip:` list that takes pip's options, `variables`), plus corral's `include:` (base files,
  relative to the including file);
- conda spec .txt files (`conda list --export`, `conda create --file`): one match spec per line;
- explicit .txt files (`@EXPLICIT`, package URLs with their hashes);
- pip requirements files (`requirements*.txt`, `*.in`, or any .txt using pip's syntax).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from corral.errors import EnvFileError, SpecError
from corral.models import EnvSpec, PypiIndex
from corral.specs.localreq import requirement
from corral.specs.requirements import PypiRequest, apply_option, read_requirements_file
from corral.textfile import read_text
from corral.values import frozen

FileKind = Literal["environment", "conda-specs", "explicit", "requirements", "pylock"]

# conda's own keys (conda/env/env.py VALID_KEYS), then corral's.
KNOWN_KEYS = ("name", "prefix", "channels", "dependencies", "variables", "include", "python", "system-requirements")
# Keys other tools put in environment.yml: ignored with a word, never mistaken for a typo.
FOREIGN_KEYS = {"platforms": "conda-lock's lock platforms; `corral lock` takes --platform"}
_CONDA_SYNTAX = re.compile(r"^[A-Za-z0-9_.+-]+(=[^=<>!~]|\s+\S)|::")


@frozen
class ExplicitPackage:
    """One line of an @EXPLICIT file: a package URL and the hash it must have."""

    url: str
    channel: str  # the channel's base URL (without the subdir)
    name: str
    version: str
    build: str
    sha256: str = ""
    md5: str = ""

    @property
    def file_name(self) -> str:
        """The artifact the URL names (NAME-VERSION-BUILD.conda or .tar.bz2)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def spec(self) -> str:
        """The exact match spec of this package and artifact: the solver keeps the format the file names."""
        return f'{self.name} =={self.version} {self.build}[fn="{self.file_name}"]'


@frozen
class EnvFile:
    """What one or more environment files ask for.

    `spec.channels` is empty when no file names a channel (the configured ones apply); a
    `defaults` entry stands for the configured channels. `name`/`prefix` come from the last file
    that gives one.
    """

    spec: EnvSpec
    name: str = ""
    prefix: str = ""
    sources: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    explicit: tuple[ExplicitPackage, ...] = ()

    def layered(self, top: EnvFile) -> EnvFile:
        """This file with `top` laid over it: see EnvSpec.layered; `top`'s name and prefix win."""
        return EnvFile(
            spec=self.spec.layered(top.spec),
            name=top.name or self.name,
            prefix=top.prefix or self.prefix,
            sources=self.sources + top.sources,
            warnings=self.warnings + top.warnings,
            explicit=self.explicit + top.explicit,
        )


def read_files(paths: Sequence[str | Path], base: Path | None = None) -> EnvFile:
    """Read environment files in order and layer them (later files add and override)."""
    merged = EnvFile(EnvSpec(channels=()))
    for path in paths:
        merged = merged.layered(read_file((base or Path.cwd()) / path))
    return merged


def read_file(path: Path, _chain: tuple[Path, ...] = ()) -> EnvFile:
    """Read one environment file of any supported kind (see the module docstring)."""
    path = Path(os.path.abspath(path))
    if path in _chain:
        cycle = " -> ".join(str(p) for p in (*_chain, path))
        raise EnvFileError(f"environment files include each other: {cycle}", hint="remove one of the includes")
    try:
        text = read_text(path, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        where = f" (included from {_chain[-1]})" if _chain else ""
        raise EnvFileError(f"environment file {path} does not exist{where}", hint="check the path") from exc
    except OSError as exc:
        raise EnvFileError(
            f"cannot read environment file {path}: {exc.strerror or exc}", hint="give the path of an environment file"
        ) from exc
    kind = file_kind(path, text)
    from corral.specs import textfiles  # its readers build the EnvFile defined here

    if kind == "environment":
        from corral.specs.envyaml import read_yaml

        return read_yaml(path, text, (*_chain, path))
    if kind == "explicit":
        return textfiles.read_explicit(path, text)
    if kind == "conda-specs":
        return textfiles.readconda_specs(path, text)
    if kind == "pylock":
        return textfiles.read_pylock(path, text)
    request = PypiRequest()
    read_requirements_file(path, request)
    return EnvFile(request.applied_to(EnvSpec(channels=())), sources=(str(path),), warnings=tuple(request.warnings))


def file_kind(path: Path, text: str) -> FileKind:
    """Which format a file is in: by its suffix, then by its content."""
    if path.suffix.lower() in (".yml", ".yaml"):
        return "environment"
    if re.fullmatch(r"pylock(\.[^.]+)?\.toml", path.name.lower()):
        return "pylock"
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if any(line == "@EXPLICIT" for line in lines):
        return "explicit"
    lower = path.name.lower()
    if "requirements" in lower or "constraints" in lower or lower.endswith(".in"):
        return "requirements"
    if any(line.startswith("-") or re.search(r" @ |;|\[", line) for line in lines):
        return "requirements"  # pip options (-r, -e, --index-url ...), direct URLs, markers, extras
    if "# platform:" in text or any(_CONDA_SYNTAX.search(line.split("#")[0].strip()) for line in lines):
        return "conda-specs"
    if any(re.search(r"==|>=|<=|~=|!=", line) for line in lines):
        return "requirements"
    return "conda-specs"  # plain names: conda's `--file` reading


def conda_specs(specs: Sequence[tuple[str, str]]) -> list[str]:
    """Validate each conda spec, naming the entry of a bad one; rattler is imported only when needed."""
    if not specs:
        return []
    from corral.conda.solver import parse_specs

    out = []
    for text, where in specs:
        try:
            out += parse_specs([text])
        except SpecError as exc:
            raise EnvFileError(f"{where}: {exc.message}", hint=exc.hint) from exc
    return out


def spec_channels(specs: Sequence[str]) -> list[str]:
    """Channels that `channel::name` (or `name[channel=...]`) specs name (they must be searched too)."""
    naming = [s for s in specs if "::" in s or "channel" in s]  # rattler is imported only for those
    if not naming:
        return []
    from corral.conda.solver import spec_channel

    return [c for c in (spec_channel(s) for s in naming) if c]


def pip_entry(text: str, where: str, base: Path, request: PypiRequest) -> None:
    """One entry of a `pip:` list: a requirement, or one of pip's options (-r, -e, --index-url ...)."""
    if text.startswith("-"):
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise EnvFileError(f"{where}: cannot parse '{text}': {exc}", hint="check the quoting") from exc
        apply_option(words, request, base, where)
        return
    request.requirements.append(requirement(text, base, where))  # conda runs pip from the file's folder


def pypi_index_options(index: PypiIndex) -> list[str]:
    """pip option lines for index options (the form the `pip:` section and requirements files take)."""
    lines = []
    if index.index_url:
        lines.append(f"--index-url {shlex.quote(index.index_url)}")
    lines += [f"--extra-index-url {shlex.quote(u)}" for u in index.extra_index_urls]
    lines += [f"--find-links {shlex.quote(u)}" for u in index.find_links]
    if index.no_index:
        lines.append("--no-index")
    return lines
