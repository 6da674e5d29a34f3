"""A conda user's habits at the command line (issue 16 items 14-16): usage, help, doctor, du, plans, progress."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.pypi import serve_simple_index, write_setuptools_project, write_wheel

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
SITE = f"lib/python{PYTHON}/site-packages"


def ok(corral: Corral, *args: str, input: str | None = None) -> str:
    result = corral(*args, input=input)
    assert result.code == 0, result.err
    return result.out


def pypi_env(corral: Corral, name: str, wheels: Path, *reqs: str) -> str:
    """A venv-style environment on this interpreter with PyPI packages from a wheel folder (no conda, no network)."""
    return ok(
        corral,
        "create",
        "-n",
        name,
        "--python",
        PYTHON,
        "--pip",
        *reqs,
        "--no-index",
        "--find-links",
        str(wheels),
        "-y",
    )


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["install", "--bogus"], "usage: corral install "),
        (["env", "remove", "-n", "x", "--bogus"], "usage: corral env remove "),
        (["shell", "activate", "x", "--bogus"], "usage: corral shell activate "),
        (["doctor", "--nope"], "usage: corral doctor "),
    ],
)
def test_an_unknown_option_shows_the_subcommands_own_usage(corral: Corral, argv: list[str], usage: str) -> None:
    """conda reports an unknown option with its top-level usage (plain argparse: conda/cli/conda_argparse.py
    ArgumentParser.parse_args), which does not say what the subcommand takes; corral shows the subcommand's own."""
    result = corral(*argv)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(usage), result.err
    assert f"corral {argv[0]}" in result.err.splitlines()[-1] and "unrecognized arguments: --" in result.err
    assert "Traceback" not in result.err


def helped(corral: Corral, *args: str) -> str:
    """`--help` text with its line wrapping (which follows the terminal's width) undone."""
    return " ".join(ok(corral, *args, "--help").split())


def test_help_describes_every_argument(corral: Corral) -> None:
    update = helped(corral, "update")
    assert "--pip NAME [NAME ...]" in update and "installed PyPI packages to update" in update
    assert "installed packages to update, conda or PyPI" in update  # the positional is described
    activate = helped(corral, "activate")
    assert activate.startswith("usage: corral activate [-h] [--locked | --frozen] [ENV | -n NAME | -p PATH]")
    assert "an environment name, or a path" in activate and "corral shell init SHELL" in activate
    assert "args" not in activate.split()
    shell = helped(corral, "shell")
    assert (
        "corral shell [-h] [--locked | --frozen] [-n NAME | -p PATH]" in shell
        and "`corral shell -n ENV` starts your shell" in shell
    )
    assert helped(corral, "shell", "hook").startswith("usage: corral shell hook ")


def test_activate_without_the_hook_still_says_how_to_set_it_up(corral: Corral) -> None:
    result = corral("activate", "ml")
    assert result.code == 1 and "needs corral's shell hook" in result.err and "corral shell init" in result.err


def test_create_says_how_to_use_the_environment(corral: Corral, wheels: Path) -> None:
    """conda ends a create with how to activate it (`conda activate NAME`: conda/cli/common.py print_activate);
    corral names `corral activate NAME` and the no-shell way, `corral run -n NAME python`."""
    out = pypi_env(corral, "web", wheels, "six")
    assert "Use it with: corral activate web   or: corral run -n web python" in out
    assert "corral list -n web" in out
    run = corral("run", "-n", "web", "python", "-c", "import six; print(six.VERSION)")
    assert run.code == 0 and run.out == "1.17.0\n", run.err


def test_update_pip_moves_named_pypi_packages(corral: Corral, tmp_path: Path) -> None:
    folder = tmp_path / "wheels"
    write_wheel(folder, "tinylib", "1.0")
    write_wheel(folder, "tinyapp", "1.0", requires=["tinylib>=1"])
    pypi_env(corral, "app", folder, "tinyapp")
    write_wheel(folder, "tinylib", "2.0")
    moved = corral("update", "-n", "app", "--pip", "tinylib", "-y", "--json")
    assert moved.code == 0, moved.out
    changes = {c["name"]: c for c in moved.json()["result"]["plan"]["changes"]}
    assert set(changes) == {"tinylib"} and changes["tinylib"]["kind"] == "upgrade"
    missing = corral("update", "-n", "app", "--pip", "nothere", "-y")
    assert missing.code != 0 and "PyPI package 'nothere' is not installed in" in missing.err
    assert "hint: see `corral list -n app`" in missing.err


def test_doctor_all_fix_repairs_each_environment_after_one_question(corral: Corral, wheels: Path) -> None:
    for name in ("one", "two", "fine"):
        pypi_env(corral, name, wheels, "six")
    for name in ("one", "two"):
        (corral.link(name) / SITE / "six.py").unlink()
    declined = corral("doctor", "--all", "--fix", input="n\n")
    assert declined.code != 0 and "nothing was changed" in declined.err
    asked = declined.out.split("Repair 2 environment(s)", 1)[1].split("Proceed", 1)[0]
    assert "one: 1 problem(s)" in asked and "two: 1 problem(s)" in asked and "fine" not in asked
    assert corral("doctor", "--all").code == 1  # still broken: nothing was done
    fixed = corral("doctor", "--all", "--fix", input="y\n")
    assert fixed.code == 0, fixed.err
    assert fixed.out.count("Proceed ([y]/n)?") == 1  # one question for all
    assert fixed.out.count("Plan for ") == 2  # then each repair's plan, shown without asking again
    assert "fix: one: built generation 2" in fixed.out and "fix: two: built generation 2" in fixed.out
    after = fixed.out.split("after the repair:\n")[1]
    assert all(f"{n}: healthy" in after for n in ("one", "two", "fine"))
    for name in ("one", "two"):
        assert (corral.link(name) / SITE / "six.py").is_file()
    assert ok(corral, "doctor", "--all", "--fix", "-y").count("nothing to fix") == 1


