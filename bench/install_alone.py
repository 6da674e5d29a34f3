"""A frozen create done with py-rattler alone: the records read from the channel's repodata, installed (the baseline).

python bench/install_alone.py CHANNEL PREFIX PACKAGE_CACHE FILE_NAME...
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import rattler


async def main(channel: Path, prefix: str, cache: str, names: list[str]) -> None:
    records = []
    for subdir in ("linux-64", "noarch"):
        data = json.loads((channel / subdir / "repodata.json").read_text())
        for file_name, record in {**data.get("packages", {}), **data.get("packages.conda", {})}.items():
            if file_name in names:
                package = rattler.PackageRecord(
                    name=record["name"],
                    version=record["version"],
                    build=rattler.BuildString(record["build"]),
                    build_number=record["build_number"],
                    subdir=record["subdir"],
                    noarch=record.get("noarch"),
                    depends=record.get("depends", []),
                    sha256=bytes.fromhex(record["sha256"]),
                    md5=bytes.fromhex(record["md5"]),
                    size=record["size"],
                )
                url = (channel / subdir / file_name).as_uri()
                records.append(rattler.RepoDataRecord(package, file_name, url, channel.as_uri()))
    await rattler.install(records, target_prefix=prefix, cache_dir=cache, show_progress=False)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]))
    sys.stdout.flush()
    os._exit(0)
