"""The options many commands share, and the parser class every command's parser is made of."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from corral.cli import habits
from corral.settings import LINK_SCRIPT_CHOICES


class Formatter(argparse.HelpFormatter):
    """argparse's formatter, sized without importing shutil (and its compression modules) on every command."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, columns() - 2 if width is None else width)


def columns() -> int:
    """The terminal's width as shutil.get_terminal_size gives it: $COLUMNS, the terminal, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """argparse's subcommands, each one's --help opening with what it does (its line in the parent's list)."""

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        told = kwargs.get("help")
        if told and "description" not in kwargs:
            kwargs["description"] = told[0].upper() + told[1:] + ("" if told.endswith(".") else ".")
        return super().add_parser(name, **kwargs)


class Parser(argparse.ArgumentParser):
    """argparse, but an unknown option is reported with the usage of the (sub)command it was given to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Commands)

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        """Parse; unrecognized arguments are an error of the deepest subcommand chosen."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            chosen(self, parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def error(self, message: str) -> NoReturn:
        """argparse's usage error; a mistyped command also gets the nearest one (`instal`: did you mean install?)."""
        head, _, typo = message.partition("invalid choice: ")
        typo = typo.partition(" (choose from")[0].strip("'")
        if head == "argument COMMAND: " and typo:  # a subcommand's name (an option's value keeps argparse's text)
            import difflib

            names = [c for a in self._actions if isinstance(a, argparse._SubParsersAction) for c in a.choices]
            near = difflib.get_close_matches(typo, names, n=1, cutoff=0.6)
            if near:
                message = f"unknown command '{typo}'; did you mean '{near[0]}'? (`{self.prog} --help` lists them all)"
        super().error(message)


def chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the deepest subcommand `args` chose (`corral env remove` -> the `env remove` parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None)
            if name in action.choices:
                return chosen(action.choices[name], args)
    return parser


def common_parent() -> Parser:
    parent = Parser(add_help=False)
    parent.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and more detail")
    parent.add_argument("--json", action="store_true", help="print a versioned JSON document instead of text")
    parent.add_argument("--offline", action="store_true", default=None, help="use cached repodata and packages only")
    habits.quiet_option(parent)
    return parent


def add_target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-n", "--name", help="environment name")
    group.add_argument("-p", "--prefix", metavar="PATH", help="environment path (a stable link into the store)")


def add_project_mode(parser: argparse.ArgumentParser) -> None:
    """--locked / --frozen: how a command without -n/-p inside a project treats corral.lock."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--locked", action="store_true", help="in a project: fail if corral.lock is out of date with the manifest"
    )
    group.add_argument(
        "--frozen", action="store_true", help="in a project: use corral.lock as it is, whatever the manifest says"
    )


def add_project_env(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--environment",
        default="",
        metavar="ENV",
        help="in a project: its named environment ENV ([tool.corral.environments]) instead of the default one",
    )


def add_group(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--group", default="", metavar="GROUP", help="pyproject: the PyPI entries of [dependency-groups].GROUP"
    )


def add_mutating(parser: argparse.ArgumentParser, untracked: bool = True, builds: bool = True) -> None:
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--dry-run", action="store_true", help="show the plan and stop")
    if builds:
        parser.add_argument(
            "--link-scripts",
            choices=LINK_SCRIPT_CHOICES,
            default=None,
            help="conda packages' pre-/post-link scripts: run them as conda does (default), skip them, or"
            " refuse packages that have them (setting: link-scripts)",
        )
        parser.add_argument(
            "--clobber",
            action="store_const",
            const="clobber",
            dest="path_conflict",
            default=None,
            help="let conda packages ship the same paths even with path-conflict = prevent (as conda's --clobber)",
        )
    if untracked:
        parser.add_argument(
            "--discard-untracked",
            action="store_true",
            help="proceed even if the environment holds files corral did not install (they stay in the old generation)",
        )


def add_channels(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--channel",
        action="append",
        default=[],
        dest="channels",
        metavar="CHANNEL",
        help="conda channel: a name, URL, file:// URL or local directory (repeatable, first has priority)",
    )


def add_index(parser: argparse.ArgumentParser, short_find_links: bool = True) -> None:
    parser.add_argument("-i", "--index-url", default="", metavar="URL", help="PyPI-style index instead of PyPI")
    parser.add_argument(
        "--extra-index-url", action="append", default=[], metavar="URL", help="another index (repeatable)"
    )
    flags = ("-f", "--find-links") if short_find_links else ("--find-links",)
    parser.add_argument(*flags, action="append", default=[], metavar="PATH", help="a folder of wheels, or a URL")
    parser.add_argument("--no-index", action="store_true", help="use only --find-links locations")


def add_pypi(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("PyPI packages (installed by uv, after the conda packages)")
    group.add_argument(
        "--pip",
        nargs="+",
        action="extend",
        default=[],
        metavar="REQ",
        help="PyPI requirements, e.g. --pip torch 'transformers>=4' (takes the rest of the arguments)",
    )
    group.add_argument(
        "-e", "--editable", action="append", default=[], metavar="PATH", help="a local project, installed editable"
    )
    add_index(group, short_find_links=False)  # type: ignore[arg-type]  # -f is --file, as in conda


def add_files(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument(
        "-f",
        "--file",
        action="append",
        default=[],
        dest="files",
        required=required,
        metavar="FILE",
        help="environment.yml, requirements.txt, or a conda spec / @EXPLICIT .txt file;"
        " repeat to layer files (later ones add and override)",
    )


def add_export(parser: argparse.ArgumentParser) -> None:
    add_target(parser)
    parser.add_argument(
        "--format",
        default="environment.yml",
        choices=(
            "environment.yml",
            "requirements.txt",
            "explicit",
            "spec-list",
            "pylock.toml",
            "lock",
            "pixi.lock",
            "conda-lock.yml",
        ),
        help="environment.yml (default; conda and PyPI), requirements.txt (PyPI, pinned),"
        " explicit (conda package URLs + md5), spec-list (conda list --export),"
        " pylock.toml (PEP 751: PyPI artifacts + sha256),"
        " lock (corral.lock), pixi.lock, conda-lock.yml",
    )
    parser.add_argument(
        "--lock",
        default="",
        metavar="FILE",
        help="export from a corral.lock instead of an environment (formats: lock, pixi.lock, conda-lock.yml,"
        " explicit, requirements.txt with --hash)",
    )
    parser.add_argument("--platform", default="", metavar="PLATFORM", help="with --lock: which platform's section")
    parser.add_argument(
        "--from-history", action="store_true", help="what was asked for, not the exact packages installed"
    )
    parser.add_argument("--no-builds", action="store_true", help="environment.yml without build strings")
    parser.add_argument("-o", "--output", default="", metavar="FILE", help="write to FILE (default: standard output)")
