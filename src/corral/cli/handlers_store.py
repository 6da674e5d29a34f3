"""Handlers of the commands about the shell and the store: shell, activate/deactivate, du, clean, doctor."""

from __future__ import annotations

from typing import Any

from corral.cli import handlers_project as projects
from corral.errors import UsageError
from corral.reporting import Reporter
from corral.values import replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # argparse only for annotations: `rollback` starts without it (cli/quick.py)
    import argparse


def shell(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral.activation import commands
    from corral.cli.from_args import typed_command

    sub = args.shell_command
    if sub == "hook":
        return commands.ShellText(hook_text(args.shell_name))
    if sub == "init":
        return commands.init(args.shell_name, args.rc, undo=args.undo)
    if sub == "activate":
        name, path = activation_target(args, settings, reporter)
        return commands.activate_script(settings, name, path, args.shell_name)
    if sub == "deactivate":
        return commands.deactivate_script(args.shell_name)
    path = args.prefix
    if not (args.name or args.prefix):
        path = projects.synced_link(args, settings, reporter, typed_command(args))
        if path is None:
            raise UsageError(
                "name the environment with -n NAME or -p PATH (no project here)",
                hint="e.g. corral shell -n ml, or run it inside a project",
            )
    else:
        projects.no_mode_outside(args)
    commands.subshell(settings, args.name, path)  # execs the shell; returns only on error
    raise AssertionError("unreachable")


def hook_text(shell: str) -> str:
    from corral.activation.hook import hook

    return hook(shell)


def activation_target(args: argparse.Namespace, settings: Any, reporter: Reporter) -> tuple[str | None, str | None]:
    from corral.cli.from_args import typed_command

    if args.env and (args.name or args.prefix):
        raise UsageError("name the environment once: ENV, -n NAME or -p PATH")
    if not (args.env or args.name or args.prefix):
        link = projects.synced_link(args, settings, reporter, typed_command(args))
        if link is None:
            raise UsageError("name the environment to activate (no project here)", hint="e.g. corral activate ml")
        return None, link
    projects.no_mode_outside(args)
    if args.env:
        return (None, args.env) if "/" in args.env or args.env.startswith(".") else (args.env, None)
    return args.name, args.prefix


def du(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import disk
    from corral.cli.from_args import env_ref_of

    in_project = not args.all and projects.find() is not None  # the project's environment (the active one wins)
    return disk.du(settings, env_ref_of(args, settings) if (args.name or args.prefix or in_project) else None)


def clean(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import clean
    from corral.cli.from_args import change_context

    kinds = {
        kind
        for flag, kind in (
            ("packages", "conda package"),
            ("tarballs", "conda download"),
            ("index_cache", "repodata"),
            ("leftovers", "leftover"),
        )
        if getattr(args, flag)
    }
    ctx = change_context(args, settings, reporter, command)
    return clean.clean(ctx, everything=args.all, kinds=frozenset(kinds) if kinds and not args.all else None)


def doctor(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import doctor
    from corral.cli.from_args import change_context, confirmer, env_ref_of
    from corral.doctor import repair
    from corral.store.envs import all_envs

    named = bool(args.name or args.prefix) or (not args.all and projects.find() is not None)
    if args.all == named:
        raise UsageError("name one environment (-n NAME or -p PATH) or pass --all")
    if args.adopt and not args.fix:
        raise UsageError("--adopt goes with --fix")
    refs = list(all_envs(settings)) if args.all else [env_ref_of(args, settings)]
    if not args.fix:
        return doctor.diagnose_many(settings, refs)
    ctx = change_context(args, settings, reporter, command)
    if args.all:  # one question for all; then each repair's plan is shown without asking again
        each = replace(ctx, confirm=confirmer(replace(ctx.options, yes=True), bool(args.json)))
        return repair.fix_all(each, refs, approve=ctx.confirm, adopt=args.adopt)
    return repair.fix(ctx, refs[0], adopt=args.adopt)


def needs_hook(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral.activation.commands import hook_missing

    raise hook_missing(args.command)
