"""A lock's conda part done with py-rattler alone: gateway + solve for one platform (the baseline).

python bench/solve_alone.py REPODATA_CACHE PLATFORM CHANNEL... -- SPEC...
"""

from __future__ import annotations

import asyncio
import os
import sys

import rattler


async def main(cache: str, platform: str, channels: list[str], specs: list[str]) -> None:
    gateway = rattler.Gateway(cache_dir=cache)
    virtual = [
        rattler.GenericVirtualPackage(rattler.PackageName(n), rattler.Version(v), rattler.BuildString(b))
        for n, v, b in (
            ("__glibc", "2.28", "0"),
            ("__linux", "4.18", "0"),
            ("__unix", "0", "0"),
            ("__archspec", "1", "x86_64"),
        )
    ]
    await rattler.solve(
        [rattler.Channel(c) for c in channels],
        sorted(specs),
        gateway=gateway,
        platforms=[rattler.Subdir(platform), rattler.Subdir("noarch")],
        virtual_packages=virtual,
    )


if __name__ == "__main__":
    split = sys.argv.index("--")
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:split], sys.argv[split + 1 :]))
    sys.stdout.flush()
    os._exit(0)
