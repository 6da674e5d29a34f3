"""The conda side of locks: records to entries and back, and archives checked against their sha256."""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import InstallError, VerificationError
from corral.lock.lockfile import CondaEntry
from corral.reporting import Reporter
from corral.settings import Settings


def entry_from_dict(record: Mapping[str, Any]) -> CondaEntry:
    """A lock entry from a record's JSON (a conda-meta file, or rattler's `to_json()`)."""
    timestamp = record.get("timestamp") or 0
    return CondaEntry(
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
    )


def _noarch(value: Any) -> str:
    if value in (None, False, ""):
        return ""
    return "generic" if value is True else str(value)


def entry_from_record(record: Any) -> CondaEntry:
    """A lock entry from a rattler RepoDataRecord."""
    import json

    return entry_from_dict(json.loads(record.to_json()))


def to_record(entry: CondaEntry, url: str | None = None) -> Any:
    """A rattler RepoDataRecord built from the entry alone (no repodata); `url` replaces where it is fetched from."""
    import rattler

    package = rattler.PackageRecord(
        name=entry.name,
        version=entry.version,
        build=rattler.BuildString(entry.build),
        build_number=entry.build_number,
        subdir=entry.subdir,
        noarch=entry.noarch or None,  # type: ignore[arg-type]
        depends=list(entry.depends),
        constrains=list(entry.constrains),
        sha256=bytes.fromhex(entry.sha256),
        md5=bytes.fromhex(entry.md5) if entry.md5 else None,
        size=entry.size or None,
        license=entry.license or None,
    )
    if entry.timestamp:
        package.timestamp = datetime.datetime.fromtimestamp(entry.timestamp / 1000, tz=datetime.timezone.utc)
    return rattler.RepoDataRecord(package, entry.file_name, url or entry.url, entry.channel)


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_sha256(cache: Path, entry: CondaEntry) -> str:
    """The sha256 rattler's cache recorded for an extracted package ('' when it holds none).

    rattler writes `<name-version-build>.lock` beside the extracted directory: 8 bytes of revision,
    then the archive's sha256.
    """
    stem = entry.file_name.removesuffix(".tar.bz2").removesuffix(".conda")
    if not (cache / stem / "info" / "index.json").is_file():
        return ""
    try:
        data = (cache / f"{stem}.lock").read_bytes()
    except OSError:
        return ""
    return data[8:40].hex() if len(data) == 40 else ""


def verified_records(entries: Sequence[CondaEntry], settings: Settings, reporter: Reporter) -> list[Any]:
    """The entries as rattler records whose archives were checked against the lock's sha256.

    A local archive is hashed where it is; a remote one is downloaded into corral's archive cache and
    hashed there, and rattler links it from that verified copy. A package already extracted in the
    cache under the same sha256 (it was checked when it came in) is used as it is; with --offline
    that is the only source for remote packages. Any mismatch stops everything before a file is
    linked, naming every package at fault.
    """
    records = []
    problems: list[str] = []
    archives = settings.conda_cache.parent / "archives"
    reporter.start("Checking package hashes", len(entries))
    try:
        for entry in entries:
            source = local_path(entry.url)
            if cached_sha256(settings.conda_cache, entry) == entry.sha256 and (source is None or not source.exists()):
                records.append(to_record(entry))
            elif source is not None:
                if not source.is_file():
                    problems.append(f"{entry.label}: {source} does not exist and the package is not in the cache")
                elif (found := sha256_of(source)) != entry.sha256:
                    problems.append(f"{entry.label}: the lock says sha256 {entry.sha256}, {source} has {found}")
                else:
                    records.append(to_record(entry))
            elif settings.offline:
                problems.append(f"{entry.label}: not in the cache (--offline)")
            else:
                path = _download(entry, archives)
                if (found := sha256_of(path)) != entry.sha256:
                    path.unlink(missing_ok=True)
                    problems.append(f"{entry.label}: the lock says sha256 {entry.sha256}, {entry.url} gave {found}")
                else:
                    records.append(to_record(entry, url=path.as_uri()))
            reporter.advance()
    finally:
        reporter.finish()
    if problems:
        offline = any("--offline" in p for p in problems)
        raise VerificationError(
            f"{len(problems)} package(s) do not match the lock; nothing was installed",
            hint="run once without --offline to download them"
            if offline
            else "the channel's files changed since the lock was made, or the lock was edited: make it again"
            " with `corral lock -f FILE` if the change is expected",
            details=problems[:20],
        )
    return records


def local_path(url: str) -> Path | None:
    """The file a file:// URL (or a plain path) names; None for remote URLs."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        return Path(urllib.parse.unquote(parsed.path))
    if parsed.scheme == "":
        return Path(url)
    return None


def _download(entry: CondaEntry, folder: Path) -> Path:
    """Fetch a remote archive into `folder` (kept, so a later offline install can use it)."""
    import urllib.request

    target = folder / entry.file_name
    if target.is_file() and sha256_of(target) == entry.sha256:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{entry.file_name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(entry.url, timeout=60) as response:
            shutil.copyfileobj(response, out, 1 << 20)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InstallError(
            f"cannot download {entry.url}: {exc}", hint="check the network, or pass --offline to use the cache"
        ) from exc
    return target


def restore_urls(prefix: Path, entries: Sequence[CondaEntry]) -> None:
    """Point the conda-meta records of packages linked from a verified download back at their real URL."""
    import json

    by_stem = {e.label: e for e in entries}
    for path in (prefix / "conda-meta").glob("*.json"):
        entry = by_stem.get(path.stem)
        if entry is None:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("url") != entry.url:
            data["url"], data["channel"] = entry.url, entry.channel
            path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def check_machine(entries: Sequence[CondaEntry]) -> None:
    """Every `__name` dependency of the locked packages is met by this machine's virtual packages."""
    needs = [(e, d) for e in entries for d in e.depends if d.startswith("__")]
    if not needs:
        return
    import rattler

    from corral.conda.solver import detect_virtual_packages

    have = {}
    for package in detect_virtual_packages():
        generic = package.into_generic()
        have[generic.name.normalized] = rattler.PackageRecord(
            name=generic.name.normalized,
            version=str(generic.version),
            build=rattler.BuildString(str(generic.build_string)),
            build_number=0,
            subdir="noarch",
        )
    problems = []
    for entry, dependency in needs:
        spec = rattler.MatchSpec(dependency)
        name = spec.name.normalized if spec.name is not None else dependency
        record = have.get(name)
        if record is None:
            problems.append(f"{entry.label} needs {dependency}; this machine has no {name}")
        elif not spec.matches(record):
            problems.append(f"{entry.label} needs {dependency}; this machine has {name} {record.version}")
    if problems:
        raise InstallError(
            "this machine cannot run some locked packages; nothing was installed",
            hint="lock with system requirements that match this machine (system-requirements: in the file,"
            " or CORRAL_SYSTEM_REQUIREMENTS), or set CONDA_OVERRIDE_* if the detection is wrong",
            details=problems[:20],
        )
