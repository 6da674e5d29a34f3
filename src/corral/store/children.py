"""Child processes that never outlive corral: their own process group, killed with their parent, tracked on disk.

A uv left running by a killed corral would go on writing into a generation directory. On Linux
the kernel kills the child when corral dies (PR_SET_PDEATHSIG); everywhere, each child is noted
in the store's `run/` folder while it runs, and `reap` (called by recovery) kills the process
group of any child whose corral is gone.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from corral import jsontext

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess

_PR_SET_PDEATHSIG = 1


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    run_dir: Path,
    cwd: Path | None = None,
    tick: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to completion (output captured as text); on any interruption its whole group is killed first.

    `tick` is called about every 0.2 s while the child runs (progress output shows life).
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    import subprocess

    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_die_with_parent(os.getpid()),
    )
    marker = run_dir / f"{proc.pid}.json"
    try:
        marker.write_text(jsontext.dumps({"pid": proc.pid, "parent": os.getpid(), "program": argv[0]}))
        while True:
            try:
                out, err = proc.communicate(timeout=0.2 if tick is not None else None)
                break
            except subprocess.TimeoutExpired:  # no output is lost: communicate resumes
                assert tick is not None
                tick()
    except BaseException:
        _kill_group(proc.pid)
        proc.wait()
        raise
    finally:
        with contextlib.suppress(OSError):
            marker.unlink()
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def reap(run_dir: Path, wait: float = 5.0) -> list[int]:
    """Kill the process groups of children whose corral died (still running as the program noted); return them."""
    killed: list[int] = []
    if not run_dir.is_dir():
        return killed
    for marker in run_dir.glob("*.json"):
        try:
            data = jsontext.loads(marker.read_text())
            pid, parent, program = int(data["pid"]), int(data["parent"]), str(data["program"])
        except (OSError, ValueError, KeyError, TypeError):
            with contextlib.suppress(OSError):
                marker.unlink()
            continue
        if _alive(parent):
            continue  # its corral is still running: the child is in use
        if _alive(pid) and _runs(pid, program):
            _kill_group(pid)
            deadline = time.monotonic() + wait
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            killed.append(pid)
        with contextlib.suppress(OSError):
            marker.unlink()
    return killed


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A preexec function asking Linux to SIGKILL the child when corral dies (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal  # here, not at the top: every command imports this module, few start children

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # corral died before the request took effect
            os._exit(1)

    return preexec


def _kill_group(pid: int) -> None:
    import signal

    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """True when `pid` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def _runs(pid: int, program: str) -> bool:
    """True when process `pid` is still `program` (not another process that took its number)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return sys.platform != "linux"  # without /proc the group was ours: kill it
    return argv0 == program
