"""Packages' activate.d / deactivate.d scripts as real conda packages ship them: in `corral run`
(output, a cache that is a function of the caller's values) and in bash activation (conda's order)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import FileEntry, PackageDef, index_channel, simple_package, write_conda_package

pytestmark = pytest.mark.slow
HOOK = f"{sys.executable} -m corral shell hook bash"
# Removes $CONDA_PREFIX/opt/bin from PATH, as packages' deactivate.d scripts do.
_PATH_CLEANUP = b'PATH=$(printf %s "$PATH" | sed "s#$CONDA_PREFIX/opt/bin:##"); export PATH\n'


def _packages() -> list[PackageDef]:
    def script(text: bytes) -> FileEntry:
        return FileEntry(text)

    return [
        PackageDef(
            name="echopkg",
            version="1.0",
            files={"etc/conda/activate.d/echo.sh": script(b'echo "setting TEST_VAR"\nexport TEST_VAR=1\n')},
        ),
        PackageDef(
            name="prepkg",
            version="1.0",
            files={
                "etc/conda/activate.d/pre.sh": script(
                    b'export X="$CONDA_PREFIX/lib${X:+:$X}"\nexport PATH="$CONDA_PREFIX/opt/bin:$PATH"\n'
                    b'export PRE_ON=1\nexport PRE_HOME="$HOME/cfg"\necho "pre on" >&2\n'
                ),
                "etc/conda/deactivate.d/a-pre.sh": script(_PATH_CLEANUP + b'DEACT_ORDER="${DEACT_ORDER-}a"\n'),
                "etc/conda/deactivate.d/b-pre.sh": script(
                    b'unset PRE_ON PRE_HOME\nX="${X#"$CONDA_PREFIX/lib"}"; X="${X#:}"\n'
                    b'if [ -z "$X" ]; then unset X; fi\nDEACT_ORDER="${DEACT_ORDER-}b"\necho "pre off"\n'
                ),
                "opt/bin/pretool": FileEntry(b"#!/bin/sh\necho pretool\n", mode=0o755),
                # Other shells' scripts: their activation text is checked (no fish, PowerShell or cmd here).
                "etc/conda/deactivate.d/pre.fish": script(b"set -e PRE_ON\n"),
                "etc/conda/deactivate.d/pre.ps1": script(b"Remove-Item Env:PRE_ON\n"),
                "etc/conda/deactivate.d/pre.bat": script(b"@SET PRE_ON=\n"),
            },
        ),
        PackageDef(
            name="upperpkg",
            version="1.0",
            files={"etc/conda/activate.d/up.sh": script(b'export Y="$(printf %s "${Y-}" | tr a-z A-Z)"\n')},
        ),
    ]


@pytest.fixture
def envs(corral: Corral, tmp_path: Path) -> Corral:
    """Environments `echo`, `pre`, `upper` (one script package each) and `plain` (none)."""
    chan = tmp_path / "scriptchan"
    for pkg in [*_packages(), simple_package("liba", "1.0")]:
        write_conda_package(chan, pkg)
    index_channel(chan)
    for name, wanted in (("echo", "echopkg"), ("pre", "prepkg"), ("upper", "upperpkg"), ("plain", "liba")):
        done = corral("create", "-n", name, "-c", str(chan), wanted, "-y")
        assert done.code == 0, done.err
    return corral


def _cache(corral: Corral, name: str) -> dict[str, object]:
    path = Path(os.path.realpath(corral.link(name))) / "conda-meta" / "corral" / "activation.json"
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def test_run_keeps_script_output_out_of_the_environment_and_stdout(envs: Corral) -> None:
    """conda shows what activate.d scripts print (`conda run` and `conda activate` source them in the
    shell that runs the command: conda/utils.py wrap_subprocess_call); corral shows it on stderr, so
    the command's stdout stays the command's, on the first run and on cached runs alike."""
    seen = []
    for _ in range(2):  # the run that learns the scripts' effect, then one from the cache
        done = envs("run", "-n", "echo", "env", "-0", extra_env={"odd-name": "kept", "SHLVL": "5"})
        assert done.code == 0, done.err
        assert "odd-name=kept" in done.out.split("\0")  # no shell variable, but passed on
        names = [item.split("=", 1)[0] for item in done.out.split("\0") if item]
        assert "TEST_VAR" in names and all("\n" not in n and " " not in n for n in names), names
        assert "TEST_VAR=1" in done.out.split("\0")
        assert done.err == "setting TEST_VAR\n"
        seen.append(sorted(done.out.split("\0")))
    assert seen[0] == seen[1] and "SHLVL=5" in seen[0]  # bash's own variables are not the scripts' effect
    assert _cache(envs, "echo")["mode"] == "template"


def test_run_applies_the_scripts_to_each_callers_values(envs: Corral) -> None:
    lib = f"{envs.link('pre')}/lib"
    show = 'echo "$X|$PRE_HOME|${PATH%%:*}"'
    first = envs("run", "-n", "pre", "sh", "-c", show, extra_env={"X": "/first", "HOME": "/h1"})
    assert first.out == f"{lib}:/first|/h1/cfg|{envs.link('pre')}/opt/bin\n", first.err
    assert first.err == "pre on\n"
    data = _cache(envs, "pre")
    assert data["mode"] == "template" and data["deps"] == {"HOME": "/h1"}
    second = envs("run", "-n", "pre", "sh", "-c", show, extra_env={"X": "/second", "HOME": "/h1"})
    assert second.out.startswith(f"{lib}:/second|/h1/cfg|"), second.out
    unset = envs("run", "-n", "pre", "sh", "-c", 'echo "$X"', extra_env={"HOME": "/h1"})
    assert unset.out == f"{lib}\n"  # ${X:+:$X}: no trailing colon when the caller has no X
    other_home = envs("run", "-n", "pre", "sh", "-c", show, extra_env={"X": "/third", "HOME": "/h2"})
    assert other_home.out.startswith(f"{lib}:/third|/h2/cfg|"), other_home.out  # a dependency changed: relearned
    assert _cache(envs, "pre")["deps"] == {"HOME": "/h2"}
    assert envs("run", "-n", "pre", "pretool").out == "pretool\n"


def test_run_runs_scripts_whose_effect_has_no_template(envs: Corral) -> None:
    for value in ("abc", "def"):
        done = envs("run", "-n", "upper", "sh", "-c", 'echo "$Y"', extra_env={"Y": value})
        assert done.code == 0 and done.out == value.upper() + "\n", done.err
    assert _cache(envs, "upper")["mode"] == "scripts"


def test_failing_activate_script_is_a_clear_error(envs: Corral) -> None:
    script = Path(os.path.realpath(envs.link("upper"))) / "etc" / "conda" / "activate.d" / "up.sh"
    script.unlink()  # the generation's hardlink: replace it, not the package cache's file
    script.write_text('echo "broken here" >&2\nexit 3\n')
    done = envs("run", "-n", "upper", "true")
    assert done.code == 1 and "activate.d scripts of upper failed (exit 3)" in done.err
    assert "broken here" in done.err and "Traceback" not in done.err


BASH = """
eval "$({hook})"
env | LC_ALL=C sort > before.env
corral activate pre
echo "A $X|$PRE_ON|$(command -v pretool)"
corral deactivate
echo "D ${{X-unset}}|${{PRE_ON-unset}}|$DEACT_ORDER|$(echo "$PATH" | tr ':' '\\n' | grep -c /envs/)"
unset DEACT_ORDER
env | LC_ALL=C sort > after1.env
corral activate pre
corral activate plain
echo "B $CONDA_PREFIX|${{PRE_ON-unset}}|$DEACT_ORDER|$(echo "$PATH" | tr ':' '\\n' | grep -c /envs/)"
unset DEACT_ORDER
corral deactivate
echo "C $CONDA_PREFIX|$PRE_ON|$(echo "$PATH" | tr ':' '\\n' | grep -c /envs/pre/opt/bin)"
corral deactivate
unset DEACT_ORDER
env | LC_ALL=C sort > after2.env
cmp -s before.env after1.env && cmp -s before.env after2.env && echo RESTORED
"""


def test_bash_deactivation_keeps_deactivate_d_edits_in_condas_order(envs: Corral) -> None:
    """conda/activate.py `_yield_commands`: PATH is exported before the deactivate.d scripts run
    (sorted in reverse name order by `_get_deactivate_scripts`), so their PATH edits stay;
    `_build_activate_stack` without --stack runs the replaced environment's deactivate.d scripts
    first, and `build_deactivate` back to it runs its activate.d scripts again."""
    done = subprocess.run(
        ["bash", "-c", BASH.format(hook=HOOK)],
        capture_output=True,
        text=True,
        env={**envs.env, "HOME": "/h"},
        cwd=envs.cwd,
        timeout=120,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    pre, plain = envs.link("pre"), envs.link("plain")
    assert f"A {pre}/lib|1|{pre}/opt/bin/pretool" in out, out
    assert "pre off" in out and "pre on" in done.stderr  # what the scripts print reaches the terminal
    assert "D unset|unset|ba|0" in out, out  # b-pre.sh before a-pre.sh; opt/bin removed and not put back
    assert f"B {plain}|unset|ba|1" in out, out  # pre's deactivate.d ran; only plain's bin on PATH
    assert f"C {pre}|1|1" in out, out  # back to pre: its activate.d ran again, opt/bin once
    assert "RESTORED" in out, out


def test_other_shells_get_condas_order_in_their_scripts(envs: Corral) -> None:
    """The same order as bash for fish, PowerShell and cmd (text only: none of them is installed
    here): replacing `pre` runs its deactivate.d script before PATH changes (cmd gets PATH's value,
    the others edit the PATH they have then); deactivating sets PATH before the script runs."""
    shell_cmd = f"{sys.executable} -m corral shell"
    script = f"""eval "$({shell_cmd} activate pre --shell bash)"
