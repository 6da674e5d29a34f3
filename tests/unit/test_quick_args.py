"""cli/quick.py reads `corral rollback` without argparse: whatever it accepts, argparse reads the same."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corral.cli.parser import build_parser
from corral.cli.quick import rollback


def _argparse(argv: list[str]) -> dict[str, object] | None:
    try:
        return vars(build_parser("rollback").parse_args(["rollback", *argv]))
    except SystemExit:
        return None


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["-n", "ml"],
        ["--name", "ml", "--to", "3", "-y"],
        ["--name=ml", "--to=12", "--yes", "--json"],
        ["-p", "/srv/envs/ml", "--dry-run", "-v", "-q", "--offline"],
        ["--prefix=./env", "--verbose", "--quiet"],
        ["--to", "007"],
    ],
)
def test_the_plain_spellings_give_argparses_namespace(argv: list[str]) -> None:
    quick = rollback(argv)
    assert quick is not None
    assert vars(quick) == _argparse(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["-h"],
        ["--help"],
        ["-yq"],  # combined short flags
        ["--dry"],  # an abbreviation argparse accepts
        ["-n", "a", "-p", "b"],  # argparse's error: not allowed together
        ["-n"],  # a missing value
        ["-n", "a", "-n", "b"],  # repeated
        ["--to", "x"],
        ["--to", "-1"],
        ["--to="],
        ["-n", "-y"],
        ["--yes=1"],
        ["extra"],
        ["-n=ml"],
    ],
)
def test_anything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert rollback(argv) is None


_OPTIONS = ["-n", "--name", "-p", "--prefix", "--to", "-y", "--yes", "--dry-run", "--json", "-v", "--verbose", "-q"]
_WORDS = st.sampled_from(
    [*_OPTIONS, "--quiet", "--offline", "--to=2", "--name=x", "--prefix=/p", "ml", "3", "-1", "-yq", "--dry", "-h", ""]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=7))
def test_whatever_quick_accepts_argparse_reads_the_same(argv: list[str]) -> None:
    quick = rollback(argv)
    if quick is not None:
        assert vars(quick) == _argparse(argv), argv


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=10) | st.sampled_from(["-n", "ml", "x=1.2", "a b", "it's", "", "é"]), max_size=6))
def test_the_recorded_command_line_is_quoted_as_shlex_join_quotes_it(argv: list[str]) -> None:
    import shlex

    from corral.cli.run import command_line

    assert command_line(argv) == ("corral " + shlex.join(argv)).rstrip(" ")  # quoted arguments never end in a space
