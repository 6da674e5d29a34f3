"""The argument parser of every command (built only when a command needs argparse)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from corral.activation.shells import SHELLS as SHELL_CHOICES
from corral.cli import habits
from corral.settings import LINK_SCRIPT_CHOICES


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, sized without importing shutil (and its compression modules) on every command."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size gives it: $COLUMNS, the terminal, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    """argparse, but an unknown option is reported with the usage of the (sub)command it was given to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        """Parse; unrecognized arguments are an error of the deepest subcommand chosen."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            chosen(self, parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


def chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the deepest subcommand `args` chose (`corral env remove` -> the `env remove` parser)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None)
            if name in action.choices:
                return chosen(action.choices[name], args)
    return parser


def _common() -> _Parser:
    parent = _Parser(add_help=False)
    parent.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and more detail")
    parent.add_argument("--json", action="store_true", help="print a versioned JSON document instead of text")
    parent.add_argument("--offline", action="store_true", default=None, help="use cached repodata and packages only")
    habits.quiet_option(parent)
    return parent


def _target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-n", "--name", help="environment name")
    group.add_argument("-p", "--prefix", metavar="PATH", help="environment path (a stable link into the store)")


def _project_mode(parser: argparse.ArgumentParser) -> None:
    """--locked / --frozen: how a command without -n/-p inside a project treats corral.lock."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--locked", action="store_true", help="in a project: fail if corral.lock is out of date with the manifest"
    )
    group.add_argument(
        "--frozen", action="store_true", help="in a project: use corral.lock as it is, whatever the manifest says"
    )


def _project_env(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--environment",
        default="",
        metavar="ENV",
        help="in a project: its named environment ENV ([tool.corral.environments]) instead of the default one",
    )


def _group(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--group", default="", metavar="GROUP", help="pyproject: the PyPI entries of [dependency-groups].GROUP"
    )


def _mutating(parser: argparse.ArgumentParser, untracked: bool = True, builds: bool = True) -> None:
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


def _index(parser: argparse.ArgumentParser, short_find_links: bool = True) -> None:
    parser.add_argument("-i", "--index-url", default="", metavar="URL", help="PyPI-style index instead of PyPI")
    parser.add_argument(
        "--extra-index-url", action="append", default=[], metavar="URL", help="another index (repeatable)"
    )
    flags = ("-f", "--find-links") if short_find_links else ("--find-links",)
    parser.add_argument(*flags, action="append", default=[], metavar="PATH", help="a folder of wheels, or a URL")
    parser.add_argument("--no-index", action="store_true", help="use only --find-links locations")


def _pypi(parser: argparse.ArgumentParser) -> None:
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
    _index(group, short_find_links=False)  # type: ignore[arg-type]  # -f is --file, as in conda


def _files(parser: argparse.ArgumentParser, required: bool = False) -> None:
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


