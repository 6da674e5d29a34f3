"""Progress and messages leave the core through a Reporter; the core itself never prints."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO


class Reporter(Protocol):
    """What the core tells the outside world while it works."""

    def status(self, message: str) -> None:
        """A short line about what happens now (e.g. 'Solving')."""

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the command."""

    def start(self, label: str, total: int) -> None:
        """Begin a counted task (downloads, links)."""

    def advance(self, amount: int = 1) -> None:
        """One more unit of the counted task is done."""

    def finish(self) -> None:
        """The counted task ended."""


class NullReporter:
    """Reports nothing: for --json, pipes and tests. Warnings are kept for the result."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def status(self, message: str) -> None:
        """Ignored."""

    def warn(self, message: str) -> None:
        """Kept in `warnings`."""
        self.warnings.append(message)

    def start(self, label: str, total: int) -> None:
        """Ignored."""

    def advance(self, amount: int = 1) -> None:
        """Ignored."""

    def finish(self) -> None:
        """Ignored."""


class TextReporter(NullReporter):
    """Status lines on stderr; a one-line progress bar when stderr is a terminal."""

    def __init__(self, stream: TextIO | None = None, progress: bool | None = None) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self.progress = self.stream.isatty() if progress is None else progress
        self._label = ""
        self._total = 0
        self._done = 0
        self._last_draw = 0.0

    def status(self, message: str) -> None:
        """Print the line when on a terminal."""
        if self.progress:
            self.stream.write(message + "\n")
            self.stream.flush()

    def warn(self, message: str) -> None:
        """Always print warnings."""
        super().warn(message)
        self.stream.write(f"warning: {message}\n")
        self.stream.flush()

    def start(self, label: str, total: int) -> None:
        """Start drawing a bar."""
        self._label, self._total, self._done = label, max(total, 1), 0
        self._draw(force=True)

    def advance(self, amount: int = 1) -> None:
        """Move the bar (redrawn at most every 50 ms)."""
        self._done = min(self._done + amount, self._total)
        self._draw(force=self._done == self._total)

    def finish(self) -> None:
        """Clear the bar."""
        if self.progress and self._total:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
        self._total = 0

    def _draw(self, force: bool = False) -> None:
        if not self.progress or not self._total:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.05:
            return
        self._last_draw = now
        width = 30
        filled = width * self._done // self._total
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r\x1b[2K{self._label:<12} [{bar}] {self._done}/{self._total}")
        self.stream.flush()
