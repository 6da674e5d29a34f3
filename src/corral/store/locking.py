"""One file lock per environment: a second process waits (saying so) or fails after a timeout.

POSIX `flock` directly (released by the kernel when a process dies, even by kill -9): it costs
nothing to import, where the filelock package costs 15-20 ms of start-up on every command.
Other platforms fall back to filelock.
"""

from __future__ import annotations

import os
import time

from corral.errors import LockTimeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from _typeshed import StrPath

    from corral.reporting import Reporter

STORE_LOCK = "store.lock"
_SHARED, _EXCLUSIVE = "shared", "exclusive"


def held(lock_file: StrPath, label: str, timeout: float, reporter: Reporter) -> Held:
    """Hold the exclusive lock on `lock_file` for the block (and the store's lock, shared).

    Changes to different environments run side by side, each holding the store's lock shared;
    `corral clean` takes it exclusively, so it never runs while a change does.
    """
    return held_together([(lock_file, label)], timeout, reporter)


def held_together(locks: Sequence[tuple[StrPath, str]], timeout: float, reporter: Reporter) -> Held:
    """`held` for several environments at once (a rename holds both names): taken in sorted order, so two
    processes locking the same pair never deadlock."""
    files = sorted((os.fspath(lock_file), label) for lock_file, label in locks)
    store = os.path.join(os.path.dirname(files[0][0]), STORE_LOCK)
    steps = [(store, _SHARED, "corral clean is running", "the store")]
    steps += [(path, _EXCLUSIVE, f"another corral process is changing {label}", label) for path, label in files]
    return Held(tuple(steps), timeout, reporter, portable=tuple(files))


def store_held(locks_dir: StrPath, timeout: float, reporter: Reporter) -> Held:
    """Hold the store's lock exclusively: no change runs or starts meanwhile (for `corral clean`)."""
    store = os.path.join(locks_dir, STORE_LOCK)
    return Held(((store, _EXCLUSIVE, "corral processes are changing environments", "the store"),), timeout, reporter)


class Held:
    """The locks of `held` and `store_held`, taken in order on entering the block and released on leaving it.

    A class rather than `contextlib.contextmanager`: contextlib is ~3 M instructions of the start-up
    of rollback, which takes one lock and nothing else of it.
    """

    __slots__ = ("_fds", "_portable", "_portable_locks", "_reporter", "_steps", "_timeout")

    def __init__(
        self,
        steps: tuple[tuple[str, str, str, str], ...],
        timeout: float,
        reporter: Reporter,
        portable: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self._steps = steps
        self._timeout = timeout
        self._reporter = reporter
        self._portable = portable  # (lock file, label) pairs: where flock is missing, filelock's locks of them
        self._fds: list[int] = []
        self._portable_locks: list[Any] = []

    def __enter__(self) -> None:
        for folder in {os.path.dirname(path) or "." for path, *_ in self._steps}:
            os.makedirs(folder, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            if not self._portable:
                raise
            try:
                for lock_file, label in self._portable:
                    self._portable_locks.append(_portable(lock_file, label, self._timeout, self._reporter))
            except BaseException:
                self._release()
                raise
            return
        try:
            for path, mode, busy, label in self._steps:
                flag = fcntl.LOCK_SH if mode == _SHARED else fcntl.LOCK_EX
                self._fds.append(_acquire(path, flag, busy, label, self._timeout, self._reporter))
        except BaseException:
            self._release()
            raise

    def __exit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        while self._portable_locks:
            self._portable_locks.pop().release()
        while self._fds:
            os.close(self._fds.pop())  # closing a descriptor releases its lock; the last taken goes first


def _acquire(path: str, mode: int, busy: str, label: str, timeout: float, reporter: Reporter) -> int:
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


def _portable(lock_file: str, label: str, timeout: float, reporter: Reporter) -> Any:  # pragma: no cover - not POSIX
    from filelock import FileLock, Timeout

    lock = FileLock(lock_file)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        reporter.warn(f"another corral process is changing {label}; waiting up to {timeout:.0f} s for it")
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise _timeout(label, timeout) from None
    return lock
