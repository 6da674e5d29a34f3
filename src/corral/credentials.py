"""Credentials given in conda channel URLs: taken out of the URL, kept where rattler looks for them.

A channel written `https://user:pass@host/chan` or `https://host/t/TOKEN/chan` is recorded as
`https://host/chan` everywhere (spec, locks, conda-meta, exports, history). The secret goes to
rattler's authentication storage, in its JSON file format (host -> `BasicHTTP` / `CondaToken`):
the file named by `RATTLER_AUTH_FILE` when the user set one, else `$CORRAL_ROOT/credentials.json`
(mode 0600; `corral clean` never touches it). Every later solve and download of corral builds
rattler's authenticated client over that file (conda/auth.py), so later changes, `create --lock`
and `doctor --fix` authenticate without the URL carrying anything. rattler keys its storage by
host name, so one host has one credential: the last one given wins. Stdlib only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from corral import jsontext
from corral.errors import ChannelError
from corral.redact import redact, split_credentials
from corral.regex import Lazy
from corral.values import frozen

if TYPE_CHECKING:
    from _typeshed import StrPath

    from corral.lock.lockfile import Lock

FILE_NAME = "credentials.json"
_SPEC_CHANNEL = Lazy(r'channel="([^"]*://[^"]*)"')
ENV_VAR = "RATTLER_AUTH_FILE"


@frozen
class Taken:
    """Channels without their credentials, and one note per host whose credential was stored."""

    channels: tuple[str, ...]
    notes: tuple[str, ...] = ()


def auth_file(root: StrPath) -> Path:
    """The credentials file rattler is given: the user's RATTLER_AUTH_FILE, else corral's own in `root`."""
    chosen = os.environ.get(ENV_VAR)
    return Path(chosen) if chosen else Path(root, FILE_NAME)


def take(channels: Sequence[str], root: StrPath) -> Taken:
    """`channels` without credentials; the credentials found are stored for their hosts."""
    clean: list[str] = []
    found: dict[str, dict[str, Any]] = {}
    for channel in channels:
        clean.append(_taken(channel, found))
    return Taken(tuple(dict.fromkeys(clean)), _store(found, root))


def take_specs(specs: Sequence[str], root: StrPath) -> tuple[str, ...]:
    """Conda specs naming a channel URL (`URL::name`, `name[channel="URL"]`) without its credentials,
    which are stored."""
    found: dict[str, dict[str, Any]] = {}
    out = []
    for spec in specs:
        channel, sep, rest = spec.partition("::")
        if sep and "://" in channel:
            spec = _taken(channel, found) + sep + rest
        spec = _SPEC_CHANNEL.sub(lambda m: f'channel="{_taken(m.group(1), found)}"', spec)
        out.append(spec)
    _store(found, root)
    return tuple(out)


def _taken(channel: str, found: dict[str, dict[str, Any]]) -> str:
    """The channel without credentials; what it carried is added to `found` under its host."""
    url, user, password, token = split_credentials(channel)
    if url == channel:
        return channel
    host = urlparse(url).hostname
    if not host:
        raise ChannelError(
            f"channel URL '{redact(channel)}' has credentials but no host", hint="write https://HOST/..."
        )
    if token and (user or password):
        raise ChannelError(
            f"channel URL '{redact(channel)}' carries both a user:password and a /t/ token",
            hint="give one of them: rattler keeps one credential per host",
        )
    if token:
        found[host] = {"CondaToken": unquote(token)}
    else:
        found[host] = {"BasicHTTP": {"username": unquote(user), "password": unquote(password)}}
    return url.rstrip("/")


def _store(found: dict[str, dict[str, Any]], root: StrPath) -> tuple[str, ...]:
    """Write what is new in `found` to the credentials file; a note per host stored."""
    if not found:
        return ()
    path = auth_file(root)
    stored = _read(path)
    changed = {h: a for h, a in found.items() if stored.get(h) != a}
    if changed:
        _write(path, {**stored, **changed})
    return tuple(
        f"the credentials for {host} were stored in {path}, not in the environment's records" for host in changed
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = jsontext.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ChannelError(
            f"the credentials file {path} cannot be read: {exc}",
            hint="fix or remove it (it holds host -> credential, rattler's format), then give the channel URL"
            " with its credentials again",
        ) from exc
    if not isinstance(data, dict):
        raise ChannelError(f"the credentials file {path} is not a JSON object", hint="fix or remove it")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """Atomically, created 0600 from the start (the secret never sits in a readable file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(jsontext.dumps(data, indent=2, sort_keys=True))
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def take_lock(lock: Lock, root: StrPath) -> Lock:
    """A lock read from a file (corral.lock, pixi.lock, conda-lock.yml) without credentials in its
    channels and package URLs; what they carried is stored, so its installs still authenticate."""
    from corral.values import replace

    found: dict[str, dict[str, Any]] = {}
    spec = replace(lock.spec, channels=tuple(dict.fromkeys(_taken(c, found) for c in lock.spec.channels)))
    platforms = tuple(
        replace(p, conda=tuple(replace(e, channel=_taken(e.channel, found), url=_taken(e.url, found)) for e in p.conda))
        for p in lock.platforms
    )
    if not found:
        return lock
    _store(found, root)
    return replace(lock, spec=spec, platforms=platforms)
