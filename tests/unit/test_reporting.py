"""TextReporter: a bar with packages and bytes on a terminal, a plain line every few seconds elsewhere."""

from __future__ import annotations

import io

from corral.reporting import TextReporter


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_line_at_start_every_interval_and_at_the_end() -> None:
    out, clock = io.StringIO(), Clock()
    reporter = TextReporter(out, progress=False, interval=5.0, clock=clock)
    reporter.start("Installing", 40, 210 * 2**20)
    for done in range(1, 13):
        clock.now += 0.5  # 12 packages in 6 s: one line in between, not one per package
        reporter.advance()
        reporter.progress_bytes(done * 7 * 2**20)
    clock.now += 1.0
    reporter.finish()
    assert out.getvalue().splitlines() == [
        "Installing: 40 packages, 210.0 MiB",
        "Installing: 10/40 packages, 63.0 MiB of 210.0 MiB (5 s)",  # drawn as the 10th package ended
        "Installing: 12/40 packages, 84.0 MiB of 210.0 MiB, stopped in 7.0 s",
    ]


def test_a_silent_child_process_still_shows_life_in_a_log() -> None:
    out, clock = io.StringIO(), Clock()
    reporter = TextReporter(out, progress=False, interval=5.0, clock=clock)
    reporter.status("Resolving PyPI packages")
    for _ in range(30):  # uv runs for 6 s; tick comes every 0.2 s
        clock.now += 0.2
        reporter.tick()
    assert out.getvalue().splitlines() == ["Resolving PyPI packages", "Resolving PyPI packages: still working (5 s)"]


def test_a_terminal_gets_one_redrawn_bar_with_packages_and_bytes() -> None:
    out, clock = io.StringIO(), Clock()
    reporter = TextReporter(out, progress=True, clock=clock)
    reporter.start("Installing", 4, 4096)
    clock.now += 1.0
    reporter.advance(2)
    reporter.progress_bytes(2048)
    reporter.warn("careful")
    clock.now += 1.0
    reporter.advance(2)
    reporter.finish()
    text = out.getvalue()
    assert "\n" not in text.replace("warning: careful\n", "")  # the bar is redrawn in place
    assert "[############------------] 2/4 packages, 2.00 KiB of 4.00 KiB  1 s" in text
    assert "[########################] 4/4 packages, 2.00 KiB of 4.00 KiB  2 s" in text
    assert text.endswith("\r\x1b[2K")  # cleared at the end
