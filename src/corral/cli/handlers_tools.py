"""Handlers of the commands around environments: search, config, kernel, pack, rename, env config vars."""

from __future__ import annotations

import os
from typing import Any

from corral.errors import UsageError
from corral.reporting import Reporter

TYPE_CHECKING = False
if TYPE_CHECKING:  # argparse only for annotations: `rollback` starts without it (cli/quick.py)
    import argparse


def search(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral.api.views import search_packages
    from corral.cli.habits import check_override_channels

    check_override_channels(args)
    return search_packages(settings, reporter, args.spec, args.channels, args.platform, args.info, args.pypi)


def config(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral.api.config import change_config, config_view

    for action in ("set", "add", "append", "remove"):
        if getattr(args, action):
            key, value = getattr(args, action)
            return change_config(settings, action, key, value)
    if args.unset:
        return change_config(settings, "unset", args.unset)
    if args.show is None and not args.show_sources:
        raise UsageError(
            "say what to show: corral config --show [KEY] or --show-sources",
            hint="corral reads conda's .condarc for channels, channel_priority and the channel allow/deny lists;"
            " write corral's own settings in config.toml (see `corral config --show-sources`)",
        )
    return config_view(settings, os.environ, args.show or "", args.show_sources)


def kernel(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import kernels
    from corral.cli.from_args import env_ref_of

    verb = {"ls": "list", "rm": "remove"}.get(args.kernel_command, args.kernel_command)
    if verb == "install":
        return kernels.install(settings, env_ref_of(args, settings), os.environ, args.kernel_name, args.display_name)
    if verb == "remove":
        return kernels.remove(os.environ, args.kernel)
    return kernels.list_kernels(os.environ)


def pack(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    """`corral pack -n ENV -o OUT` or `corral pack --check ARCHIVE`."""
    from corral import api
    from corral.cli.from_args import env_ref_of

    if args.check:
        if args.name or args.prefix or args.output:
            raise UsageError("--check takes an archive only", hint="corral pack --check env.tar.gz")
        return api.check_pack(settings, reporter, args.check)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "0") or "0"
    if not epoch.isdigit():
        raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}", hint="unset it")
    return api.pack(
        settings,
        reporter,
        env_ref_of(args, settings),
        args.output,
        format=args.format,
        force=args.force,
        mtime=int(epoch),
    )


def rename(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral.api.envs import rename as rename_env
    from corral.cli.from_args import change_context, env_ref_of, named_or_path
    from corral.store.envs import active_ref

    ctx = change_context(args, settings, reporter, command)
    target = env_ref_of(args, settings, active=False)
    return rename_env(ctx, target, named_or_path(settings, args.new), active_ref(settings, os.environ))


def env_vars(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral.api.envs import list_variables, set_variables
    from corral.cli.from_args import change_context, env_ref_of

    verb = getattr(args, "vars_command", None)
    if verb is None:
        raise UsageError("say what to do with the variables", hint="corral env config vars list|set|unset -n ENV")
    ref = env_ref_of(args, settings)
    if verb == "list":
        return list_variables(ref)
    ctx = change_context(args, settings, reporter, command)
    if verb == "unset":
        return set_variables(ctx, ref, {}, args.names)
    pairs = {}
    for item in args.assignments:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise UsageError(f"'{item}' is not NAME=VALUE", hint="e.g. corral env config vars set -n ml MY_VAR=1")
        pairs[name] = value
    return set_variables(ctx, ref, pairs)


def with_file_requests(
    files: Any, specs: list[str], channels: list[str], pypi: Any
) -> tuple[list[str], list[str], Any]:
    """conda's `install --file F`: F's conda specs first, its channels after the command line's, PyPI joined."""
    from corral.specs.requirements import PypiRequest

    if files.explicit:
        raise UsageError(
            "an @EXPLICIT file lists a whole environment's exact packages; it cannot be added to one",
            hint="make an environment from it: corral create -n NAME --file FILE",
        )
    spec = files.spec
    if spec.pypi or spec.editables or spec.pypi_constraints:
        merged = pypi or PypiRequest()
        merged = PypiRequest(
            requirements=[*spec.pypi, *merged.requirements],
            editables=[*spec.editables, *merged.editables],
            constraints=[*spec.pypi_constraints, *merged.constraints],
            index=spec.index.merged(merged.index),
            warnings=list(merged.warnings),
        )
        pypi = merged
    return [*spec.specs, *specs], [*channels, *spec.channels], pypi
