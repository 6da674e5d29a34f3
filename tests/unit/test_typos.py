"""A mistyped command gets the nearest one, as git's and uv's do; argparse alone lists every choice."""

from __future__ import annotations

import pytest

from corral.cli.parser import build_parser

NEAR_MISSES = [
    (["instal", "x"], "instal", "install"),
    (["env", "lst"], "lst", "list"),
    (["pip", "instal", "x"], "instal", "install"),
    (["rolback"], "rolback", "rollback"),
]


@pytest.mark.parametrize(("argv", "typo", "near"), NEAR_MISSES)
def test_a_near_miss_names_the_command(
    argv: list[str], typo: str, near: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        build_parser(argv[0]).parse_args(argv)
    err = capsys.readouterr().err
    assert exit.value.code == 2 and f"unknown command '{typo}'; did you mean '{near}'?" in err, err
    assert "--help` lists them all" in err


def test_far_misses_and_option_values_keep_argparses_message(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["frobnicate"], ["install", "--link-scripts", "rn", "x"]):
        with pytest.raises(SystemExit):
            build_parser(argv[0]).parse_args(argv)
        err = capsys.readouterr().err
        assert "invalid choice" in err and "did you mean" not in err, err
