"""Channel strings as users write them (names, URLs, file:// URLs, local dirs) made canonical."""

from __future__ import annotations

import os

from corral.errors import ChannelError

# rollback shows channels (channel_display) and imports neither pathlib nor urllib.parse: urllib is
# imported where a URL is parsed
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

CHANNEL_ALIAS = "https://conda.anaconda.org/"
DEFAULTS = "defaults"  # conda's name for its `default_channels`; in corral, the `channels` setting
NODEFAULTS = "nodefaults"  # conda's "do not add defaults"; corral never adds channels on its own


def with_defaults(channels: Sequence[str], configured: Sequence[str]) -> list[str]:
    """`channels` with `defaults` replaced by the configured channels and `nodefaults` dropped.

    conda reads `defaults` the same way wherever it is written (`-c defaults`, a file's channels,
    .condarc): as its `default_channels` setting. corral has one channel setting, so `defaults`
    stands for it; a `defaults` inside that setting would stand for itself and is refused.
    """
    out: list[str] = []
    for channel in channels:
        if channel == NODEFAULTS:
            continue
        if channel != DEFAULTS:
            out.append(channel)
            continue
        if DEFAULTS in configured:
            raise ChannelError(
                "the configured channels contain 'defaults', which stands for the configured channels",
                hint="name the channels themselves in the `channels` setting (config.toml or CORRAL_CHANNELS)",
            )
        out += configured
    return list(dict.fromkeys(out))


def canonical_channel(text: str, cwd: Path | None = None) -> str:
    """A channel as stored in a spec: names stay names, URLs stay URLs, local dirs become absolute.

    A local directory must exist; anything that looks like a path is treated as one.
    """
    value = text.strip().rstrip("/") or text.strip()
    if not value:
        raise ChannelError("an empty channel name was given", hint="pass -c NAME, -c URL or -c DIR")
    if "://" in value:
        from urllib.parse import unquote, urlparse

        parsed = urlparse(value)
        if parsed.scheme == "file":
            return _local_dir(unquote(parsed.path), text)
        if parsed.scheme not in ("http", "https", "s3", "gcs", "oci"):
            from corral.redact import redact

            raise ChannelError(
                f"unsupported channel URL scheme in '{redact(text)}'", hint="use https://, file:// or a dir"
            )
        return value
    if value.startswith((".", "/", "~")) or os.sep in value:
        return _local_dir(os.path.join(cwd or os.getcwd(), os.path.expanduser(value)), text)
    return value


def _local_dir(given: str, original: str) -> str:
    path = os.path.abspath(given)
    if not os.path.isdir(path):
        raise ChannelError(
            f"channel directory '{original}' does not exist ({path})",
            hint="check the path, or index a directory of packages first",
        )
    return path


def channel_display(url_or_name: str) -> str:
    """A short name for a record's channel: `conda-forge` for the default alias, else the URL or path."""
    value = url_or_name.rstrip("/")
    alias = CHANNEL_ALIAS.rstrip("/") + "/"
    if value.startswith(alias):
        return value[len(alias) :]
    if value.startswith("file://"):
        return file_url_path(value)
    return value


def file_url_path(url: str) -> str:
    """The path of a `file://` URL (as `unquote(urlparse(url).path)`).

    A plain one (nothing quoted, no query, fragment or control character) is cut as a string:
    urllib.parse brings `re` and `ipaddress` (~37 M instructions), and rollback shows every
    package's channel.
    """
    rest = url[len("file://") :]
    if rest.isprintable() and not any(c in rest for c in "%?#"):
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else ""
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(url).path)
