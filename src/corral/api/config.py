"""Use cases of `corral config`: show the resolved settings and where each came from; change corral's config file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corral.errors import UsageError
from corral.settings import Settings
from corral.values import field_names, frozen


def _known(key: str, names: list[str]) -> str:
    """`key` (as typed, with dashes) as a setting's field name; an unknown one is refused with the closest name."""
    name = key.replace("-", "_")
    if name not in names:
        import difflib

        close = difflib.get_close_matches(name, names, n=1)
        raise UsageError(
            f"unknown setting '{key}'" + (f"; did you mean '{close[0].replace('_', '-')}'?" if close else ""),
            hint="see them all with `corral config --show`",
        )
    return name


@frozen
class ConfigView:
    """`corral config --show [KEY]`: every setting's value and where it came from."""

    items: tuple[tuple[str, Any, str], ...]  # (key as in config.toml, value, source)
    show_sources: bool = False
    files: tuple[str, ...] = ()  # .condarc files read, then corral's config file

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "settings": {key: {"value": value, "source": source} for key, value, source in self.items},
            "files": list(self.files),
        }


def config_view(
    settings: Settings, environ: Mapping[str, str], key: str = "", show_sources: bool = False
) -> ConfigView:
    """The settings as they are resolved (defaults < .condarc < config.toml < variables < flags)."""
    from corral.condarc import condarc_files
    from corral.redact import redact_value

    names = [name for name in field_names(settings) if name not in ("config_file", "sources")]
    wanted = _known(key, names) if key else ""
    items = []
    for name in names:
        if wanted and name != wanted:
            continue
        value = getattr(settings, name)
        shown = [list(v) if isinstance(v, tuple) else v for v in value] if isinstance(value, tuple) else value
        shown = redact_value(shown)  # a proxy's or a mirror's password is never shown
        items.append(
            (
                name.replace("_", "-"),
                str(shown) if isinstance(shown, Path) else shown,
                settings.sources.get(name, "defaults"),
            )
        )
    files = [str(p) for p in condarc_files(environ)]
    if settings.config_file is not None and os.path.isfile(settings.config_file):
        files.append(settings.config_file)
    return ConfigView(tuple(items), show_sources, tuple(files))


@frozen
class ConfigChange:
    """`corral config --set/--unset/--add/--append/--remove`: what the config file now says."""

    file: str
    key: str
    value: Any
    action: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"file": self.file, "key": self.key, "value": self.value, "action": self.action}


def change_config(settings: Settings, action: str, key: str, value: str = "") -> ConfigChange:
    """Change one setting in corral's config file (comments and order kept; written atomically).

    `add` (as conda's `--add`/`--prepend`) puts a list item first, `append` last, `remove` drops
    it; `set` and `unset` a value. The value is checked as the setting's own reader checks it.
    """
    import tomlkit

    from corral.errors import ConfigError
    from corral.redact import redact_value
    from corral.settings import LIST_SETTINGS, coerce_setting
    from corral.store.fsutil import atomic_write_text
    from corral.textfile import read_text

    names = [name for name in field_names(settings) if name not in ("config_file", "sources", "root")]
    name = _known(key, names)
    path = Path(settings.config_file) if settings.config_file is not None else None
    if path is None:
        raise ConfigError("no config file location is known", hint="set CORRAL_CONFIG to a file path")
    document = tomlkit.parse(read_text(path)) if path.is_file() else tomlkit.document()
    toml_key = name.replace("_", "-")
    current = document.get(toml_key, document.get(name))
    if name in document and toml_key not in document:
        toml_key = name
    lists = name in LIST_SETTINGS
    if action in ("add", "append", "remove") and not lists:
        raise UsageError(
            f"'{key}' is not a list: use --set {key} VALUE", hint="list settings: " + ", ".join(sorted(LIST_SETTINGS))
        )
    if action == "set":
        new: Any = [v.strip() for v in value.split(",") if v.strip()] if lists else _typed(value)
    elif action == "unset":
        if current is None:
            raise UsageError(f"'{key}' is not set in {path}", hint="see `corral config --show-sources`")
        new = None
    else:
        items = [str(v) for v in (current if current is not None else getattr(settings, name))]
        if action == "remove":
            if value not in items:
                raise UsageError(f"'{value}' is not in {key} ({', '.join(items) or 'empty'})")
            new = [v for v in items if v != value]
            if not new and not _empty_allowed(name):
                if current is None:
                    source = settings.sources.get(name, "corral's default")
                    raise ConfigError(
                        f"'{value}' is all of {key} (from {source}), which cannot be empty",
                        hint=f"put another first (`corral config --add {key} VALUE`), then remove it",
                    )
                new = None  # the file's last item: the key goes, and the setting's default applies again
        else:
            items = [v for v in items if v != value]
            new = [value, *items] if action == "add" else [*items, value]
    if new is not None:
        try:
            coerce_setting(name, new)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"invalid value {new!r} for '{key}': {exc}") from exc
        document[toml_key] = new
    elif toml_key in document:
        del document[toml_key]
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, tomlkit.dumps(document))
    return ConfigChange(str(path), toml_key, redact_value(new), action)  # the file has it; the output does not


def _empty_allowed(name: str) -> bool:
    from corral.settings import coerce_setting

    try:
        coerce_setting(name, [])
    except (TypeError, ValueError):
        return False
    return True


def _typed(value: str) -> Any:
    """A command-line value as TOML would hold it: true/false, a number, else the text."""
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value
