"""kill -9 at random points of each mutating command (issue 20): the environment is exactly its previous or
its next generation, nothing is left in the store, and no child process survives.

Each command is killed CORRAL_KILLS times (20 by default) at a delay drawn uniformly from 0 to the
length of an uninterrupted run of it; after each kill the next command (which recovers the
environment under its lock) must see a whole generation. The figures are printed (pytest -s).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("CORRAL_KILLS", "20"))


def _state(corral: Corral, env: str) -> frozenset[tuple[str, str]] | None:
    """The packages of the environment's current generation (None when the environment does not exist).

    `clean` first: like every command that changes the store, it recovers what a kill left (build and
    trash folders, notes of children, a switch not yet in history) before it looks.
    """
    assert corral("clean", "-y").code == 0
    res = corral("list", "-n", env, "--json")
    if res.code != 0:
        message = res.json()["error"]["message"]
        assert "does not exist" in message or "no current generation" in message, message
        return None
    return frozenset((p["name"], p["version"]) for p in res.json()["result"]["packages"])


def _leftovers(root: Path) -> list[str]:
    found = []
    generations = root / "generations"
    for path in generations.rglob("*") if generations.is_dir() else []:
        if path.name.startswith((".build-", ".trash-")) or path.name.endswith(".tmp"):
            found.append(str(path.relative_to(root)))
    found += [str(p.relative_to(root)) for p in (root / "run").glob("*.json")] if (root / "run").is_dir() else []
    return found


def _survivors(root: Path) -> list[str]:
    """Processes other than this test that still name the store (a uv left running by a killed corral)."""
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(root) in cmdline and "__complete" not in cmdline:
            out.append(f"{proc.name}: {cmdline[:120]}")
    return out


def _kill_during(corral: Corral, args: list[str], delay: float) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "corral", *args],
        env=corral.env,
        cwd=corral.cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=60)


def _timed(corral: Corral, args: list[str]) -> float:
    start = time.monotonic()
    res = corral(*args)
    assert res.code == 0, res.err
    return time.monotonic() - start


def _no_survivors(root: Path) -> None:
    deadline = time.monotonic() + 5
    while _survivors(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _survivors(root), _survivors(root)


def test_kill_9_during_changes(corral: Corral, channel: Path, wheels: Path) -> None:
    find = ["--no-index", "--find-links", str(wheels)]
    made = corral("create", "-n", "k", "-c", str(channel), "python", "liba=1.0", "--pip", "tinylib==1.0", *find, "-y")
    assert made.code == 0, made.err
    rng = random.Random(20261201)
    toggles = {
        "install (conda)": (["install", "-n", "k", "liba=2.0", "-y"], ["install", "-n", "k", "liba=1.0", "-y"]),
        "pip install (uv)": (
            ["pip", "install", "-n", "k", "tinylib==2.0", *find, "-y"],
            ["pip", "install", "-n", "k", "tinylib==1.0", *find, "-y"],
        ),
    }
    figures = []
    for label in [*toggles, "rollback"]:
        if label == "rollback":  # between the two newest generations, whatever their numbers
            hist = corral("history", "-n", "k", "--json").json()["result"]
            newest, previous = hist["available"][-1], hist["available"][-2]
            assert hist["current"] == newest
            toggles[label] = (
                ["rollback", "-n", "k", "--to", str(previous), "-y"],
                ["rollback", "-n", "k", "--to", str(newest), "-y"],
            )
        forward, back = toggles[label]
        before = _state(corral, "k")
        span = _timed(corral, forward)
        after = _state(corral, "k")
        assert corral(*back).code == 0
        assert _state(corral, "k") == before
        seen = {"old": 0, "new": 0}
        for _ in range(KILLS):
            start = _state(corral, "k")
            command = forward if start == before else back
            expected_new = after if start == before else before
            _kill_during(corral, command, rng.uniform(0, span))
            now = _state(corral, "k")  # the next command recovers under the environment's lock
            assert now in (start, expected_new), f"{label}: a mixed environment after a kill: {now}"
            seen["old" if now == start else "new"] += 1
            assert not _leftovers(corral.root), _leftovers(corral.root)
            _no_survivors(corral.root)
            assert corral("doctor", "-n", "k").code == 0
        figures.append(f"{label}: {KILLS} kills, {seen['old']} left on the old generation, {seen['new']} on the new")
    sys.stdout.write("\n" + "\n".join(figures) + "\n")


def test_kill_9_during_create_and_env_remove(corral: Corral, channel: Path) -> None:
    rng = random.Random(7)
    span = _timed(corral, ["create", "-n", "n", "-c", str(channel), "python", "app", "-y"])
    whole = _state(corral, "n")
    remove_span = _timed(corral, ["env", "remove", "-n", "n", "-y"])
    outcomes = {"absent": 0, "whole": 0}
    for i in range(KILLS):
        if i % 2 == 0:
            _kill_during(corral, ["create", "-n", "n", "-c", str(channel), "python", "app", "-y"], rng.uniform(0, span))
        else:
            _kill_during(corral, ["env", "remove", "-n", "n", "-y"], rng.uniform(0, remove_span))
        now = _state(corral, "n")
        assert now in (None, whole), now
        outcomes["absent" if now is None else "whole"] += 1
        listed = {e["name"] for e in corral("env", "list", "--json").json()["result"]["environments"]}
        assert ("n" in listed) == (now is not None)
        assert corral("clean", "-y").code == 0
        assert not _leftovers(corral.root), _leftovers(corral.root)
        _no_survivors(corral.root)
        if now is not None and i % 2 == 0:
            assert corral("env", "remove", "-n", "n", "-y").code == 0
        elif now is None and i % 2 == 1:
            assert corral("create", "-n", "n", "-c", str(channel), "python", "app", "-y").code == 0
    sys.stdout.write(f"\ncreate/env remove: {KILLS} kills, {outcomes}\n")
