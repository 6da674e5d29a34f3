"""The values a lock and a generation record are made of: conda entries, PyPI entries and artifacts, platforms.

Pure data with a fixed written form (`to_dict`); lockfile.py reads and checks them.
"""

from __future__ import annotations

from collections.abc import Mapping

from corral.models import PackageInfo
from corral.values import frozen

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from typing import Any


@frozen
class CondaEntry:
    """One conda package, with all a frozen install needs and no repodata."""

    name: str
    version: str
    build: str
    build_number: int
    subdir: str
    channel: str
    url: str
    sha256: str
    md5: str = ""
    size: int = 0
    depends: tuple[str, ...] = ()
    constrains: tuple[str, ...] = ()
    noarch: str = ""
    license: str = ""
    timestamp: int = 0
    # Fields rattler needs to link exactly as a solve would: where noarch: python files go (a
    # free-threaded python says lib/python3.13t/site-packages), feature tracking, and the license
    # family. (arch and platform are not kept: rattler derives them from the subdir.)
    python_site_packages_path: str = ""
    track_features: tuple[str, ...] = ()
    features: str = ""
    license_family: str = ""

    @property
    def file_name(self) -> str:
        """The archive's file name (the last part of its URL)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CondaEntry:
        """An entry from a record's JSON (a conda-meta file, or rattler's `to_json()`), every field kept."""
        timestamp = record.get("timestamp") or 0
        track = record.get("track_features") or ()
        return cls(
            name=str(record["name"]),
            version=str(record["version"]),
            build=str(record["build"]),
            build_number=int(record.get("build_number", 0)),
            subdir=str(record.get("subdir", "")),
            channel=str(record.get("channel", "") or ""),
            url=str(record.get("url", "")),
            sha256=str(record.get("sha256", "") or ""),
            md5=str(record.get("md5", "") or ""),
            size=int(record.get("size", 0) or 0),
            depends=tuple(str(d) for d in record.get("depends", ())),
            constrains=tuple(str(d) for d in record.get("constrains", ())),
            noarch=_noarch(record.get("noarch")),
            license=str(record.get("license", "") or ""),
            timestamp=int(timestamp) if isinstance(timestamp, (int, float)) else 0,
            python_site_packages_path=str(record.get("python_site_packages_path", "") or ""),
            track_features=tuple(track.replace(",", " ").split() if isinstance(track, str) else map(str, track)),
            features=str(record.get("features", "") or ""),
            license_family=str(record.get("license_family", "") or ""),
        )

    def package_info(self) -> PackageInfo:
        """The entry as plans and lists show a package."""
        from corral.channels import channel_display

        return PackageInfo(
            self.name, self.version, self.build, channel_display(self.channel), self.subdir, self.build_number
        )

    @property
    def label(self) -> str:
        """name-version-build, as conda names a package."""
        return f"{self.name}-{self.version}-{self.build}"

    def to_dict(self) -> dict[str, Any]:
        """The entry as written: fixed key order, empty optional fields left out."""
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "build_number": self.build_number,
            "subdir": self.subdir,
        }
        if self.noarch:
            out["noarch"] = self.noarch
        out.update({"channel": self.channel, "url": self.url, "sha256": self.sha256})
        if self.md5:
            out["md5"] = self.md5
        if self.size:
            out["size"] = self.size
        out["depends"] = list(self.depends)
        if self.constrains:
            out["constrains"] = list(self.constrains)
        if self.license:
            out["license"] = self.license
        if self.timestamp:
            out["timestamp"] = self.timestamp
        optional: dict[str, Any] = {
            "python_site_packages_path": self.python_site_packages_path,
            "track_features": list(self.track_features),
            "features": self.features,
            "license_family": self.license_family,
        }
        out.update({k: v for k, v in optional.items() if v})
        return out


def _noarch(value: Any) -> str:
    if value in (None, False, ""):
        return ""
    return "generic" if value is True else str(value)


@frozen
class Artifact:
    """A file of a PyPI release: where it is and its sha256."""

    url: str
    sha256: str

    @property
    def file_name(self) -> str:
        """The file's name (the last part of its URL or path)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"url": self.url, "sha256": self.sha256}


@frozen
class PypiEntry:
    """One PyPI distribution for one platform: its wheels for that platform, and its sdist if any.

    `editable` entries are the user's own projects (a path, no hash), installed editable; `direct`
    entries are direct references that cannot be pinned by a hash (a VCS URL at a commit), made by
    solved changes only (`corral lock` refuses them).
    """

    name: str
    version: str = ""
    requires_python: str = ""
    wheels: tuple[Artifact, ...] = ()
    sdist: Artifact | None = None
    editable: str = ""
    direct: str = ""

    def package_info(self) -> PackageInfo:
        """The entry as plans and lists show a package (an editable or direct one: its path or URL as channel)."""
        if self.editable:
            return PackageInfo(self.name, "", "editable", self.editable, kind="pypi")
        return PackageInfo(self.name, self.version or "", "", self.direct or "pypi", kind="pypi")

    def to_dict(self) -> dict[str, Any]:
        """The entry as written."""
        out: dict[str, Any] = {"name": self.name}
        if self.editable:
            out["editable"] = self.editable
            return out
        if self.direct:
            out["direct"] = self.direct
            return out
        out["version"] = self.version
        if self.requires_python:
            out["requires-python"] = self.requires_python
        if self.wheels:
            out["wheels"] = [w.to_dict() for w in self.wheels]
        if self.sdist is not None:
            out["sdist"] = self.sdist.to_dict()
        return out


@frozen
class LockedPlatform:
    """What one platform installs: the virtual packages assumed, the Python, the packages."""

    platform: str
    virtual_packages: tuple[str, ...] = ()
    python: str = ""
    conda: tuple[CondaEntry, ...] = ()
    pypi: tuple[PypiEntry, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The section as written (entries sorted by name)."""
        out: dict[str, Any] = {"virtual-packages": sorted(self.virtual_packages)}
        if self.python:
            out["python"] = self.python
        out["conda"] = [e.to_dict() for e in sorted(self.conda, key=lambda e: (e.name, e.subdir))]
        out["pypi"] = [e.to_dict() for e in sorted(self.pypi, key=lambda e: e.name)]
        return out
