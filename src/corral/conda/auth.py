"""rattler's authenticated client over corral's credentials file (see corral/credentials.py)."""

from __future__ import annotations

import os
import threading
from typing import Any

from corral.credentials import ENV_VAR, auth_file
from corral.settings import Settings

_ENV_LOCK = threading.Lock()
_BUILT: dict[tuple[object, ...], Any] = {}  # one client per process and configuration: each costs ~10 ms to build


def client(settings: Settings) -> Any:
    """rattler's client (retries, the network timeout) with its whole authentication storage, corral's file first.

    py-rattler 0.28 reads RATTLER_AUTH_FILE when the client is built (then the keyring,
    ~/.rattler/credentials.json and ~/.netrc); a Gateway without a client sends no credentials at
    all. The variable is set only while the client is built, so no child process inherits it.
    """
    from rattler import Client

    def build() -> Any:
        # rattler's standard stack: retries with back-off on 5xx and failed connections, then
        # authentication; the timeout bounds each request (py-rattler 0.28 has no separate read timeout).
        timeout = max(1, int(settings.network_timeout))
        return Client.default_client(max_retries=settings.network_retries, timeout=timeout)

    path = auth_file(settings.root)
    stamp = path.stat().st_mtime_ns if path.is_file() else None
    key = (str(path), stamp, os.environ.get(ENV_VAR), settings.network_timeout, settings.network_retries)
    if key not in _BUILT:
        if ENV_VAR in os.environ or stamp is None:
            _BUILT[key] = build()
        else:
            with _ENV_LOCK:
                os.environ[ENV_VAR] = str(path)
                try:
                    _BUILT[key] = build()
                finally:
                    del os.environ[ENV_VAR]
    return _BUILT[key]
