"""Keep credentials out of everything corral prints, records or logs.

Two kinds of secret travel inside URLs: `user:password@` (PyPI indexes, private channels) and
conda's channel tokens, a `/t/<token>` path segment (anaconda.org, private mirrors). conda finds
the token with `/t/([a-zA-Z0-9-]*)` (conda/common/url.py `split_anaconda_token`); corral accepts
every URL-unreserved character in it, so a token with `_` or `.` is hidden too.
"""

from __future__ import annotations

from corral.regex import Lazy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MASK = "****"
# Greedy up to the last "@" before the host's "/": a raw "@" inside a password stays hidden.
_USERINFO = Lazy(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s]+)@")
# A URL as it appears in running text (up to whitespace or a quote).
_URL = Lazy(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")
_TOKEN = Lazy(r"/t/(?P<token>[A-Za-z0-9_.~%-]+)(?=/|$|[?#])")


def redact(text: str) -> str:
    """`text` with the user:password part and the `/t/<token>` of every URL replaced by `****`."""
    return _URL.sub(lambda m: _redact_url(m.group(0)), text)


def redact_value(value: Any) -> Any:
    """A setting's value (a string, or lists of them) with every URL's credentials replaced by `****`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value


def _redact_url(url: str) -> str:
    url = _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", url)
    return _TOKEN.sub(f"/t/{MASK}", url, count=1)


def strip_credentials(url: str) -> str:
    """The URL without its user:password part and its `/t/<token>` segment (for what is recorded on disk)."""
    return split_credentials(url)[0]


def split_credentials(url: str) -> tuple[str, str, str, str]:
    """(the URL without credentials, user, password, token); empty strings for what it does not carry.

    As conda's `split_anaconda_token` + `remove_auth`: `https://u:p@host/t/TK/chan` gives
    `https://host/chan`, the token segment being taken out of the path wherever it is.
    """
    user = password = token = ""
    info = _USERINFO.match(url) if "://" in url else None
    if info:
        user, _, password = info.group("userinfo").partition(":")
        url = info.group("scheme") + url[info.end() :]
    found = _TOKEN.search(url) if "://" in url else None
    if found:
        token = found.group("token")
        url = url[: found.start()] + url[found.end() :]
    return url, user, password, token


def has_credentials(url: str) -> bool:
    """True when the URL carries a user name, a password or a conda token."""
    return split_credentials(url)[0] != url
