"""The same create done with py-rattler alone: solve, install into a fresh prefix (the baseline)."""

from __future__ import annotations

import asyncio
import os
import sys

import rattler


async def main(channel: str, prefix: str, cache: str, repodata: str, specs: list[str]) -> None:
    gateway = rattler.Gateway(cache_dir=repodata)
    records = await rattler.solve(
        [rattler.Channel(channel)], specs, gateway=gateway, virtual_packages=rattler.VirtualPackage.detect()
    )
    await rattler.install(records, target_prefix=prefix, cache_dir=cache, show_progress=False)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
    sys.stdout.flush()
    os._exit(0)
