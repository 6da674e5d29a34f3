"""One file lock per environment: a second process waits (saying so) or fails after a timeout.

POSIX `flock` directly (released by the kernel when a process dies, even by kill -9): it costs
nothing to import, where the filelock package costs 15-20 ms of start-up on every command.
Other platforms fall back to filelock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from corral.errors import LockTimeout
from corral.reporting import Reporter


@contextmanager
def held(lock_file: Path, label: str, timeout: float, reporter: Reporter) -> Iterator[None]:
    """Hold the exclusive lock on `lock_file` for the block."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        with _held_portable(lock_file, label, timeout, reporter):
            yield
        return
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try(fd, fcntl):
            reporter.warn(f"another corral process is changing {label}; waiting up to {timeout:.0f} s for it")
            deadline = time.monotonic() + timeout
            while not _try(fd, fcntl):
                if time.monotonic() >= deadline:
                    raise _timeout(label, timeout)
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _try(fd: int, fcntl: object) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[attr-defined]
    except BlockingIOError:
        return False
    return True


def _timeout(label: str, timeout: float) -> LockTimeout:
    return LockTimeout(
        f"{label} is locked by another corral process (waited {timeout:.0f} s)",
        hint="wait for it to finish, or raise the wait with CORRAL_LOCK_TIMEOUT=SECONDS",
    )


@contextmanager
def _held_portable(lock_file: Path, label: str, timeout: float, reporter: Reporter) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(lock_file))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        reporter.warn(f"another corral process is changing {label}; waiting up to {timeout:.0f} s for it")
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise _timeout(label, timeout) from None
    try:
        yield
    finally:
        lock.release()