def _export(parser: argparse.ArgumentParser) -> None:
    _target(parser)
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
        " explicit (conda package URLs + md5), pylock.toml (PEP 751: PyPI artifacts + sha256),"
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

    common = _common()
    parser = _Parser(
        prog="corral",
        description="Environments for Python and ML work: conda and PyPI packages, atomic generations,"
        " instant rollback.",
    )
    parser.add_argument("--version", action="version", version=f"corral {__version__}")
    sub: Any = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command is not None:
        sub = _Only(sub, command)

    p = sub.add_parser("create", parents=[common], help="create an environment")
    _target(p)
    _files(p)
    _channels(p)
    habits.conda_change(p)
    _mutating(p, untracked=False)
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
    _pypi(p)

    p = sub.add_parser(
        "rename",
        parents=[common],
        help="give an environment another name (or path): rebuilt there from its current generation",
    )
    _target(p)
    _mutating(p, untracked=False, builds=False)
    p.add_argument("new", metavar="NEW", help="the new name (or a path with a /)")

    p = sub.add_parser(
        "lock",
        parents=[common],
        help="write corral.lock: exact conda and PyPI packages with hashes, for several platforms",
    )
    _files(p)
    _channels(p)
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
    _pypi(p)

    p = sub.add_parser(
        "install",
        parents=[common],
        help="add packages to an environment; with none, inside a project: sync its environment to the lock",
    )
    _target(p)
    _files(p)
    _project_mode(p)
    _project_env(p)
    _channels(p)
    habits.conda_change(p, install=True)
    _mutating(p)
    p.add_argument("specs", nargs="*", metavar="SPEC", help="conda match specs")
    _pypi(p)

    p = sub.add_parser("remove", aliases=["uninstall"], parents=[common], help="remove packages from an environment")
    _target(p)
    _mutating(p)
    p.add_argument("names", nargs="*", metavar="PACKAGE", help="requested conda packages")
    p.add_argument("--all", action="store_true", help="remove the whole environment (as `corral env remove`)")
    p.add_argument("--pip", nargs="+", action="extend", default=[], metavar="NAME", help="requested PyPI packages")
    _group(p)

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
    _channels(p)
    _group(p)
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
    _target(p)
    _mutating(p)
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
    _target(p)
    p.add_argument("pattern", nargs="?", default="", metavar="REGEX", help="only packages whose name matches it")
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
    _target(p)

    p = sub.add_parser("rollback", parents=[common], help="switch back to an earlier generation (offline)")
    _target(p)
    _mutating(p, untracked=False, builds=False)
    p.add_argument("--to", type=int, metavar="N", help="the generation to switch to (default: the one before)")

    env = sub.add_parser("env", help="manage environments as a whole")
    env_sub = env.add_subparsers(dest="env_command", metavar="COMMAND")
    env_sub.add_parser("list", aliases=["ls"], parents=[common], help="list environments")
    p = env_sub.add_parser("remove", aliases=["rm"], parents=[common], help="delete an environment")
    _target(p)
    _mutating(p, untracked=False, builds=False)
    p = env_sub.add_parser(
        "create", parents=[common], help="create an environment from files (same as `corral create -f`)"
    )
    _target(p)
    _files(p, required=True)
    _mutating(p, untracked=False)
    p = env_sub.add_parser("update", parents=[common], help="lay environment files over an environment")
    _target(p)
    _files(p, required=True)
    _mutating(p)
    p.add_argument("--prune", action="store_true", help="make the environment exactly the files (drop other requests)")
    p = env_sub.add_parser("export", parents=[common], help="same as `corral export`")
    _export(p)
    config = env_sub.add_parser("config", help="an environment's settings (conda's `env config vars`)")
    config_sub = config.add_subparsers(dest="config_command", metavar="COMMAND")
    variables = config_sub.add_parser("vars", help="environment variables set on activation and in `run`")
    vars_sub = variables.add_subparsers(dest="vars_command", metavar="COMMAND")
    p = vars_sub.add_parser("list", parents=[common], help="show them")
    _target(p)
    p = vars_sub.add_parser("set", parents=[common], help="set NAME=VALUE ... (a new generation)")
    _target(p)
    _mutating(p, untracked=False, builds=False)
    p.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    p = vars_sub.add_parser("unset", parents=[common], help="unset NAME ... (a new generation)")
    _target(p)
    _mutating(p, untracked=False, builds=False)
    p.add_argument("names", nargs="+", metavar="NAME")

    p = sub.add_parser("export", parents=[common], help="write an environment as a file that recreates it")
    _export(p)

    pip = sub.add_parser("pip", help="PyPI packages with pip's vocabulary (-r, -e, -c, --index-url ...)")
    pip_sub = pip.add_subparsers(dest="pip_command", metavar="COMMAND")
    p = pip_sub.add_parser("install", parents=[common], help="add PyPI packages to an environment")
    _target(p)
    _mutating(p)
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE", help="requirements file")
    p.add_argument("-c", "--constraint", action="append", default=[], metavar="FILE", help="constraints file")
    p.add_argument(
        "-e", "--editable", action="append", default=[], metavar="PATH", help="a local project, installed editable"
    )
    _index(p)
    habits.pip_install(p)
    p.add_argument("requirements", nargs="*", metavar="REQ", help="PyPI requirements, e.g. 'requests>=2'")
    p = pip_sub.add_parser("uninstall", parents=[common], help="remove requested PyPI packages")
    _target(p)
    _mutating(p)
    p.add_argument("names", nargs="+", metavar="NAME")

    p = sub.add_parser("adopt", parents=[common], help="record PyPI packages installed by hand into the environment")
    _target(p)
    _mutating(p, untracked=False)

    p = sub.add_parser(
        "run",
        help="run a command in an environment, no shell needed: corral run -n ENV CMD [ARGS] (see corral run --help)",
        add_help=False,
    )
    p.add_argument("args", nargs=argparse.REMAINDER)
    hook_note = (
        "This changes the current shell, so it runs through corral's shell function: set it up once with"
        " `corral shell init SHELL`. Without it: `corral shell -n ENV` or `corral run -n ENV CMD`."
    )
    p = sub.add_parser(
        "activate",
        parents=[common],
        help="activate an environment in this shell (needs the shell hook)",
        usage="corral activate [-h] [--locked | --frozen] [ENV | -n NAME | -p PATH]",
        description="Activate an environment in the current shell: its bin/ first on PATH, its activation scripts"
        " run, the prompt marked. With no environment named inside a project: the project's, synced to its lock"
        " first. " + hook_note,
    )
    _target(p)
    _project_mode(p)
    _project_env(p)
    p.add_argument("env", nargs="?", default=None, metavar="ENV", help="an environment name, or a path (with a /)")
    sub.add_parser(
        "deactivate",
        parents=[common],
        help="deactivate the active environment in this shell (needs the shell hook)",
        description="Undo the last `corral activate` in the current shell. " + hook_note,
    )

    shell = sub.add_parser(
        "shell",
        parents=[common],
        help="a subshell with an environment active; hooks for activate/deactivate",
        usage="corral shell [-h] [--locked | --frozen] [-n NAME | -p PATH]\n"
        "       corral shell {hook,init,activate,deactivate} ...",
        description="`corral shell -n ENV` starts your shell with the environment active (exit it to leave);"
        " no shell hook is needed. Without -n/-p inside a project: the project's environment, synced to its lock"
        " first. The subcommands set up and drive `corral activate`.",
    )
    _target(shell)
    _project_mode(shell)
    _project_env(shell)
    shell_sub = shell.add_subparsers(dest="shell_command", metavar="COMMAND", prog="corral shell")
    p = shell_sub.add_parser("hook", help="print the shell function behind `corral activate` (eval it in an rc file)")
    p.add_argument("shell_name", metavar="SHELL", choices=SHELL_CHOICES, help=", ".join(SHELL_CHOICES))
    p = shell_sub.add_parser("init", parents=[common], help="add the hook to the shell's rc file (backed up)")
    p.add_argument("shell_name", metavar="SHELL", choices=SHELL_CHOICES[:-1], help=", ".join(SHELL_CHOICES[:-1]))
    p.add_argument("--undo", action="store_true", help="remove the hook from the rc file")
    p.add_argument("--rc", default="", metavar="FILE", help="the rc file to edit (default: the shell's usual one)")
    for verb in ("activate", "deactivate"):
        p = shell_sub.add_parser(verb, parents=[common], help=f"print the script that {verb}s (for eval)")
        if verb == "activate":
            _target(p)
            _project_mode(p)
            _project_env(p)
            p.add_argument("env", nargs="?", default=None, metavar="ENV", help="a name, or a path (with a /)")
        p.add_argument("--shell", dest="shell_name", default="bash", choices=SHELL_CHOICES, help="the shell")

    p = sub.add_parser("du", parents=[common], help="disk usage of environments and caches, hardlinks counted once")
    _target(p)
    p.add_argument("--all", action="store_true", help="every environment, also inside a project")
    p = sub.add_parser("clean", parents=[common], help="remove cached packages and old data no environment uses")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--dry-run", action="store_true", help="show what would be removed and freed, and stop")
    p.add_argument(
        "-a",
        "--all",
        action="store_true",
        help="also cached packages only old generations use (they keep their own links: rollback still works),"
        " every conda download and PyPI metadata",
    )
    kinds = p.add_argument_group("conda's kinds (each removes only that kind, and only what nothing uses)")
    kinds.add_argument("-p", "--packages", action="store_true", help="extracted conda packages")
    kinds.add_argument("-t", "--tarballs", action="store_true", help="downloaded conda archives")
    kinds.add_argument("-i", "--index-cache", action="store_true", help="cached channel indexes (repodata)")
    kinds.add_argument(
        "-l",
        "--logfiles",
        "-c",
        "--tempfiles",
        dest="leftovers",
        action="store_true",
        help="leftovers of interrupted runs",
    )
    kinds.add_argument("-f", "--force-pkgs-dirs", action="store_true", help="accepted: corral's caches are its own")

    p = sub.add_parser("doctor", parents=[common], help="check an environment's files, links, lock and caches; repair")
    _target(p)
    p.add_argument("--all", action="store_true", help="check every environment")
    p.add_argument("--fix", action="store_true", help="repair: a fresh generation from the environment's own lock")
    p.add_argument("--adopt", action="store_true", help="with --fix: record PyPI packages installed by hand first")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    p = sub.add_parser("search", parents=[common], help="what versions and builds the channels (or PyPI) have")
    _channels(p)
    p.add_argument("--override-channels", action="store_true", help="only the -c channels (as conda)")
    p.add_argument("spec", metavar="SPEC", help="a match spec: numpy, 'numpy>=2', numpy=1.26=*py312*, 'num*'")
    p.add_argument("--platform", default="", help="another platform's packages (e.g. osx-arm64); noarch always")
    p.add_argument("--info", action="store_true", help="every detail of each package file (as conda search --info)")
    p.add_argument("--pypi", action="store_true", help="the versions on PyPI instead")

    p = sub.add_parser(
        "config",
        parents=[common],
        help="show the settings and where each came from (.condarc, config.toml); change config.toml",
    )
    p.add_argument("--show", nargs="?", const="", default=None, metavar="KEY", help="every setting, or one")
    p.add_argument("--get", dest="show", metavar="KEY", help="one setting (same as --show KEY)")
    p.add_argument("--show-sources", action="store_true", help="the files read, and the source of each setting")
    change = p.add_mutually_exclusive_group()
    change.add_argument("--set", nargs=2, metavar=("KEY", "VALUE"), help="set a setting in corral's config file")
    change.add_argument("--unset", metavar="KEY", help="remove a setting from corral's config file")
    change.add_argument("--add", nargs=2, metavar=("KEY", "VALUE"), help="put an item first in a list (channels)")
    change.add_argument("--prepend", dest="add", nargs=2, metavar=("KEY", "VALUE"), help="same as --add")
    change.add_argument("--append", nargs=2, metavar=("KEY", "VALUE"), help="put an item last in a list")
    change.add_argument("--remove", nargs=2, metavar=("KEY", "VALUE"), help="take an item out of a list")

    kernel = sub.add_parser("kernel", help="Jupyter kernels that run an environment's python (through corral run)")
    kernel_sub = kernel.add_subparsers(dest="kernel_command", metavar="COMMAND")
    p = kernel_sub.add_parser("install", parents=[common], help="write a kernelspec for an environment")
    _target(p)
    p.add_argument("--kernel-name", default="", metavar="NAME", help="the kernel's name (default: corral-ENV)")
    p.add_argument("--display-name", default="", help="what Jupyter shows (default: Python (ENV, corral))")
    kernel_sub.add_parser("list", aliases=["ls"], parents=[common], help="the kernels corral wrote")
    p = kernel_sub.add_parser("remove", aliases=["rm"], parents=[common], help="delete a kernel corral wrote")
    p.add_argument("kernel", metavar="NAME")

    python = sub.add_parser("python", help="Python interpreters found on this machine")
    python_sub = python.add_subparsers(dest="python_command", metavar="COMMAND")
    python_sub.add_parser("list", aliases=["ls"], parents=[common], help="list the interpreters corral can use")

    p = sub.add_parser("info", parents=[common], help="show settings, store location, virtual packages")
    p.add_argument("-e", "--envs", action="store_true", help="list the environments (as `corral env list`)")
    _pack(sub.add_parser("pack", parents=[common], help="write an environment as a relocatable archive (no corral)"))
    if isinstance(sub, _Only) and not sub.found:
        return build_parser()  # not a command: the whole parser names the valid ones
    return parser


def _pack(p: argparse.ArgumentParser) -> None:
    """`corral pack`: its own block, so other commands' edits merge around it."""
    _target(p)
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
