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

STORE_LOCK = "store.lock"


@contextmanager
def held(lock_file: Path, label: str, timeout: float, reporter: Reporter) -> Iterator[None]:
    """Hold the exclusive lock on `lock_file` for the block (and the store's lock, shared).

    Changes to different environments run side by side, each holding the store's lock shared;
    `corral clean` takes it exclusively, so it never runs while a change does.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        with _held_portable(lock_file, label, timeout, reporter):
            yield
        return
    store = _acquire(
        lock_file.parent / STORE_LOCK, fcntl.LOCK_SH, "corral clean is running", "the store", timeout, reporter
    )
    try:
        fd = _acquire(lock_file, fcntl.LOCK_EX, f"another corral process is changing {label}", label, timeout, reporter)
    except BaseException:
        os.close(store)
        raise
    try:
        yield
    finally:
        os.close(fd)  # closing a descriptor releases its lock
        os.close(store)


@contextmanager
def store_held(locks_dir: Path, timeout: float, reporter: Reporter) -> Iterator[None]:
    """Hold the store's lock exclusively: no change runs or starts meanwhile (for `corral clean`)."""
    locks_dir.mkdir(parents=True, exist_ok=True)
    import fcntl

    fd = _acquire(
        locks_dir / STORE_LOCK,
        fcntl.LOCK_EX,
        "corral processes are changing environments",
        "the store",
        timeout,
        reporter,
    )
    try:
        yield
    finally:
        os.close(fd)


def _acquire(path: Path, mode: int, busy: str, label: str, timeout: float, reporter: Reporter) -> int:
    """An open descriptor of `path` holding a flock in `mode`, waiting up to `timeout` (saying `busy`)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try(fd, mode):
            reporter.warn(f"{busy}; waiting up to {timeout:.0f} s")
            deadline = time.monotonic() + timeout
            while not _try(fd, mode):
                if time.monotonic() >= deadline:
                    raise _timeout(label, timeout)
                time.sleep(0.05)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _try(fd: int, mode: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
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
