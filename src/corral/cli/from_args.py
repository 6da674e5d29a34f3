"""From parsed arguments to what handlers need: the environment, the change context, its confirmer, the PyPI request."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from corral.cli import handlers_project as projects
from corral.cli import render
from corral.errors import Aborted
from corral.models import ChangeOptions
from corral.reporting import Reporter

TYPE_CHECKING = False
if TYPE_CHECKING:  # argparse only for annotations: `rollback` starts without it (cli/quick.py)
    import argparse
    from typing import Any


def env_ref_of(args: argparse.Namespace, settings: Any, active: bool = True) -> Any:
    """-n/-p; without them the active corral environment (as conda does), unless `active` is False."""
    from corral.store.envs import active_ref, env_ref

    if active and args.name is None and args.prefix is None:
        ref = active_ref(settings, os.environ)
        if ref is not None:
            return ref
        found = projects.find()
        if found is not None:
            return projects.env_ref(settings, found, typed_command(args))
    return env_ref(settings, name=args.name, path=args.prefix, command=typed_command(args))


def named_or_path(settings: Any, text: str) -> Any:
    """An environment given as a name, or as a path when it has a `/` (as conda's --clone and rename take it)."""
    from corral.store.envs import env_ref

    return env_ref(settings, path=text) if "/" in text else env_ref(settings, name=text)


def typed_command(args: argparse.Namespace) -> str:
    """The command as typed, for hints (e.g. `pip install`)."""
    sub = getattr(args, f"{args.command}_command", None) if args.command in ("env", "pip", "shell") else None
    return f"{args.command} {sub}" if sub else str(args.command)


def change_context(args: argparse.Namespace, settings: Any, reporter: Reporter, command: str) -> Any:
    from corral.api import ChangeContext

    options = ChangeOptions(
        dry_run=bool(getattr(args, "dry_run", False)),
        yes=bool(getattr(args, "yes", False) or getattr(args, "json", False)),
        discard_untracked=bool(getattr(args, "discard_untracked", False)),
    )
    return ChangeContext(
        settings=settings,
        reporter=reporter,
        command=command,
        options=options,
        confirm=confirmer(options, bool(args.json)),
    )


def confirmer(options: ChangeOptions, as_json: bool) -> Callable[[Any], bool]:
    def confirm(result: Any) -> bool:
        if not as_json:
            sys.stdout.write(render.plan(result))
            sys.stdout.flush()
        if options.yes:
            return True
        sys.stdout.write("Proceed ([y]/n)? ")
        sys.stdout.flush()
        answer = sys.stdin.readline()
        if not answer:
            sys.stdout.write("\n")
            raise Aborted(
                "no answer (standard input is closed); nothing was changed",
                hint="pass -y to proceed without asking",
            )
        return answer.strip().lower() in ("", "y", "yes")

    return confirm


def pypi_request_of(args: argparse.Namespace, requirements: list[str]) -> Any:
    from corral.specs.requirements import pypi_request

    return pypi_request(
        requirements=requirements,
        editables=getattr(args, "editable", []),
        requirement_files=getattr(args, "requirement", []),
        constraint_files=getattr(args, "constraint", []),
        index_url=getattr(args, "index_url", ""),
        extra_index_urls=getattr(args, "extra_index_url", []),
        find_links=getattr(args, "find_links", []),
        no_index=getattr(args, "no_index", False),
    )
