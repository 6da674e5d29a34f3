"""A bound on the solver's memory: a watchdog thread that ends the process before a runaway solve takes the machine."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

from corral.errors import CorralError, SolveLimitExceeded


def abort(error: CorralError) -> NoReturn:
    """Leave at once: a runaway solve must not take the machine down. Nothing was written yet."""
    import sys

    sys.stdout.flush()
    sys.stderr.write(f"error: {error.message}\nhint: {error.hint}\n")
    sys.stderr.flush()
    os._exit(error.exit_code)


@contextmanager
def memory_bound(limit_mb: int, abort: Callable[[CorralError], NoReturn]) -> Iterator[None]:
    """Watch this process's resident memory while the solver runs; abort past `limit_mb`.

    resolvo can prove a request unsatisfiable and then grow without bound while rendering the
    explanation; its own timeout does not stop that, so a watchdog thread does.
    """
    stop = threading.Event()
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def watch() -> None:
        started = time.monotonic()
        while True:
            rss = _rss_bytes(page)
            if rss is not None and rss > limit_mb * 1024 * 1024:
                abort(
                    SolveLimitExceeded(
                        f"the solver used more than {limit_mb} MB after {time.monotonic() - started:.1f} s and was"
                        " stopped; nothing was changed",
                        hint="the request is probably unsatisfiable: pin fewer packages or relax versions"
                        " (raise the bound with CORRAL_SOLVE_MEMORY_MB)",
                    )
                )
            if stop.wait(0.05):
                return

    thread = threading.Thread(target=watch, name="corral-solve-watchdog", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def _rss_bytes(page: int) -> int | None:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * page
    except (OSError, ValueError, IndexError):
        return None
