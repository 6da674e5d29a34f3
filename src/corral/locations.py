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


def _user_dir(kind: str, environ: Mapping[str, str]) -> str:
    """XDG dirs on Linux without importing platformdirs (8 ms of start-up); platformdirs elsewhere."""
    if sys.platform.startswith("linux"):
        var, fallback = ("XDG_CONFIG_HOME", ".config") if kind == "config" else ("XDG_DATA_HOME", ".local/share")
        base = environ.get(var, "").strip()
        return os.path.join(base if os.path.isabs(base) else os.path.join(os.path.expanduser("~"), fallback), "corral")
    import platformdirs

    return str(platformdirs.user_config_dir("corral") if kind == "config" else platformdirs.user_data_dir("corral"))
