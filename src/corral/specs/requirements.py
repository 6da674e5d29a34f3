"""pip's request vocabulary (requirement strings, -r/-c/-e files, index options) read into a PypiRequest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from corral.errors import SpecError
from corral.models import EnvSpec, PypiIndex, pypi_name
from corral.regex import Lazy
from corral.specs.localreq import editable_path, local_link, project_name, requirement
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
_HASH_OPTION = Lazy(r"\s+--hash[=\s]+\S+")


def read_requirements_file(path: Path, request: PypiRequest, constraint: bool = False, depth: int = 0) -> None:
    """Add the contents of a requirements (or, with `constraint`, constraints) file to `request`."""
    if depth > 10:
        raise SpecError(f"{path}: -r files nest more than 10 deep", hint="check for a file that includes itself")
    try:
        text = read_text(path, encoding="utf-8-sig")
    except OSError as exc:
        raise SpecError(f"cannot read requirements file {path}: {exc.strerror}", hint="check the path") from exc
    import shlex  # only when a file is read: its import compiles a regular expression

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
