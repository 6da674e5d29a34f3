"""One platform's section of a lock (or of a generation's record), read back from its dict form and checked.

Every error is a LockError naming the file (`where`) and the entry. Used by lockfile.py for
the sections of a lock, and by record.py for the section a generation records: a generation's
record is read without the rest of the lock format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from corral.errors import LockError
from corral.lock.entries import Artifact, CondaEntry, LockedPlatform, PypiEntry
from corral.values import frozen

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for type checkers: start-up without it (~3 ms)
    from typing import Any, TypeVar

    T = TypeVar("T")

_HEX = frozenset("0123456789abcdef")  # a digest checked as a string: rollback reads records and compiles no regex


def typed(where: str, entry: str, build: Callable[..., T], *args: Any) -> T:
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
    check = Checker(where)
    return _platform(check, name, check.mapping(data, f"platforms.{name}"))


def _platform(check: Checker, name: str, section: Mapping[str, Any]) -> LockedPlatform:
    conda = []
    for i, item in enumerate(check.sequence(section.get("conda", []), f"platforms.{name}.conda")):
        entry = f"platforms.{name}.conda[{i}]"
        conda.append(typed(check.where, entry, _conda, check, check.mapping(item, entry), f"{name}.conda[{i}]"))
    pypi = []
    for i, item in enumerate(check.sequence(section.get("pypi", []), f"platforms.{name}.pypi")):
        entry = f"platforms.{name}.pypi[{i}]"
        pypi.append(typed(check.where, entry, _pypi, check, check.mapping(item, entry), f"{name}.pypi[{i}]"))
    return LockedPlatform(
        platform=name,
        virtual_packages=tuple(str(v) for v in check.sequence(section.get("virtual-packages", []), name)),
        python=str(section.get("python", "") or ""),
        conda=tuple(conda),
        pypi=tuple(pypi),
    )


def _conda(check: Checker, item: Mapping[str, Any], at: str) -> CondaEntry:
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
        sha256=check.digest(item, "sha256", at, 64),
        md5=check.digest(item, "md5", at, 32, required=False),
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


def _pypi(check: Checker, item: Mapping[str, Any], at: str) -> PypiEntry:
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


def _artifact(check: Checker, item: Mapping[str, Any], at: str) -> Artifact:
    return Artifact(url=check.text(item, "url", at), sha256=check.digest(item, "sha256", at, 64))


@frozen
class Checker:
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

    def digest(self, item: Mapping[str, Any], key: str, at: str, length: int, required: bool = True) -> str:
        value = item.get(key, None if required else "")
        if value == "" and not required:
            return ""
        if not isinstance(value, str) or len(value) != length or not _HEX.issuperset(value):
            raise self.fail(at, f"'{key}' is not a hex digest of the right length: {value!r}")
        return value
