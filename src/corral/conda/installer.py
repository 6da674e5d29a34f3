"""Link conda entries into an empty prefix with rattler (hardlinks from the package cache), hashes checked first."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.errors import InstallError, VerificationError, no_space
from corral.lock.lockfile import CondaEntry
from corral.reporting import Reporter
from corral.settings import Settings

_HASH_MISMATCH = re.compile(r"hash mismatch when extracting (\S+) to .*?expected (\w+), got (\w+)")


class _ProgressAdapter:
    """rattler's InstallerReporter callbacks forwarded to a corral Reporter."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    def on_transaction_start(self, total_operations: int) -> None:
        self.reporter.start("Installing", total_operations)

    def on_transaction_operation_complete(self, operation: int) -> None:
        self.reporter.advance()

    def on_transaction_complete(self) -> None:
        self.reporter.finish()

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

    Every archive is checked against its sha256 first (`records.checked_records`). Files that
    embed their prefix get `final_prefix`, where the directory will be renamed to.
    """
    import rattler

    from corral.conda.auth import client
    from corral.conda.records import checked_records

    records = checked_records(entries, settings, reporter)
    # py-rattler 0.28 accepts only the inner spec object here.
    specs = [rattler.MatchSpec(s)._match_spec for s in requested]

    async def run() -> None:
        await rattler.install(
            records,
            target_prefix=prefix,
            alternative_target_prefix=final_prefix,
            cache_dir=settings.conda_cache,
            installed_packages=[],
            show_progress=False,
            reporter=_ProgressAdapter(reporter),
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
