"""Fault injection: run the corral CLI in this process with one function failing on its Nth call.

`CORRAL_FAULT=module:function:kind:N` (kind `enospc`, `eio` or `interrupt`) replaces
`module.function` before the CLI starts, so a test can fail any single write of a change the
way a full disk, an I/O error or a Ctrl-C would, at exactly that point.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from typing import Any


def install_fault(spec: str) -> None:
    """Make `module.function` raise on its Nth call (counted from 1) as `kind` says."""
    module_name, function, kind, nth = spec.split(":")
    module = importlib.import_module(module_name)
    real = getattr(module, function)
    calls = 0

    def failing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == int(nth):
            if kind == "interrupt":
                raise KeyboardInterrupt
            code = errno.ENOSPC if kind == "enospc" else errno.EIO
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    setattr(module, function, failing)


def main() -> None:
    """Install the fault named by CORRAL_FAULT, then run `corral ARGS`."""
    install_fault(os.environ["CORRAL_FAULT"])
    from corral.cli import main as cli

    cli(sys.argv[1:])


if __name__ == "__main__":
    main()
