"""Trusted channels: conda's `allowlist_channels` and `denylist_channels`, enforced on every road.

A solve checks the request's channels; a frozen install (create --lock, pixi.lock/conda-lock.yml
imports, doctor --fix, clone) checks the channel of every record it would link. Channels compare by
their URL (a name `conda-forge` is `https://conda.anaconda.org/conda-forge`; a local folder is its
file:// URL), as conda compares them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from corral.channels import CHANNEL_ALIAS
from corral.errors import ChannelError
from corral.settings import Settings


def check_channels(settings: Settings, channels: Iterable[str], what: str = "the request") -> None:
    """Refuse a channel the denylist names or the allowlist (when set) does not."""
    if not settings.allowlist_channels and not settings.denylist_channels:
        return
    denied = {_key(c) for c in settings.denylist_channels}
    allowed = {_key(c) for c in settings.allowlist_channels}
    for channel in dict.fromkeys(channels):
        key = _key(channel)
        if key in denied:
            raise ChannelError(
                f"channel {channel} is in denylist_channels (from"
                f" {settings.sources.get('denylist_channels', 'defaults')}); {what} uses it, and nothing was changed",
                hint="use another channel, or take it off denylist_channels",
            )
        if allowed and key not in allowed:
            raise ChannelError(
                f"channel {channel} is not in allowlist_channels (from"
                f" {settings.sources.get('allowlist_channels', 'defaults')}); {what} uses it, and nothing was changed",
                hint=f"only these channels are allowed: {', '.join(settings.allowlist_channels)}",
            )


def _key(channel: str) -> str:
    value = channel.strip().rstrip("/")
    if value.startswith("file://"):
        return value.removeprefix("file://").rstrip("/")
    if "://" in value:
        return value
    if value.startswith("/"):
        return str(Path(value))
    return CHANNEL_ALIAS + value
