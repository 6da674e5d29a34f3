"""conda's and pip's spellings that people type from habit, Dockerfiles and READMEs.

Each option here is either translated to what corral does (`conda remove --all`, `conda list
--export`, `pip install -U`), accepted because corral already behaves that way (`conda run
--no-capture-output`, `pip --no-cache-dir`), or refused with the reason and the corral way
(`pip install --user`, `conda install --no-deps`). The parser only declares them; the handlers
read them through the functions below.
"""

from __future__ import annotations

from corral.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:  # argparse only for annotations and the parser's builders: `rollback` starts without it
    import argparse
    from typing import Any


def quiet_option(parser: Any) -> None:
    """-q/--quiet, on every command: no progress, as conda's and pip's -q."""
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output (warnings and errors still)")


def conda_change(parser: argparse.ArgumentParser, install: bool = False) -> None:
    """conda's create/install/update options beyond corral's own."""
    import argparse  # loaded already: the parser is being built

    group = parser.add_argument_group("conda's spellings")
    group.add_argument(
        "--override-channels",
        action="store_true",
        help="only the -c channels: for create and lock corral's -c already replaces the configured channels;"
        " for install they replace the environment's channels",
    )
    group.add_argument("--solver", metavar="NAME", help="accepted and ignored: corral always solves with rattler")
    if install:
        group.add_argument(
            "--freeze-installed",
            "--no-update-deps",
            dest="freeze_installed",
            action="store_true",
            help="installed packages do not move; fail instead of trying a flexible solve (as conda)",
        )
        group.add_argument(
            "--revision",
            type=int,
            metavar="N",
            help="go back to generation N, as `corral list --revisions` numbers them (corral rollback --to N:"
            " exact and offline, where conda's re-solves)",
        )
    group.add_argument("--no-deps", action="store_true", help=argparse.SUPPRESS)
    group.add_argument("--only-deps", action="store_true", help=argparse.SUPPRESS)
    group.add_argument("--force-reinstall", action="store_true", help=argparse.SUPPRESS)


def pip_install(parser: argparse.ArgumentParser) -> None:
    """pip install's options beyond corral's own: translated, accepted, or refused with the reason."""
    import argparse  # loaded already: the parser is being built

    group = parser.add_argument_group("pip's spellings")
    group.add_argument(
        "-U", "--upgrade", action="store_true", help="move the named packages to the newest versions allowed"
    )
    group.add_argument(
        "--upgrade-strategy",
        choices=("only-if-needed", "eager"),
        default="only-if-needed",
        help="with -U: eager lets every PyPI dependency move too (pip's default is only-if-needed)",
    )
    group.add_argument(
        "--force-reinstall",
        action="store_true",
        help="accepted: every generation is installed fresh; to repair a damaged one, `corral doctor --fix`",
    )
    for flag in ("--no-deps", "--user", "--pre", "--no-build-isolation"):
        group.add_argument(flag, action="store_true", help=argparse.SUPPRESS)
    group.add_argument("-t", "--target", help=argparse.SUPPRESS)
    group.add_argument("--root", help=argparse.SUPPRESS)
    ignored = "--no-cache-dir --disable-pip-version-check --no-input --no-warn-script-location --no-color"
    ignored += " --prefer-binary --break-system-packages --compile --no-compile --isolated"
    for flag in ignored.split():
        group.add_argument(flag, action="store_true", help=argparse.SUPPRESS)
    group.add_argument("--root-user-action", help=argparse.SUPPRESS)
    group.add_argument("--progress-bar", help=argparse.SUPPRESS)
    parser.epilog = (
        "Also accepted from pip, and ignored because corral already does it or does not need it: --no-cache-dir,"
        " --disable-pip-version-check, --no-input, --root-user-action, --progress-bar, --prefer-binary,"
        " --no-warn-script-location, --no-color, --break-system-packages, --compile/--no-compile, --isolated."
    )


_REFUSED_PIP = {
    "no_deps": (
        "--no-deps",
        "corral installs every PyPI package with its dependencies, so that each generation is consistent",
        "install the dependencies you want from conda first (`corral install -n ENV PKG`), then `corral pip install`:"
        " what conda provides is not installed again from PyPI",
    ),
    "user": (
        "--user",
        "an environment has no user site: packages go into the environment itself",
        "drop --user: `corral pip install -n ENV REQ` installs into the environment as a new generation",
    ),
    "pre": (
        "--pre",
        "corral does not allow pre-releases for every package at once",
        "name the pre-release in the requirement, e.g. 'torch>=2.8.0.dev0' or 'pkg==2.0rc1': uv then allows it for"
        " that package",
    ),
    "no_build_isolation": (
        "--no-build-isolation",
        "corral builds sdists in isolation, so that a build cannot see or change the environment",
        "install a wheel of the package (-f ./wheels, or a wheel path), or build one with `uv build` / `pip wheel`",
    ),
    "target": (
        "--target",
        "corral installs only into environments",
        "make an environment for it (`corral create -n NAME --pip REQ`), or `corral pack` one",
    ),
    "root": (
        "--root",
        "corral installs only into environments",
        "make an environment for it (`corral create -n NAME --pip REQ`), or `corral pack` one",
    ),
}

_REFUSED_CONDA = {
    "no_deps": (
        "--no-deps",
        "corral does not install a package without its dependencies: the environment would be inconsistent",
        "install it with its dependencies, or pin the dependencies you care about (`corral install -n ENV 'dep=1.2'`)",
    ),
    "only_deps": (
        "--only-deps",
        "corral installs what was asked for, with its dependencies",
        "name the dependencies themselves, see them with `corral search --info PKG`",
    ),
}


def refuse_unsupported(args: argparse.Namespace, pip: bool) -> None:
    """A clear error for the habits corral does not follow (and why), before anything runs."""
    table = _REFUSED_PIP if pip else _REFUSED_CONDA
    for dest, (flag, why, hint) in table.items():
        if getattr(args, dest, None):
            raise UsageError(f"{flag} is not supported: {why}", hint=hint)


def check_override_channels(args: argparse.Namespace) -> None:
    """conda: --override-channels needs at least one -c."""
    if getattr(args, "override_channels", False) and not getattr(args, "channels", None):
        raise UsageError("--override-channels needs at least one channel", hint="add -c CHANNEL (as conda requires)")
