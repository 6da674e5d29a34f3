"""corral.lock: the environment's request and, per platform, every artifact to install it exactly.

Pure data and text: no solving, no rattler. The file is YAML written with a fixed key order and
sorted entries, so the same inputs give the same bytes and a change shows as a small diff.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from corral import jsontext
from corral.errors import LockError
from corral.lock.entries import Artifact, CondaEntry, LockedPlatform, PypiEntry
from corral.models import EnvSpec
from corral.regex import Lazy
from corral.textfile import read_text
from corral.values import field, frozen, replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for type checkers: start-up without it (~3 ms)
    from typing import Any, TypeVar

    T = TypeVar("T")

__all__ = [
    "Artifact",
    "CondaEntry",
    "Lock",
    "LockedPlatform",
    "PypiEntry",
    "dumps",
    "from_dict",
    "load",
    "section_from_dict",
]

LOCK_VERSION = 1
LOCK_NAME = "corral.lock"
HEADER = (
    "# corral.lock: made by `corral lock`. Do not edit: change the environment file and run\n"
    "# `corral lock` again. `corral create --lock` installs it exactly, checking every hash.\n"
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def spec_hash(spec: EnvSpec) -> str:
    """The content hash of a request: what `lock --check` compares."""
    canonical = jsontext.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    import hashlib

    return hashlib.sha256(canonical.encode()).hexdigest()


@frozen
class Lock:
    """A whole lock: the request it satisfies (and its hash), and one section per platform.

    A project's lock also holds its named environments (`environments:`, each an input and its
    platforms, as the top level has them); the top level is the default environment.
    """

    spec: EnvSpec
    platforms: tuple[LockedPlatform, ...]
    sources: tuple[str, ...] = ()  # the files it was made from, as given
    input_hash: str = field(default="")
    environments: tuple[tuple[str, Lock], ...] = ()  # named environments, sorted by name

    def __post_init__(self) -> None:
        if not self.input_hash:
            object.__setattr__(self, "input_hash", spec_hash(self.spec))

    def platform(self, name: str) -> LockedPlatform | None:
        """The section for `name`, or None."""
        return next((p for p in self.platforms if p.platform == name), None)

    def platform_names(self) -> tuple[str, ...]:
        """The platforms it covers, sorted."""
        return tuple(sorted(p.platform for p in self.platforms))

    def with_platform(self, section: LockedPlatform) -> Lock:
        """This lock with `section` added or replacing the one for its platform."""
        others = tuple(p for p in self.platforms if p.platform != section.platform)
        return replace(self, platforms=(*others, section))

    def environment(self, name: str) -> Lock | None:
        """The named environment's lock ("default": this one), or None."""
        if name == "default":
            return self
        return next((lock for n, lock in self.environments if n == name), None)

    def with_environment(self, name: str, lock: Lock | None) -> Lock:
        """This lock with the named environment set to `lock` (None: taken out)."""
        others = [(n, e) for n, e in self.environments if n != name]
        if lock is not None:
            others.append((name, replace(lock, environments=())))
        return replace(self, environments=tuple(sorted(others, key=lambda item: item[0])))

    def to_dict(self) -> dict[str, Any]:
        """The document as written (`environments` only when there are named ones: older locks keep their bytes)."""
        out: dict[str, Any] = {"version": LOCK_VERSION, **self._body()}
        if self.environments:
            out["environments"] = {name: lock._body() for name, lock in self.environments}
        return out

    def _body(self) -> dict[str, Any]:
        return {
            "input": {"sha256": self.input_hash, "sources": list(self.sources), "spec": self.spec.to_dict()},
            "platforms": {p.platform: p.to_dict() for p in sorted(self.platforms, key=lambda p: p.platform)},
        }


