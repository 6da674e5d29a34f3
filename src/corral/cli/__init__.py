"""The command line: parse arguments, call one use case, render its result. Imports stay lazy."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn


def _common() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and more detail")
    parent.add_argument("--json", action="store_true", help="print a versioned JSON document instead of text")
    parent.add_argument("--offline", action="store_true", default=None, help="use cached repodata and packages only")
    return parent


def _target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-n", "--name", help="environment name")
    group.add_argument("-p", "--prefix", metavar="PATH", help="environment path (a stable link into the store)")


def _mutating(parser: argparse.ArgumentParser, untracked: bool = True) -> None:
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--dry-run", action="store_true", help="show the plan and stop")
    if untracked:
        parser.add_argument(
            "--discard-untracked",
            action="store_true",
            help="proceed even if the environment holds files corral did not install (they stay in the old generation)",
        )


def _channels(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--channel",
        action="append",
        default=[],
        dest="channels",
        metavar="CHANNEL",
        help="conda channel: a name, URL, file:// URL or local directory (repeatable, first has priority)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    from corral import __version__

    common = _common()
    parser = argparse.ArgumentParser(
        prog="corral",
        description="Environments for Python and ML work: conda packages, atomic generations, instant rollback.",
    )
    parser.add_argument("--version", action="version", version=f"corral {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("create", parents=[common], help="create an environment")
    _target(p)
    _channels(p)
    _mutating(p, untracked=False)
    p.add_argument("specs", nargs="*", metavar="SPEC", help="conda match specs, e.g. python=3.12 'numpy>=1.26'")

    p = sub.add_parser("install", parents=[common], help="add packages to an environment")
    _target(p)
    _channels(p)
    _mutating(p)
    p.add_argument("specs", nargs="+", metavar="SPEC")

    p = sub.add_parser("remove", aliases=["uninstall"], parents=[common], help="remove packages from an environment")
    _target(p)
    _mutating(p)
    p.add_argument("names", nargs="+", metavar="PACKAGE")

    p = sub.add_parser("update", aliases=["upgrade"], parents=[common], help="update named packages (or all)")
    _target(p)
    _mutating(p)
    p.add_argument("--all", action="store_true", help="update every package (the default when none is named)")
    p.add_argument("names", nargs="*", metavar="PACKAGE")

    p = sub.add_parser("list", parents=[common], help="list the packages of an environment")
    _target(p)

    p = sub.add_parser("history", parents=[common], help="show an environment's generations and changes")
    _target(p)

    p = sub.add_parser("rollback", parents=[common], help="switch back to an earlier generation (offline)")
    _target(p)
    _mutating(p, untracked=False)
    p.add_argument("--to", type=int, metavar="N", help="the generation to switch to (default: the one before)")

    env = sub.add_parser("env", help="manage environments as a whole")
    env_sub = env.add_subparsers(dest="env_command", metavar="COMMAND")
    env_sub.add_parser("list", aliases=["ls"], parents=[common], help="list environments")
    p = env_sub.add_parser("remove", aliases=["rm"], parents=[common], help="delete an environment")
    _target(p)
    _mutating(p, untracked=False)

    sub.add_parser("info", parents=[common], help="show settings, store location, virtual packages")
    return parser


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the `corral` console script; always ends the process itself."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:
        from corral import __version__

        _exit(0, f"corral {__version__}\n")
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse: --help or a usage error (already printed)
        _exit(int(exc.code or 0))
    if not args.command:
        parser.print_help()
        _exit(2)
    if args.command == "env" and not args.env_command:
        _exit(main_help(parser, "env"))
    from corral.cli.run import dispatch

    _exit(dispatch(args, args_list))


def _exit(code: int, text: str = "") -> NoReturn:
    """Flush and leave with os._exit: py-rattler 0.28 can crash in interpreter finalization."""
    if text:
        sys.stdout.write(text)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe must not turn into a traceback
            stream.flush()
    os._exit(code)


def main_help(parser: argparse.ArgumentParser, command: str) -> int:
    """Print a subcommand's help (for `corral env` alone) and return the usage exit code."""
    with contextlib.suppress(SystemExit):
        parser.parse_args([command, "--help"])
    return 2
