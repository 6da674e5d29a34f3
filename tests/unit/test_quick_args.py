"""cli/quick.py reads `rollback` and `create` without argparse: whatever it accepts, argparse reads the same."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corral.cli.parser import build_parser
from corral.cli.quick import parse, rollback


def _argparse(argv: list[str], command: str = "rollback") -> dict[str, object] | None:
    try:
        return vars(build_parser(command).parse_args([command, *argv]))
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


@pytest.mark.parametrize(
    "argv",
    [
        ["--lock", "corral.lock"],
        ["-n", "ci", "--lock", "corral.lock", "-y"],
        ["--lock=ci.lock", "--name=ci", "--yes", "--json"],
        ["-p", "/srv/envs/ci", "--lock", "./corral.lock", "--dry-run", "-v", "-q", "--offline"],
        ["--prefix=./env", "--lock", "l", "--verbose", "--quiet"],
        ["-n", "x", "python=3.12"],
        ["-n", "ml", "-c", "conda-forge", "-c", "./local", "python=3.12", "numpy>=1.26", "-y"],
        ["python", "numpy", "--channel=cf", "--name", "ml"],
        ["-n", "x", "-c", "cf", "-y", "pandas", "scikit-learn"],
        ["--lock", "l", "numpy"],  # specs beside a lock: the handler's error, as after argparse
        ["-c", "conda-forge", "--lock", "l"],
        ["-n", "x"],  # no specs: a found Python, as after argparse
    ],
)
def test_create_in_its_plain_spellings_gives_argparses_namespace(argv: list[str]) -> None:
    """Every option of argparse's create is in quick's defaults: a new one fails here until it is added there."""
    quick = parse("create", argv)
    assert quick is not None
    assert vars(quick) == _argparse(argv, "create")


@pytest.mark.parametrize(
    "argv",
    [
        ["-n", "x", "python", "-c", "cf", "numpy"],  # specs in two runs: argparse's error
        ["-n", "x", "--", "python"],
        ["-n", "x", "--python", "3.12"],  # an option quick does not read
        ["-n", "x", "-f", "environment.yml"],
        ["-n", "x", "--pip", "requests"],
        ["-n", "x", "-c"],
        ["-n", "x", "-c="],
        ["-n", "x", "-ccf", "python"],
        ["-n", "x", ""],
        ["--lock"],
        ["--lock="],
        ["--lock", "l", "--lock", "m"],
        ["--lock", "l", "--to", "3"],  # rollback's option
        ["--lock", "l", "-n", "a", "-p", "b"],
        ["--lock", "l", "-h"],
        ["--loc", "l"],  # an abbreviation argparse accepts
    ],
)
def test_any_other_create_is_left_to_argparse(argv: list[str]) -> None:
    assert parse("create", argv) is None


def test_rollback_options_are_not_taken_by_create_nor_create_options_by_rollback() -> None:
    assert parse("rollback", ["--lock", "l"]) is None
    assert parse("install", ["-n", "x"]) is None  # a command quick does not read


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


_PLAIN = [
    ["-n", "ci"],
    ["--name=ci"],
    ["-p", "/p"],
    ["-y"],
    ["--yes"],
    ["--dry-run"],
    ["--json"],
    ["-v"],
    ["-q"],
    ["-c", "cf"],
    ["--channel=./chan"],
    ["--channel", "https://example.org/c"],
]
_SPECS = [["python=3.12"], ["numpy"], ["numpy", "scipy>=1"], ["a", "b", "c"]]
_OTHER = [["-yq"], ["--lock"], [""], ["--offline"], ["--lock", "again.lock"], ["-y"], ["--"], ["-c"], ["--python", "3"]]


@st.composite
def _create_argv(draw: st.DrawFn) -> list[str]:
    """Perhaps a lock, some plain options, specs in one or two runs, now and then one more word: many are plain
    spellings, the rest not."""
    pieces = draw(st.lists(st.sampled_from([["--lock", "ci.lock"], ["--lock=ci.lock"]]), max_size=1))
    pieces += draw(st.lists(st.sampled_from(_PLAIN), max_size=4))
    pieces += draw(st.lists(st.sampled_from(_SPECS), max_size=2))
    pieces += draw(st.lists(st.sampled_from(_OTHER), max_size=1))
    return [word for piece in draw(st.permutations(pieces)) for word in piece]


@settings(max_examples=600, deadline=None)
@given(_create_argv())
def test_whatever_quick_accepts_of_a_create_argparse_reads_the_same(argv: list[str]) -> None:
    quick = parse("create", argv)
    if quick is not None:
        assert vars(quick) == _argparse(argv, "create"), argv


def test_the_create_property_test_reaches_both_roads() -> None:
    """The strategy above makes spellings quick reads and spellings it leaves to argparse (else it tests little)."""
    from hypothesis import find

    assert parse("create", find(_create_argv(), lambda argv: len(argv) > 5 and parse("create", argv) is not None))
    assert find(_create_argv(), lambda argv: "-c" in argv and parse("create", argv) is None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=10) | st.sampled_from(["-n", "ml", "x=1.2", "a b", "it's", "", "é"]), max_size=6))
def test_the_recorded_command_line_is_quoted_as_shlex_join_quotes_it(argv: list[str]) -> None:
    import shlex

    from corral.cli.run import command_line

    assert command_line(argv) == ("corral " + shlex.join(argv)).rstrip(" ")  # quoted arguments never end in a space
