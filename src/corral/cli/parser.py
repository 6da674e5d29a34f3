"""The argument parser of every command (built only when a command needs argparse)."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from corral.cli import habits
from corral.cli.options import (
    Parser,
    add_channels,
    add_export,
    add_files,
    add_group,
    add_index,
    add_mutating,
    add_project_env,
    add_project_mode,
    add_pypi,
    add_target,
    chosen,
    common_parent,
)
from corral.cli.parser_tools import add_tool_commands

__all__ = ["build_parser", "chosen", "main_help"]


class _Discard:
    """Stands in for the parsers of the commands not typed: every call is accepted and does nothing."""

    def __getattr__(self, name: str) -> Any:
        return self._ignore

    def _ignore(self, *args: Any, **kwargs: Any) -> _Discard:
        return self


class _Only:
    """The subcommands action, building only `command`'s parser: the other 40-odd cost ~8 ms to make."""

    def __init__(self, sub: Any, command: str) -> None:
        self.sub = sub
        self.command = command
        self.found = False

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if self.command != name and self.command not in kwargs.get("aliases", ()):
            return _Discard()
        self.found = True
        return self.sub.add_parser(name, **kwargs)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: whole, or with only `command`'s subparser (the one typed; whole if none matches)."""
    from corral import __version__

    common = common_parent()
    parser = Parser(
        prog="corral",
        description="Environments for Python and ML work: conda and PyPI packages, atomic generations,"
        " instant rollback.",
    )
    parser.add_argument("--version", action="version", version=f"corral {__version__}")
    sub: Any = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command is not None:
        sub = _Only(sub, command)

    p = sub.add_parser("create", parents=[common], help="create an environment")
    add_target(p)
    add_files(p)
    add_channels(p)
    habits.conda_change(p)
    add_mutating(p, untracked=False)
    p.add_argument(
        "--python",
        default="",
        metavar="VERSION",
        help="with conda specs: python=VERSION from the channels; without: a Python found on this machine"
        " (see `corral python list`), e.g. 3.12, 3.12.1 or a path",
    )
    p.add_argument(
        "--lock",
        default="",
        metavar="FILE",
        help="install exactly a corral.lock's packages for this platform: no solving, every hash checked,"
        " nothing built",
    )
    p.add_argument(
        "--clone",
        default="",
        metavar="ENV",
        help="a copy of another environment's current generation (a name, or a path with a /): no solve,"
        " offline from the caches",
    )
    p.add_argument("specs", nargs="*", metavar="SPEC", help="conda match specs, e.g. python=3.12 'numpy>=1.26'")
    add_pypi(p)

    p = sub.add_parser(
        "rename",
        parents=[common],
        help="give an environment another name (or path): rebuilt there from its current generation",
    )
    add_target(p)
    add_mutating(p, untracked=False, builds=False)
    p.add_argument("new", metavar="NEW", help="the new name (or a path with a /)")

    p = sub.add_parser(
        "lock",
        parents=[common],
        help="write corral.lock: exact conda and PyPI packages with hashes, for several platforms",
    )
    add_files(p)
    add_channels(p)
    habits.conda_change(p)
    p.add_argument(
        "--platform",
        action="append",
        default=[],
        dest="platforms",
        metavar="PLATFORM",
        help="a platform to lock for, e.g. linux-64, osx-arm64, win-64 (repeatable; default: the lock's"
        " platforms, else this machine's)",
    )
    p.add_argument("-o", "--output", default="", metavar="FILE", help="the lock file (default: corral.lock beside -f)")
    p.add_argument("--check", action="store_true", help="exit 1 when the lock no longer matches the files")
    p.add_argument(
        "--update",
        nargs="+",
        default=[],
        metavar="NAME",
        help="move only these packages to the newest versions allowed; the rest keep their locked versions",
    )
    p.add_argument("--from", dest="source", default="", metavar="FILE", help="import a pixi.lock or conda-lock.yml")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="conda match specs added to the files'")
    add_pypi(p)

    p = sub.add_parser(
        "install",
        parents=[common],
        help="add packages to an environment; with none, inside a project: sync its environment to the lock",
    )
    add_target(p)
    add_files(p)
    add_project_mode(p)
    add_project_env(p)
    add_channels(p)
    habits.conda_change(p, install=True)
    add_mutating(p)
    p.add_argument("specs", nargs="*", metavar="SPEC", help="conda match specs")
    add_pypi(p)

    p = sub.add_parser("remove", aliases=["uninstall"], parents=[common], help="remove packages from an environment")
    add_target(p)
    add_mutating(p)
    p.add_argument("names", nargs="*", metavar="PACKAGE", help="requested conda packages")
    p.add_argument("--all", action="store_true", help="remove the whole environment (as `corral env remove`)")
    p.add_argument("--pip", nargs="+", action="extend", default=[], metavar="NAME", help="requested PyPI packages")
    add_group(p)

    p = sub.add_parser(
        "init",
        parents=[common],
        help="make this folder a project: a manifest (environment.yml, or [tool.corral] in pyproject.toml)",
    )
    p.add_argument(
        "--format",
        choices=("environment.yml", "pyproject"),
        default="",
        help="the manifest to write (default: pyproject when a pyproject.toml is here, else environment.yml)",
    )
    p.add_argument(
        "--from",
        dest="init_from",
        default="",
        metavar="FILE",
        help="convert a pixi.toml (to environment.yml) or a poetry pyproject.toml (adds [tool.corral])",
    )

    p = sub.add_parser(
        "add",
        parents=[common],
        help="in a project: record packages in the manifest, lock, and sync the environment",
    )
    add_channels(p)
    add_group(p)
    p.add_argument(
        "--discard-untracked",
        action="store_true",
        help="proceed even if the environment holds files corral did not install (they stay in the old generation)",
    )
    p.add_argument(
        "specs", nargs="*", metavar="SPEC", help="conda match specs (a bare name gets >=X.Y of the locked one)"
    )
    p.add_argument("--pip", nargs="+", action="extend", default=[], metavar="REQ", help="PyPI requirements")
    p.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder (or URL) of wheels, kept in the manifest",
    )
    p.add_argument(
        "--no-index", action="store_true", help="PyPI packages only from --find-links (kept in the manifest)"
    )

    p = sub.add_parser(
        "update",
        aliases=["upgrade"],
        parents=[common],
        help="update named packages (or all)",
        description="Move the named packages to the newest versions the environment's requests allow;"
        " with no names (or --all), every package.",
    )
    add_target(p)
    add_mutating(p)
    p.add_argument("--all", action="store_true", help="update every package (the default when none is named)")
    p.add_argument(
        "names",
        nargs="*",
        metavar="PACKAGE",
        help="installed packages to update, conda or PyPI ones (default: every package)",
    )
    p.add_argument(
        "--pip",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME",
        help="installed PyPI packages to update (an error names any that is not one)",
    )

    p = sub.add_parser("list", parents=[common], help="list the packages of an environment")
    add_target(p)
    p.add_argument("pattern", nargs="?", default="", metavar="REGEX", help="only packages whose name matches it")
    p.add_argument(
        "-f", "--full-name", action="store_true", help="only the package whose whole name matches REGEX (as conda's)"
    )
    p.add_argument("--revisions", action="store_true", help="the environment's generations (same as `corral history`)")
    p.add_argument(
        "--export",
        action="store_true",
        help="conda's spec list (name=version=build, PyPI packages as =pypi_0), for `corral create --file`",
    )
    p.add_argument(
        "--explicit",
        action="store_true",
        help="conda's @EXPLICIT file: every conda package's URL (same as `corral export --format explicit`)",
    )
    p.add_argument("--md5", action="store_true", help="with --explicit: each URL with its md5 (the default)")
    p.add_argument("--sha256", action="store_true", help="with --explicit: each URL with its sha256 instead")

    p = sub.add_parser("history", parents=[common], help="show an environment's generations and changes")
    add_target(p)

    p = sub.add_parser("rollback", parents=[common], help="switch back to an earlier generation (offline)")
    add_target(p)
    add_mutating(p, untracked=False, builds=False)
    p.add_argument("--to", type=int, metavar="N", help="the generation to switch to (default: the one before)")

    env = sub.add_parser("env", help="manage environments as a whole")
    env_sub = env.add_subparsers(dest="env_command", metavar="COMMAND")
    env_sub.add_parser("list", aliases=["ls"], parents=[common], help="list environments")
    p = env_sub.add_parser("remove", aliases=["rm"], parents=[common], help="delete an environment")
    add_target(p)
    add_mutating(p, untracked=False, builds=False)
    p = env_sub.add_parser(
        "create", parents=[common], help="create an environment from files (same as `corral create -f`)"
    )
    add_target(p)
    add_files(p, required=True)
    add_mutating(p, untracked=False)
    p = env_sub.add_parser("update", parents=[common], help="lay environment files over an environment")
    add_target(p)
    add_files(p, required=True)
    add_mutating(p)
    p.add_argument("--prune", action="store_true", help="make the environment exactly the files (drop other requests)")
    p = env_sub.add_parser("export", parents=[common], help="same as `corral export`")
    add_export(p)
    config = env_sub.add_parser("config", help="an environment's settings (conda's `env config vars`)")
    config_sub = config.add_subparsers(dest="config_command", metavar="COMMAND")
    variables = config_sub.add_parser("vars", help="environment variables set on activation and in `run`")
    vars_sub = variables.add_subparsers(dest="vars_command", metavar="COMMAND")
    p = vars_sub.add_parser("list", parents=[common], help="show them")
    add_target(p)
    p = vars_sub.add_parser("set", parents=[common], help="set NAME=VALUE ... (a new generation)")
    add_target(p)
    add_mutating(p, untracked=False, builds=False)
    p.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    p = vars_sub.add_parser("unset", parents=[common], help="unset NAME ... (a new generation)")
    add_target(p)
    add_mutating(p, untracked=False, builds=False)
    p.add_argument("names", nargs="+", metavar="NAME")

    p = sub.add_parser("export", parents=[common], help="write an environment as a file that recreates it")
    add_export(p)

    pip = sub.add_parser("pip", help="PyPI packages with pip's vocabulary (-r, -e, -c, --index-url ...)")
    pip_sub = pip.add_subparsers(dest="pip_command", metavar="COMMAND")
    p = pip_sub.add_parser("install", parents=[common], help="add PyPI packages to an environment")
    add_target(p)
    add_mutating(p)
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE", help="requirements file")
    p.add_argument("-c", "--constraint", action="append", default=[], metavar="FILE", help="constraints file")
    p.add_argument(
        "-e", "--editable", action="append", default=[], metavar="PATH", help="a local project, installed editable"
    )
    add_index(p)
    habits.pip_install(p)
    p.add_argument("requirements", nargs="*", metavar="REQ", help="PyPI requirements, e.g. 'requests>=2'")
    p = pip_sub.add_parser("uninstall", parents=[common], help="remove requested PyPI packages")
    add_target(p)
    add_mutating(p)
    p.add_argument("names", nargs="+", metavar="NAME")

    p = sub.add_parser("adopt", parents=[common], help="record PyPI packages installed by hand into the environment")
    add_target(p)
    add_mutating(p, untracked=False)

    add_tool_commands(sub, common)
    _pack(sub.add_parser("pack", parents=[common], help="write an environment as a relocatable archive (no corral)"))
    if isinstance(sub, _Only) and not sub.found:
        return build_parser()  # not a command: the whole parser names the valid ones
    return parser


def _pack(p: argparse.ArgumentParser) -> None:
    """`corral pack`: its own block, so other commands' edits merge around it."""
    add_target(p)
    p.add_argument("-o", "--output", default="", metavar="PATH", help="the archive to write (.tar.gz, .tar, .zip)")
    p.add_argument(
        "--format",
        choices=("tar.gz", "tar", "zip", "dir"),
        default="",
        help="the archive's format (default: from the -o suffix, else tar.gz); dir writes an unpacked folder",
    )
    p.add_argument("--force", action="store_true", help="replace the output if it exists")
    p.add_argument(
        "--check",
        metavar="ARCHIVE",
        default="",
        help="instead of packing: unpack ARCHIVE into a temporary folder, run bin/corral-unpack and its python",
    )


def main_help(parser: argparse.ArgumentParser, command: str) -> int:
    """Print a subcommand's help (for `corral env` alone) and return the usage exit code."""
    with contextlib.suppress(SystemExit):
        parser.parse_args([command, "--help"])
    return 2
