"""`corral rollback` parsed without argparse: the plain spellings of its options, everything else left to argparse.

rollback is the command whose whole point is speed (an old generation back in one rename), and
importing argparse and building its parser is a tenth of it. This reads only what a person types
(`-n NAME`, `--name NAME`, `--name=NAME`, `-p PATH`, `--to N`, `-y`, `--dry-run`, `--json`, `-v`,
`-q`, `--offline`, each once) into the namespace argparse would make; anything else (`-h`, `-yq`,
an abbreviation, a repeated or missing value, `-n` with `-p`) returns None and goes through
argparse, which prints its usage and errors as for any command. tests/unit/test_quick_args.py
checks that both give the same namespace for every spelling this accepts.
"""

from __future__ import annotations

from types import SimpleNamespace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import Sequence

_FLAGS = {
    "-y": "yes",
    "--yes": "yes",
    "--dry-run": "dry_run",
    "--json": "json",
    "-v": "verbose",
    "--verbose": "verbose",
    "-q": "quiet",
    "--quiet": "quiet",
    "--offline": "offline",
}
_VALUES = {"-n": "name", "--name": "name", "-p": "prefix", "--prefix": "prefix", "--to": "to"}


def rollback(argv: Sequence[str]) -> Namespace | None:
    """The namespace of `corral rollback ARGS...` (argv without the command), or None for argparse to read."""
    values: dict[str, object] = {
        "command": "rollback",
        "verbose": False,
        "json": False,
        "offline": None,
        "quiet": False,
        "name": None,
        "prefix": None,
        "yes": False,
        "dry_run": False,
        "to": None,
    }
    seen: set[str] = set()
    given: object
    words = list(argv)
    while words:
        word = words.pop(0)
        option, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if option in _FLAGS and not equals:
            dest, given = _FLAGS[option], True
        elif option in _VALUES:
            if not equals:
                if not words:
                    return None
                value = words.pop(0)
            if not value or value.startswith("-"):
                return None
            dest = _VALUES[option]
            if dest == "to":
                if not value.isdigit() or not value.isascii():
                    return None
                given = int(value)
            else:
                given = value
        else:
            return None
        if dest in seen:
            return None
        seen.add(dest)
        values[dest] = given
    if values["name"] is not None and values["prefix"] is not None:
        return None
    return SimpleNamespace(**values)  # type: ignore[return-value]  # what handlers read of a Namespace: attributes
