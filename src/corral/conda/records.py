"""Conda records and lock entries, both ways, and the checks made before linking one (hashes, this machine)."""

from __future__ import annotations

import contextlib
import datetime
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral import jsontext
from corral.errors import InstallError, UnsafePackage, VerificationError
from corral.lock.entries import CondaEntry
from corral.reporting import Reporter
from corral.settings import Settings
from corral.store.fsutil import sha256_of


def entry_from_record(record: Any) -> CondaEntry:
    """A lock entry from a rattler RepoDataRecord."""
    return CondaEntry.from_record(jsontext.loads(record.to_json()))


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
        features=entry.features or None,  # type: ignore[arg-type]
        license=entry.license or None,
        license_family=entry.license_family or None,
        python_site_packages_path=entry.python_site_packages_path or None,
    )
    if entry.track_features:
        package.track_features = list(entry.track_features)
    if entry.timestamp:
        package.timestamp = datetime.datetime.fromtimestamp(entry.timestamp / 1000, tz=datetime.timezone.utc)
    return rattler.RepoDataRecord(package, entry.file_name, url or entry.url, entry.channel)


def local_path(url: str) -> Path | None:
    """The file a file:// URL (or a plain path) names; None for remote URLs."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        return Path(urllib.parse.unquote(parsed.path))
    if parsed.scheme == "":
        return Path(url)
    return None


def is_cached(cache: Path, entry: CondaEntry) -> bool:
    """True when rattler's cache holds the package extracted."""
    stem = entry.file_name.removesuffix(".tar.bz2").removesuffix(".conda")
    return (cache / stem / "info" / "index.json").is_file()


def to_fetch(entries: Sequence[CondaEntry], settings: Settings) -> list[CondaEntry]:
    """The remote entries corral must download itself to check them: not in rattler's cache with their sha256."""
    from corral.conda.fetch import cached_with_hash

    if settings.offline:
        return []  # the cache must hold them (checked_records says so otherwise)
    return [e for e in entries if local_path(e.url) is None and not cached_with_hash(settings.conda_cache, e)]


def checked_records(
    entries: Sequence[CondaEntry], settings: Settings, reporter: Reporter, downloads: Mapping[str, Path] | None = None
) -> list[Any]:
    """The entries as rattler records, each archive's sha256 and paths checked before anything is linked.

    rattler links a local (file://) archive without checking it, so corral hashes each one first,
    remembering the hash by the file's size, mtime and inode so a warm change does not hash the
    same archive again. A remote archive was downloaded by corral (`downloads`, by file name, hashed
    by conda/fetch.py) unless the cache holds it extracted, whose paths are then read from the
    cache; either way rattler links it only after its paths were found safe. With --offline a
    remote package must already be extracted in the cache. A mismatch stops everything, naming
    every package at fault.
    """
    from corral.conda.fetch import extracted_problems, file_url

    downloads = downloads or {}
    problems: list[str] = []
    unsafe: list[str] = []
    unchecked: list[tuple[CondaEntry, Path]] = []
    fetched: list[tuple[CondaEntry, Path]] = []
    known = _HashMemo(settings.conda_cache.parent / "local-hashes.json")
    reporter.start("Checking package hashes", len(entries))
    try:
        for entry in entries:
            source = local_path(entry.url)
            if entry.file_name in downloads:
                fetched.append((entry, downloads[entry.file_name]))
            elif source is None:
                if not is_cached(settings.conda_cache, entry):
                    if settings.offline:
                        problems.append(f"{entry.label}: not in the cache (--offline)")
                elif not known.extracted_checked(settings.conda_cache, entry):
                    found = extracted_problems(settings.conda_cache, entry)
                    unsafe += [f"{entry.label}: {p}" for p in found]
                    if not found:
                        known.mark_extracted(settings.conda_cache, entry)
            elif not source.is_file():
                if not is_cached(settings.conda_cache, entry):
                    problems.append(f"{entry.label}: {source} does not exist and the package is not in the cache")
            elif (found_sha := known.sha256(source)) != entry.sha256:
                problems.append(f"{entry.label}: the record says sha256 {entry.sha256}, {source} has {found_sha}")
            elif not known.checked(source):
                unchecked.append((entry, source))
            reporter.advance()
        if unsafe:
            _refuse(unsafe)
        if not problems and unchecked:
            _refuse_unsafe(unchecked, known)
        if not problems and fetched:
            _refuse_unsafe(fetched, None)
    finally:
        reporter.finish()
        known.save()
    if problems:
        offline = any("--offline" in p for p in problems)
        raise VerificationError(
            f"{len(problems)} package(s) do not match their recorded sha256 or cannot be found; nothing was installed",
            hint="run once without --offline to download them"
            if offline
            else "the channel's files changed since the packages were solved or locked: if that is expected,"
            " solve again (or make the lock again with `corral lock -f FILE`)",
            details=problems[:20],
        )
    return [to_record(e, file_url(downloads[e.file_name]) if e.file_name in downloads else None) for e in entries]


