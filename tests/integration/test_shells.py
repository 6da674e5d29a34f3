"""Activation in real shells (bash, zsh, fish, xonsh), `corral shell` through tmux, and `corral run`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import FileEntry, PackageDef, index_channel, simple_package, write_conda_package

pytestmark = pytest.mark.slow
HOOK = f"{sys.executable} -m corral shell hook"


def _actpkg() -> PackageDef:
    """A package with activate.d / deactivate.d scripts for POSIX shells and fish, as conda packages ship them."""
    return PackageDef(
        name="actpkg",
        version="1.0",
        files={
            "etc/conda/activate.d/actpkg.sh": FileEntry(b'export ACTPKG_ON=1\nexport ACTPKG_SEEN="$CONDA_PREFIX"\n'),
            "etc/conda/deactivate.d/actpkg.sh": FileEntry(b"unset ACTPKG_ON ACTPKG_SEEN\n"),
            "etc/conda/activate.d/actpkg.fish": FileEntry(b"set -gx ACTPKG_ON 1\nset -gx ACTPKG_SEEN $CONDA_PREFIX\n"),
            "etc/conda/deactivate.d/actpkg.fish": FileEntry(b"set -e ACTPKG_ON\nset -e ACTPKG_SEEN\n"),
            "etc/conda/activate.d/actpkg.xsh": FileEntry(b"$ACTPKG_ON = '1'\n$ACTPKG_SEEN = $CONDA_PREFIX\n"),
            "etc/conda/deactivate.d/actpkg.xsh": FileEntry(b"del $ACTPKG_ON\ndel $ACTPKG_SEEN\n"),
            "bin/acttool": FileEntry(b'#!/bin/sh\necho "acttool from $CONDA_PREFIX"\n', mode=0o755),
        },
    )


@pytest.fixture
def envs(corral: Corral, tmp_path: Path) -> Corral:
    """Two environments: `one` (activate.d scripts, variables with awkward quoting) and `two` (plain)."""
    chan = tmp_path / "shellchan"
    write_conda_package(chan, _actpkg())
    write_conda_package(chan, simple_package("liba", "1.0"))
    tool = FileEntry(b"#!/bin/sh\necho newtool here\n", mode=0o755)
    write_conda_package(chan, PackageDef(name="newtool", version="1.0", files={"bin/newtool": tool}))
    index_channel(chan)
    spec = corral.cwd / "one.yml"
    spec.write_text(
        f"""name: one
channels: [{chan}]
dependencies: [actpkg, liba]
variables:
  OMP_NUM_THREADS: 4
  QUOTED: "it's \\"quoted\\" $HOME \\\\ back"
"""
    )
    assert corral("create", "-f", str(spec), "-y").code == 0
    assert corral("create", "-n", "two", "-c", str(chan), "liba", "-y").code == 0
    return corral


def _shell(corral: Corral, argv: list[str], script: str, extra: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [*argv, script],
        capture_output=True,
        text=True,
        env={**corral.env, **(extra or {})},
        cwd=corral.cwd,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


POSIX = """
eval "$({hook} {shell})"
env | LC_ALL=C sort > before.env
corral activate one
echo "A1 $CONDA_PREFIX|$CORRAL_SHLVL|$ACTPKG_ON|$ACTPKG_SEEN|$OMP_NUM_THREADS|$QUOTED|$(command -v acttool)"
corral activate one
echo "A2 $CORRAL_SHLVL"
corral activate two
echo "B $CONDA_PREFIX|$CORRAL_SHLVL|${{ACTPKG_ON-gone}}|$(echo "$PATH" | tr ':' '\\n' | grep -c /envs/)"
corral deactivate
echo "C $CONDA_PREFIX|$CORRAL_SHLVL|$ACTPKG_ON"
corral deactivate
echo "D ${{CONDA_PREFIX-unset}}|${{ACTPKG_ON-unset}}|${{QUOTED-unset}}"
corral deactivate 2>/dev/null || echo "E refused"
env | LC_ALL=C sort > after.env
cmp -s before.env after.env && echo RESTORED
"""


def _check(out: str, corral: Corral, shell: str) -> None:
    one = str(corral.link("one"))
    quoted = 'it\'s "quoted" $HOME \\ back'
    assert f"A1 {one}|1|1|{one}|4|{quoted}|{one}/bin/acttool" in out, out
    assert "A2 1" in out  # activating the active environment again changes nothing
    if shell != "fish":  # fish has no ${VAR-default}
        # two replaces one on PATH (one env bin), after one's deactivate.d ran (conda without --stack)
        assert "B " + str(corral.link("two")) + "|2|gone|1" in out
    assert f"C {one}|1|1" in out  # back to one: its activate.d ran again
    assert "RESTORED" in out, out


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_posix_shells_activate_stack_and_restore_exactly(envs: Corral, shell: str) -> None:
    if not shutil.which(shell):
        pytest.skip(f"{shell} is not installed")
    out = _shell(envs, [shell, "-c"], POSIX.format(hook=HOOK, shell=shell))
    _check(out, envs, shell)
    assert "D unset|unset|unset" in out and "E refused" in out


def test_fish_activates_and_restores_exactly(envs: Corral) -> None:
    if not shutil.which("fish"):
        pytest.skip("fish is not installed")
    script = f"""
{HOOK} fish | source
env | LC_ALL=C sort > before.env
corral activate one
echo "A1 $CONDA_PREFIX|$CORRAL_SHLVL|$ACTPKG_ON|$ACTPKG_SEEN|$OMP_NUM_THREADS|$QUOTED|"(command -v acttool)
corral activate one
echo "A2 $CORRAL_SHLVL"
corral activate two
corral deactivate
echo "C $CONDA_PREFIX|$CORRAL_SHLVL|$ACTPKG_ON"
corral deactivate
set -q CONDA_PREFIX; or echo "D unset"
env | LC_ALL=C sort > after.env
cmp -s before.env after.env; and echo RESTORED
"""
    out = _shell(envs, ["fish", "-c"], script)
    _check(out, envs, "fish")
    assert "D unset" in out


def test_xonsh_activates_and_restores_exactly(envs: Corral) -> None:
    xonsh = shutil.which("xonsh") or str(Path(sys.executable).parent / "xonsh")
    if not Path(xonsh).exists():
        pytest.skip("xonsh is not installed")
    script = f"""
