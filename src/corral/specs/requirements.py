"""pip's request vocabulary (requirement strings, -r/-c/-e files, index options) read into a PypiRequest."""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from corral.errors import SpecError
from corral.models import EnvSpec, PypiIndex, pypi_name
from corral.textfile import read_text
from corral.values import field, mutable, replace

_WITH_VALUE = {
    "-r": "requirement",
    "--requirement": "requirement",
    "-c": "constraint",
    "--constraint": "constraint",
    "-e": "editable",
    "--editable": "editable",
    "-i": "index_url",
    "--index-url": "index_url",
    "--extra-index-url": "extra_index_url",
    "-f": "find_links",
    "--find-links": "find_links",
}


@mutable
class PypiRequest:
    """PyPI requirements, editable project paths, constraints and index options, as the user gave them."""

    requirements: list[str] = field(default_factory=list)
    editables: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    index: PypiIndex = field(default_factory=PypiIndex)
    warnings: list[str] = field(default_factory=list)

    def add_index(self, index: PypiIndex) -> None:
        """Merge index options (a new --index-url wins)."""
        self.index = self.index.merged(index)

    def applied_to(self, spec: EnvSpec) -> EnvSpec:
        """`spec` with these requests added: a new request for a distribution replaces the old one, whatever its source.

        A requirement (from the index, a URL or a local path) and an editable project of the same
        distribution are one request: the newest wins, so uv is never handed both (it refuses
        "conflicting URLs"). Constraints are joined. One request naming a distribution both as a
        requirement and as an editable is refused: which one is meant cannot be told.
        """
        both = sorted({pypi_name(r) for r in self.requirements} & {project_name(Path(e)) for e in self.editables})
        if both:
            raise SpecError(
                f"{', '.join(both)} is asked both as a requirement and as an editable project in one request",
                hint="keep one: -e PATH for an editable install, or the requirement (a version, a wheel, a folder)",
            )
        kept = without_sources(spec, self.requirements, self.editables)
        return replace(
            kept.with_pypi(self.requirements),
            editables=tuple(dict.fromkeys(kept.editables + tuple(self.editables))),
            pypi_constraints=tuple(dict.fromkeys(spec.pypi_constraints + tuple(self.constraints))),
            index=spec.index.merged(self.index),
        )


def without_sources(spec: EnvSpec, requirements: Sequence[str], editables: Sequence[str]) -> EnvSpec:
    """`spec` without its requests for the distributions that new `requirements` or `editables` name, by any source.

    A requirement for the same name replaces the old one in place (EnvSpec.with_pypi), so only the
    cross-source pairs are dropped here: an editable project for a name now required, and a
    requirement for a name now asked as an editable, or an older editable folder of the same project.
    """
    asked = {pypi_name(r) for r in requirements}
    editable_names = {project_name(Path(e)) for e in editables}
    return replace(
        spec,
        pypi=tuple(r for r in spec.pypi if pypi_name(r) not in editable_names),
        editables=tuple(e for e in spec.editables if project_name(Path(e)) not in asked | editable_names),
    )


# pip options that change nothing corral records: accepted with a warning (pixi#1993: files break on them).
_IGNORED = {"--trusted-host", "--prefer-binary", "--progress-bar", "--use-feature", "--require-hashes"}
_HASH_OPTION = re.compile(r"\s+--hash[=\s]+\S+")
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