class _HashMemo:
    """sha256 of local archives keyed by path, size, mtime and inode (a changed file is hashed again)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        try:
            data = jsontext.loads(path.read_text(encoding="utf-8"))
            self.known: dict[str, list[Any]] = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.known = {}

    def sha256(self, source: Path) -> str:
        st = source.stat()
        key = [st.st_size, st.st_mtime_ns, st.st_ino]
        seen = self.known.get(str(source))
        if isinstance(seen, list) and len(seen) == 4 and seen[:3] == key:
            return str(seen[3])
        digest = sha256_of(source)
        self.known[str(source)] = [*key, digest]
        self.changed = True
        return digest

    def checked(self, source: Path) -> bool:
        """True when the archive's paths were found safe while it had this size, mtime and inode."""
        st = source.stat()
        return self.known.get(f"paths:{source}") == [st.st_size, st.st_mtime_ns, st.st_ino]

    def mark_checked(self, source: Path) -> None:
        st = source.stat()
        self.known[f"paths:{source}"] = [st.st_size, st.st_mtime_ns, st.st_ino]
        self.changed = True

    def extracted_checked(self, cache: Path, entry: CondaEntry) -> bool:
        """True when the extracted package's paths were found safe while its paths.json had this inode and mtime."""
        key = self._extracted_key(cache, entry)
        return key is not None and self.known.get(f"extracted:{entry.file_name}") == key

    def mark_extracted(self, cache: Path, entry: CondaEntry) -> None:
        key = self._extracted_key(cache, entry)
        if key is not None:
            self.known[f"extracted:{entry.file_name}"] = key
            self.changed = True

    @staticmethod
    def _extracted_key(cache: Path, entry: CondaEntry) -> list[Any] | None:
        stem = entry.file_name.removesuffix(".tar.bz2").removesuffix(".conda")
        try:
            st = (cache / stem / "info" / "paths.json").stat()
        except OSError:
            return None
        return [st.st_size, st.st_mtime_ns, st.st_ino]

    def save(self) -> None:
        if not self.changed:
            return
        from corral.store.fsutil import atomic_write_json

        with contextlib.suppress(OSError):  # a cache of hashes: losing it costs only time
            atomic_write_json(self.path, self.known)


def _refuse_unsafe(archives: Sequence[tuple[CondaEntry, Path]], known: _HashMemo | None) -> None:
    """Read each local archive's paths.json (and its symlinks' targets) before rattler links anything.

    An absolute path makes py-rattler 0.28 abort the whole process (a Rust panic); a `..`, a file in
    conda-meta/ or a PEP 668 marker would write outside the package's place or forge corral's and
    conda's records; a symlink that leaves the prefix points prefix rewriting at an outside file.
    """
    import asyncio

    async def one(path: Path) -> list[str]:
        from rattler.package_streaming import PackageArchive

        package = await PackageArchive.from_path(path)
        found = []
        links = False
        for item in (await package.paths_json()).paths:
            rel = str(item.relative_path)
            links = links or "softlink" in str(item.path_type)
            why = unsafe_path(rel)
            if why:
                found.append(f"{rel}: {why}")
        if not found and links:
            async for member in package.stream("pkg"):
                target = member.link_target if member.is_symlink else None
                if target and (target.startswith("/") or leaves(member.name, target)):
                    found.append(f"{member.name}: a symlink to {target}, outside the environment")
        return found

    async def run() -> list[list[str]]:
        return list(await asyncio.gather(*(one(path) for _, path in archives)))

    try:
        results = asyncio.run(run())
    except Exception as exc:  # rattler refuses archives it cannot read at all
        raise UnsafePackage(
            f"a package archive cannot be read: {exc}", hint="the channel holds a damaged or hostile archive"
        ) from exc
    details = [f"{entry.label}: {p}" for (entry, _), found in zip(archives, results, strict=True) for p in found]
    if details:
        _refuse(details)
    for _, path in archives:
        if known is not None:
            known.mark_checked(path)


def _refuse(details: Sequence[str]) -> None:
    raise UnsafePackage(
        "a package would write outside its place in the environment; nothing was installed",
        hint="the channel serves a hostile or broken package: remove it from the request, or use another channel",
        details=list(details[:20]),
    )


def unsafe_path(rel: str) -> str:
    """Why a package path is refused ('' when it is fine)."""
    parts = rel.replace("\\", "/").split("/")
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        return "an absolute path"
    if ".." in parts:
        return "a path that leaves the package (..)"
    if parts[0] == "conda-meta":
        return "a file in conda-meta/, where the environment's own records live"
    if parts[-1] == "EXTERNALLY-MANAGED":
        return "a PEP 668 marker, which only corral writes"
    return ""


def leaves(name: str, target: str) -> bool:
    import posixpath

    return posixpath.normpath(posixpath.join(posixpath.dirname(name), target)).startswith("..")


def check_machine(entries: Sequence[CondaEntry]) -> None:
    """Every `__name` dependency of the packages is met by this machine's virtual packages."""
    needs = [(e, d) for e in entries for d in e.depends if d.startswith("__")]
    if not needs:
        return
    import rattler

    from corral.conda.machine import machine_virtual_packages

    have = {}
    for name, version, build in machine_virtual_packages():
        have[name] = rattler.PackageRecord(
            name=name, version=version, build=rattler.BuildString(build), build_number=0, subdir="noarch"
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
