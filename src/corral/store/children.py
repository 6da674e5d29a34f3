"""Child processes that never outlive corral: their own process group, killed with their parent, tracked on disk.

A uv left running by a killed corral would go on writing into a generation directory. On Linux
the kernel kills the child when corral dies (PR_SET_PDEATHSIG); everywhere, each child is noted
in the store's `run/` folder while it runs, and `reap` (called by recovery) kills the process
group of any child whose corral is gone.
"""

from __future__ import annotations

import os
import sys
import time

from corral import jsontext
from corral.store.fsutil import remove_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Mapping, Sequence

    from _typeshed import StrPath

_PR_SET_PDEATHSIG = 1


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    run_dir: StrPath,
    cwd: StrPath | None = None,
    tick: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to completion (output captured as text); on any interruption its whole group is killed first.

    `tick` is called about every 0.2 s while the child runs (progress output shows life).
    """
    os.makedirs(run_dir, exist_ok=True)
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
    marker = os.path.join(run_dir, f"{proc.pid}.json")
    try:
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write(jsontext.dumps({"pid": proc.pid, "parent": os.getpid(), "program": argv[0]}))
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
        remove_file(marker, OSError)
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def reap(run_dir: StrPath, wait: float = 5.0) -> list[int]:
    """Kill the process groups of children whose corral died (still running as the program noted); return them."""
    killed: list[int] = []
    try:
        with os.scandir(run_dir) as entries:
            markers = [e.path for e in entries if e.name.endswith(".json") and e.name[0] != "."]
    except (FileNotFoundError, NotADirectoryError):
        return killed
    for marker in markers:
        try:
            with open(marker, encoding="utf-8") as handle:
                data = jsontext.loads(handle.read())
            pid, parent, program = int(data["pid"]), int(data["parent"]), str(data["program"])
        except (OSError, ValueError, KeyError, TypeError):
            remove_file(marker, OSError)
            continue
        if _alive(parent):
            continue  # its corral is still running: the child is in use
        if _alive(pid) and _runs(pid, program):
            _kill_group(pid)
            deadline = time.monotonic() + wait
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            killed.append(pid)
        remove_file(marker, OSError)
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

    try:  # noqa: SIM105 (contextlib: see fsutil.remove_file)
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def _alive(pid: int) -> bool:
    """True when `pid` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return True  # no /proc: trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def _runs(pid: int, program: str) -> bool:
    """True when process `pid` is still `program` (not another process that took its number)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv0 = handle.read().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return sys.platform != "linux"  # without /proc the group was ours: kill it
    return argv0 == program
