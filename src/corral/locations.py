"""Where corral keeps things by default: the config file and the store's root.

Standard library only, and strings rather than pathlib, so the fast paths (`corral run`) can find
the store without loading Settings.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def default_config_file(environ: Mapping[str, str]) -> str:
    """The TOML config file: $CORRAL_CONFIG, else corral/config.toml in the user config dir."""
    if environ.get("CORRAL_CONFIG"):
        return os.path.expanduser(environ["CORRAL_CONFIG"])
    return os.path.join(_user_dir("config", environ), "config.toml")


def default_root(environ: Mapping[str, str] | None = None) -> str:
    """The store's default location, in the user data dir."""
    return _user_dir("data", os.environ if environ is None else environ)


def parsed_config_dir(environ: Mapping[str, str]) -> str:
    """Config files (.condarc, config.toml) read before, as JSON (keptparse): in the user cache dir, since the
    store's root is only known once they are read."""
    return os.path.join(_user_dir("cache", environ), "parsed-config")


_XDG = {
    "config": ("XDG_CONFIG_HOME", ".config"),
    "data": ("XDG_DATA_HOME", ".local/share"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
}


def _user_dir(kind: str, environ: Mapping[str, str]) -> str:
    """XDG dirs on Linux without importing platformdirs (8 ms of start-up); platformdirs elsewhere."""
    if sys.platform.startswith("linux"):
        var, fallback = _XDG[kind]
        base = environ.get(var, "").strip()
        return os.path.join(base if os.path.isabs(base) else os.path.join(os.path.expanduser("~"), fallback), "corral")
    import platformdirs

    found = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
    }
    return str(found[kind]("corral"))
