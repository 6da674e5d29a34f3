"""`corral rollback` and `corral create` without argparse: their plain spellings; the rest to argparse.

rollback is the command whose whole point is speed (an old generation back in one rename), and
create the one every new user and every CI job runs; importing argparse and building a command's
parser is a tenth of the first and ~20 M instructions (~4%) of the second. This reads only what
a person types (`-n NAME`, `--name NAME`, `--name=NAME`, `-p PATH`, rollback's `--to N`,
create's `--lock FILE` and `-c CHANNEL` (repeatable) and its specs in one run, `-y`,
`--dry-run`, `--json`, `-v`, `-q`, `--offline`, each option once) into the namespace argparse
would make; anything else (`-h`, `-yq`, an abbreviation, a repeated or missing value, `-n` with
`-p`, `--`, specs in two runs, any other option) returns None and goes through argparse, which
prints its usage and errors as for any command. tests/unit/test_quick_args.py checks that both
give the same namespace for every spelling this accepts, and that every option argparse knows is
in the defaults here.
"""

from __future__ import annotations

from types import SimpleNamespace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import Callable, Sequence

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
_VALUES = {"-n": "name", "--name": "name", "-p": "prefix", "--prefix": "prefix"}
_COMMON = {"verbose": False, "json": False, "offline": None, "quiet": False, "name": None, "prefix": None}


class _Command:
    """What quick reads of one command: its own valued options, its repeatable ones, its positional
    (where argparse puts the words that are no option's), and what argparse's namespace holds when
    nothing is given (made anew each time: lists)."""

    __slots__ = ("defaults", "lists", "own", "positional")

    def __init__(
        self,
        own: dict[str, str],
        defaults: Callable[[], dict[str, object]],
        lists: dict[str, str] | None = None,
        positional: str | None = None,
    ) -> None:
        self.own = own
        self.defaults = defaults
        self.lists = lists or {}
        self.positional = positional


def _create_defaults() -> dict[str, object]:
    return {
        "files": [],
        "channels": [],
        "override_channels": False,
        "solver": None,
        "no_deps": False,
        "only_deps": False,
        "force_reinstall": False,
        "yes": False,
        "dry_run": False,
        "link_scripts": None,
        "path_conflict": None,
        "python": "",
        "lock": "",
        "clone": "",
        "specs": [],
        "pip": [],
        "editable": [],
        "index_url": "",
        "extra_index_url": [],
        "find_links": [],
        "no_index": False,
    }


_COMMANDS = {
    "rollback": _Command({"--to": "to"}, lambda: {"yes": False, "dry_run": False, "to": None}),
    "create": _Command(
        {"--lock": "lock"}, _create_defaults, lists={"-c": "channels", "--channel": "channels"}, positional="specs"
    ),
}


def rollback(argv: Sequence[str]) -> Namespace | None:
    """The namespace of `corral rollback ARGS...` (argv without the command), or None for argparse to read."""
    return parse("rollback", argv)


def parse(command: str, argv: Sequence[str]) -> Namespace | None:
    """The namespace of `corral COMMAND ARGS...` (argv without the command), or None for argparse to read."""
    spec = _COMMANDS.get(command)
    if spec is None:
        return None
    values: dict[str, object] = {"command": command, **_COMMON, **spec.defaults()}
    seen: set[str] = set()
    positionals: list[str] = []
    run_ended = False  # argparse takes the positionals as one run of words: a second run is its error
    given: object
    words = list(argv)
    while words:
        word = words.pop(0)
        if not word.startswith("-"):
            if spec.positional is None or run_ended or not word:
                return None
            positionals.append(word)
            continue
        if positionals:
            run_ended = True
        option, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if option in _FLAGS and not equals:
            dest, given = _FLAGS[option], True
        elif option in _VALUES or option in spec.own or option in spec.lists:
            if not equals:
                if not words:
                    return None
                value = words.pop(0)
            if not value or value.startswith("-"):
                return None
            if option in spec.lists:
                listed = values[spec.lists[option]]
                assert isinstance(listed, list)
                listed.append(value)
                continue
            dest = _VALUES.get(option) or spec.own[option]
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
    if spec.positional is not None:
        values[spec.positional] = positionals
    return SimpleNamespace(**values)  # type: ignore[return-value]  # what handlers read of a Namespace: attributes
