"""rattler's one network client: corral's credentials file, mirrors, proxies, TLS, retries and timeout."""

from __future__ import annotations

import os
import threading
from typing import Any

from corral import jsontext
from corral.credentials import ENV_VAR, auth_file
from corral.settings import Settings

_ENV_LOCK = threading.Lock()
_BUILT: dict[tuple[object, ...], Any] = {}  # one client per process and configuration: each costs ~10 ms to build


def client(settings: Settings) -> Any:
    """rattler's client for every repodata fetch and package download of the conda side.

    Built with `Client.from_config` from a rattler configuration made of corral's settings: the
    `mirrors` (a request under a channel URL goes to its mirrors instead; what is recorded keeps the
    channel's URL, since rattler rewrites requests, not records), `proxy_servers` and `ssl_verify`;
    then rattler's standard stack: retries with back-off on 5xx answers and failed connections,
    authentication, and the timeout of each request (py-rattler 0.28 has no separate read timeout).

    Two things go through variables set only while the client is built (so no child inherits them):
    corral's credentials file as RATTLER_AUTH_FILE, which rattler reads before the keyring and
    ~/.netrc (the config key `authentication-override-file` would replace that whole chain), and a
    CA bundle (`ssl_verify: /path/ca.pem`) as SSL_CERT_FILE, which the system certificate store
    rattler is then told to use reads.
    """
    from rattler import Client
    from rattler.config import Config

    timeout = max(1, int(settings.network_timeout))
    text = rattler_config_toml(settings)
    env: dict[str, str] = {}
    path = auth_file(settings.root)
    if ENV_VAR not in os.environ and path.is_file():
        env[ENV_VAR] = str(path)
    if isinstance(settings.ssl_verify, str) and os.path.isfile(settings.ssl_verify):
        env["SSL_CERT_FILE"] = settings.ssl_verify
    stamp = path.stat().st_mtime_ns if env.get(ENV_VAR) else None  # a rewritten credentials file: a new client
    key = (text, stamp, tuple(sorted(env.items())), settings.network_timeout, settings.network_retries)
    if key in _BUILT:
        return _BUILT[key]
    config = Config.from_toml(text)
    if not env:
        built = Client.from_config(config, max_retries=settings.network_retries, timeout=timeout)
    else:
        with _ENV_LOCK:
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                built = Client.from_config(config, max_retries=settings.network_retries, timeout=timeout)
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
    _BUILT[key] = built
    return built


def rattler_config_toml(settings: Settings) -> str:
    """The rattler (pixi) configuration text of corral's network settings."""
    lines: list[str] = []
    if settings.ssl_verify is False:
        lines.append("tls-no-verify = true")
    elif isinstance(settings.ssl_verify, str):  # a CA bundle or conda's `truststore`: the system's store
        lines.append('tls-root-certs = "system"')
    proxies = dict(settings.proxy_servers)
    if proxies:
        lines.append("[proxy-config]")
        lines += [f"{scheme} = {jsontext.dumps(proxies[scheme])}" for scheme in ("http", "https") if scheme in proxies]
    if settings.mirrors:
        lines.append("[mirrors]")
        for channel, mirrors in settings.mirrors:
            # rattler matches a request by URL prefix: a trailing slash keeps `.../conda-forge` from
            # also catching `.../conda-forge-extra`, and mirrors replace exactly that prefix.
            lines.append(f"{jsontext.dumps(channel + '/')} = {jsontext.dumps([m + '/' for m in mirrors])}")
    return "\n".join(lines) + "\n"
