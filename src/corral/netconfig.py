"""The network settings' values: PyPI index policy, conda mirrors, proxies and TLS verification.

Read from corral's config.toml (and, for `proxy_servers` and `ssl_verify`, from conda's .condarc);
checked here once so that the conda side (conda/auth.py builds rattler's client from them) and the
PyPI side (pypi/uv.py gives them to uv) get values that are known to be usable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

PROXY_SCHEMES = ("http", "https")
SYSTEM_CERTS = "truststore"  # conda's ssl_verify value for the operating system's certificate store


def coerce_network_setting(key: str, value: Any) -> Any:
    """The checked form of one network setting; ValueError naming what is wrong."""
    if key == "allowlist_indexes":
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(_location(str(v).strip()) for v in items if str(v).strip())
    if key == "mirrors":
        return _mirrors(value)
    if key == "proxy_servers":
        return _proxies(value)
    return _ssl_verify(value)


def _location(value: str) -> str:
    """An index URL as given, or a folder as its absolute path."""
    if "://" in value:
        scheme = value.split("://", 1)[0].lower()
        if scheme not in ("http", "https", "file"):
            raise ValueError(f"{value!r} is not an http(s):// or file:// URL")
        return value.rstrip("/")
    return os.path.abspath(os.path.expanduser(value))


def _url(value: str, what: str) -> str:
    text = str(value).strip().rstrip("/")
    if "://" not in text:
        if text.startswith(("/", "~", ".")):
            return "file://" + os.path.abspath(os.path.expanduser(text))
        if what == "channel" and text:
            from corral.channels import CHANNEL_ALIAS

            return CHANNEL_ALIAS + text  # a channel name, as conda spells conda-forge
        raise ValueError(f"{value!r} is not a URL (expected http://, https:// or file://)")
    if text.split("://", 1)[0].lower() not in ("http", "https", "file"):
        raise ValueError(f"{value!r} is not an http(s):// or file:// URL")
    return text


def _mirrors(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`{channel URL: [mirror URL, ...]}`; as a string `URL=MIRROR MIRROR,URL=MIRROR`."""
    if isinstance(value, str):
        table: dict[str, Any] = {}
        for item in (i for i in value.split(",") if i.strip()):
            if "=" not in item:
                raise ValueError(
                    'expected a table like {"https://conda.anaconda.org/conda-forge" = ["https://mirror"]}'
                )
            key, _, mirrors = item.partition("=")
            table[key.strip()] = mirrors.split()
        value = table
    if not isinstance(value, Mapping):
        raise ValueError('expected a table like {"https://conda.anaconda.org/conda-forge" = ["https://mirror"]}')
    out = []
    for channel, mirrors in value.items():
        listed = [mirrors] if isinstance(mirrors, str) else list(mirrors)
        if not listed:
            raise ValueError(f"no mirror given for {channel}")
        out.append((_url(str(channel), "channel"), tuple(_url(str(m), "mirror") for m in listed)))
    return tuple(sorted(out))


def _proxies(value: Any) -> tuple[tuple[str, str], ...]:
    """conda's `{http: URL, https: URL}`; as a string `http=URL,https=URL`."""
    if isinstance(value, str):
        value = dict(item.split("=", 1) for item in value.split(",") if "=" in item)
    if not isinstance(value, Mapping):
        raise ValueError('expected a table like {http = "http://proxy:3128", https = "http://proxy:3128"}')
    out = []
    for scheme, url in value.items():
        name = str(scheme).strip().lower()
        if name not in PROXY_SCHEMES:
            raise ValueError(f"a proxy is set for 'http' or 'https' requests, not {scheme!r}")
        proxy = str(url).strip()
        if proxy.split("://", 1)[0].lower() not in ("http", "https", "socks5", "socks5h") or "://" not in proxy:
            raise ValueError(f"proxy for {name} is not an http://, https:// or socks5:// URL")
        out.append((name, proxy))
    return tuple(sorted(out))


def _ssl_verify(value: Any) -> bool | str:
    """True, False, conda's `truststore`, or a CA bundle file (made absolute; it must exist)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    if text.lower() == SYSTEM_CERTS:
        return SYSTEM_CERTS
    path = os.path.abspath(os.path.expanduser(text))
    if not os.path.isfile(path):
        raise ValueError(f"expected true, false, {SYSTEM_CERTS} or a CA bundle file; {path} is not a file")
    return path


def proxy_for(settings_proxies: tuple[tuple[str, str], ...], scheme: str) -> str:
    """The proxy URL set for `scheme` requests, or ''."""
    return dict(settings_proxies).get(scheme, "")


def url_opener(proxies: tuple[tuple[str, str], ...], ssl_verify: bool | str) -> Any:
    """A urllib opener for the few plain HTTP reads corral makes itself, with the same proxies and TLS rules."""
    import ssl
    import urllib.request

    handlers: list[Any] = []
    if proxies:
        handlers.append(urllib.request.ProxyHandler(dict(proxies)))
    if ssl_verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(ssl_verify, str) and ssl_verify != SYSTEM_CERTS:
        context = ssl.create_default_context(cafile=ssl_verify)
    else:
        context = ssl.create_default_context()
    handlers.append(urllib.request.HTTPSHandler(context=context))
    return urllib.request.build_opener(*handlers)
