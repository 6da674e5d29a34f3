"""Settings resolved once: defaults < config file < environment variables < flags."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from corral import layout
from corral.errors import ConfigError
from corral.locations import default_config_file, default_root, parsed_config_dir
from corral.textfile import read_text
from corral.values import field, field_names, frozen, replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from pathlib import Path
    from typing import Any

DEFAULT_CHANNELS = ("conda-forge",)
LINK_SCRIPT_CHOICES = ("run", "skip", "refuse")
PATH_CONFLICT_CHOICES = ("clobber", "warn", "prevent")
KERNEL_CHOICES = ("manual", "auto")
LIST_SETTINGS = frozenset({"channels", "allowlist_channels", "denylist_channels", "allowlist_indexes"})


@frozen
class Settings:
    """Every knob corral reads, in one frozen object passed down from the CLI.

    `root` and `config_file` are strings and the store's folders `Path`s made on demand: the light
    commands (rollback, run) find the store without importing pathlib, which brings `re`, `enum`,
    urllib.parse and ipaddress (~43 M instructions, more than a third of a rollback).
    """

    root: str
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    channel_priority: str = "strict"  # or "disabled"
    offline: bool = False
    keep_generations: int = 3
    lock_timeout: float = 300.0
    solve_timeout: float = 120.0
    solve_memory_mb: int = 4096
    network_timeout: float = 300.0  # seconds one HTTP request of the conda side may take, body included
    network_retries: int = 3  # retries, with back-off, of 5xx answers and failed connections
    system_requirements: tuple[tuple[str, str], ...] = ()  # what locks assume of target machines
    allowlist_channels: tuple[str, ...] = ()  # when set, the only channels allowed (conda's setting)
    denylist_channels: tuple[str, ...] = ()  # channels never used (conda's setting)
    link_scripts: str = "run"  # conda packages' pre-/post-link scripts: "run" (as conda), "skip" or "refuse"
    path_conflict: str = "clobber"  # a path two conda packages ship: "clobber" (as conda), "warn" or "prevent"
    allowlist_indexes: tuple[str, ...] = ()  # when set, PyPI indexes and find-links must be under one of them
    mirrors: tuple[tuple[str, tuple[str, ...]], ...] = ()  # channel URL prefix -> mirrors tried in its place
    proxy_servers: tuple[tuple[str, str], ...] = ()  # conda's proxy_servers: ("http" | "https", proxy URL)
    ssl_verify: bool | str = True  # conda's ssl_verify: false, or a CA bundle file to verify with
    kernels: str = "manual"  # "auto": register a Jupyter kernel for each environment that has ipykernel
    config_file: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    def store_path(self, *parts: str) -> str:
        """A path inside the store, as a string (see layout.py for the names)."""
        return os.path.join(self.root, *parts)

    def _folder(self, name: str) -> Path:
        from pathlib import Path

        return Path(self.root, name)

    @property
    def envs_dir(self) -> Path:
        """Where the stable links of named environments live."""
        return self._folder(layout.ENVS)

    @property
    def generations_dir(self) -> Path:
        """Where every environment's generations live."""
        return self._folder(layout.GENERATIONS)

    @property
    def conda_cache(self) -> Path:
        """rattler's package cache (extracted packages, hardlinked into prefixes)."""
        return self._folder(layout.CONDA_PKGS)

    @property
    def repodata_cache(self) -> Path:
        """rattler's repodata cache."""
        return self._folder(layout.CONDA_REPODATA)

    @property
    def pypi_cache(self) -> Path:
        """uv's cache (wheels, built projects; hardlinked into prefixes)."""
        return self._folder(layout.PYPI_CACHE)

    @property
    def interpreter_cache(self) -> Path:
        """What corral learned about each interpreter it found, keyed by path and mtime."""
        return self._folder(layout.INTERPRETERS)

    @property
    def parsed_locks(self) -> Path:
        """Lock files corral has read, kept as JSON by the sha256 of their text (lock/lockfile.py `load`)."""
        return self._folder(layout.PARSED_LOCKS)

    @property
    def run_dir(self) -> Path:
        """Notes of running child processes (uv), so that recovery can end those a killed corral left."""
        return self._folder(layout.RUN)

    @property
    def tmp_dir(self) -> Path:
        """Scratch folders of running changes; `clean` removes what a killed one left."""
        return self._folder(layout.TMP)

    @property
    def locks_dir(self) -> Path:
        """Per-environment lock files."""
        return self._folder(layout.LOCKS)


_ENV_VARS: dict[str, str] = {
    "CORRAL_ROOT": "root",
    "CORRAL_CHANNELS": "channels",
    "CORRAL_CHANNEL_PRIORITY": "channel_priority",
    "CORRAL_OFFLINE": "offline",
    "CORRAL_KEEP_GENERATIONS": "keep_generations",
    "CORRAL_LOCK_TIMEOUT": "lock_timeout",
    "CORRAL_SOLVE_TIMEOUT": "solve_timeout",
    "CORRAL_SOLVE_MEMORY_MB": "solve_memory_mb",
    "CORRAL_NETWORK_TIMEOUT": "network_timeout",
    "CORRAL_NETWORK_RETRIES": "network_retries",
    "CORRAL_SYSTEM_REQUIREMENTS": "system_requirements",
    "CORRAL_LINK_SCRIPTS": "link_scripts",
    "CORRAL_PATH_CONFLICT": "path_conflict",
    "CORRAL_SSL_VERIFY": "ssl_verify",
    "CORRAL_KERNELS": "kernels",
}