execx($({HOOK} xonsh))
before = dict(${{...}}.detype())
corral activate one
print("A1", $CONDA_PREFIX, $CORRAL_SHLVL, $ACTPKG_ON, $OMP_NUM_THREADS, $QUOTED, sep="|")
corral activate two
corral deactivate
print("C", $CONDA_PREFIX, $CORRAL_SHLVL, $ACTPKG_ON, sep="|")
corral deactivate
after = dict(${{...}}.detype())
print("RESTORED" if before == after else sorted(set(before.items()) ^ set(after.items())))
"""
    path = envs.cwd / "t.xsh"
    path.write_text(script)
    done = subprocess.run(
        [xonsh, "--no-rc", str(path)], capture_output=True, text=True, env=envs.env, cwd=envs.cwd, timeout=120
    )
    one = str(envs.link("one"))
    assert f'A1|{one}|1|1|4|it\'s "quoted" $HOME \\ back' in done.stdout, done.stdout + done.stderr
    assert f"C|{one}|1|1" in done.stdout and "RESTORED" in done.stdout, done.stdout + done.stderr


def test_powershell_and_cmd_scripts_quote_values(envs: Corral) -> None:
    """No PowerShell or cmd.exe can be installed here: their scripts are checked as text."""
    for shell, expected in (
        ("powershell", "$Env:QUOTED = 'it''s \"quoted\" $HOME \\ back'"),
        ("cmd", '@SET "QUOTED=it\'s "quoted" $HOME \\ back"'),
    ):
        out = envs("shell", "activate", "one", "--shell", shell)
        assert out.code == 0, out.err
        assert expected in out.out
        assert "CORRAL_STACK_1" in out.out and "actpkg" not in out.out  # no .ps1/.bat scripts in this package
    hook = envs("shell", "hook", "powershell").out
    assert "function corral" in hook and "Invoke-Expression" in hook


def test_activated_shell_follows_new_generations(envs: Corral) -> None:
    """Activation uses the stable path: a change made elsewhere shows on the shell's next command."""
    corral_cmd = f"{sys.executable} -m corral"
    script = f"""
eval "$({HOOK} bash)"
corral activate two
command -v newtool || echo "no newtool yet"
{corral_cmd} install -n two newtool -y >/dev/null 2>&1
newtool
{corral_cmd} rollback -n two -y >/dev/null 2>&1
hash -r; command -v newtool || echo "gone after rollback"
"""
    out = _shell(envs, ["bash", "-c"], script)
    assert "no newtool yet" in out and "newtool here" in out and "gone after rollback" in out


def test_hook_missing_and_unsupported_shells(envs: Corral) -> None:
    plain = envs("activate", "one", extra_env={"SHELL": "/bin/zsh"})
    assert plain.code == 1 and "needs corral's shell hook" in plain.err
    assert "corral shell init zsh" in plain.err and "shell hook zsh" in plain.err
    assert envs("deactivate").code == 1
    bad = envs("shell", "hook", "tcsh")
    assert bad.code == 2 and "invalid choice: 'tcsh'" in bad.err
    none = envs("shell", "deactivate", "--shell", "bash")
    assert none.code == 1 and "no corral environment is active" in none.err
    missing = envs("shell", "activate", "nope", "--shell", "bash")
    assert missing.code == 1 and "environment 'nope' does not exist" in missing.err


