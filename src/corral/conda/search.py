"""`corral search`: what versions and builds the channels have, as `conda search` prints them.

MatchSpec syntax (`'numpy>=2'`, `numpy=1.26=*py312*`, `conda-forge::numpy`), a `*` in the name for
a glob over the channels' package names, newest last; a name the channels lack gets the closest
names they have.
"""

from __future__ import annotations

import asyncio
import difflib
import fnmatch
import re
from collections.abc import Sequence
from typing import Any

from corral.channels import channel_display
from corral.conda.explain import version_key
from corral.errors import PackageNotFound, SpecError
from corral.reporting import Reporter
from corral.settings import Settings
from corral.values import frozen


@frozen
class Hit:
    """One package file a channel has."""

    name: str
    version: str
    build: str
    build_number: int
    channel: str
    subdir: str
    size: int
    depends: tuple[str, ...]
    constrains: tuple[str, ...]
    url: str
    sha256: str
    license: str
    timestamp: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (conda search --json's keys where they exist)."""
        return {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "build_number": self.build_number,
            "channel": self.channel,
            "subdir": self.subdir,
            "size": self.size,
            "depends": list(self.depends),
            "constrains": list(self.constrains),
            "url": self.url,
            "sha256": self.sha256,
            "license": self.license,
            "timestamp": self.timestamp,
        }


def search(settings: Settings, reporter: Reporter, spec: str, channels: Sequence[str], platform: str = "") -> list[Hit]:
    """Every record of the channels (for `platform` and noarch) matching `spec`, sorted newest last."""
    import rattler

    from corral.conda.machine import current_platform
    from corral.conda.solver import make_gateway, parse_specs
    from corral.models import spec_name

    text = spec.strip()
    if "::" in text:
        channel, text = (part.strip() for part in text.split("::", 1))
        channels = [channel]
    name = re.split(r"[\s=<>!~\[]", text, maxsplit=1)[0].lower() if "*" in text.split(" ")[0] else spec_name(text)
    glob = "*" in name
    subdir = platform or current_platform()
    try:
        subdirs = [rattler.Subdir(subdir), rattler.Subdir("noarch")]
    except Exception as exc:
        raise SpecError(f"unknown platform '{platform}'", hint="e.g. linux-64, osx-arm64, win-64") from exc
    sources = [rattler.Channel(c) for c in channels]
    gateway = make_gateway(settings)
    reporter.status(f"Searching {', '.join(channel_display(c) for c in channels)}")

    async def run() -> tuple[list[str], list[Any]]:
        known = sorted({n.normalized for n in await gateway.names(sources, subdirs)})
        wanted = [n for n in known if fnmatch.fnmatchcase(n, name)] if glob else [name] if name in known else []
        groups = await gateway.query(sources, subdirs, wanted, recursive=False) if wanted else []
        return known, [r for group in groups for r in group]

    known, records = asyncio.run(run())
    if not records and not glob and name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        raise PackageNotFound(
            f"package '{name}' is not in the channels ({', '.join(channel_display(c) for c in channels)})",
            hint=f"did you mean {' or '.join(close)}?" if close else "check the spelling, or search another -c CHANNEL",
        )
    matcher = None if glob or text == name else rattler.MatchSpec(parse_specs([text])[0])
    hits = [_hit(r) for r in records if matcher is None or matcher.matches(r)]
    return sorted(hits, key=lambda h: (h.name, version_key(h.version), h.build_number, h.build, h.subdir))


def _hit(record: Any) -> Hit:
    return Hit(
        name=record.name.normalized,
        version=str(record.version),
        build=str(record.build),
        build_number=int(record.build_number),
        channel=channel_display(str(record.channel or "")),
        subdir=str(record.subdir),
        size=int(record.size or 0),
        depends=tuple(str(d) for d in record.depends),
        constrains=tuple(str(c) for c in record.constrains),
        url=str(record.url),
        sha256=str(record.sha256.hex() if isinstance(record.sha256, bytes) else record.sha256 or ""),
        license=str(record.license or ""),
        timestamp=int(record.timestamp.timestamp() * 1000) if record.timestamp else 0,
    )
