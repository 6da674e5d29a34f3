"""Faults at every write of a change (full disk, I/O error, Ctrl-C), and children killed with corral.

Pins issue 20 items 1-2: once the link is switched the new generation is never deleted and the
message says where the environment is; a kill -9 never leaves a uv running that could write into
a later generation, and a generation number (its path) is never handed out twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Corral, Result

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def with_fault(corral: Corral, fault: str, *args: str) -> Result:
    """Run `corral ARGS` with CORRAL_FAULT injected in its own process (tests/support/faults.py)."""
    # The worktree's own src first: the venv's editable install points at another checkout.
    env = {**corral.env, "CORRAL_FAULT": fault, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.faults", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=corral.cwd,
        timeout=300,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_consistent(corral: Corral, name: str) -> dict[str, object]:
    """The environment is one whole generation, history ends with it, and nothing unfinished is left."""
    listed = corral("list", "-n", name, "--json")
    assert listed.code == 0, listed.err
    hist = corral("history", "-n", name, "--json").json()["result"]
    assert hist["entries"][-1]["generation"] == hist["current"]
    home = corral.root / "generations" / name
    assert not [p.name for p in home.iterdir() if p.name.startswith((".build-", ".trash-"))]
    assert not (home / "pending.json").exists()
    return {"generation": hist["current"], "entries": hist["entries"], "packages": listed.json()["result"]["packages"]}


# Every atomic write of `install` in order: numbers.json, generation.json, pending.json (JSON documents), then
# history.json (written as text, one entry a line).
WRITES = [
    *(f"corral.store.generations:atomic_write_json:{{kind}}:{n}" for n in (1, 2, 3)),
    "corral.store.history:atomic_write_text:{kind}:1",
]
POINTS = [*WRITES, "corral.store.generations:switch:{kind}:1", "corral.store.history:append:{kind}:1"]


@pytest.mark.parametrize("kind", ["enospc", "interrupt"])
def test_a_fault_at_any_write_leaves_the_old_or_the_new_generation_never_a_deleted_one(
    corral: Corral, channel: Path, kind: str
) -> None:
    assert corral("create", "-n", "f", "-c", str(channel), "liba", "-y").code == 0
    outcomes = {}
    for point in POINTS:
        fault = point.format(kind=kind)
        before = assert_consistent(corral, "f")["generation"]
        res = with_fault(corral, fault, "install", "-n", "f", "app", "-y")
        assert res.code == (130 if kind == "interrupt" else 1), (fault, res.err)
        assert "Traceback" not in res.err, fault
        link = corral.link("f")
        assert link.resolve().is_dir(), f"{fault}: the environment's link points at nothing"
        state = assert_consistent(corral, "f")
        versions = {p["name"]: p["version"] for p in state["packages"]}  # type: ignore[attr-defined]
        if state["generation"] == before:  # failed before the switch: the old generation, untouched
            assert "app" not in versions, fault
            assert "is now on generation" not in res.err, fault
            outcomes[point] = "old"
        else:  # failed after it: the new generation stays, the message says so, history records the install
            assert versions["app"] == "1.0", fault
            outcomes[point] = "new"
            assert f"is now on generation {state['generation']}" in res.err, (fault, res.err)
            last = state["entries"][-1]  # type: ignore[index]
            assert last["action"] == "install" and last["changes"], fault
            assert corral("rollback", "-n", "f", "--to", str(before), "-y").code == 0
    # Writes before the switch (numbers, generation record, pending entry, the switch itself) keep the old
    # generation; the history write after it keeps the new one.
    assert [outcomes[p] for p in POINTS] == ["old", "old", "old", "new", "old", "new"]
    # After all of it the environment still changes normally.
    assert corral("install", "-n", "f", "app", "-y").code == 0
    final = assert_consistent(corral, "f")
    assert "app" in {p["name"] for p in final["packages"]}  # type: ignore[attr-defined]
    assert final["entries"][-1]["action"] == "install"  # type: ignore[index]


def test_an_interrupted_rollback_is_recorded_as_a_rollback(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "r", "-c", str(channel), "liba", "-y").code == 0
    assert corral("install", "-n", "r", "app", "-y").code == 0
    res = with_fault(corral, "corral.store.history:append:interrupt:1", "rollback", "-n", "r", "-y")
    assert res.code == 130 and "is now on generation 1" in res.err, res.err
    state = assert_consistent(corral, "r")
    assert state["generation"] == 1
    assert state["entries"][-1]["action"] == "rollback"  # type: ignore[index]


def _uv_processes(root: Path) -> list[int]:
    """Process ids of running uv binaries whose command line names this store."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if state != "Z" and argv and argv[0].endswith(b"/uv") and str(root).encode() in b" ".join(argv):
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_during_the_pypi_step_leaves_no_uv_running_and_never_reuses_the_generation(
    corral: Corral, wheels: Path
) -> None:
    from tests.support.pypi import serve_simple_index

    with serve_simple_index(wheels, delay=6.0) as url:  # uv waits on a download when corral is killed
        made = corral("create", "-n", "p", "--python", "3.11", "--pip", "six", "--index-url", url, "-y")
        assert made.code == 0, made.err
        proc = corral.popen("pip", "install", "-n", "p", "tinylib", "--index-url", url, "-y")
        deadline = time.monotonic() + 60
        while not _uv_processes(corral.root) and time.monotonic() < deadline:
            time.sleep(0.05)
        children = _uv_processes(corral.root)
        assert children, "uv never started"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 1.5  # well before the download would end and uv would write
        while _uv_processes(corral.root) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _uv_processes(corral.root), "a uv outlived the corral that started it"
        # The killed change held generation 2: the next change must not be built at that path.
        again = corral("pip", "install", "-n", "p", "tinylib", "--index-url", url, "-y")
        assert again.code == 0, again.err
    hist = corral("history", "-n", "p", "--json").json()["result"]
    assert [e["generation"] for e in hist["entries"]] == [1, 3]
    assert not (corral.root / "run").exists() or not list((corral.root / "run").iterdir())


