"""What uv is given of corral's network settings: proxies, TLS verification, and the index policy."""

from __future__ import annotations

from urllib.parse import urlsplit

from corral.models import PypiIndex
from corral.netconfig import SYSTEM_CERTS
from corral.policy import PYPI_DEFAULT_INDEX, check_indexes
from corral.settings import Settings

PYPI_FILES_HOST = "files.pythonhosted.org"  # where PyPI's simple pages point for the files themselves


def network_environment(settings: Settings) -> dict[str, str]:
    """uv's variables for the proxies and a CA bundle (a proxy's password stays out of uv's argv).

    uv 0.13 reads HTTP_PROXY/HTTPS_PROXY (and their lower-case forms, which are set alike so that a
    user's own lower-case variable does not win over the setting) and SSL_CERT_FILE.
    """
    env: dict[str, str] = {}
    for scheme, proxy in settings.proxy_servers:
        env[f"{scheme.upper()}_PROXY"] = proxy
        env[f"{scheme}_proxy"] = proxy
    if isinstance(settings.ssl_verify, str) and settings.ssl_verify != SYSTEM_CERTS:
        env["SSL_CERT_FILE"] = settings.ssl_verify
    return env


def network_arguments(settings: Settings, index: PypiIndex) -> list[str]:
    """uv's TLS options; the index policy is checked first, so a refused index never reaches uv.

    `ssl_verify = false` allows insecure connections to every host the index options name (and
    PyPI's file host when PyPI is used): uv has no switch that turns verification off everywhere.
    `truststore` (conda's value) is uv's --system-certs.
    """
    check_indexes(settings, index, "this command")
    if settings.ssl_verify == SYSTEM_CERTS:
        return ["--system-certs"]
    if settings.ssl_verify is not False:
        return []
    urls = [*([] if index.no_index else [index.index_url or PYPI_DEFAULT_INDEX]), *index.extra_index_urls]
    urls += [u for u in index.find_links if "://" in u]
    hosts = [h for h in (urlsplit(u).hostname for u in urls) if h]
    if not index.no_index and not index.index_url:
        hosts.append(PYPI_FILES_HOST)
    args: list[str] = []
    for host in dict.fromkeys(hosts):
        args += ["--allow-insecure-host", host]
    return args
