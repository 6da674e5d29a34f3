"""Keep credentials out of everything corral prints, records or logs."""

from __future__ import annotations

import re

# Greedy up to the last "@" before the host's "/": a raw "@" inside a password stays hidden.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s]+)@")


def redact(text: str) -> str:
    """Replace the user:password part of every URL in `text` with `****`."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}****@", text)


def strip_credentials(url: str) -> str:
    """The URL without its user:password part (for what is recorded on disk)."""
    return _USERINFO.sub(lambda m: m.group("scheme"), url)


def has_credentials(url: str) -> bool:
    """True when the URL carries a user name or password."""
    return bool(_USERINFO.search(url))
