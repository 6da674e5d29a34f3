"""One file lock per environment: a second process waits (saying so) or fails after a timeout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from corral.errors import LockTimeout
from corral.reporting import Reporter


@contextmanager
def held(lock_file: Path, label: str, timeout: float, reporter: Reporter) -> Iterator[None]:
    """Hold the lock on `lock_file` for the block."""
    from filelock import FileLock, Timeout

    lock_file.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_file))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        reporter.warn(f"another corral process is changing {label}; waiting up to {timeout:.0f} s for it")
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise LockTimeout(
                f"{label} is locked by another corral process (waited {timeout:.0f} s)",
                hint="wait for it to finish, or raise the wait with CORRAL_LOCK_TIMEOUT=SECONDS",
            ) from None
    try:
        yield
    finally:
        lock.release()
