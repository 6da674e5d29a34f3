"""Progress and messages leave the core through a Reporter; the core itself never prints."""

from __future__ import annotations

import sys
import time
from _thread import allocate_lock  # threading's Lock without importing threading (every command reports)
from collections.abc import Callable

from corral.values import mutable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol, TextIO
else:
    Protocol = object  # a Protocol's only use at run time is as a base class: typing (~3 ms) stays unimported


class Reporter(Protocol):
    """What the core tells the outside world while it works."""

    def status(self, message: str) -> None:
        """A short line about what happens now (e.g. 'Solving')."""

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the command."""

    def start(self, label: str, total: int, total_bytes: int = 0) -> None:
        """Begin a counted task of `total` packages (downloads, links), `total_bytes` big when known."""

    def advance(self, amount: int = 1) -> None:
        """`amount` more packages of the counted task are done."""

    def progress_bytes(self, done: int) -> None:
        """The counted task has `done` of its bytes (downloaded or found in the cache)."""

    def tick(self) -> None:
        """Still working (called while waiting on a child process): lets the output show life."""

    def finish(self) -> None:
        """The counted task ended."""


class NullReporter:
    """Reports nothing: for --json and tests. Warnings are kept for the result."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def status(self, message: str) -> None:
        """Ignored."""

    def warn(self, message: str) -> None:
        """Kept in `warnings`."""
        self.warnings.append(message)

    def start(self, label: str, total: int, total_bytes: int = 0) -> None:
        """Ignored."""

    def advance(self, amount: int = 1) -> None:
        """Ignored."""

    def progress_bytes(self, done: int) -> None:
        """Ignored."""

    def tick(self) -> None:
        """Ignored."""

    def finish(self) -> None:
        """Ignored."""


def human_bytes(count: int) -> str:
    """Bytes for people: 0 B, 512 B, 4.0 KiB, 1.2 MiB, 3.40 GiB."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.2f} {unit}" if value < 10 else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError


def _packages(count: int) -> str:
    return "package" if count == 1 else "packages"


@mutable
class _Task:
    label: str
    total: int
    total_bytes: int
    started: float
    done: int = 0
    done_bytes: int = 0

    def counts(self) -> str:
        """`12/40 packages, 85.0 MiB of 210 MiB`."""
        text = f"{self.done}/{self.total} {_packages(self.total)}"
        if self.total_bytes:
            text += f", {human_bytes(self.done_bytes)} of {human_bytes(self.total_bytes)}"
        return text


class TextReporter(NullReporter):
    """Messages on stderr: a progress bar on a terminal; elsewhere (CI logs) a plain line every `interval` s.

    Counted tasks print a line when they start and when they end, and one in between whenever
    `interval` seconds passed without output, so a log shows that work goes on and how far it is.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        progress: bool | None = None,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self.progress = self.stream.isatty() if progress is None else progress
        self.interval = interval
        self.clock = clock
        self._task: _Task | None = None
        self._status = ""
        self._status_at = 0.0
        self._last_output = clock()
        self._last_draw = 0.0
        self._bar_shown = False
        self._lock = allocate_lock()  # rattler calls back from its own threads

    def status(self, message: str) -> None:
        """Print the line (above the bar on a terminal)."""
        with self._lock:
            self._status, self._status_at = message, self.clock()
            self._line(message)

    def warn(self, message: str) -> None:
        """Always print warnings."""
        with self._lock:
            self.warnings.append(message)
            self._line(f"warning: {message}")

    def start(self, label: str, total: int, total_bytes: int = 0) -> None:
        """Start a counted task: draw its bar, or print its first line."""
        with self._lock:
            self._task = _Task(label, max(total, 0), max(total_bytes, 0), self.clock())
            if self.progress:
                self._draw(force=True)
            else:
                size = f", {human_bytes(total_bytes)}" if total_bytes else ""
                self._line(f"{label}: {total} {_packages(total)}{size}")

    def advance(self, amount: int = 1) -> None:
        """Count packages done."""
        with self._lock:
            if self._task is not None:
                self._task.done = min(self._task.done + amount, self._task.total)
                self._show(force=self._task.done == self._task.total)

    def progress_bytes(self, done: int) -> None:
        """Count bytes done."""
        with self._lock:
            if self._task is not None:
                self._task.done_bytes = min(max(done, 0), self._task.total_bytes or done)
                self._show()

    def tick(self) -> None:
        """Redraw the bar (its clock moves); off a terminal, a line when `interval` s passed in silence."""
        with self._lock:
            if self._task is not None:
                self._show()
            elif self._status and not self.progress and self.clock() - self._last_output >= self.interval:
                self._line(f"{self._status}: still working ({self.clock() - self._status_at:.0f} s)")

    def finish(self) -> None:
        """End the task: clear the bar, or print its last line."""
        with self._lock:
            task, self._task = self._task, None
            if task is None:
                return
            if self.progress:
                self._clear()
                return
            if task.done == task.total:
                size = f", {human_bytes(task.total_bytes)}" if task.total_bytes else ""
                counted = f"{task.done}/{task.total} {_packages(task.total)}{size}, done"
            else:  # an error ends it: say how far it got
                counted = f"{task.counts()}, stopped"
            self._line(f"{task.label}: {counted} in {self.clock() - task.started:.1f} s")

    def _show(self, force: bool = False) -> None:
        if self.progress:
            self._draw(force)
        elif self._task is not None and self.clock() - self._last_output >= self.interval:
            self._line(f"{self._task.label}: {self._task.counts()} ({self.clock() - self._task.started:.0f} s)")

    def _line(self, text: str) -> None:
        self._clear()
        self.stream.write(text + "\n")
        self.stream.flush()
        self._last_output = self.clock()
        if self._task is not None and self.progress:
            self._draw(force=True)

    def _clear(self) -> None:
        if self._bar_shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._bar_shown = False

    def _draw(self, force: bool = False) -> None:
        task = self._task
        if task is None:
            return
        now = self.clock()
        if not force and now - self._last_draw < 0.05:
            return
        self._last_draw = now
        width = 24
        filled = width * task.done // task.total if task.total else 0
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r\x1b[2K{task.label:<12} [{bar}] {task.counts()}  {now - task.started:.0f} s")
        self.stream.flush()
        self._bar_shown = True


class QuietReporter(NullReporter):
    """-q: no status lines and no progress; warnings still go to stderr."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream or sys.stderr

    def warn(self, message: str) -> None:
        """Print it: a warning is never progress."""
        self.warnings.append(message)
        self.stream.write(f"warning: {message}\n")
