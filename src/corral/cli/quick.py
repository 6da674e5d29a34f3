"""`corral rollback` and `corral create --lock FILE` without argparse: their plain spellings; the rest to argparse.

rollback is the command whose whole point is speed (an old generation back in one rename), and
`create --lock` is what CI runs on every job; importing argparse and building a command's parser
is a tenth of the first and ~20 M instructions of the second. This reads only what a person
types (`-n NAME`, `--name NAME`, `--name=NAME`, `-p PATH`, rollback's `--to N`, create's
`--lock FILE`, `-y`, `--dry-run`, `--json`, `-v`, `-q`, `--offline`, each once) into the
namespace argparse would make; anything else (`-h`, `-yq`, an abbreviation, a repeated or
missing value, `-n` with `-p`, a create without `--lock` or with specs) returns None and goes
through argparse, which prints its usage and errors as for any command.
tests/unit/test_quick_args.py checks that both give the same namespace for every spelling this
accepts, and that every option argparse knows is in the defaults here.
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

# Per command: its own valued options, what argparse's namespace holds when nothing is given
# (lists made anew each time), and the options that must be given for the plain path.
_COMMANDS: dict[str, tuple[dict[str, str], Callable[[], dict[str, object]], tuple[str, ...]]] = {
    "rollback": ({"--to": "to"}, lambda: {"yes": False, "dry_run": False, "to": None}, ()),
    "create": (
        {"--lock": "lock"},
        lambda: {
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
        },
        ("lock",),
    ),
}


def rollback(argv: Sequence[str]) -> Namespace | None:
    """The namespace of `corral rollback ARGS...` (argv without the command), or None for argparse to read."""
    return parse("rollback", argv)


def parse(command: str, argv: Sequence[str]) -> Namespace | None:
    """The namespace of `corral COMMAND ARGS...` (argv without the command), or None for argparse to read."""
    if command not in _COMMANDS:
        return None
    own, defaults, required = _COMMANDS[command]
    values: dict[str, object] = {"command": command, **_COMMON, **defaults()}
    seen: set[str] = set()
    given: object
    words = list(argv)
    while words:
        word = words.pop(0)
        option, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if option in _FLAGS and not equals:
            dest, given = _FLAGS[option], True
        elif option in _VALUES or option in own:
            if not equals:
                if not words:
                    return None
                value = words.pop(0)
            if not value or value.startswith("-"):
                return None
            dest = _VALUES.get(option) or own[option]
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
    if not all(dest in seen for dest in required):
        return None
    return SimpleNamespace(**values)  # type: ignore[return-value]  # what handlers read of a Namespace: attributes
