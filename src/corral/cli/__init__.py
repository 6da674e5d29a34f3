"""The command line: fast paths, then parse arguments, call one use case, render its result.

This module imports almost nothing: `--version`, `run`, `shell hook`, `rollback` and `create --lock` must start
quickly, so argparse and the parser live in cli/parser.py and are imported only by the other commands.
"""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # no typing import at run time: every command pays for start-up
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the `corral` console script; always ends the process itself."""
    # Almost everything a command allocates lives until it ends (modules, functions, classes, the
    # records it reads): the collector's default, a pass every 700 new objects, rescanned them for
    # ~3% of a create's and ~4% of a rollback's instructions (bench/instructions.py). Cycles are
    # still collected, a pass every 50,000; programs corral starts get the default back (exec).
    gc.set_threshold(50_000, 10, 10)
    args_list = _flags_after_command(list(sys.argv[1:] if argv is None else argv))
    if args_list == ["--version"]:
        from corral import __version__

        _exit(0, f"corral {__version__}\n")
    if args_list[:1] == ["run"]:  # the fast path: no argparse, no rattler, then exec
        from corral.activation.runner import main as run_main

        run_main(args_list[1:])
    if args_list[:1] == ["__complete"]:  # Tab completion: no argparse, no rattler
        from corral.cli.complete import main as complete

        _exit(0, complete(args_list[1:]))
    if len(args_list) == 3 and args_list[:2] == ["shell", "hook"]:
        from corral.activation.hook import hook
        from corral.activation.shellnames import SHELLS

        if args_list[2] in SHELLS:
            _exit(0, hook(args_list[2]))
    sys.stdout = _PipeSafe(sys.stdout)
    sys.stderr = _PipeSafe(sys.stderr)
    if args_list[:1] in (["rollback"], ["create"]):  # their plain spellings without argparse (cli/quick.py)
        from corral.cli.quick import parse

        quick = parse(args_list[0], args_list[1:])
        if quick is not None:
            from corral.cli.run import dispatch

            _exit(dispatch(quick, args_list))
    from corral.cli.parser import build_parser, main_help

    typed = args_list[0] if args_list and not args_list[0].startswith("-") else None
    parser = build_parser(typed)
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse: --help or a usage error (already printed)
        _exit(int(exc.code or 0))
    if not args.command:
        parser.print_help()
        _exit(2)
    for group in ("env", "pip", "python", "kernel"):
        if args.command == group and not getattr(args, f"{group}_command"):
            _exit(main_help(parser, group))
    from corral.cli.run import dispatch

    _exit(dispatch(args, args_list))


_COMMON = frozenset({"-v", "--verbose", "-q", "--quiet", "--json", "--offline"})  # every command's (options.py)
_GROUPS = frozenset({"env", "pip", "python", "kernel", "shell"})  # commands of two words


def _flags_after_command(args: list[str]) -> list[str]:
    """`corral -v doctor -n x` read as `corral doctor -v -n x`: pip, uv and pixi take such flags before the command.

    argparse knows them only after it (its subparsers), and said `unrecognized arguments: -v` of a
    flag the usage lists. Only these flags move, only to right after the command's words; `run`
    keeps its own reading (what follows it may be another program's arguments).
    """
    lead = 0
    while lead < len(args) and args[lead] in _COMMON:
        lead += 1
    rest = args[lead:]
    if not lead or not rest or rest[0].startswith("-") or rest[0] == "run":
        return args
    words = 1
    if rest[0] in _GROUPS and len(rest) > 1 and not rest[1].startswith("-"):
        words = 2
        if rest[1] == "config" and len(rest) > 2 and rest[2] == "vars":  # env config vars [list|set|unset]
            words = 4 if len(rest) > 3 and not rest[3].startswith("-") else 3
    return [*rest[:words], *args[:lead], *rest[words:]]


def later(module: str, name: str) -> Callable[..., Any]:
    """cli/`module`'s function `name`, imported on its first call: a command loads only its own handler and renderer."""

    def call(*args: Any) -> Any:
        from importlib import import_module

        return getattr(import_module(f"corral.cli.{module}"), name)(*args)

    return call


def _exit(code: int, text: str = "") -> NoReturn:
    """Flush and leave with os._exit: py-rattler 0.28 can crash in interpreter finalization."""
    if text:
        sys.stdout.write(text)
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - a closed pipe must not turn into a traceback; contextlib costs every Tab 0.4 ms
            stream.flush()
        except Exception:
            pass
    os._exit(code)


class _PipeSafe:
    """A standard stream that stops writing once its reader is gone (`corral create -y | head -1`).

    The command goes on (a change asked for with -y completes and keeps its exit code); only the
    output nobody reads is dropped, instead of a BrokenPipeError in the middle of the work.
    """

    def __init__(self, stream: object) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        """Write, or drop the text once the pipe is closed."""
        if not self._gone:
            try:
                return int(self._stream.write(text))  # type: ignore[attr-defined]
            except BrokenPipeError:
                self._gone = True
        return len(text)

    def flush(self) -> None:
        """Flush, unless the pipe is closed."""
        if not self._gone:
            try:
                self._stream.flush()  # type: ignore[attr-defined]
            except BrokenPipeError:
                self._gone = True

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)
