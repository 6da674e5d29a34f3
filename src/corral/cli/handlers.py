"""One handler per command: build the typed request from the arguments, call one use case, return its result."""

from __future__ import annotations

import os
from collections.abc import Callable

from corral.cli import habits, later, render
from corral.cli import handlers_project as projects
from corral.cli.from_args import change_context, env_ref_of, named_or_path, pypi_request_of
from corral.errors import UsageError
from corral.reporting import Reporter
from corral.values import replace

TYPE_CHECKING = False
if TYPE_CHECKING:  # argparse only for annotations: `rollback` starts without it (cli/quick.py)
    import argparse
    from typing import Any

    Handler = Callable[[argparse.Namespace, Any, Reporter, str], Any]


def _create(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    habits.refuse_unsupported(args, pip=False)
    habits.check_override_channels(args)
    ctx = change_context(args, settings, reporter, command)
    if getattr(args, "clone", ""):
        return _clone(args, settings, ctx)
    if getattr(args, "lock", ""):
        return _create_locked(args, settings, ctx)
    files = api.read_env_files(args.files) if args.files else None
    pypi = pypi_request_of(args, getattr(args, "pip", []))
    ref = _file_ref(args, settings, files, active=False)
    request = api.EnvRequest(
        getattr(args, "specs", []), getattr(args, "channels", []), pypi, getattr(args, "python", ""), files
    )
    return api.create(ctx, ref, request)


def _create_locked(args: argparse.Namespace, settings: Any, ctx: Any) -> Any:
    from corral.locks import create_from_lock

    extra = [flag for flag, given in (("SPEC", args.specs), ("-f", args.files), ("--pip", args.pip)) if given]
    extra += [
        flag for flag, given in (("-e", args.editable), ("--python", args.python), ("-c", args.channels)) if given
    ]
    if extra:
        raise UsageError(
            f"--lock installs exactly the lock; it does not take {', '.join(extra)}",
            hint="change the environment file and run `corral lock`, then create from the new lock",
        )
    if not (args.name or args.prefix):
        raise UsageError("name the environment to create with -n NAME (or -p PATH)")
    return create_from_lock(ctx, env_ref_of(args, settings, active=False), args.lock)


def _lock(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api
    from corral.locks import lock

    habits.refuse_unsupported(args, pip=False)
    habits.check_override_channels(args)
    files = api.read_env_files(args.files) if args.files else None
    pypi = pypi_request_of(args, args.pip)
    if files is None and not args.source and not (args.specs or pypi is not None):
        found = projects.find()
        if found is None:
            raise UsageError("name what to lock", hint="corral lock -f environment.yml [--platform P ...]")
        return projects.lock(args, settings, reporter, found)
    if args.check and (args.update or args.source):
        raise UsageError("--check only compares; it does not take --update or --from")
    spec = None
    if files is not None or args.specs or pypi is not None:
        spec = api.request_spec(settings, api.EnvRequest(args.specs, args.channels, pypi, files=files))
    return lock(
        settings,
        reporter,
        spec,
        files,
        platforms=args.platforms,
        output=args.output,
        check=args.check,
        update=args.update,
        source=args.source,
    )


def _file_ref(args: argparse.Namespace, settings: Any, files: Any, active: bool) -> Any:
    """-n/-p, else the name (or prefix) the environment file gives, else (if `active`) the active environment."""
    from corral.store.envs import env_ref

    if args.name or args.prefix or files is None:
        return env_ref_of(args, settings, active)
    if files.name or files.prefix:
        return env_ref(settings, name=files.name or None, path=None if files.name else files.prefix)
    if active:
        return env_ref_of(args, settings, active)
    raise UsageError(f"{', '.join(files.sources)} names no environment", hint="give one with -n NAME (or -p PATH)")


def _env_update(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    files = api.read_env_files(args.files)
    return api.update_from_files(
        change_context(args, settings, reporter, command),
        _file_ref(args, settings, files, active=True),
        files,
        prune=args.prune,
    )


def _export(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    if args.lock or args.format in ("lock", "pixi.lock", "conda-lock.yml"):
        if args.lock and (args.name or args.prefix):
            raise UsageError("export from an environment (-n/-p) or from a lock (--lock), not both")
        if args.from_history or args.no_builds:
            raise UsageError("--from-history and --no-builds do not apply to lock exports", hint="drop them")
        return api.export_lock(
            settings,
            reporter,
            None if args.lock else env_ref_of(args, settings),
            args.lock,
            args.format,
            args.platform,
            args.output,
        )
    return api.export(
        settings,
        env_ref_of(args, settings),
        args.format,
        from_history=args.from_history,
        no_builds=args.no_builds,
        output=args.output,
    )


def _install(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api
    from corral.api.requests import InstallHow

    habits.refuse_unsupported(args, pip=False)
    habits.check_override_channels(args)
    if args.revision is not None:  # conda's `install --revision N`: a rollback, here exact and offline
        ref = env_ref_of(args, settings)
        if args.specs or args.pip or args.files or args.editable or args.channels:
            raise UsageError(
                "--revision N goes back to a generation; it takes no packages or channels",
                hint=f"go back first (`corral rollback {ref.flag} --to N`), then install what you need",
            )
        return api.rollback(change_context(args, settings, reporter, command), ref, args.revision)
    specs, channels, pypi = list(args.specs), list(args.channels), pypi_request_of(args, args.pip)
    if args.files:  # conda's `install --file`: the file's specs and PyPI requests join the command line's
        from corral.cli.handlers_tools import with_file_requests

        specs, channels, pypi = with_file_requests(api.read_env_files(args.files), specs, channels, pypi)
    if not specs and pypi is None:
        found = projects.find() if args.name is None and args.prefix is None else None
        if found is not None:  # as `pixi install`: the project's environment made the lock's
            return projects.sync(args, _project_context(args, settings, reporter, command), found)
        projects.no_mode_outside(args)
        raise UsageError(
            "name packages to install",
            hint="conda specs as arguments, PyPI ones after --pip (inside a project, `corral install` alone syncs it)",
        )
    projects.no_mode_outside(args)
    how = InstallHow(frozen=args.freeze_installed, override_channels=args.override_channels)
    return api.install(
        change_context(args, settings, reporter, command), env_ref_of(args, settings), specs, channels, pypi, how
    )


def _pip_install(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api
    from corral.api.requests import InstallHow

    habits.refuse_unsupported(args, pip=True)
    pypi = pypi_request_of(args, args.requirements)
    if pypi is None or not (pypi.requirements or pypi.editables):
        raise UsageError("name PyPI packages to install", hint="e.g. corral pip install -n ENV requests -r req.txt")
    how = InstallHow(upgrade=args.upgrade, eager=args.upgrade_strategy == "eager")
    return api.install(change_context(args, settings, reporter, command), env_ref_of(args, settings), [], [], pypi, how)


def _project_context(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    """A change context that does not ask: `add` and `remove` in a project do what the manifest now says."""
    return replace(change_context(args, settings, reporter, command), confirm=lambda result: True)


def _add(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral.project.change import add
    from corral.project.sync import require_project

    found = require_project(os.getcwd())
    ctx = _project_context(args, settings, reporter, command)
    return add(ctx, found, args.specs, args.pip, args.channels, args.find_links, args.no_index, args.group)


def _remove(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    if args.all:  # conda's `remove -n ENV --all`: the whole environment
        if args.names or args.pip:
            raise UsageError("--all removes the whole environment; it takes no package names", hint="drop one")
        return _env_remove(args, settings, reporter, command)
    if args.name is None and args.prefix is None and not args.dry_run:
        from corral.store.envs import active_ref

        found = projects.find() if active_ref(settings, os.environ) is None else None
        if found is not None:
            from corral.project.change import remove

            ctx = _project_context(args, settings, reporter, command)
            return remove(ctx, found, args.names, args.pip, args.group)
    from corral import api

    if args.group:
        raise UsageError("--group is for a project's manifest", hint="run it inside a pyproject.toml project, no -n/-p")
    if not args.names and not args.pip:
        raise UsageError("name packages to remove", hint="conda names as arguments, PyPI ones after --pip")
    return api.remove(
        change_context(args, settings, reporter, command), env_ref_of(args, settings), args.names, args.pip
    )


def _pip_uninstall(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    return api.remove(change_context(args, settings, reporter, command), env_ref_of(args, settings), [], args.names)


def _adopt(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    return api.adopt(change_context(args, settings, reporter, command), env_ref_of(args, settings))


def _python_list(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    return api.list_pythons(settings)


def _update(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    ctx = change_context(args, settings, reporter, command)
    return api.update(ctx, env_ref_of(args, settings), args.names, all_packages=args.all, pypi_names=args.pip)


def _list(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    if args.revisions:  # conda's `list --revisions`
        return api.history(settings, env_ref_of(args, settings))
    if args.export or args.explicit:  # conda's `list --export` / `list --explicit [--md5 | --sha256]`
        if (args.export and args.explicit) or (args.md5 and args.sha256):
            raise UsageError("choose one of --export and --explicit (and of --md5 and --sha256)")
        if args.pattern:
            raise UsageError(f"--{'export' if args.export else 'explicit'} lists every package; it takes no REGEX")
        digest = "sha256" if args.sha256 else "md5"
        return api.export(
            settings, env_ref_of(args, settings), "spec-list" if args.export else "explicit", digest=digest
        )
    if args.full_name and not args.pattern:
        raise UsageError("--full-name needs the name to match", hint="e.g. corral list -n ml -f python")
    pattern = f"^(?:{args.pattern})$" if args.full_name else args.pattern  # conda's ^REGEX$
    return api.list_packages(settings, env_ref_of(args, settings), pattern)


def _clone(args: argparse.Namespace, settings: Any, ctx: Any) -> Any:
    from corral.api.envs import clone

    extra = [
        f
        for f, given in (("SPEC", args.specs), ("-f", args.files), ("--pip", args.pip), ("-c", args.channels))
        if given
    ]
    extra += [f for f, given in (("--lock", args.lock), ("--python", args.python), ("-e", args.editable)) if given]
    if extra:
        raise UsageError(
            f"--clone copies an environment as it is; it does not take {', '.join(extra)}",
            hint="clone first, then change the copy with `corral install`",
        )
    return clone(ctx, env_ref_of(args, settings, active=False), named_or_path(settings, args.clone))


def _history(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    return api.history(settings, env_ref_of(args, settings))


def _rollback(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    return api.rollback(change_context(args, settings, reporter, command), env_ref_of(args, settings), args.to)


def _env_list(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    return render.EnvList(tuple(api.list_envs(settings)))


def _env_remove(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    ctx = change_context(args, settings, reporter, command)
    ref = env_ref_of(args, settings, active=False)  # as conda: the active environment is never removed by default
    from corral.store.envs import active_ref

    active = active_ref(settings, os.environ)
    if active is not None and active.link == ref.link:
        raise UsageError(
            f"{ref.label} is active in this shell; it cannot be removed from inside it (as conda refuses)",
            hint="run `corral deactivate` first, then remove it",
        )
    return api.remove_env(ctx, ref)


def _info(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral import api

    if args.envs:  # conda's `info --envs`
        return render.EnvList(tuple(api.list_envs(settings)))
    return api.info(settings)


HANDLERS: dict[str, Handler] = {
    "config": later("handlers_tools", "config"),
    "search": later("handlers_tools", "search"),
    "kernel install": later("handlers_tools", "kernel"),
    "kernel list": later("handlers_tools", "kernel"),
    "kernel remove": later("handlers_tools", "kernel"),
    "create": _create,
    "install": _install,
    "remove": _remove,
    "init": projects.init,
    "add": _add,
    "update": _update,
    "list": _list,
    "rename": later("handlers_tools", "rename"),
    "env config vars": later("handlers_tools", "env_vars"),
    "env config vars list": later("handlers_tools", "env_vars"),
    "env config vars set": later("handlers_tools", "env_vars"),
    "env config vars unset": later("handlers_tools", "env_vars"),
    "history": _history,
    "rollback": _rollback,
    "env list": _env_list,
    "env remove": _env_remove,
    "env create": _create,
    "env update": _env_update,
    "env export": _export,
    "export": _export,
    "info": _info,
    "lock": _lock,
    "doctor": later("handlers_store", "doctor"),
    "du": later("handlers_store", "du"),
    "clean": later("handlers_store", "clean"),
    "shell": later("handlers_store", "shell"),
    "shell hook": later("handlers_store", "shell"),
    "shell init": later("handlers_store", "shell"),
    "shell activate": later("handlers_store", "shell"),
    "shell deactivate": later("handlers_store", "shell"),
    "activate": later("handlers_store", "needs_hook"),
    "deactivate": later("handlers_store", "needs_hook"),
    "pip install": _pip_install,
    "pip uninstall": _pip_uninstall,
    "adopt": _adopt,
    "python list": _python_list,
    "pack": later("handlers_tools", "pack"),
}
