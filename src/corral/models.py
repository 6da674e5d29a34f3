"""Value types shared by the use cases: frozen, no I/O, each with to_dict/from_dict."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from corral.errors import SpecError
from corral.regex import Lazy
from corral.values import frozen, replace

SCHEMA_VERSION = 1
ALL = frozenset({"*"})  # an `upgrade` set that frees every installed conda package

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for type checkers: start-up without it (~3 ms)
    from typing import Any, Literal

    ChangeKind = Literal["add", "remove", "upgrade", "downgrade", "change"]

SYSTEM_KEYS = ("cuda", "glibc", "linux", "macos")  # what `system-requirements` may name


@frozen(order=True)
class PackageInfo:
    """One installed or planned conda package."""

    name: str
    version: str
    build: str
    channel: str
    subdir: str = ""
    build_number: int = 0
    kind: str = "conda"  # "conda" (a conda record) or "pypi" (a distribution uv installed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "build_number": self.build_number,
            "channel": self.channel,
            "subdir": self.subdir,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PackageInfo:
        """Inverse of to_dict."""
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            build=str(data["build"]),
            channel=str(data.get("channel", "")),
            subdir=str(data.get("subdir", "")),
            build_number=int(data.get("build_number", 0)),
            kind=str(data.get("kind", "conda")),
        )


@frozen
class Change:
    """What happens to one package name between two generations."""

    kind: ChangeKind
    name: str
    old: PackageInfo | None = None
    new: PackageInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "name": self.name,
            "old": self.old.to_dict() if self.old else None,
            "new": self.new.to_dict() if self.new else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        """Inverse of to_dict."""
        return cls(
            kind=data["kind"],
            name=str(data["name"]),
            old=PackageInfo.from_dict(data["old"]) if data.get("old") else None,
            new=PackageInfo.from_dict(data["new"]) if data.get("new") else None,
        )


@frozen
class Clobber:
    """A path that several conda packages ship: whose file is in place, whose were moved aside."""

    path: str
    winner: str
    losers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"path": self.path, "kept_from": self.winner, "moved_aside": list(self.losers)}


@frozen
class PackageMessage:
    """Text a conda package has for the user: a pre-link message file, or what its link script wrote."""

    package: str
    source: str  # "pre-link message NAME" or "post-link script"
    text: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"package": self.package, "source": self.source, "text": self.text}


@frozen
class Plan:
    """The difference between the current packages and the solved ones."""

    changes: tuple[Change, ...] = ()

    def of_kind(self, kind: ChangeKind) -> tuple[Change, ...]:
        """The changes of one kind, by name."""
        return tuple(c for c in self.changes if c.kind == kind)

    @property
    def is_empty(self) -> bool:
        """True when no package changes."""
        return not self.changes

    def summary(self) -> dict[str, int]:
        """Counts per kind."""
        return {kind: len(self.of_kind(kind)) for kind in ("add", "remove", "upgrade", "downgrade", "change")}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"changes": [c.to_dict() for c in self.changes], "summary": self.summary()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Inverse of to_dict."""
        return cls(tuple(Change.from_dict(c) for c in data.get("changes", ())))


def spec_name(spec: str) -> str:
    """The package name a match spec string asks for (`conda-forge::numpy>=1` -> `numpy`)."""
    text = spec.strip()
    if "::" in text:
        text = text.split("::", 1)[1]
    end = len(text)
    for i, char in enumerate(text):
        if char in " =<>!~[;,*":
            end = i
            break
    return text[:end].strip().lower()