def load_settings(environ: Mapping[str, str], flags: Mapping[str, Any]) -> Settings:
    """Merge defaults, the config file, environment variables and flags into Settings."""
    from corral.condarc import read_condarc

    values, sources = read_condarc(environ)  # conda's .condarc files: below corral's own config
    config_file = default_config_file(environ)
    for key, value in _read_config(config_file, environ).items():
        values[key] = value
        sources[key] = config_file
    for var, key in _ENV_VARS.items():
        if environ.get(var):
            values[key] = environ[var]
            sources[key] = f"${var}"
    for key, value in flags.items():
        if value is not None and value != () and value is not False:
            values[key] = value
            sources[key] = "command line"
    values.setdefault("root", default_root(environ))
    settings = Settings(**_coerce(values, sources), config_file=config_file)
    return replace(settings, sources=sources)


def _read_config(path: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The config file's settings (from its kept JSON copy when read before: no tomllib import)."""
    if not os.path.isfile(path):
        return {}
    from corral.keptparse import parse_kept

    try:
        text = read_text(path)
    except OSError as exc:
        raise _unreadable_config(path, exc.strerror or str(exc)) from exc
    data = parse_kept(text, lambda t: _toml(t, path), parsed_config_dir(environ))
    known = set(field_names(Settings)) - {"config_file", "sources"}
    out = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(
                f"unknown setting '{key}' in {path}",
                hint="known settings: " + ", ".join(sorted(k.replace("_", "-") for k in known)),
            )
        out[name] = value
    return out


def _toml(text: str, path: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _unreadable_config(path, str(exc)) from exc


def _unreadable_config(path: str, reason: str) -> ConfigError:
    return ConfigError(
        f"cannot read the config file {path}: {reason}", hint="fix the file or point $CORRAL_CONFIG elsewhere"
    )


def _coerce(values: dict[str, Any], sources: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        where = sources.get(key, "defaults")
        try:
            out[key] = coerce_setting(key, value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"invalid value {value!r} for '{key.replace('_', '-')}' (from {where}): {exc}") from exc
    return out


def coerce_setting(key: str, value: Any) -> Any:
    """One setting's value as its reader checks and converts it (ValueError or TypeError when it is invalid)."""
    if key == "root":
        return os.path.abspath(os.path.expanduser(str(value)))
    if key in ("channels", "allowlist_channels", "denylist_channels"):
        items = value.split(",") if isinstance(value, str) else list(value)
        channels = tuple(str(c).strip() for c in items if str(c).strip())
        if not channels and key == "channels":
            raise ValueError("at least one channel is needed")
        return channels
    if key == "system_requirements":
        from corral.errors import SpecError
        from corral.models import check_system

        if isinstance(value, str):
            value = dict(item.split("=", 1) for item in value.split(",") if "=" in item)
        if not isinstance(value, Mapping):
            raise ValueError('expected a table like {cuda = "12.0", glibc = "2.31"}')
        try:
            return check_system({str(k).strip(): str(v).strip() for k, v in value.items()})
        except SpecError as exc:
            raise ValueError(exc.message) from exc
    if key in ("allowlist_indexes", "mirrors", "proxy_servers", "ssl_verify"):
        from corral.netconfig import coerce_network_setting

        return coerce_network_setting(key, value)
    if key == "kernels":
        if value not in KERNEL_CHOICES:
            raise ValueError("expected " + ", ".join(f"'{c}'" for c in KERNEL_CHOICES))
        return value
    if key == "offline":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError("expected true or false")
    if key in ("link_scripts", "path_conflict"):
        choices = LINK_SCRIPT_CHOICES if key == "link_scripts" else PATH_CONFLICT_CHOICES
        if value not in choices:
            raise ValueError("expected " + ", ".join(f"'{c}'" for c in choices))
        return value
    if key == "channel_priority":
        if value not in ("strict", "disabled"):
            raise ValueError("expected 'strict' or 'disabled'")
        return value
    if key == "network_retries":
        number = int(value)
        if number < 0:
            raise ValueError("must not be negative")
        return number
    if key in ("keep_generations", "solve_memory_mb"):
        number = int(value)
        if number < 1:
            raise ValueError("must be at least 1")
        return number
    if key in ("lock_timeout", "solve_timeout", "network_timeout"):
        import math  # only for a timeout that is set: every command reads the settings

        seconds = float(value)
        if not math.isfinite(seconds):  # nan compares false with everything; inf would wait forever
            raise ValueError("must be a finite number of seconds")
        if seconds < 0:
            raise ValueError("must not be negative")
        if key == "solve_timeout" and seconds == 0:
            raise ValueError("must be a positive number of seconds")
        if key == "network_timeout" and seconds < 1:  # rattler's client counts whole seconds
            raise ValueError("must be at least 1 second")
        return seconds
    return value
