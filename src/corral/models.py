"""Value types shared by the use cases: frozen, no I/O, each with to_dict/from_dict."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

SCHEMA_VERSION = 1

ChangeKind = Literal["add", "remove", "upgrade", "downgrade", "change"]


@dataclass(frozen=True, order=True)
class PackageInfo:
    """One installed or planned conda package."""

    name: str
    version: str
    build: str
    channel: str
    subdir: str = ""
    build_number: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "build_number": self.build_number,
            "channel": self.channel,
            "subdir": self.subdir,
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
        )


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class EnvSpec:
    """What the user asked an environment to hold: channels and requested conda specs."""

    channels: tuple[str, ...]
    specs: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """The requested package names, in order."""
        return tuple(spec_name(s) for s in self.specs)

    def with_specs(self, specs: Iterable[str]) -> EnvSpec:
        """Add specs; a new spec replaces an older one for the same package name, in its place."""
        out = list(self.specs)
        for spec in specs:
            name = spec_name(spec)
            index = next((i for i, old in enumerate(out) if spec_name(old) == name), None)
            if index is None:
                out.append(spec)
            else:
                out[index] = spec
        return replace(self, specs=tuple(out))

    def without(self, names: Iterable[str]) -> EnvSpec:
        """Drop the specs for these package names."""
        drop = {n.lower() for n in names}
        return replace(self, specs=tuple(s for s in self.specs if spec_name(s) not in drop))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"channels": list(self.channels), "specs": list(self.specs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnvSpec:
        """Inverse of to_dict."""
        return cls(channels=tuple(data.get("channels", ())), specs=tuple(data.get("specs", ())))


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ChangeOptions:
    """How a mutating command behaves: ask, stop after the plan, drop untracked files."""

    dry_run: bool = False
    yes: bool = False
    discard_untracked: bool = False
