"""Materialize solved records into an empty prefix with rattler (hardlinks from the package cache)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from corral.conda.solver import Solution
from corral.errors import InstallError
from corral.reporting import Reporter
from corral.settings import Settings


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


def install(
    solution: Solution,
    prefix: Path,
    final_prefix: Path,
    requested: list[str],
    settings: Settings,
    reporter: Reporter,
) -> None:
    """Link every record of `solution` into the empty directory `prefix`, noting the requested specs.

    Files that embed their prefix get `final_prefix`, where the directory will be renamed to.
    """
    import rattler

    if settings.offline:
        _check_cached(solution.records, settings.conda_cache)
    # py-rattler 0.28 accepts only the inner spec object here.
    specs = [rattler.MatchSpec(s)._match_spec for s in requested]

    async def run() -> None:
        await rattler.install(
            solution.records,
            target_prefix=prefix,
            alternative_target_prefix=final_prefix,
            cache_dir=settings.conda_cache,
            installed_packages=[],
            show_progress=False,
            reporter=_ProgressAdapter(reporter),
            requested_specs=specs,
        )

    try:
        asyncio.run(run())
    except Exception as exc:
        reporter.finish()
        raise InstallError(
            f"installing packages into the new generation failed: {exc}",
            hint="the environment was not changed; check the network, or run `corral clean` if the"
            " package cache is damaged",
        ) from exc


def _check_cached(records: list[Any], cache: Path) -> None:
    """With --offline, every non-local package must already be extracted in the cache."""
    missing = []
    for record in records:
        url = str(record.url)
        stem = str(record.file_name).removesuffix(".tar.bz2").removesuffix(".conda")
        if not url.startswith("file://") and not (cache / stem / "info" / "index.json").is_file():
            missing.append(f"{record.name.normalized}-{record.version}-{record.build}")
    if missing:
        raise InstallError(
            f"--offline: {len(missing)} package(s) are not in the cache: {', '.join(missing[:10])}",
            hint="run the command once without --offline to download them",
        )