def test_doctor_names_a_missing_generation_in_words(corral: Corral, wheels: Path) -> None:
    pypi_env(corral, "gone", wheels, "six")
    link = corral.link("gone")
    link.unlink()
    os.symlink(link.parent / "nowhere", link)
    result = corral("doctor", "-n", "gone")
    assert result.code == 1
    assert "gone: 1 problem(s) and no current generation" in result.out and "None" not in result.out


def test_du_shows_the_current_generation_and_how_many_are_kept(corral: Corral, wheels: Path) -> None:
    pypi_env(corral, "web", wheels, "six")
    ok(corral, "install", "-n", "web", "--pip", "tinylib", "--no-index", "--find-links", str(wheels), "-y")
    out = ok(corral, "du")
    row = next(line for line in out.splitlines() if line.startswith("web "))
    assert " 2 (2 kept) " in row and " of " not in row


def test_plan_rows_show_a_version_for_direct_and_editable_pypi_packages(
    corral: Corral, wheels: Path, tmp_path: Path
) -> None:
    if (wheels / "NO-BUILD-WHEELS").exists():
        pytest.skip("setuptools wheels are not available for an editable build")
    wheel = next(wheels.glob("six-*.whl"))
    project = write_setuptools_project(tmp_path / "proj", "mytool", "X = 1\n")
    args = ["-n", "dev", "--python", PYTHON, "--no-index", "--find-links", str(wheels)]
    created = ok(corral, "create", *args, "--pip", f"six @ {wheel.as_uri()}", "-e", str(project), "-y")
    rows = {line.split()[1]: line.split() for line in created.splitlines() if line.startswith("  + ")}
    assert rows["six"][2] == "1.17.0"
    assert rows["mytool"][2:4] == ["editable", "editable"]
    removal = ok(corral, "remove", "-n", "dev", "--pip", "mytool", "six", "--dry-run")
    rows = {line.split()[1]: line.split() for line in removal.splitlines() if line.startswith("  - ")}
    assert rows["six"][2] == "1.17.0" and rows["mytool"][2] == "editable"


@pytest.mark.slow
def test_progress_reaches_a_log_when_output_is_not_a_terminal(corral: Corral, channel: Path, wheels: Path) -> None:
    """Off a terminal (CI logs) each counted task prints a line when it starts and when it ends; --json prints none."""
    result = corral(
        "create", "-n", "ci", "-c", str(channel), "python=3.12", "platformdirs", "--pip", "tinyapp",
        "--no-index", "--find-links", str(wheels), "-y",
    )  # fmt: skip
    assert result.code == 0, result.err
    lines = result.err.splitlines()
    start = next(line for line in lines if line.startswith("Installing: "))
    count = start.split()[1]
    assert start.endswith("B") and " packages, " in start  # packages and their bytes
    end = next(line for line in lines if line.startswith(f"Installing: {count}/{count} packages, "))
    assert " done in " in end
    assert "Installing PyPI packages: 2 packages" in lines
    assert any(line.startswith("Installing PyPI packages: 2/2 packages, done in ") for line in lines)
    quiet = corral("create", "-n", "quiet", "-c", str(channel), "python=3.12", "--json")
    assert quiet.code == 0 and quiet.err == "", quiet.err


@pytest.mark.slow
def test_with_yes_the_plan_is_printed_before_the_pypi_install(corral: Corral, channel: Path, wheels: Path) -> None:
    """The plan is confirmed after the conda side is linked (so it can show link messages and clobbered
    paths) and before anything PyPI is installed: with -y it is printed at that point, not after the work."""
    argv = [sys.executable, "-m", "corral", "create", "-n", "order", "-c", str(channel), "python=3.12"]
    argv += ["--pip", "six", "--no-index", "--find-links", str(wheels), "-y"]
    done = subprocess.run(argv, env=corral.env, cwd=corral.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    text = done.stdout.decode()
    assert done.returncode == 0, text
    assert text.index("Plan for order") < text.index("Installing PyPI packages: 1 package") < text.index("now at")


@pytest.mark.slow
def test_a_slow_index_shows_life_in_a_log(corral: Corral, tmp_path: Path) -> None:
    """uv says nothing while it downloads: off a terminal, a line every 5 s says the step still runs."""
    folder = tmp_path / "wheels"
    write_wheel(folder, "slowpkg", "1.0")
    with serve_simple_index(folder, delay=6.0) as url:
        result = corral("create", "-n", "slow", "--python", PYTHON, "--pip", "slowpkg", "--index-url", url, "-y")
    assert result.code == 0, result.err
    beats = [line for line in result.err.splitlines() if line.endswith(" s)")]
    assert beats, result.err
    assert all("still working (" in line or " package (" in line for line in beats), beats


def test_the_platform_is_known_without_importing_rattler() -> None:
    """A project's run and PyPI-only locks ask for the platform: that must not load rattler (and asyncio)."""
    code = "import sys; from corral.conda.machine import current_platform as c; c(); print('rattler' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
