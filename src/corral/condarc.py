"""conda's `.condarc` files, read for the settings corral shares with conda.

Searched in conda's order (conda/base/constants.py SEARCH_PATH: system files, `$CONDA_ROOT`,
`$XDG_CONFIG_HOME/conda`, `~/.config/conda`, `~/.conda`, `~/.condarc`, `$CONDA_PREFIX`, `$CONDARC`),
each place as a file or a `condarc.d/` folder of `*.yml`. Later files take precedence; lists are
merged with the later file's items first, as conda merges them; a key marked `#!final` in a file
is not changed by files after it; `${VAR}` and `$VAR` in values are expanded from the environment.
Only the shared keys are read; every other conda setting is left to conda.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from corral.errors import ConfigError
from corral.locations import parsed_config_dir
from corral.regex import Lazy

# .condarc key -> corral setting
SHARED = {
    "channels": "channels",
    "channel_priority": "channel_priority",
    "allowlist_channels": "allowlist_channels",
    "denylist_channels": "denylist_channels",
    "proxy_servers": "proxy_servers",
    "ssl_verify": "ssl_verify",
}
LISTS = {"channels", "default_channels", "allowlist_channels", "denylist_channels"}
# conda's own `default_channels` when a .condarc does not set them (conda/base/constants.py DEFAULT_CHANNELS_UNIX)
CONDA_DEFAULT_CHANNELS = ("https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r")
_FINAL = Lazy(r"(?m)^([A-Za-z_][A-Za-z0-9_]*)\s*:.*#!final\s*$")
_VAR = Lazy(r"\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")
_PLACES = (
    "/etc/conda/.condarc",
    "/etc/conda/condarc",
    "/etc/conda/condarc.d/",
    "/var/lib/conda/.condarc",
    "/var/lib/conda/condarc",
    "/var/lib/conda/condarc.d/",
    "$CONDA_ROOT/.condarc",
    "$CONDA_ROOT/condarc",
    "$CONDA_ROOT/condarc.d/",
    "$XDG_CONFIG_HOME/conda/.condarc",
    "$XDG_CONFIG_HOME/conda/condarc",
    "$XDG_CONFIG_HOME/conda/condarc.d/",
    "~/.config/conda/.condarc",
    "~/.config/conda/condarc",
    "~/.config/conda/condarc.d/",
    "~/.conda/.condarc",
    "~/.conda/condarc",
    "~/.conda/condarc.d/",
    "~/.condarc",
    "$CONDA_PREFIX/.condarc",
    "$CONDA_PREFIX/condarc",
    "$CONDA_PREFIX/condarc.d/",
    "$CONDARC",
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    import re
    from typing import Any


def condarc_files(environ: Mapping[str, str]) -> list[str]:
    """The .condarc files that exist, lowest precedence first (each file once)."""
    out: list[str] = []
    for place in _PLACES:
        path = _place(place, environ)
        if path is None:
            continue
        if place.endswith("/"):
            found = sorted(_yaml_files(path)) if os.path.isdir(path) else []
        else:
            found = [path] if os.path.isfile(path) else []
        out += [p for p in found if os.path.realpath(p) not in {os.path.realpath(q) for q in out}]
    return out


def _place(place: str, environ: Mapping[str, str]) -> str | None:
    """One of conda's places with its leading `$VAR` and `~` expanded; None when the variable is unset or empty.

    Plain string work, no regular expression: every command reads the settings.
    """
    if place.startswith("$"):
        name, slash, rest = place[1:].partition("/")
        if not environ.get(name):
            return None
        place = environ[name] + slash + rest
    return os.path.expanduser(place)


def _yaml_files(folder: str) -> list[str]:
    """The entries of a condarc.d folder whose names end in `.yml` or `.yaml`, hidden ones too (as conda's
    `load_file_configs` lists them, conda/common/configuration.py)."""
    try:
        with os.scandir(folder) as entries:
            return [e.path for e in entries if e.name.endswith((".yml", ".yaml"))]
    except OSError as exc:  # conda stops on it too; ignoring it would drop settings without a word
        raise _unreadable(folder, exc.strerror or str(exc)) from exc


def read_condarc(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The shared settings from every .condarc (corral names and values), and the file each came from."""
    files = condarc_files(environ)
    if not files:
        return {}, {}
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    final: set[str] = set()
    for path in files:
        data, marked = _load(path, parsed_config_dir(environ))
        for key, value in data.items():
            if (key not in SHARED and key != "default_channels") or key in final:
                continue
            value = _expanded_value(value, environ)
            if key in LISTS:
                items = [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None]
                merged[key] = list(dict.fromkeys([*items, *merged.get(key, [])]))
            else:
                merged[key] = value
            sources[key] = path
        final |= marked
    out: dict[str, Any] = {}
    if "channels" in merged:
        defaults = merged.get("default_channels") or list(CONDA_DEFAULT_CHANNELS)
        channels: list[str] = []
        for channel in merged["channels"]:
            channels += defaults if channel == "defaults" else [channel]
        out["channels"] = tuple(dict.fromkeys(channels))
    if "channel_priority" in merged:
        out["channel_priority"] = _priority(str(merged["channel_priority"]), sources["channel_priority"])
    for key in ("allowlist_channels", "denylist_channels"):
        if key in merged:
            out[key] = tuple(merged[key])
    for key in ("proxy_servers", "ssl_verify"):  # checked with corral's own values (settings._coerce)
        if key in merged:
            out[key] = merged[key]
    return out, {SHARED[k]: sources[k] for k in sources if k in SHARED and SHARED[k] in out}


def _priority(value: str, source: str) -> str:
    """conda's channel_priority; `flexible` has no rattler counterpart and is read as `disabled`."""
    if value in ("strict", "disabled"):
        return value
    if value == "flexible":
        return "disabled"
    raise ConfigError(
        f"invalid channel_priority {value!r} in {source}", hint="conda accepts strict, flexible or disabled"
    )


def _load(path: str, parsed: str) -> tuple[dict[str, Any], set[str]]:
    """The file's settings (from its kept JSON copy when read before: no PyYAML import) and its `#!final` keys."""
    from corral.keptparse import parse_kept
    from corral.textfile import read_text

    try:
        text = read_text(path)
    except OSError as exc:
        raise _unreadable(path, exc.strerror or str(exc)) from exc
    data = parse_kept(text, lambda t: _yaml(t, path), parsed) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"conda's config file {path} is not a mapping of settings", hint="fix the file")
    return data, set(_FINAL.findall(text)) if "#!final" in text else set()  # no regex (nor `re`) for most files


def _yaml(text: str, path: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _unreadable(path, str(exc)) from exc


def _unreadable(path: str, reason: str) -> ConfigError:
    return ConfigError(
        f"cannot read conda's config file {path}: {reason}",
        hint="fix the file (conda would refuse it too), or move it aside",
    )


def _expanded_value(value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _expand(value, environ) if "$" in value else value
    if isinstance(value, list):
        return [_expanded_value(v, environ) for v in value]
    if isinstance(value, dict):
        return {k: _expanded_value(v, environ) for k, v in value.items()}
    return value


def _expand(text: str, environ: Mapping[str, str]) -> str:
    """`${VAR}` and `$VAR` from the environment; unknown ones stay as written (as os.path.expandvars)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1).strip("{}")
        return environ.get(name, match.group(0))

    return _VAR.sub(one, text)
