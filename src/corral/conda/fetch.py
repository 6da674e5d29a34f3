"""Remote archives checked before anything is linked: downloaded by corral with rattler's client, then linked locally.

rattler's `install` downloads, extracts and links in one call, so an archive it fetched itself
could not be looked at between the download and the link. A remote package that rattler's cache
does not hold with the record's sha256 is therefore downloaded first (the authenticated client
of conda/auth.py: credentials, retries, the network timeout) into a scratch file in the package
cache, hashed, and its paths checked like a local archive's; rattler then extracts and links it
from that file (a `file://` record), and the environment's conda-meta gets the channel URL back.
A package already extracted in the cache has its paths checked from the extracted folder.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from corral import jsontext
from corral.errors import InstallError, VerificationError, no_space
from corral.lock.entries import CondaEntry
from corral.reporting import Reporter
from corral.settings import Settings
from corral.store.fsutil import atomic_write_text, sha256_of


def cached_with_hash(cache: Path, entry: CondaEntry) -> bool:
    """True when rattler's cache holds the package extracted from an archive with the entry's sha256.

    rattler's `NAME.lock` beside the folder is its revision (8 bytes) and the archive's sha256 (32
    bytes); an entry without it, or with another hash, is one rattler would fetch again itself.
    """
    stem = entry.file_name.removesuffix(".tar.bz2").removesuffix(".conda")
    if not (cache / stem / "info" / "index.json").is_file() or not entry.sha256:
        return False
    try:
        data = (cache / f"{stem}.lock").read_bytes()
    except OSError:
        return False
    return len(data) >= 40 and data[8:40].hex() == entry.sha256.lower()


def extracted_problems(cache: Path, entry: CondaEntry) -> list[str]:
    """What is unsafe in a package already extracted in the cache (its info/paths.json and real symlinks)."""
    from corral.conda.records import leaves, unsafe_path

    folder = cache / entry.file_name.removesuffix(".tar.bz2").removesuffix(".conda")
    try:
        paths = jsontext.loads((folder / "info" / "paths.json").read_text(encoding="utf-8")).get("paths", [])
    except (OSError, ValueError, AttributeError) as exc:
        return [f"its extracted info/paths.json cannot be read ({exc})"]
    found = []
    for item in paths:
        rel = str(item.get("_path", "")) if isinstance(item, dict) else ""
        why = unsafe_path(rel)
        if why:
            found.append(f"{rel}: {why}")
        elif item.get("path_type") == "softlink":
            try:
                target = os.readlink(folder / rel)
            except OSError:
                continue
            if target.startswith("/") or leaves(rel, target):
                found.append(f"{rel}: a symlink to {target}, outside the environment")
    return found


@contextmanager
def downloaded(entries: Sequence[CondaEntry], settings: Settings, reporter: Reporter) -> Iterator[dict[str, Path]]:
    """Download the entries' archives into scratch files in the package cache; their paths, by file name.

    The files are removed when the block ends (a killed run leaves `.corral-PID-...` files, which
    `clean` removes as leftovers). A sha256 that differs from the entry's stops everything.
    """
    cache = settings.conda_cache
    cache.mkdir(parents=True, exist_ok=True)  # also where checked_records keeps its hashes
    if not entries:  # the common case (a local channel, a warm cache): no download client to import or make
        yield {}
        return
    import asyncio

    from rattler.package_streaming import download_to_path

    from corral.conda.auth import client

    files = {e.file_name: cache / f".corral-{os.getpid()}-{e.file_name}" for e in entries}
    reporter.start("Downloading", len(entries), sum(e.size for e in entries))
    done = 0

    async def one(entry: CondaEntry) -> None:
        nonlocal done
        await download_to_path(http, entry.url, files[entry.file_name])
        done += entry.size
        reporter.advance()
        reporter.progress_bytes(done)

    async def run() -> list[Any]:
        return list(await asyncio.gather(*(one(e) for e in entries), return_exceptions=True))

    http = client(settings)

    try:
        outcomes = asyncio.run(run())
        reporter.finish()
        failures = [(e, o) for e, o in zip(entries, outcomes, strict=True) if isinstance(o, BaseException)]
        if failures:
            raise _download_error(failures, settings)
        problems = []
        for entry in entries:
            found = sha256_of(files[entry.file_name])
            if found != entry.sha256:
                problems.append(f"{entry.label}: expected sha256 {entry.sha256}, the download has {found}")
        if problems:
            raise VerificationError(
                "a downloaded package does not match its recorded sha256; nothing was installed",
                hint="the channel's files changed since the packages were solved or locked: if that is expected,"
                " solve again (or make the lock again with `corral lock -f FILE`)",
                details=problems[:20],
            )
        yield files
    finally:
        for path in files.values():
            path.unlink(missing_ok=True)


def _download_error(failures: Sequence[tuple[CondaEntry, BaseException]], settings: Settings) -> BaseException:
    from corral.redact import redact

    _, exc = failures[0]
    if isinstance(exc, KeyboardInterrupt):
        return exc
    text = redact(str(exc).strip()) or type(exc).__name__
    if "No space left on device" in text or getattr(exc, "errno", None) == 28:
        return no_space(f"the store ({settings.root})")
    hint = "check the network and the channel's server; nothing was installed"
    if "timed out" in text:
        hint = (
            f"the channel did not answer within network-timeout ({settings.network_timeout:g} s, after"
            f" {settings.network_retries} retries): check the server, or raise CORRAL_NETWORK_TIMEOUT"
        )
    return InstallError(
        f"downloading {len(failures)} package(s) failed; the environment was not changed",
        hint=hint,
        details=[f"{e.label}: {redact(e.url)}: {redact(str(x).strip()) or type(x).__name__}" for e, x in failures][:20]
        or [text],
    )


def file_url(path: Path) -> str:
    """The file:// URL rattler reads a scratch archive from."""
    return "file://" + urllib.parse.quote(str(path))


def restore_urls(prefix: Path, urls: Mapping[str, str]) -> None:
    """Put the channel URL back into the conda-meta records of packages linked from a scratch download."""
    if not urls:
        return
    for path in sorted((prefix / "conda-meta").glob("*.json")):
        data = jsontext.loads(path.read_text(encoding="utf-8"))
        url = urls.get(str(data.get("fn", "")))
        if isinstance(data, dict) and url is not None and data.get("url") != url:
            data["url"] = url
            mode = path.stat().st_mode & 0o777
            atomic_write_text(path, jsontext.dumps(data, indent=2) + "\n")
            path.chmod(mode)