_PYPI_NAME = Lazy(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_SEPARATORS = Lazy(r"[-_.]+")


def pypi_name(requirement: str) -> str:
    """The normalized (PEP 503) distribution name of a requirement string (`Foo_Bar[x]>=1` -> `foo-bar`)."""
    match = _PYPI_NAME.match(requirement)
    name = match.group(1) if match else requirement.strip()
    return _SEPARATORS.sub("-", name).lower()


@frozen
class PypiIndex:
    """Where PyPI packages come from: pip's --index-url, --extra-index-url, --find-links, --no-index."""

    index_url: str = ""  # empty: PyPI
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False

    def merged(self, other: PypiIndex) -> PypiIndex:
        """These options with `other`'s added: a new index URL wins, lists are joined without repeats."""
        return PypiIndex(
            index_url=other.index_url or self.index_url,
            extra_index_urls=tuple(dict.fromkeys(self.extra_index_urls + other.extra_index_urls)),
            find_links=tuple(dict.fromkeys(self.find_links + other.find_links)),
            no_index=self.no_index or other.no_index,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, without credentials: they are never written down (uv finds them in ~/.netrc)."""
        from corral.redact import strip_credentials

        return {
            "index_url": strip_credentials(self.index_url),
            "extra_index_urls": [strip_credentials(u) for u in self.extra_index_urls],
            "find_links": [strip_credentials(u) for u in self.find_links],
            "no_index": self.no_index,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PypiIndex:
        """Inverse of to_dict."""
        return cls(
            index_url=str(data.get("index_url", "")),
            extra_index_urls=texts(data.get("extra_index_urls", ()), "extra_index_urls"),
            find_links=texts(data.get("find_links", ()), "find_links"),
            no_index=bool(data.get("no_index", False)),
        )


def texts(value: Any, what: str) -> tuple[str, ...]:
    """A recorded list of strings as a tuple; anything else (a string, a None inside) is a TypeError naming it."""
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise TypeError(f"{what} must be a list of strings, not {value!r:.80}")


@frozen
class EnvSpec:
    """What the user asked an environment to hold: conda channels and specs, PyPI requirements.

    `python` is set for environments built on a found interpreter (no conda packages): the
    `--python` request, e.g. "3.12". `editables` are absolute paths of local projects.
    `variables` are environment variables set on activation and in `run` (environment.yml's
    `variables:`), in the order given. `system` are the `system-requirements:` a lock assumes of
    the machines it targets (cuda, glibc, linux, macos -> version), sorted.
    """

    channels: tuple[str, ...]
    specs: tuple[str, ...] = ()
    pypi: tuple[str, ...] = ()
    editables: tuple[str, ...] = ()
    pypi_constraints: tuple[str, ...] = ()
    index: PypiIndex = PypiIndex()
    python: str = ""
    variables: tuple[tuple[str, str], ...] = ()
    system: tuple[tuple[str, str], ...] = ()

    def names(self) -> tuple[str, ...]:
        """The requested conda package names, in order."""
        return tuple(spec_name(s) for s in self.specs)

    def pypi_names(self) -> tuple[str, ...]:
        """The requested PyPI distribution names (normalized), in order."""
        return tuple(pypi_name(r) for r in self.pypi)

    @property
    def has_pypi(self) -> bool:
        """True when the environment has a PyPI side (requests, editables, or a found interpreter)."""
        return bool(self.pypi or self.editables or self.python)

    def with_specs(self, specs: Iterable[str]) -> EnvSpec:
        """Add conda specs; a new spec replaces an older one for the same package name, in its place."""
        return replace(self, specs=_merge(self.specs, specs, spec_name))

    def with_pypi(self, requirements: Iterable[str]) -> EnvSpec:
        """Add PyPI requirements; a new one replaces an older one for the same distribution, in its place."""
        return replace(self, pypi=_merge(self.pypi, requirements, pypi_name))

    def without(self, names: Iterable[str]) -> EnvSpec:
        """Drop the conda specs for these package names."""
        drop = {n.lower() for n in names}
        return replace(self, specs=tuple(s for s in self.specs if spec_name(s) not in drop))

    def without_pypi(self, names: Iterable[str]) -> EnvSpec:
        """Drop the PyPI requirements for these distribution names."""
        drop = {pypi_name(n) for n in names}
        return replace(self, pypi=tuple(r for r in self.pypi if pypi_name(r) not in drop))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "channels": list(self.channels),
            "specs": list(self.specs),
            "pypi": list(self.pypi),
            "editables": list(self.editables),
            "pypi_constraints": list(self.pypi_constraints),
            "index": self.index.to_dict(),
            "python": self.python,
            "variables": dict(self.variables),
            **({"system": dict(self.system)} if self.system else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnvSpec:
        """Inverse of to_dict."""
        return cls(
            channels=texts(data.get("channels", ()), "channels"),
            specs=texts(data.get("specs", ()), "specs"),
            pypi=texts(data.get("pypi", ()), "pypi"),
            editables=texts(data.get("editables", ()), "editables"),
            pypi_constraints=texts(data.get("pypi_constraints", ()), "pypi_constraints"),
            index=PypiIndex.from_dict(data.get("index", {})),
            python=str(data.get("python", "")),
            variables=tuple((str(k), str(v)) for k, v in dict(data.get("variables", {})).items()),
            system=tuple(sorted((str(k), str(v)) for k, v in dict(data.get("system", {})).items())),
        )

    def layered(self, top: EnvSpec) -> EnvSpec:
        """This spec with `top` laid over it (environment files given later, or an included base).

        Channels are appended without repeats; conda specs and PyPI requirements are merged by
        package name with `top` winning; editables and constraints joined; index options merged;
        variables and system requirements overridden by name.
        """
        return EnvSpec(
            channels=tuple(dict.fromkeys(self.channels + top.channels)),
            specs=_merge(self.specs, top.specs, spec_name),
            pypi=_merge(self.pypi, top.pypi, pypi_name),
            editables=tuple(dict.fromkeys(self.editables + top.editables)),
            pypi_constraints=_merge(self.pypi_constraints, top.pypi_constraints, pypi_name),
            index=self.index.merged(top.index),
            python=top.python or self.python,
            variables=tuple({**dict(self.variables), **dict(top.variables)}.items()),
            system=tuple(sorted({**dict(self.system), **dict(top.system)}.items())),
        )


def _merge(old: tuple[str, ...], new: Iterable[str], key: Any) -> tuple[str, ...]:
    out = list(old)
    for item in new:
        index = next((i for i, existing in enumerate(out) if key(existing) == key(item)), None)
        if index is None:
            out.append(item)
        else:
            out[index] = item
    return tuple(out)


@frozen
class HistoryEntry:
    """One switch of an environment's link: a new generation or a rollback."""

    generation: int
    time: str
    action: str
    command: str
    previous: int | None = None
    changes: tuple[Change, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "generation": self.generation,
            "time": self.time,
            "action": self.action,
            "command": self.command,
            "previous": self.previous,
            "changes": [c.to_dict() for c in self.changes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryEntry:
        """Inverse of to_dict."""
        return cls(
            generation=int(data["generation"]),
            time=str(data["time"]),
            action=str(data["action"]),
            command=str(data.get("command", "")),
            previous=data.get("previous"),
            changes=tuple(Change.from_dict(c) for c in data.get("changes", ())),
        )


@frozen
class EnvInfo:
    """An environment as `env list` shows it."""

    name: str | None
    path: str
    generation: int | None
    generations: tuple[int, ...]
    created: str
    updated: str
    healthy_link: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "path": self.path,
            "generation": self.generation,
            "generations": list(self.generations),
            "created": self.created,
            "updated": self.updated,
            "link_ok": self.healthy_link,
        }


@frozen
class ChangeOptions:
    """How a mutating command behaves: ask, stop after the plan, drop untracked files."""

    dry_run: bool = False
    yes: bool = False
    discard_untracked: bool = False


def check_system(requirements: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Validated `system-requirements` (cuda, glibc, linux, macos -> version), sorted."""
    out = []
    for key, value in requirements.items():
        if key not in SYSTEM_KEYS:
            raise SpecError(
                f"unknown system requirement '{key}'",
                hint=f'known: {", ".join(SYSTEM_KEYS)} (e.g. cuda: "12.0", glibc: "2.31", macos: "14.0")',
            )
        text = str(value).strip()
        if not text or not all(part.isdigit() for part in text.split(".")):
            raise SpecError(f"system requirement {key}={value!r} is not a version like 12.0")
        out.append((key, text))
    return tuple(sorted(out))