def parse_requirement(text: str, where: str = "") -> str:
    """Validate one PEP 508 requirement string and return it in canonical form.

    pip's bare URL form with `#egg=name` becomes `name @ URL`.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    egg = _EGG.search(text)
    if egg and " @ " not in text and ("://" in text or text.startswith("git+")):
        text = f"{egg.group(1)} @ {text[: egg.start()]}"
    try:
        return str(Requirement(text))
    except InvalidRequirement as exc:
        place = f"{where}: " if where else ""
        raise SpecError(
            f"{place}invalid PyPI requirement '{text}': {exc}",
            hint="write requirements like 'requests', 'numpy>=1.26', 'torch==2.3.*' or 'name @ https://...'"
            + (" (a URL needs its name: 'name @ URL' or URL#egg=name)" if "://" in text else ""),
        ) from exc


# pip's archive suffixes (pip/_internal/utils/filetypes.py): a requirement ending in one is a file.
_ARCHIVES: tuple[str, ...] = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz")
_ARCHIVES += (".tlz", ".tar.lz", ".tar.lzma")
_EXTRAS = re.compile(r"^(.*?)(\[[^\]]*\])?$")


def requirement(text: str, base: Path, where: str = "", fallback: Path | None = None) -> str:
    """One PyPI requirement as pip takes it: a PEP 508 string, or a local wheel, sdist or project folder.

    A local one (a path with a separator or a leading dot, or a name ending like an archive, as pip
    decides in `_looks_like_path`/`is_archive_file`; or a bare file:// URL) is recorded as
    `name @ file:///absolute/path`, its name read from the wheel or sdist filename or the project's
    metadata. Relative paths are taken from `base`, then (pip's own rule for requirements files)
    from `fallback`. A `name @ file://...` or `name @ PATH` reference must name an existing path.
    """
    local = _local_part(text)
    if local is None:
        return _checked_direct(parse_requirement(text, where), base, where)
    raw, extras, marker = local
    egg = _EGG.search(raw)  # file:///path#egg=name names the distribution itself, as pip reads it
    raw = raw[: egg.start()] if egg else raw
    path = _existing(raw, base, fallback)
    place = f"{where}: " if where else ""
    if not path.exists():
        raise SpecError(
            f"{place}PyPI requirement '{text}': {path} does not exist",
            hint="give the path of a wheel, an sdist or a project folder"
            + (" (relative paths are taken from the file's folder)" if where else ""),
        )
    name = pypi_name(egg.group(1)) if egg else _local_name(path, text, place)
    line = f"{name}{extras} @ {path.as_uri()}" + (f" ; {marker}" if marker else "")
    return parse_requirement(line, where)


def _local_part(text: str) -> tuple[str, str, str] | None:
    """(path, extras, marker) when `text` names a local file or folder, else None (a PEP 508 requirement)."""
    body, _, marker = text.partition(";")
    body = body.strip()
    if body.startswith("file:"):
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        url = urlparse(body)
        return url2pathname(url.path) + (f"#{url.fragment}" if url.fragment else ""), "", marker.strip()
    if "://" in body or " @ " in text or body.startswith("git+"):
        return None
    match = _EXTRAS.match(body)
    path, extras = (match.group(1), match.group(2) or "") if match else (body, "")
    if "@" in path.split("/", 1)[0]:  # name@URL-like, as pip treats an @ before any separator
        return None
    separators = [os.sep] + ([os.altsep] if os.altsep else [])
    looks = any(sep in path for sep in separators) or path.startswith(".") or path.lower().endswith(_ARCHIVES)
    return (path, extras, marker.strip()) if looks else None


def _existing(raw: str, base: Path, fallback: Path | None) -> Path:
    """`raw` made absolute against `base`, or against `fallback` where only that one exists."""
    given = Path(raw).expanduser()
    if given.is_absolute():
        return Path(os.path.abspath(given))
    first = Path(os.path.abspath(base / given))
    if not first.exists() and fallback is not None and (fallback / given).exists():
        return Path(os.path.abspath(fallback / given))
    return first


def _local_name(path: Path, text: str, place: str) -> str:
    """The distribution name of a local wheel, sdist or project folder."""
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

    if path.is_dir():
        if not (path / "pyproject.toml").is_file() and not (path / "setup.py").is_file():
            raise SpecError(
                f"{place}directory {path} is not installable: it has neither pyproject.toml nor setup.py",
                hint="give the folder of a Python project, a wheel or an sdist",
            )
        name = project_name(path, fallback=False)
        if not name:
            raise SpecError(
                f"{place}cannot tell the distribution name of the project in {path}",
                hint=f"give it a [project] name in pyproject.toml, or write 'NAME @ {path.as_uri()}'",
            )
        return name
    filename = path.name
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise SpecError(
            f"{place}cannot read a distribution name from {filename}: {exc}",
            hint=f"write 'NAME @ {path.as_uri()}'",
        ) from exc
    stem = next((filename[: -len(s)] for s in _ARCHIVES if filename.lower().endswith(s)), "")
    name, dash, _version = stem.rpartition("-")
    if not stem or not dash or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", name):
        raise SpecError(
            f"{place}PyPI requirement '{text}': {path} is not a wheel, an sdist or a project folder",
            hint="a requirements file is read with -r FILE; a package is a .whl, an sdist (.tar.gz) or a folder"
            " with pyproject.toml",
        )
    return pypi_name(name)


def _checked_direct(text: str, base: Path, where: str) -> str:
    """A direct reference to a local path made absolute (`name @ ./x.whl` -> a file:// URL); it must exist."""
    from packaging.requirements import Requirement

    req = Requirement(text)
    if not req.url or ("://" in req.url and not req.url.startswith("file:")):
        return text
    if req.url.startswith("file:"):
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        path = Path(url2pathname(urlparse(req.url).path))
    else:
        path = Path(os.path.abspath(base / Path(req.url).expanduser()))
    if not path.exists():
        place = f"{where}: " if where else ""
        raise SpecError(
            f"{place}PyPI requirement '{text}': {path} does not exist",
            hint="give the path of a wheel, an sdist or a project folder",
        )
    req.url = path.as_uri()
    return str(req)


def project_name(path: Path, fallback: bool = True) -> str:
    """The normalized name of a local project: pyproject's [project] name, else setup.cfg's, else the folder's.

    With `fallback=False` an unknown name is "" instead of the folder's name.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    name = ""
    try:
        with open(path / "pyproject.toml", "rb") as handle:
            name = str(tomllib.load(handle).get("project", {}).get("name") or "")
    except (OSError, ValueError):
        pass
    if not name:
        import configparser

        config = configparser.ConfigParser()
        try:
            config.read(path / "setup.cfg", encoding="utf-8")
            name = config.get("metadata", "name", fallback="")
        except (configparser.Error, UnicodeDecodeError):
            name = ""
    if not name and fallback:
        name = path.name
    return pypi_name(name) if name else ""


def editable_path(text: str, base: Path) -> str:
    """The absolute path of a local project given to -e; it must hold a pyproject.toml or setup.py."""
    raw = text.removeprefix("file://")
    path = (base / raw).resolve() if not Path(raw).is_absolute() else Path(raw).resolve()
    if not path.is_dir():
        raise SpecError(f"editable project {text}: {path} is not a directory", hint="give the project's folder")
    if not (path / "pyproject.toml").is_file() and not (path / "setup.py").is_file():
        raise SpecError(
            f"editable project {path} has neither pyproject.toml nor setup.py",
            hint="point -e at the folder of a Python project",
        )
    return str(path)


def local_link(text: str, base: Path) -> str:
    """A --find-links value: URLs are kept, local paths made absolute (they must exist)."""
    if "://" in text:
        return text
    path = (base / text).resolve()
    if not path.exists():
        raise SpecError(f"--find-links {text}: {path} does not exist", hint="give a folder of wheels or a URL")
    return str(path)


def read_requirements_file(path: Path, request: PypiRequest, constraint: bool = False, depth: int = 0) -> None:
    """Add the contents of a requirements (or, with `constraint`, constraints) file to `request`."""
    if depth > 10:
        raise SpecError(f"{path}: -r files nest more than 10 deep", hint="check for a file that includes itself")
    try:
        text = read_text(path, encoding="utf-8-sig")
    except OSError as exc:
        raise SpecError(f"cannot read requirements file {path}: {exc.strerror}", hint="check the path") from exc
    base = path.parent
    for number, line in _logical_lines(text):
        where = f"{path}:{number}"
        try:
            words = shlex.split(line, posix=True)
        except ValueError as exc:
            raise SpecError(f"{where}: cannot parse '{line}': {exc}", hint="check the quoting") from exc
        if not words[0].startswith("-"):
            target = request.constraints if constraint else request.requirements
            target.append(requirement(_without_hashes(line, request, where), base, where, fallback=Path.cwd()))
            continue
        apply_option(words, request, base, where, depth)


def apply_option(words: Sequence[str], request: PypiRequest, base: Path, where: str, depth: int = 0) -> None:
    """Apply one pip option line (`-r file`, `--index-url=URL`, `--no-index`, ...) to `request`."""
    option, _, inline = words[0].partition("=")
    if option == "--no-index":
        request.add_index(PypiIndex(no_index=True))
        return
    if option in _IGNORED:
        request.warnings.append(f"{where}: pip option {option} is not used by corral (ignored)")
        return
    kind = _WITH_VALUE.get(option)
    value = inline or (words[1] if len(words) > 1 else "")
    if kind is None:
        raise SpecError(
            f"{where}: option {option} is not supported",
            hint="supported: -r, -c, -e, --index-url, --extra-index-url, --find-links, --no-index",
        )
    if not value:
        raise SpecError(f"{where}: {option} needs a value", hint=f"e.g. {option} VALUE")
    if kind in ("requirement", "constraint"):
        if not (base / value).is_file():
            raise SpecError(f"{where}: {option} {value}: {base / value} does not exist", hint="check the path")
        read_requirements_file(base / value, request, constraint=kind == "constraint", depth=depth + 1)
    elif kind == "editable":
        try:
            request.editables.append(editable_path(value, base))
        except SpecError as exc:
            raise SpecError(f"{where}: {exc.message}", hint=exc.hint) from exc
    elif kind == "index_url":
        request.add_index(PypiIndex(index_url=value))
    elif kind == "extra_index_url":
        request.add_index(PypiIndex(extra_index_urls=(value,)))
    else:
        try:
            request.add_index(PypiIndex(find_links=(local_link(value, base),)))
        except SpecError as exc:
            raise SpecError(f"{where}: {exc.message}", hint=exc.hint) from exc


def _without_hashes(line: str, request: PypiRequest, where: str) -> str:
    """A requirement line without pip's per-requirement `--hash` options, with a warning that they are not checked."""
    kept = _HASH_OPTION.sub("", line)
    if kept != line:
        request.warnings.append(f"{where}: --hash values are not checked when resolving requirements (ignored)")
    return kept


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) with comments removed and backslash continuations joined."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = "" if raw.lstrip().startswith("#") else raw
        if " #" in line:
            line = line.split(" #", 1)[0]
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            out.append((start, full))
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def pypi_request(
    *,
    requirements: Sequence[str] = (),
    editables: Sequence[str] = (),
    requirement_files: Sequence[str] = (),
    constraint_files: Sequence[str] = (),
    index_url: str = "",
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    base: Path | None = None,
) -> PypiRequest | None:
    """A PypiRequest from command-line options (paths relative to `base`), or None when none was given."""
    base = base or Path.cwd()
    request = PypiRequest()
    for name in requirement_files:
        read_requirements_file(base / name, request)
    for name in constraint_files:
        read_requirements_file(base / name, request, constraint=True)
    request.requirements += [requirement(r, base) for r in requirements]
    request.editables += [editable_path(e, base) for e in editables]
    request.add_index(
        PypiIndex(
            index_url=index_url,
            extra_index_urls=tuple(extra_index_urls),
            find_links=tuple(local_link(f, base) for f in find_links),
            no_index=no_index,
        )
    )
    if not (request.requirements or request.editables or request.constraints or request.index != PypiIndex()):
        return None
    return request