def test_recovery_ends_a_child_that_a_killed_corral_left_running(corral: Corral, tmp_path: Path) -> None:
    from corral.store import children

    run_dir = tmp_path / "run"
    # A parent that notes a long-running child the way corral does, then dies without ending it.
    script = (
        "import json, os, subprocess, sys\n"
        "quiet = {'stdout': subprocess.DEVNULL, 'stderr': subprocess.DEVNULL}\n"
        "child = subprocess.Popen(['sleep', '60'], start_new_session=True, **quiet)\n"
        f"open(os.path.join({str(run_dir)!r}, f'{{child.pid}}.json'), 'w').write(json.dumps("
        "{'pid': child.pid, 'parent': os.getpid(), 'program': 'sleep'}))\n"
        "print(child.pid, flush=True)\n"
        "os._exit(0)\n"
    )
    run_dir.mkdir()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    pid = int(out.stdout)
    try:
        assert children.reap(run_dir) == [pid]
        assert not list(run_dir.iterdir())
        with pytest.raises(ProcessLookupError):
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_a_full_disk_while_linking_says_so_and_changes_nothing(corral: Corral, channel: Path) -> None:
    """Issue 20 item 12: ENOSPC is reported as a full disk (with du/clean), not as a network failure."""
    assert corral("create", "-n", "s", "-c", str(channel), "liba", "-y").code == 0
    res = with_fault(corral, "rattler:install:enospc:1", "install", "-n", "s", "app", "-y")
    assert res.code == 1 and "Traceback" not in res.err
    assert "no space left" in res.err and "corral du" in res.err and "network" not in res.err, res.err
    state = assert_consistent(corral, "s")
    assert state["generation"] == 1
