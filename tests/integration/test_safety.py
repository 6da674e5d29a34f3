"""Atomicity under kill -9 at many points, and serialized concurrent changes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow


def python_works(env: Path) -> bool:
    """The environment's interpreter starts and imports the stdlib."""
    proc = subprocess.run([str(env / "bin" / "python"), "-c", "import json, ssl"], capture_output=True, timeout=60)
    return proc.returncode == 0


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.5, 0.8, 1.2])
def test_kill_9_during_a_change_leaves_a_working_environment(corral: Corral, channel: Path, delay: float) -> None:
    assert corral("create", "-n", "k", "-c", str(channel), "python", "-y").code == 0
    proc = corral.popen("install", "-n", "k", "platformdirs", "filelock", "-y")
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)

    current = corral("list", "-n", "k", "--json").json()["result"]
    assert current["generation"] in (1, 2)
    assert python_works(corral.link("k"))
    # The next command cleans up whatever the killed one left and works normally.
    res = corral("install", "-n", "k", "platformdirs", "filelock", "-y")
    assert res.code == 0, res.err
    home = corral.root / "generations" / "k"
    assert not [p.name for p in home.iterdir() if p.name.startswith(".")]
    hist = corral("history", "-n", "k", "--json").json()["result"]
    assert hist["current"] == hist["entries"][-1]["generation"]
    assert set(hist["available"]) <= {e["generation"] for e in hist["entries"]}
    assert python_works(corral.link("k"))


def test_kill_9_during_create_leaves_nothing_or_a_whole_environment(corral: Corral, channel: Path) -> None:
    for delay in (0.1, 0.3, 0.6):
        proc = corral.popen("create", "-n", "c", "-c", str(channel), "python", "-y")
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        res = corral("create", "-n", "c", "-c", str(channel), "python", "-y")
        if res.code != 0:  # the killed create had finished: the environment is whole
            assert "already exists" in res.err
        assert python_works(corral.link("c"))
        assert corral("env", "remove", "-n", "c", "-y").code == 0


def test_concurrent_changes_to_one_environment_are_serialized(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "cc", "-c", str(channel), "python", "-y").code == 0
    first = corral.popen("install", "-n", "cc", "platformdirs", "-y")
    second = corral.popen("install", "-n", "cc", "filelock", "-y")
    outs = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs
    packages = {p["name"] for p in corral("list", "-n", "cc", "--json").json()["result"]["packages"]}
    assert {"platformdirs", "filelock"} <= packages  # neither change was lost
    hist = corral("history", "-n", "cc", "--json").json()["result"]
    assert [e["generation"] for e in hist["entries"]] == [1, 2, 3]


def test_a_held_lock_times_out_with_a_clear_error(corral: Corral, channel: Path) -> None:
    import fcntl

    assert corral("create", "-n", "l", "-c", str(channel), "liba", "-y").code == 0
    with open(corral.root / "locks" / "l.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        res = corral("install", "-n", "l", "app", "-y", extra_env={"CORRAL_LOCK_TIMEOUT": "1"})
    assert res.code == 1
    assert "locked by another corral process" in res.err and "CORRAL_LOCK_TIMEOUT" in res.err
    assert "Traceback" not in res.err