def dumps(lock: Lock) -> str:
    """The lock as text: the same lock always gives the same bytes."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(
        lock.to_dict(), Dumper=dumper, sort_keys=False, default_flow_style=False, width=10_000, allow_unicode=True
    )
    return HEADER + body


def load(path: Path, parsed: Path | None = None) -> Lock:
    """Read and check a lock file; a damaged or hand-edited one is named, with the entry at fault.

    `parsed` (the store's cache/parsed-locks) keeps each lock document read once as JSON, named
    by the sha256 of the file's text: a lock read again is checked as always but not parsed as
    YAML (PyYAML's import alone costs more than the rest of a small lock's read).
    """
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise LockError(
            f"lock file {path} does not exist", hint="make one with `corral lock -f environment.yml`"
        ) from None
    except OSError as exc:
        raise LockError(
            f"cannot read lock file {path}: {exc.strerror or exc}", hint="give the path of a corral.lock"
        ) from exc
    from corral.keptparse import parse_kept

    return from_dict(parse_kept(text, lambda t: _yaml_document(t, path), parsed), str(path))


def _yaml_document(text: str, path: Path) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    _refuse_aliases(yaml, text, path)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise LockError(
            f"{path}{where}: the lock file is not valid YAML ({getattr(exc, 'problem', exc)})",
            hint="a lock is written by `corral lock`; make it again rather than editing it",
        ) from exc


_MAYBE_ALIAS = Lazy(r"(?:^|[\s,\[{:-])[&*][^\s,\[\]{}]")


def _refuse_aliases(yaml: Any, text: str, path: Path) -> None:
    """corral writes no YAML anchors or aliases; a lock that has them is refused (a 1 KB file of nested
    aliases expands to gigabytes). A quick scan first; only a possible hit is parsed to be sure."""
    if not _MAYBE_ALIAS.search(text):
        return
    try:
        events = yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        found = any(isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None) for e in events)
    except yaml.YAMLError:
        return  # the loader names the syntax error with its line
    if found:
        raise LockError(
            f"{path}: the lock uses YAML anchors or aliases, which corral never writes",
            hint="the lock was edited by hand or made by another tool; make it again: corral lock -f FILE",
        )


def from_dict(data: Any, where: str) -> Lock:
    """Check a loaded document and build the Lock; errors name the entry."""
    check = _Checker(where)
    root = check.mapping(data, "the document")
    version = root.get("version")
    if version != LOCK_VERSION:
        raise LockError(
            f"{where}: lock version {version!r} is not one this corral reads (it reads version {LOCK_VERSION})",
            hint="make the lock again with this corral: corral lock -f FILE",
        )
    named = []
    for name, body in check.mapping(root.get("environments", {}), "environments").items():
        named.append(
            (str(name), _environment(check.mapping(body, f"environments.{name}"), f"{where}: environments.{name}"))
        )
    return replace(_environment(root, where), environments=tuple(sorted(named, key=lambda item: item[0])))


def _environment(root: Mapping[str, Any], where: str) -> Lock:
    """One environment's input and platforms (the top level, or an entry of `environments`)."""
    check = _Checker(where)
    inp = check.mapping(root.get("input"), "input")
    spec = _typed(where, "input.spec", EnvSpec.from_dict, check.mapping(inp.get("spec"), "input.spec"))
    recorded = check.text(inp, "sha256", "input")
    sources = tuple(str(s) for s in check.sequence(inp.get("sources", []), "input.sources"))
    if recorded != spec_hash(spec):
        raise LockError(
            f"{where}: the input section was edited by hand (its sha256 does not match its spec)",
            hint="make the lock again: corral lock -f FILE",
        )
    platforms = []
    for name, section in check.mapping(root.get("platforms"), "platforms").items():
        platforms.append(section_from_dict(str(name), section, where))
    if not platforms:
        raise LockError(f"{where}: the lock covers no platform", hint="make it again: corral lock -f FILE --platform P")
    return Lock(spec=spec, platforms=tuple(platforms), sources=sources, input_hash=recorded)


def _typed(where: str, entry: str, build: Callable[..., T], *args: Any) -> T:
    """`build(*args)`, with a value of the wrong type anywhere inside `entry` reported as a LockError naming it."""
    try:
        return build(*args)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise LockError(
            f"{where}: {entry} holds a value of the wrong type ({type(exc).__name__}: {exc})",
            hint="a lock is written by `corral lock`; make it again rather than editing it",
        ) from exc


def section_from_dict(name: str, data: Any, where: str) -> LockedPlatform:
    """One platform's section (as LockedPlatform.to_dict writes it), checked; errors name `where` and the entry."""
    check = _Checker(where)
    return _platform(check, name, check.mapping(data, f"platforms.{name}"))


def _platform(check: _Checker, name: str, section: Mapping[str, Any]) -> LockedPlatform:
    conda = []
    for i, item in enumerate(check.sequence(section.get("conda", []), f"platforms.{name}.conda")):
        entry = f"platforms.{name}.conda[{i}]"
        conda.append(_typed(check.where, entry, _conda, check, check.mapping(item, entry), f"{name}.conda[{i}]"))
    pypi = []
    for i, item in enumerate(check.sequence(section.get("pypi", []), f"platforms.{name}.pypi")):
        entry = f"platforms.{name}.pypi[{i}]"
        pypi.append(_typed(check.where, entry, _pypi, check, check.mapping(item, entry), f"{name}.pypi[{i}]"))
    return LockedPlatform(
        platform=name,
        virtual_packages=tuple(str(v) for v in check.sequence(section.get("virtual-packages", []), name)),
        python=str(section.get("python", "") or ""),
        conda=tuple(conda),
        pypi=tuple(pypi),
    )


def _conda(check: _Checker, item: Mapping[str, Any], at: str) -> CondaEntry:
    name = check.text(item, "name", at)
    at = f"{at} ({name})"
    entry = CondaEntry(
        name=name,
        version=check.text(item, "version", at),
        build=check.text(item, "build", at),
        build_number=check.integer(item, "build_number", at),
        subdir=check.text(item, "subdir", at),
        channel=str(item.get("channel", "")),
        url=check.text(item, "url", at),
        sha256=check.digest(item, "sha256", at, _HEX64),
        md5=check.digest(item, "md5", at, _HEX32, required=False),
        size=check.integer(item, "size", at, required=False),
        depends=tuple(str(d) for d in check.sequence(item.get("depends", []), f"{at}.depends")),
        constrains=tuple(str(d) for d in check.sequence(item.get("constrains", []), f"{at}.constrains")),
        noarch=str(item.get("noarch", "") or ""),
        license=str(item.get("license", "") or ""),
        timestamp=check.integer(item, "timestamp", at, required=False),
        python_site_packages_path=str(item.get("python_site_packages_path", "") or ""),
        track_features=tuple(str(t) for t in check.sequence(item.get("track_features", []), f"{at}.track_features")),
        features=str(item.get("features", "") or ""),
        license_family=str(item.get("license_family", "") or ""),
    )
    stem = entry.file_name.removesuffix(".conda").removesuffix(".tar.bz2")
    if stem != entry.label:
        raise LockError(
            f"{check.where}: entry {at}: its url names {entry.file_name}, not {entry.label}",
            hint="the lock was edited by hand; make it again: corral lock -f FILE",
        )
    return entry


def _pypi(check: _Checker, item: Mapping[str, Any], at: str) -> PypiEntry:
    name = check.text(item, "name", at)
    at = f"{at} ({name})"
    if item.get("editable"):
        return PypiEntry(name=name, editable=str(item["editable"]))
    if item.get("direct"):
        return PypiEntry(name=name, direct=str(item["direct"]))
    wheels = tuple(
        _artifact(check, check.mapping(w, f"{at}.wheels[{i}]"), f"{at}.wheels[{i}]")
        for i, w in enumerate(check.sequence(item.get("wheels", []), f"{at}.wheels"))
    )
    sdist = item.get("sdist")
    entry = PypiEntry(
        name=name,
        version=check.text(item, "version", at),
        requires_python=str(item.get("requires-python", "") or ""),
        wheels=wheels,
        sdist=_artifact(check, check.mapping(sdist, f"{at}.sdist"), f"{at}.sdist") if sdist is not None else None,
    )
    if not entry.wheels and entry.sdist is None:
        raise LockError(
            f"{check.where}: entry {at} has neither wheels nor an sdist",
            hint="the lock was edited by hand; make it again: corral lock -f FILE",
        )
    return entry


def _artifact(check: _Checker, item: Mapping[str, Any], at: str) -> Artifact:
    return Artifact(url=check.text(item, "url", at), sha256=check.digest(item, "sha256", at, _HEX64))


@frozen
class _Checker:
    """Type checks that raise a LockError naming the file and the entry."""

    where: str

    def fail(self, at: str, what: str) -> LockError:
        return LockError(
            f"{self.where}: entry {at}: {what}",
            hint="the lock is damaged or was edited by hand; make it again: corral lock -f FILE",
        )

    def mapping(self, value: Any, at: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(at, f"expected a mapping, found {type(value).__name__}")
        return value

    def sequence(self, value: Any, at: str) -> Sequence[Any]:
        if not isinstance(value, list):
            raise self.fail(at, f"expected a list, found {type(value).__name__}")
        return value

    def text(self, item: Mapping[str, Any], key: str, at: str) -> str:
        value = item.get(key)
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or str(value) == "":
            raise self.fail(at, f"'{key}' is missing or not a string")
        return str(value)

    def integer(self, item: Mapping[str, Any], key: str, at: str, required: bool = True) -> int:
        value = item.get(key, None if required else 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(at, f"'{key}' is missing or not a whole number")
        return value

    def digest(self, item: Mapping[str, Any], key: str, at: str, shape: re.Pattern[str], required: bool = True) -> str:
        value = item.get(key, None if required else "")
        if value == "" and not required:
            return ""
        if not isinstance(value, str) or not shape.match(value):
            raise self.fail(at, f"'{key}' is not a hex digest of the right length: {value!r}")
        return value