for s in fish powershell cmd; do echo "== activate $s"; {shell_cmd} activate plain --shell $s
echo "== deactivate $s"; {shell_cmd} deactivate --shell $s; done"""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=envs.env, timeout=120)
    assert done.returncode == 0, done.stderr
    pre, plain = envs.link("pre"), envs.link("plain")
    texts = dict(part.split("\n", 1) for part in done.stdout.split("== ")[1:])
    expected = {
        "fish": (f"source '{pre}/etc/conda/deactivate.d/pre.fish'", f"set -gx PATH '{plain}/bin' (for", "set -gx PATH"),
        "powershell": (f". '{pre}/etc/conda/deactivate.d/pre.ps1'", f"$Env:PATH = (@('{plain}/bin')", "$Env:PATH ="),
        "cmd": (f'@CALL "{pre}/etc/conda/deactivate.d/pre.bat"', f'@SET "PATH={plain}/bin:', '@SET "PATH='),
    }
    for shell, (leave, swap, restore) in expected.items():
        activate, deactivate = texts[f"activate {shell}"], texts[f"deactivate {shell}"]
        assert leave in activate and swap in activate, activate
        assert activate.index(leave) < activate.index(swap)  # pre's deactivate.d first
        assert leave in deactivate and deactivate.index(restore) < deactivate.index(leave), deactivate
