"""`corral -v COMMAND ...` as `corral COMMAND -v ...`: pip's, uv's and pixi's habit of global flags first; and every
command's --help saying what it does.

The command tree comes from corral's own parser, so a command group added there without being
known to cli._flags_after_command fails here.
"""

from __future__ import annotations

import argparse

import pytest

from corral.cli import _COMMON, _flags_after_command
from corral.cli.parser import build_parser


def leaf_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [path]
    out = []
    for name, child in subs[0].choices.items():
        out += leaf_paths(child, (*path, name))
    return out


PATHS = [p for p in leaf_paths(build_parser(None)) if p[0] != "run"]


def test_the_tree_is_walked() -> None:
    assert ("doctor",) in PATHS and ("env", "list") in PATHS and ("env", "config", "vars", "set") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_leading_common_flags_move_to_right_after_the_command(path: tuple[str, ...]) -> None:
    for flags in (["-v"], ["--json", "-q"], ["--offline"]):
        assert set(flags) <= _COMMON
        assert _flags_after_command([*flags, *path, "-n", "x"]) == [*path, *flags, "-n", "x"]
        assert _flags_after_command([*path, *flags]) == [*path, *flags]  # already after: unchanged


def test_what_is_left_alone() -> None:
    for args in (["-v"], ["-v", "--help"], ["run", "-v", "python"], ["-v", "run", "python", "-v"], ["--version"]):
        assert _flags_after_command(args) == args
    # conda's `env config vars` without its last word: the three words, then the flag
    assert _flags_after_command(["-v", "env", "config", "vars"]) == ["env", "config", "vars", "-v"]


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_every_commands_help_says_what_it_does(path: tuple[str, ...]) -> None:
    # conda's, pip's and uv's --help of a command open with what it does; argparse shows a subcommand's line
    # only in its parent's list unless it is given a description
    parser = build_parser(path[0])
    for word in path:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[word]
    description = parser.description or ""
    assert description[:1].isupper() and description.endswith("."), (path, description)


def test_a_moved_flag_parses_as_if_written_after_the_command() -> None:
    parser = build_parser("doctor")
    moved = parser.parse_args(_flags_after_command(["-v", "--json", "doctor", "-n", "x"]))
    assert moved.verbose and moved.json and moved.name == "x"
