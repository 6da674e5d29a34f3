"""The parsers of the commands around environments: run, activate, shell, du, clean, doctor, search, config,
kernel, python, info (built by parser.build_parser; only the one typed when a command is given)."""

from __future__ import annotations

import argparse
from typing import Any

from corral.activation.shellnames import SHELLS as SHELL_CHOICES
from corral.cli.options import add_channels, add_project_env, add_project_mode, add_target


def add_tool_commands(sub: Any, common: Any) -> None:
    """Add the tool commands' parsers to `sub` (the subcommands action, or parser._Only)."""
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
    add_target(p)
    add_project_mode(p)
    add_project_env(p)
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
    add_target(shell)
    add_project_mode(shell)
    add_project_env(shell)
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
            add_target(p)
            add_project_mode(p)
            add_project_env(p)
            p.add_argument("env", nargs="?", default=None, metavar="ENV", help="a name, or a path (with a /)")
        p.add_argument("--shell", dest="shell_name", default="bash", choices=SHELL_CHOICES, help="the shell")

    p = sub.add_parser("du", parents=[common], help="disk usage of environments and caches, hardlinks counted once")
    add_target(p)
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
    add_target(p)
    p.add_argument("--all", action="store_true", help="check every environment")
    p.add_argument("--fix", action="store_true", help="repair: a fresh generation from the environment's own lock")
    p.add_argument("--adopt", action="store_true", help="with --fix: record PyPI packages installed by hand first")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    p = sub.add_parser("search", parents=[common], help="what versions and builds the channels (or PyPI) have")
    add_channels(p)
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
    add_target(p)
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
