"""An environment's history: every switch of its link (new generation, rollback, repair), oldest first.

One JSON document, one entry a line. Recovery decides from it which generations are real, so a
damaged file is refused (never read as empty) until `doctor --fix` writes it again.
"""

from __future__ import annotations

import os
import time

from corral import jsontext, layout
from corral.errors import DamagedHistory
from corral.models import HistoryEntry
from corral.store.fsutil import atomic_write_text, read_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from corral.store.envs import EnvRef

HISTORY_FILE = layout.HISTORY_FILE
SCHEMA = 1


def read(ref: EnvRef) -> list[HistoryEntry]:
    """Every switch of the environment's link, oldest first."""
    try:
        return [HistoryEntry.from_dict(e) for e in _dicts(ref)]
    except (KeyError, TypeError, ValueError) as exc:
        raise _damaged(ref, f"an entry lacks a field or holds the wrong type ({exc})") from None


def generations(ref: EnvRef) -> list[int]:
    """The generation of each history entry, oldest first, without building the entries (recover runs every command)."""
    return [int(e["generation"]) for e in _dicts(ref)]


def _dicts(ref: EnvRef) -> list[dict[str, Any]]:
    """The entries as written; a damaged file is an error: recover would otherwise delete generations it lost."""
    path = os.path.join(ref.home, HISTORY_FILE)
    try:
        data = read_json(path)
    except FileNotFoundError:
        return []
    except UnicodeDecodeError:
        raise _damaged(ref, "the file is not UTF-8 text") from None
    except ValueError as exc:  # JSON syntax
        raise _damaged(ref, f"not valid JSON ({exc})") from None
    except OSError as exc:  # a directory in its place, no permission to read it
        raise _damaged(ref, f"it cannot be read ({exc.strerror or exc})") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and type(e.get("generation")) is int for e in entries
    ):
        raise _damaged(ref, "not a list of entries, each with its generation number")
    return entries


def _damaged(ref: EnvRef, reason: str) -> DamagedHistory:
    return DamagedHistory(
        f"the history of {ref.label} is damaged: {reason}; corral will not guess which generations it holds",
        hint=f"`corral doctor {ref.flag} --fix` writes it again from the generations' own records"
        " (and keeps the damaged file beside it)",
        details=[os.path.join(ref.home, HISTORY_FILE)],
    )


def write(ref: EnvRef, entries: list[HistoryEntry]) -> None:
    """Replace the environment's history (a renamed environment carries its old one)."""
    os.makedirs(ref.home, exist_ok=True)
    _write_dicts(ref, [e.to_dict() for e in entries])


def append(ref: EnvRef, entry: HistoryEntry) -> None:
    """Add an entry, the file rewritten atomically; the old entries are copied as text, neither parsed nor encoded.

    Callers hold the lock and have run `recover`, which read (and so checked) the file. A history
    written before it was one entry a line is rewritten in that form on its first append.
    """
    path = os.path.join(ref.home, HISTORY_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError):
        text = ""
    if text.startswith(_HEAD) and text.endswith(_TAIL):
        body = text[len(_HEAD) : -len(_TAIL)]
        line = jsontext.dumps(entry.to_dict(), sort_keys=True)
        atomic_write_text(path, _HEAD + (f"{body},\n{line}" if body else line) + _TAIL)
    else:
        _write_dicts(ref, [*_dicts(ref), entry.to_dict()])


_HEAD = '{"entries": [\n'
_TAIL = f'\n], "schema": {SCHEMA}}}\n'


def _write_dicts(ref: EnvRef, entries: list[dict[str, Any]]) -> None:
    """One entry a line: json's C encoder (an indented document takes its pure-Python one, ~5x slower)."""
    lines = ",\n".join(jsontext.dumps(e, sort_keys=True) for e in entries)
    atomic_write_text(os.path.join(ref.home, HISTORY_FILE), _HEAD + lines + _TAIL)


def replace_damaged(ref: EnvRef, entries: list[HistoryEntry]) -> str:
    """Move the damaged file aside (kept for the user, `history.json.damaged-TIME`) and write `entries`; return it."""
    path = os.path.join(ref.home, HISTORY_FILE)
    kept = f"{path}.damaged-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
    os.replace(path, kept)
    _write_dicts(ref, [e.to_dict() for e in entries])
    return kept
