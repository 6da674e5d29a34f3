"""Trusted sources: conda's `allowlist_channels` and `denylist_channels`, and corral's `allowlist-indexes`
for PyPI, enforced on every road.

A solve checks the request's channels; a frozen install (create --lock, pixi.lock/conda-lock.yml
imports, doctor --fix, clone) checks the channel of every record it would link. Channels compare by
their URL (a name `conda-forge` is `https://conda.anaconda.org/conda-forge`; a local folder is its
file:// URL), as conda compares them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from corral.channels import CHANNEL_ALIAS
from corral.errors import ChannelError, PypiError
from corral.models import EnvSpec, PypiIndex
from corral.redact import strip_credentials
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


PYPI_DEFAULT_INDEX = "https://pypi.org/simple"  # what uv (and pip) use without --index-url


def check_indexes(settings: Settings, index: PypiIndex, what: str = "the request") -> None:
    """Refuse a PyPI index or find-links location not under one of `allowlist-indexes` (when set).

    Every URL the options would make uv read counts: the index URL (PyPI's own when none is given
    and --no-index is not), each extra index and each find-links location (a folder is its file://
    URL). A URL is allowed when it is an allowed one or below it, compared without credentials, with
    the scheme and host in lower case, the default port and a trailing slash dropped.
    """
    if not settings.allowlist_indexes:
        return
    allowed = [_url_key(u) for u in settings.allowlist_indexes]
    used = [*([] if index.no_index else [index.index_url or PYPI_DEFAULT_INDEX])]
    used += [*index.extra_index_urls, *index.find_links]
    for url in dict.fromkeys(used):
        key = _url_key(url)
        if not any(key == a or key.startswith(a + "/") for a in allowed):
            kind = "find-links location" if url in index.find_links else "PyPI index"
            raise PypiError(
                f"{kind} {strip_credentials(url)} is not under allowlist-indexes (from"
                f" {settings.sources.get('allowlist_indexes', 'defaults')}); {what} uses it, and nothing was changed",
                hint="use an index under one of "
                + ", ".join(strip_credentials(u) for u in settings.allowlist_indexes)
                + " (--index-url, or --no-index with --find-links), or add it to allowlist-indexes",
            )


def _url_key(url: str) -> str:
    """A URL or a folder path in the one form allowlist-indexes compares (no credentials)."""
    from urllib.parse import unquote, urlsplit

    value = url.strip()
    if "://" not in value:
        return "file://" + os.path.abspath(os.path.expanduser(value)).rstrip("/")
    parts = urlsplit(strip_credentials(value))
    scheme = parts.scheme.lower()
    if scheme == "file":
        return "file://" + os.path.normpath(unquote(parts.path)).rstrip("/")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host += f":{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def check_request_indexes(settings: Settings, spec: EnvSpec) -> None:
    """check_indexes for a request that has PyPI packages (a conda-only request reads no index)."""
    if spec.pypi or spec.editables:
        check_indexes(settings, spec.index)
