"""Link conda entries into an empty prefix with rattler (hardlinks from the package cache), hashes checked first."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.conda.fetch import restore_urls
from corral.conda.records import checked_records, to_fetch
from corral.errors import InstallError, VerificationError, no_space
from corral.lock.entries import CondaEntry
from corral.regex import Lazy
from corral.reporting import Reporter
from corral.settings import Settings

_HASH_MISMATCH = Lazy(r"hash mismatch when extracting (\S+) to .*?expected (\w+), got (\w+)")


class _ProgressAdapter:
    """rattler's InstallerReporter callbacks forwarded to a corral Reporter: packages linked, and bytes.

    The bytes are those of the package archives made ready so far: a download counts as it
    arrives (on_download_progress), a package already in the cache counts whole once its cache
    entry is validated (on_populate_cache_complete).
    """

    def __init__(self, reporter: Reporter, sizes: dict[str, int]) -> None:
        self.reporter = reporter
        self.sizes = sizes  # package name -> archive bytes
        self._names: dict[int, str] = {}  # token of a cache entry -> its package
        self._downloads: dict[int, str] = {}  # token of a download -> its package
        self._credited: dict[str, int] = {}
        self._total = 0
        self._lock = threading.Lock()

    def on_transaction_start(self, total_operations: int) -> None:
        self.reporter.start("Installing", total_operations, sum(self.sizes.values()))

    def on_populate_cache_start(self, operation: int, package_name: str) -> int:
        with self._lock:
            token = len(self._names)
            self._names[token] = package_name
            return token

    def on_download_start(self, cache_entry: int) -> int:
        with self._lock:
            token = len(self._downloads)
            self._downloads[token] = self._names.get(cache_entry, "")
            return token

    def on_download_progress(self, download_idx: int, progress: int, total: int | None) -> None:
        self._credit(self._downloads.get(download_idx, ""), progress)

    def on_populate_cache_complete(self, cache_entry: int) -> None:
        name = self._names.get(cache_entry, "")
        self._credit(name, self.sizes.get(name, 0))

    def on_transaction_operation_complete(self, operation: int) -> None:
        self.reporter.advance()

    def on_transaction_complete(self) -> None:
        self.reporter.finish()

    def _credit(self, name: str, done: int) -> None:
        with self._lock:
            if not name:
                return
            before = self._credited.get(name, 0)
            now = max(before, min(done, self.sizes.get(name, done)))
            self._credited[name] = now
            self._total += now - before
            total = self._total
        self.reporter.progress_bytes(total)

    def __getattr__(self, name: str) -> Any:
        # Every other callback of the protocol is a no-op; token-returning ones get 0.
        if name.startswith("on_"):
            return lambda *args, **kwargs: 0
        raise AttributeError(name)


def link(
    entries: Sequence[CondaEntry],
    prefix: Path,
    final_prefix: Path,
    requested: Sequence[str],
    settings: Settings,
    reporter: Reporter,
) -> None:
    """Link exactly `entries` into the empty directory `prefix`, noting the requested specs.

    Every archive is checked against its sha256 and its paths first (`records.checked_records`);
    remote ones rattler's cache does not hold are downloaded by corral for that (conda/fetch.py)
    and linked from the download. Files that embed their prefix get `final_prefix`, where the
    directory will be renamed to.
    """
    from corral.conda.fetch import downloaded

    remote = to_fetch(entries, settings)
    with downloaded(remote, settings, reporter) as files:
        records = checked_records(entries, settings, reporter, files)
        _install(entries, records, prefix, final_prefix, requested, settings, reporter)
        restore_urls(prefix, {e.file_name: e.url for e in remote})


def _install(
    entries: Sequence[CondaEntry],
    records: Sequence[Any],
    prefix: Path,
    final_prefix: Path,
    requested: Sequence[str],
    settings: Settings,
    reporter: Reporter,
) -> None:
    """rattler's install of checked records into the empty `prefix`; its errors as corral's."""
    import rattler

    from corral.conda.auth import client

    # py-rattler 0.28 accepts only the inner spec object here.
    specs = [rattler.MatchSpec(s)._match_spec for s in requested]

    async def run() -> None:
        await rattler.install(
            list(records),
            target_prefix=prefix,
            alternative_target_prefix=final_prefix,
            cache_dir=settings.conda_cache,
            installed_packages=[],
            show_progress=False,
            reporter=_ProgressAdapter(reporter, {e.name: e.size for e in entries}),
            requested_specs=specs,
            client=client(settings),
        )

    try:
        asyncio.run(run())
    except Exception as exc:
        reporter.finish()
        if "No space left on device" in str(exc) or getattr(exc, "errno", None) == 28:
            raise no_space(f"the store ({settings.root})") from exc
        from corral.conda.clobbers import conflicts_in_cache, refuse_file_directory

        refuse_file_directory(conflicts_in_cache(settings.conda_cache, entries))
        mismatch = _HASH_MISMATCH.search(str(exc))
        if mismatch:
            raise VerificationError(
                "a downloaded package does not match its recorded sha256; nothing was installed",
                hint="the channel's files changed since the packages were solved or locked: if that is expected,"
                " solve again (or make the lock again with `corral lock -f FILE`)",
                details=[
                    f"{mismatch.group(1)}: expected sha256 {mismatch.group(2)}, the download has {mismatch.group(3)}"
                ],
            ) from exc
        raise InstallError(
            f"installing packages into the new generation failed: {exc}",
            hint="the environment was not changed; check the network, or run `corral clean` if the"
            " package cache is damaged",
        ) from exc
