"""Where a pack lands: deep paths and spaces (long shebangs), other shells' activation, relocation gaps.

Shebang lines are limited to 127 bytes (Linux before 5.1; conda's MAX_SHEBANG_LENGTH in
conda/core/portability.py, pip's and uv's limit) and cannot hold a space: corral-unpack writes
pip's and uv's /bin/sh trampoline for Python scripts there, and conda's `#!/usr/bin/env NAME`
for other interpreters. conda-pack rewrites every shebang to `#!/usr/bin/env NAME` when it packs
(conda_pack/core.py `rewrite_shebang`), which needs an activated environment; these scripts run
from any path without one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import FileEntry, PackageDef, index_channel, write_conda_package
from tests.support.cpython import CPythonUnavailable, add_cached_cpython

pytestmark = pytest.mark.slow
CONDA_APP = "def main():\n    import sys\n    print('condaapp runs in', sys.prefix)\n"
DATA_SCRIPT = "#!python\nimport sys\nprint('mytool runs in', sys.prefix)\n"


def ok(result: object) -> None:
    code, err = getattr(result, "code"), getattr(result, "err")  # noqa: B009
    assert code == 0, err


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CONDA_", "CORRAL_", "VIRTUAL_ENV"))}
    env.update(kw.pop("env", {}))  # type: ignore[call-overload]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, **kw)  # type: ignore[call-overload, no-any-return]


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_data_script_wheel(folder: Path) -> None:
    """A wheel with a `#!python` script in its .data/scripts (as pip's own scripts once were), no entry point."""
    files = {
        "mytool.py": b"",
        "mytool-1.0.data/scripts/mytool": DATA_SCRIPT.encode(),
        "mytool-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: mytool\nVersion: 1.0\n",
        "mytool-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in files.items()) + "mytool-1.0.dist-info/RECORD,,\n"
    files["mytool-1.0.dist-info/RECORD"] = record.encode()
    with zipfile.ZipFile(folder / "mytool-1.0-py3-none-any.whl", "w") as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path)
            info.external_attr = 0o755 << 16
            archive.writestr(info, data)


@pytest.fixture(scope="module")
def scripts_channel(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """CPython and a noarch: python package with an entry point (rattler writes it, naming the prefix)."""
    chan = tmp_path_factory.mktemp("scripts-channel")
    assert pytestconfig.cache is not None
    try:
        add_cached_cpython(chan, Path(pytestconfig.cache.mkdir("corral-cpython")))
    except CPythonUnavailable as exc:
        pytest.skip(f"no CPython to package: {exc}")
    link = {"noarch": {"type": "python", "entry_points": ["condaapp = condaapp:main"]}, "package_metadata_version": 1}
    files = {"site-packages/condaapp.py": FileEntry(CONDA_APP.encode())}
    write_conda_package(chan, PackageDef("condaapp", "1.0", depends=("python",), noarch="python", files=files,
                                         link_json=link))  # fmt: skip
    write_conda_package(chan, hooks_package())
    index_channel(chan)
    return chan


HOOKS = {  # what each kind of activate.d/deactivate.d script does in its own shell
    "sh": ("export HOOK_RAN=sh\n", "echo bye-sh\nunset HOOK_RAN\n"),
    "fish": ("set -gx HOOK_RAN fish\n", "echo bye-fish\nset -e HOOK_RAN\n"),
    "csh": ("setenv HOOK_RAN csh\n", "echo bye-csh\nunsetenv HOOK_RAN\n"),
}


def hooks_package() -> PackageDef:
    """A conda package with activate.d and deactivate.d scripts for sh, fish and csh, as conda packages ship them."""
    files = {}
    for kind, (on, off) in HOOKS.items():
        files[f"etc/conda/activate.d/hooks.{kind}"] = FileEntry(on.encode())
        files[f"etc/conda/deactivate.d/hooks.{kind}"] = FileEntry(off.encode())
    return PackageDef("hooks", "1.0", files=files)


@pytest.fixture
def script_wheels(wheels: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    shutil.copytree(wheels, folder)
    write_data_script_wheel(folder)
    return folder


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder under /tmp (pytest's own paths are long already)."""
    folder = Path(tempfile.mkdtemp(prefix="pu", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def deep_dir(base: Path, length: int) -> Path:
    """A folder under `base` whose path is `length` bytes long and holds a space."""
    path = str(base / "with space")
    while len(path) < length:
        path += "/" + "d" * min(length - len(path) - 1, 60)
    return Path(path)


def make_scripts_env(corral: Corral, chan: Path, wheels: Path) -> None:
    ok(corral("create", "-n", "s", "-c", str(chan), "python", "condaapp", "--pip", "tinyapp", "mytool",
              "--no-index", "--find-links", str(wheels), "-y"))  # fmt: skip


SCRIPTS = ("tinyapp", "condaapp", "mytool")  # a wheel's console script, conda's entry point, a wheel's data script


def test_scripts_run_from_a_200_byte_path_with_a_space_and_again_after_a_move(
    corral: Corral, scripts_channel: Path, script_wheels: Path, tmp_path: Path, scratch: Path
) -> None:
    make_scripts_env(corral, scripts_channel, script_wheels)
    ok(corral("pack", "-n", "s", "-o", str(tmp_path / "s.tar.gz")))
    shutil.rmtree(corral.root)
    dest = deep_dir(scratch, 200)
    dest.mkdir(parents=True)
    with tarfile.open(tmp_path / "s.tar.gz") as tar:
        tar.extractall(dest, filter="data")
    fixed = run([str(dest / "bin" / "corral-unpack"), "-v"])
    assert fixed.returncode == 0, fixed.stderr
    for name in SCRIPTS:
        head = (dest / "bin" / name).read_bytes().split(b"\n", 2)
        assert head[0] == b"#!/bin/sh" and head[1].startswith(f"'''exec' '{dest}/bin/python".encode()), head
        by_path = run([str(dest / "bin" / name)])
        expected = "tinyapp runs with tinylib" if name == "tinyapp" else f"{name} runs in {dest}\n"
        assert by_path.returncode == 0 and by_path.stdout.startswith(expected), (name, by_path.stderr)
        on_path = run(["sh", "-c", name], env={"PATH": f"{dest}/bin:/usr/bin:/bin"}, cwd="/")
        assert on_path.returncode == 0 and on_path.stdout == by_path.stdout, (name, on_path.stderr)
    # Moved to a short path and fixed up again: plain shebangs once more.
    short = scratch / "short"
    dest.rename(short)
    again = run([str(short / "bin" / "corral-unpack")])
    assert again.returncode == 0, again.stderr
    for name in SCRIPTS:
        first = (short / "bin" / name).read_bytes().split(b"\n", 1)[0]
        assert first.startswith(f"#!{short}/bin/python".encode()), first
        assert run([str(short / "bin" / name)]).returncode == 0


def test_check_unpacks_deep_with_a_space_and_runs_the_scripts_headers(
    corral: Corral, scripts_channel: Path, script_wheels: Path, tmp_path: Path
) -> None:
    make_scripts_env(corral, scripts_channel, script_wheels)
    ok(corral("pack", "-n", "s", "-o", str(tmp_path / "s.zip")))
    checked = corral("pack", "--check", str(tmp_path / "s.zip"), "--json")
    ok(checked)
    doc = checked.json()["result"]
    assert len(doc["prefix"]) >= 190 and " " in doc["prefix"] and doc["fixed"] >= 3
    # A script whose interpreter cannot be found where it lands fails the check, naming it.
    broken = tmp_path / "broken"
    ok(corral("pack", "-n", "s", "-o", str(broken), "--format", "dir"))
    for name, interpreter in (("tinyapp", b"python3.99"), ("mytool", b"nosuchtool")):
        script = broken / "bin" / name
        script.write_bytes(script.read_bytes().replace(b"/bin/python\n", b"/bin/" + interpreter + b"\n", 1))
    failed = corral("pack", "--check", str(broken))
    assert failed.code == 1 and "scripts would not run" in failed.err, failed.err
    assert "bin/tinyapp" in failed.err and "python3.99 is not an executable" in failed.err
    assert "bin/mytool" in failed.err and "nosuchtool is neither in the environment" in failed.err


def test_script_headers_follow_conda_and_pip_rules() -> None:
    """Plain when it fits; pip/uv's trampoline for python; conda's env for other interpreters or odd paths."""
    from corral.pack.corral_unpack import make_header, script_header, text_replace

    old, short, deep = b"/old/env", b"/new", b"/" + b"x" * 130
    script = old + b"/bin/python3.12 -E\nprint(1)  # " + old + b"\n"
    assert text_replace(b"#!" + script, old, short) == b"#!/new/bin/python3.12 -E\nprint(1)  # /new\n"
    long = text_replace(b"#!" + script, old, deep)
    assert long.startswith(b"#!/bin/sh\n'''exec' '" + deep + b"/bin/python3.12' '-E' \"$0\" \"$@\"\n' '''\n")
    assert long.endswith(b"\nprint(1)  # " + deep + b"\n")
    assert script_header(long) == (deep + b"/bin/python3.12", [b"-E"], long.index(b"print"))
    assert text_replace(long, deep, short) == b"#!/new/bin/python3.12 -E\nprint(1)  # /new\n"  # back to plain
    compile(long, "long", "exec")  # still Python
    assert make_header(b"/a b/bin/perl", []) == b"#!/usr/bin/env perl\n"
    assert make_header(b"/it's a/bin/python", []) == b"#!/usr/bin/env python\n"  # a quote cannot go in the trampoline
    assert make_header(b"/a b/bin/python3.13t", []).startswith(b"#!/bin/sh\n'''exec' '/a b/bin/python3.13t'")
    assert text_replace(b"#!/usr/bin/env python\n" + old, old, short) == b"#!/usr/bin/env python\n" + short


# shell -> (its script kind, how it runs a file, the activation file, a script printing the state)
SHELLS = {
    "dash": ("sh", ["dash"], "activate", ". '{d}/bin/activate'\n{show}deactivate\n{show}"),
    "bash": ("sh", ["bash", "--norc"], "activate", ". '{d}/bin/activate'\n{show}deactivate\n{show}"),
    "zsh": ("sh", ["zsh", "-f"], "activate", ". '{d}/bin/activate'\n{show}deactivate\n{show}"),
    "fish": ("fish", ["fish", "--no-config"], "activate.fish",
             "source '{d}/bin/activate.fish'\n{show}deactivate\n{show}"),
    "tcsh": ("csh", ["tcsh", "-f"], "activate.csh", "source '{d}/bin/activate.csh'\n{show}deactivate\n{show}"),
}  # fmt: skip
SHOW = {
    "sh": 'echo "state|$(command -v python)|${CONDA_PREFIX-none}|${MY_VAR-none}|${HOOK_RAN-none}"\n',
    "fish": 'echo "state|$(command -v python)|$(set -q CONDA_PREFIX; and echo $CONDA_PREFIX; or echo none)'
    '|$MY_VAR|$(set -q HOOK_RAN; and echo $HOOK_RAN; or echo none)"\n',
    "csh": "set _p = \"`sh -c 'command -v python'`\"\nif ( ! $?CONDA_PREFIX ) setenv CONDA_PREFIX none\n"
    'if ( ! $?HOOK_RAN ) setenv HOOK_RAN none\necho "state|$_p|$CONDA_PREFIX|$MY_VAR|$HOOK_RAN"\n'
    'if ( "$CONDA_PREFIX" == none ) unsetenv CONDA_PREFIX\nif ( $HOOK_RAN == none ) unsetenv HOOK_RAN\n',
}


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_activation_in_each_shell_sets_path_prefix_variables_and_runs_only_its_own_hooks(
    corral: Corral, scripts_channel: Path, script_wheels: Path, tmp_path: Path, scratch: Path, shell: str
) -> None:
    kind, argv, _, template = SHELLS[shell]
    if not shutil.which(argv[0]):
        pytest.skip(f"{argv[0]} is not installed")
    ok(corral("create", "-n", "h", "-c", str(scripts_channel), "python", "hooks", "-y"))
    ok(corral("env", "config", "vars", "set", "-n", "h", "MY_VAR=two words", "-y"))
    ok(corral("pack", "-n", "h", "-o", str(tmp_path / "h.tar.gz")))
    shutil.rmtree(corral.root)
    dest = scratch / "the env"
    dest.mkdir()
    with tarfile.open(tmp_path / "h.tar.gz") as tar:
        tar.extractall(dest, filter="data")
    ok_unpack = run([str(dest / "bin" / "corral-unpack")])
    assert ok_unpack.returncode == 0, ok_unpack.stderr
    script = tmp_path / f"try.{kind}"
    script.write_text(template.format(d=dest, show=SHOW[kind]))
    env = {"PATH": "/usr/bin:/bin", "MY_VAR": "before", "HOME": str(tmp_path)}
    done = run([*argv, str(script)], env=env, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    states = [line.split("|")[1:] for line in done.stdout.splitlines() if line.startswith("state|")]
    assert states == [
        [f"{dest}/bin/python", str(dest), "two words", kind],
        [shutil.which("python", path="/usr/bin:/bin") or "", "none", "before", "none"],
    ], done.stdout + done.stderr
    assert f"bye-{kind}" in done.stdout and not any(f"bye-{k}" in done.stdout for k in HOOKS if k != kind)


WRITE_AS_A_PROGRAM = """
import json, os, sys, sysconfig
kernel = os.path.join(sys.prefix, "share", "jupyter", "kernels", "k")
os.makedirs(kernel)
with open(os.path.join(kernel, "kernel.json"), "w") as out:  # as `ipykernel install --sys-prefix` does
    json.dump({"argv": [sys.executable, "-m", "ipykernel_launcher"]}, out)
os.makedirs(os.path.join(sys.prefix, "extra"))
with open(os.path.join(sys.prefix, "extra", "mod_extra.py"), "w") as out:
    out.write("VALUE = 7\\n")
with open(os.path.join(sysconfig.get_paths()["purelib"], "extra.pth"), "w") as out:
    out.write(os.path.join(sys.prefix, "extra") + "\\n")
os.symlink(os.path.join(sys.prefix, "bin", "python3"), os.path.join(sys.prefix, "share", "py-by-link"))
print(sys.prefix)
"""


def test_files_and_links_naming_the_stable_path_move_with_the_pack(
    corral: Corral, scripts_channel: Path, tmp_path: Path, scratch: Path
) -> None:
    """A python run through envs/NAME has that as sys.prefix: what programs write from it must move too."""
    ok(corral("create", "-n", "g", "-c", str(scripts_channel), "python", "-y"))
    link, generation = corral.link("g"), corral.link("g").resolve()
    wrote = run([str(link / "bin" / "python"), "-c", WRITE_AS_A_PROGRAM])
    assert wrote.returncode == 0 and wrote.stdout.strip() == str(link), wrote.stderr
    os.symlink(generation / "bin" / "python3", generation / "share" / "py-by-generation")
    ok(corral("pack", "-n", "g", "-o", str(tmp_path / "g.tar.gz")))
    ok(corral("pack", "--check", str(tmp_path / "g.tar.gz")))
    shutil.rmtree(corral.root)
    dest = scratch / "moved"
    dest.mkdir()
    with tarfile.open(tmp_path / "g.tar.gz") as tar:
        tar.extractall(dest, filter="data")
    fixed = run([str(dest / "bin" / "corral-unpack")])
    assert fixed.returncode == 0, fixed.stderr
    kernel = json.loads((dest / "share" / "jupyter" / "kernels" / "k" / "kernel.json").read_text())
    assert kernel["argv"][0] == f"{dest}/bin/python"
    imported = run([str(dest / "bin" / "python"), "-c", "import mod_extra; print(mod_extra.__file__)"])
    assert imported.stdout.strip() == f"{dest}/extra/mod_extra.py", imported.stderr
    for name in ("py-by-link", "py-by-generation"):
        assert not os.path.isabs(os.readlink(dest / "share" / name))
        assert (dest / "share" / name).resolve() == (dest / "bin" / "python3").resolve()
    for path in dest.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.suffix != ".pyc":
            data = path.read_bytes()
            assert str(link).encode() not in data and str(generation).encode() not in data, path


def test_bytecode_still_matches_its_source_after_a_tar_pack_moves(
    corral: Corral, scripts_channel: Path, tmp_path: Path, scratch: Path
) -> None:
    """Members get the archive's one mtime: a .pyc must name it, or a read-only unpack recompiles on every start."""
    ok(corral("create", "-n", "b", "-c", str(scripts_channel), "python", "condaapp", "-y"))
    generation = corral.link("b").resolve()
    site = next(generation.glob("lib/python3*/site-packages"))
    assert run([str(generation / "bin" / "python"), "-m", "compileall", "-q", str(site)]).returncode == 0
    ok(corral("pack", "-n", "b", "-o", str(tmp_path / "b.tar.gz")))
    dest = scratch / "b"
    dest.mkdir()
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        tar.extractall(dest, filter="data")
    assert run([str(dest / "bin" / "corral-unpack")]).returncode == 0
    for path in dest.rglob("*"):
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o222)  # read-only, as for another user
    try:
        shown = run([str(dest / "bin" / "python"), "-v", "-c", "import condaapp"])
        assert shown.returncode == 0, shown.stderr
        assert "matches" in shown.stderr and "condaapp.py" in shown.stderr
        assert "bytecode is stale for 'condaapp'" not in shown.stderr
    finally:
        for path in dest.rglob("*"):
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o200)
