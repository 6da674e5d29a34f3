"""A generation's own record (conda-meta/corral/generation.json): a typed, checked value, never a guess.

The record says what produced the generation (action, command, parent, the request) and what it
is: its locked platform, the exact conda records and PyPI artifacts it was built from. The one
materializer builds generations from such a section, so a record is enough to build the same
generation again (`doctor --fix`) or to export its lock without asking any index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from corral.errors import LockError
from corral.lock.entries import CondaEntry, LockedPlatform, PypiEntry
from corral.lock.sections import section_from_dict
from corral.models import Change, EnvSpec, pypi_name
from corral.values import frozen

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from typing import Any

RECORD_SCHEMA = 2


class DamagedRecord(ValueError):
    """The record's text is not a record corral wrote; the message says what is wrong."""


@frozen
class FoundPython:
    """The interpreter a venv-style generation runs on (found on the machine, not a conda package)."""

    path: str
    version: str
    implementation: str = "cpython"
    source: str = ""
    prefix: str = ""

    @property
    def minor(self) -> str:
        """ "3.12" for "3.12.1"."""
        return ".".join(self.version.split(".")[:2])

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {
            "path": self.path,
            "version": self.version,
            "implementation": self.implementation,
            "source": self.source,
            "prefix": self.prefix,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FoundPython:
        """Inverse of to_dict."""
        return cls(
            path=_text(data, "path"),
            version=_text(data, "version"),
            implementation=str(data.get("implementation", "cpython")),
            source=str(data.get("source", "")),
            prefix=str(data.get("prefix", "")),
        )


@frozen
class GenerationRecord:
    """What one generation is and where it came from."""

    number: int
    created: str
    action: str
    command: str
    spec: EnvSpec
    locked: LockedPlatform  # exactly what was linked and installed
    parent: int | None = None
    changes: tuple[Change, ...] = ()
    python: FoundPython | None = None
    extra_files: tuple[str, ...] = ()  # files corral wrote itself (marker, venv links)
    lock_sha256: str = ""  # the input hash of the lock it was installed from ("" for a solved change)
    corral_version: str = ""

    def pypi_names(self) -> set[str]:
        """The PyPI distributions corral installed in it."""
        return {e.name for e in self.locked.pypi}

    def to_dict(self) -> dict[str, Any]:
        """The record as written."""
        return {
            "schema": RECORD_SCHEMA,
            "number": self.number,
            "created": self.created,
            "action": self.action,
            "command": self.command,
            "parent": self.parent,
            "spec": self.spec.to_dict(),
            "changes": [c.to_dict() for c in self.changes],
            "python": self.python.to_dict() if self.python else None,
            "extra_files": list(self.extra_files),
            "locked": {"platform": self.locked.platform, **self.locked.to_dict()},
            "lock_sha256": self.lock_sha256,
            "corral_version": self.corral_version,
        }

    @classmethod
    def from_dict(cls, data: Any, conda_records: Sequence[Mapping[str, Any]] = ()) -> GenerationRecord:
        """Check and read a record; raise DamagedRecord naming what is wrong.

        Records written before schema 2 carry no locked section: theirs is rebuilt from the
        generation's conda-meta records (`conda_records`) and the PyPI versions they list.
        """
        if not isinstance(data, Mapping):
            raise DamagedRecord(f"expected a JSON object, found {type(data).__name__}")
        try:
            schema = data.get("schema")
            if schema == 1:
                locked = _legacy_section(data, conda_records)
            elif schema == RECORD_SCHEMA:
                section = data.get("locked")
                if not isinstance(section, Mapping):
                    raise DamagedRecord("'locked' is missing or not an object")
                locked = section_from_dict(_text(section, "platform"), section, "the record")
            else:
                raise DamagedRecord(f"unknown schema {schema!r} (this corral reads 1 and {RECORD_SCHEMA})")
            spec = data.get("spec")
            if not isinstance(spec, Mapping) or not isinstance(spec.get("channels", []), list):
                raise DamagedRecord("'spec' is missing or not an object")
            python = data.get("python")
            number = data.get("number")
            if not isinstance(number, int) or isinstance(number, bool):
                raise DamagedRecord("'number' is missing or not a whole number")
            parent = data.get("parent")
            if parent is not None and (not isinstance(parent, int) or isinstance(parent, bool)):
                raise DamagedRecord("'parent' is not a whole number")
            return cls(
                number=number,
                created=_text(data, "created"),
                action=_text(data, "action"),
                command=str(data.get("command", "")),
                spec=EnvSpec.from_dict(spec),
                locked=locked,
                parent=parent,
                changes=tuple(Change.from_dict(c) for c in _list(data, "changes")),
                python=FoundPython.from_dict(python) if isinstance(python, Mapping) else None,
                extra_files=tuple(str(f) for f in _list(data, "extra_files")),
                lock_sha256=str(data.get("lock_sha256", "") or (data.get("lock") or {}).get("sha256", "")),
                corral_version=str(data.get("corral_version", "")),
            )
        except DamagedRecord:
            raise
        except LockError as exc:
            raise DamagedRecord(exc.message) from exc
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DamagedRecord(f"{type(exc).__name__}: {exc}") from exc


def _legacy_section(data: Mapping[str, Any], conda_records: Sequence[Mapping[str, Any]]) -> LockedPlatform:
    """The locked section of a schema-1 record: the lock section it kept, else conda-meta and its PyPI pins."""
    kept = data.get("lock")
    if isinstance(kept, Mapping) and isinstance(kept.get("section"), Mapping):
        return section_from_dict(_text(kept, "platform"), kept["section"], "the record")
    conda = tuple(CondaEntry.from_record(r) for r in conda_records)
    pypi = []
    for pin in _list(data, "pypi"):
        name = pypi_name(_text(pin, "name"))
        if pin.get("editable"):
            pypi.append(PypiEntry(name=name, editable=str(pin["editable"])))
        elif pin.get("url"):
            pypi.append(PypiEntry(name=name, direct=str(pin["url"])))
        else:  # a version without its artifact: installed by version, as it was then
            pypi.append(PypiEntry(name=name, version=_text(pin, "version")))
    found = data.get("python")
    version = next((e.version for e in conda if e.name == "python"), "")
    if not version and isinstance(found, Mapping):
        version = str(found.get("version", ""))
    platform = next((e.subdir for e in conda if e.subdir != "noarch"), "")
    return LockedPlatform(platform=platform, python=version, conda=conda, pypi=tuple(pypi))


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise DamagedRecord(f"'{key}' is missing or not a string")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise DamagedRecord(f"'{key}' is not a list")
    return value
