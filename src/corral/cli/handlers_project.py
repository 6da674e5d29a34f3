"""The project side of the handlers: which environment a command without -n/-p means inside a project."""

from __future__ import annotations

import os
import sys

from corral.errors import UsageError
from corral.reporting import Reporter

TYPE_CHECKING = False
if TYPE_CHECKING:  # argparse only for annotations: `rollback` starts without it (cli/quick.py)
    import argparse
    from typing import Any

# commands that would change the project's environment behind the manifest's back
_REFUSED = ("install", "update", "pip install", "pip uninstall", "adopt", "env config vars")


def find() -> Any:
    """The project holding the current directory, if any (no parse: a walk up looking for a manifest)."""
    from corral import project

    return project.find(os.getcwd())


def env_ref(settings: Any, found: Any, command: str) -> Any:
    """The project's environment, which must exist; commands that would change it by hand are refused."""
    from corral.project.sync import project_ref

    if command in _REFUSED:
        raise UsageError(
            f"in a project ({found.manifest}), the manifest says what the environment holds; `corral {command}`"
            " without -n/-p would change it behind the manifest's back",
            hint="corral add SPEC / corral add --pip REQ / corral remove NAME edit the manifest and sync;"
            " or name another environment with -n NAME",
        )
    ref = project_ref(settings, found)
    if not ref.exists():
        from corral.errors import EnvironmentNotFound

        raise EnvironmentNotFound(
            f"the project's environment ({found.link}) is not made yet",
            hint="`corral install` makes it from corral.lock (so does `corral run CMD`)",
        )
    return ref


def synced_link(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> str | None:
    """Inside a project: its environment's link, synced to the lock first (--locked/--frozen); else None."""
    found = find()
    if found is None:
        return None
    found = found.environment(args.environment or "default")
    from corral.project.sync import prepare

    notes = prepare(settings, reporter, found, mode(args), "corral " + command)
    sys.stderr.write("".join(f"{n}\n" for n in notes))
    return str(found.link)


def mode(args: argparse.Namespace) -> str:
    """How a project command treats corral.lock: "locked", "frozen" or ""."""
    return "locked" if getattr(args, "locked", False) else "frozen" if getattr(args, "frozen", False) else ""


def no_mode_outside(args: argparse.Namespace) -> None:
    """--locked/--frozen/--environment given where no project's environment is meant: say so."""
    if getattr(args, "environment", ""):
        raise UsageError(
            f"--environment {args.environment} is for a project's environment (no -n/-p, inside a project)",
            hint="drop it, or run the command inside the project without -n/-p",
        )
    if mode(args):
        raise UsageError(
            f"--{mode(args)} is for a project's environment (no -n/-p, inside a project)",
            hint="drop it, or run the command inside the project without -n/-p",
        )


def sync(args: argparse.Namespace, ctx: Any, found: Any) -> Any:
    """`corral install` alone inside a project (as `pixi install`): the lock in step, the environment the lock's."""
    from corral.project.sync import sync as sync_project

    if args.dry_run:
        raise UsageError("--dry-run does not apply to a project's sync", hint="`corral lock --check` says if it would")
    found = found.environment(args.environment or "default")
    return sync_project(ctx, found, locked=bool(args.locked), frozen=bool(args.frozen))


def lock(args: argparse.Namespace, settings: Any, reporter: Reporter, found: Any) -> Any:
    """`corral lock` with nothing named inside a project: the project's lock, from its manifest."""
    from corral.project.sync import lock_project

    if args.output:
        raise UsageError(
            "a project's lock is its corral.lock (no -o)", hint="drop -o, or lock a file: corral lock -f FILE -o OUT"
        )
    return lock_project(settings, reporter, found, platforms=args.platforms, check=args.check, update=args.update)


def init(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    """`corral init`."""
    if args.init_from:
        if args.format:
            raise UsageError("--from decides the manifest's format", hint="drop --format")
        from corral.project.importer import init_from

        return init_from(settings, os.getcwd(), args.init_from)
    from corral.project.scaffold import init as make

    return make(settings, os.getcwd(), args.format)