def test_shell_init_is_idempotent_backed_up_and_undone(envs: Corral, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    rc = home / ".bashrc"
    rc.write_text("# my settings\nalias ll='ls -l'\n")
    env = {"HOME": str(home)}
    first = envs("shell", "init", "bash", extra_env=env)
    assert first.code == 0 and "Added the corral hook" in first.out
    assert (home / ".bashrc.corral-backup").read_text() == "# my settings\nalias ll='ls -l'\n"
    text = rc.read_text()
    assert text.startswith("# my settings\nalias ll='ls -l'\n") and text.count(">>> corral shell hook >>>") == 1
    again = envs("shell", "init", "bash", extra_env=env)
    assert "already in" in again.out and rc.read_text() == text
    # A new interactive bash reads the rc file and can activate.
    done = subprocess.run(
        ["bash", "-i", "-c", "corral activate one && echo ACTIVE=$CONDA_PREFIX"],
        capture_output=True,
        text=True,
        env={**envs.env, **env},
        timeout=120,
    )
    assert f"ACTIVE={envs.link('one')}" in done.stdout, done.stderr
    undone = envs("shell", "init", "bash", "--undo", extra_env=env)
    assert undone.code == 0 and "Removed" in undone.out
    assert rc.read_text() == "# my settings\nalias ll='ls -l'\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_corral_shell_subshell_through_tmux(envs: Corral, tmp_path: Path, shell: str) -> None:
    if not shutil.which("tmux") or not shutil.which(shell):
        pytest.skip(f"tmux or {shell} is not installed")
    out = tmp_path / "inside.txt"
    socket = str(tmp_path / "tmux.sock")
    env = {**envs.env, "SHELL": shutil.which(shell) or shell, "HOME": str(tmp_path)}
    command = f"{sys.executable} -m corral shell -n one; echo exited=$? > {tmp_path / 'after.txt'}"
    subprocess.run(
        ["tmux", "-S", socket, "new-session", "-d", "-x", "120", "-y", "30", "bash", "--norc", "-c", command],
        env=env,
        check=True,
    )
    try:
        _wait_for_prompt(socket, "active; `exit` returns here")
        keys = f'echo "$CONDA_PREFIX|$ACTPKG_ON|$OMP_NUM_THREADS|"(command -v acttool) > {out}'
        if shell != "fish":
            keys = keys.replace('|"(command -v acttool)', '|$(command -v acttool)"')
        subprocess.run(["tmux", "-S", socket, "send-keys", keys, "Enter"], check=True)
        subprocess.run(["tmux", "-S", socket, "send-keys", "exit 3", "Enter"], check=True)
        _wait_for(lambda: (tmp_path / "after.txt").exists())
    finally:
        subprocess.run(["tmux", "-S", socket, "kill-server"], capture_output=True)
    one = str(envs.link("one"))
    assert out.read_text().strip() == f"{one}|1|4|{one}/bin/acttool"
    assert (tmp_path / "after.txt").read_text().strip() == "exited=3"


def _wait_for_prompt(socket: str, text: str) -> None:
    def shown() -> bool:
        pane = subprocess.run(["tmux", "-S", socket, "capture-pane", "-p"], capture_output=True, text=True)
        return text in pane.stdout

    _wait_for(shown)


def _wait_for(ready: object, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_run_passes_environment_exit_codes_and_signals(envs: Corral, tmp_path: Path) -> None:
    one = str(envs.link("one"))
    work = tmp_path / "work"
    work.mkdir()
    shown = envs(
        "run",
        "-n",
        "one",
        "--cwd",
        str(work),
        "-e",
        "EXTRA=x=y",
        "sh",
        "-c",
        'echo "$CONDA_PREFIX|$ACTPKG_ON|$QUOTED|$EXTRA|$PWD"; acttool',
    )
    assert shown.code == 0, shown.err
    assert shown.out.splitlines() == [
        f'{one}|1|it\'s "quoted" $HOME \\ back|x=y|{work}',
        f"acttool from {one}",
    ]
    generation = Path(os.path.realpath(one))
    assert (generation / "conda-meta" / "corral" / "activation.json").is_file()  # computed once, kept
    assert envs("run", "-n", "one", "sh", "-c", "exit 7").code == 7
    assert envs("run", "-n", "one", "sh", "-c", "kill -TERM $$").code == -signal.SIGTERM
    # A pytest started with SIGINT ignored (`nohup pytest &`) passes that on to its children, and an
    # ignored signal stays ignored across exec: the child gets the default action back, as a shell would.
    proc = subprocess.Popen(
        [sys.executable, "-m", "corral", "run", "-n", "one", "sleep", "30"],
        env=envs.env,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)  # corral has become `sleep`: the signal is the command's
    assert proc.wait(timeout=10) == -signal.SIGINT
    missing = envs("run", "-n", "one", "no-such-tool")
    assert missing.code == 127 and "'no-such-tool' was not found in one" in missing.err
    assert envs("run", "-n", "nope", "true").code == 1
    assert "does not exist" in envs("run", "-n", "nope", "true").err
    usage = envs("run", "-n", "one")
    assert usage.code == 2 and "give the command to run" in usage.err
    assert envs("run", "--help").code == 0
