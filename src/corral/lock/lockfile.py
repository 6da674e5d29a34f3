"""corral.lock: the environment's request and, per platform, every artifact to install it exactly.

Pure data and text: no solving, no rattler. The file is YAML written with a fixed key order and
sorted entries, so the same inputs give the same bytes and a change shows as a small diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from corral import jsontext
from corral.errors import LockError
from corral.lock.entries import Artifact, CondaEntry, LockedPlatform, PypiEntry
from corral.lock.sections import Checker, section_from_dict, typed
from corral.models import EnvSpec
from corral.regex import Lazy
from corral.textfile import read_text
from corral.values import field, frozen, replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for type checkers: start-up without it (~3 ms)
    from typing import Any

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
    check = Checker(where)
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
    check = Checker(where)
    inp = check.mapping(root.get("input"), "input")
    spec = typed(where, "input.spec", EnvSpec.from_dict, check.mapping(inp.get("spec"), "input.spec"))
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
