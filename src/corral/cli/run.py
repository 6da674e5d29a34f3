"""Dispatch a parsed command to its use case, render the result, and map errors to exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from corral import __version__, jsontext
from corral.cli import render
from corral.cli.handlers import HANDLERS
from corral.errors import CorralError
from corral.models import SCHEMA_VERSION
from corral.reporting import NullReporter, Reporter, TextReporter

TYPE_CHECKING = False
if TYPE_CHECKING:  # argparse only for annotations: `rollback` starts without it (cli/quick.py)
    import argparse


def dispatch(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run the command in `args`; return the process exit code."""
    as_json = bool(getattr(args, "json", False))
    reporter: Reporter = NullReporter() if as_json else TextReporter()
    if getattr(args, "quiet", False) and not as_json:
        from corral.reporting import QuietReporter

        reporter = QuietReporter()
    name = _command_name(args)
    try:
        from corral.settings import load_settings

        flags = {name: getattr(args, name, None) for name in ("offline", "link_scripts", "path_conflict")}
        settings = load_settings(os.environ, flags)
        result = HANDLERS[name](args, settings, reporter, command_line(argv))
    except CorralError as exc:
        return _fail(exc, name, as_json, bool(getattr(args, "verbose", False)))
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: the environment was left on its previous generation\n")
        return 130
    except Exception as exc:  # a bug: say so plainly, traceback only with -v
        if getattr(args, "verbose", False):
            import traceback

            traceback.print_exc()
        error = CorralError(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="rerun with -v for the traceback and report it; the environment was not switched",
        )
        return _fail(error, name, as_json, False)
    if as_json:
        document = {
            "corral": __version__,
            "schema": SCHEMA_VERSION,
            "command": name,
            "ok": True,
            "result": result.to_dict(),
        }
        sys.stdout.write(jsontext.dumps(document, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(render.text(name, result))
    return int(getattr(result, "exit_code", 0))


_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")  # shlex.quote's


def command_line(argv: Sequence[str]) -> str:
    """`corral ARGS` as history records it: `shlex.join`'s quoting, shlex imported only when an argument needs it."""
    if all(arg and _PLAIN.issuperset(arg) for arg in argv):
        return " ".join(["corral", *argv])
    import shlex

    return "corral " + shlex.join(argv)


def _command_name(args: argparse.Namespace) -> str:
    aliases = {"uninstall": "remove", "upgrade": "update"}
    command = str(aliases.get(args.command, args.command))
    if command == "shell":
        sub = getattr(args, "shell_command", None)
        return f"shell {sub}" if sub else "shell"
    if command == "env" and getattr(args, "env_command", None) == "config":
        return f"env config vars {getattr(args, 'vars_command', None) or ''}".strip()
    if command in ("env", "pip", "python", "kernel"):
        sub = str(getattr(args, f"{command}_command"))
        return f"{command} " + {"ls": "list", "rm": "remove"}.get(sub, sub)
    return command


def _fail(exc: CorralError, name: str, as_json: bool, verbose: bool) -> int:
    if verbose and exc.__cause__ is not None:
        import traceback

        traceback.print_exception(exc.__cause__)
    if as_json:
        document = {
            "corral": __version__,
            "schema": SCHEMA_VERSION,
            "command": name,
            "ok": False,
            "error": exc.to_dict(),
        }
        from corral.redact import redact

        sys.stdout.write(redact(jsontext.dumps(document, indent=2, sort_keys=True)) + "\n")  # no secret echoed
    else:
        sys.stderr.write(render.error(exc))
    return exc.exit_code
