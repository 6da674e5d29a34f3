"""`corral pack`: relocatable, deterministic archives that run where they are unpacked, with no corral there.

The fix-up pins conda-pack's behaviour (conda_pack/prefixes.py `update_prefix`, `text_replace`,
`binary_replace`; conda_pack/core.py `rewrite_conda_meta`), itself conda's
(conda/core/portability.py `replace_prefix`, `binary_replace`): text files get the new prefix
wherever the old one stands; in binary files each NUL-terminated string holding the old prefix
gets the new one and is padded with NULs to its old length, so a longer new prefix is refused
(conda raises PaddingError, conda-pack "negative padding"); conda-meta records lose
`extracted_package_dir`, `package_tarball_full_path` and `link.source`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import PLACEHOLDER

pytestmark = pytest.mark.slow
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"
PYPI = ("--pip", "tinyapp", "--no-index", "--find-links")


def ok(result: object) -> None:
    code, err = getattr(result, "code"), getattr(result, "err")  # noqa: B009
    assert code == 0, err


def make_env(corral: Corral, channel: Path, wheels: Path, name: str = "e") -> Path:
    """A conda python with a noarch package, a package with text and binary placeholders, a PyPI entry point."""
    ok(corral("create", "-n", name, "-c", str(channel), "python", "filelock", "prefixed", *PYPI, str(wheels), "-y"))
    return corral.link(name).resolve()


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path that every user can enter (pytest's own are 0700, and long)."""
    folder = Path(tempfile.mkdtemp(prefix="pk", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def unpack(archive: Path, dest: Path) -> None:
    dest.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CONDA_", "CORRAL_", "VIRTUAL_ENV"))}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, **kw)  # type: ignore[call-overload, no-any-return]


def test_pack_moves_to_another_root_without_corral_and_its_programs_run(
    corral: Corral, channel: Path, wheels: Path, tmp_path: Path, short_dir: Path
) -> None:
    prefix = make_env(corral, channel, wheels)
    res = corral("pack", "-n", "e", "-o", str(tmp_path / "e.tar.gz"))
    ok(res)
    assert "Python 3." in res.out and "same minor version" in res.out
    shutil.rmtree(corral.root)  # no store, no caches: only the archive is left
    dest = short_dir / "env"
    unpack(tmp_path / "e.tar.gz", dest)
    fixed = run([str(dest / "bin" / "corral-unpack"), "-v"])
    assert fixed.returncode == 0, fixed.stderr
    assert f"now name {dest}" in fixed.stderr
    # A conda text placeholder, a conda binary placeholder (padded with NULs), a PyPI entry point's shebang.
    assert run([str(dest / "bin" / "prefixed")]).stdout == f"prefix={dest}\n"
    binary = (dest / "lib" / "prefixed.bin").read_bytes()
    assert binary.startswith(b"\x00\x01ELF-ish\x00" + str(dest).encode() + b"/lib\x00")
    assert len(binary) == len(b"\x00\x01ELF-ish\x00" + PLACEHOLDER.encode() + b"/lib\x00tail\x00")
    assert run([str(dest / "bin" / "tinyapp")]).stdout.startswith("tinyapp runs with tinylib")
    probe = "import sys, filelock, tinylib; print(sys.prefix)"
    assert run([str(dest / "bin" / "python"), "-c", probe]).stdout.strip() == str(dest)
    # No file names the packed path any more, except bytecode's source names (as with conda-pack).
    for path in dest.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.suffix != ".pyc":
            assert str(prefix).encode() not in path.read_bytes(), path
    # Activation without corral, in a POSIX shell.
    shown = run(
        [
            "sh",
            "-c",
            f". {dest}/bin/activate && command -v python && echo $CONDA_PREFIX"
            " && deactivate && echo ${CONDA_PREFIX:-none}",
        ]
    )
    assert shown.stdout.split() == [f"{dest}/bin/python", str(dest), "none"], shown.stderr


def test_a_longer_path_is_refused_for_binary_placeholders_and_nothing_changes(
    corral: Corral, channel: Path, wheels: Path, tmp_path: Path
) -> None:
    prefix = make_env(corral, channel, wheels)
    ok(corral("pack", "-n", "e", "-o", str(tmp_path / "e.tar.gz")))
    dest = tmp_path / ("x" * (len(str(prefix)) + 1 - len(str(tmp_path)))) / "env"
    unpack(tmp_path / "e.tar.gz", dest)
    before = (dest / "bin" / "prefixed").read_bytes()
    refused = run([str(dest / "bin" / "corral-unpack")])
    assert refused.returncode == 3
    assert "lib/prefixed.bin" in refused.stderr and f"at most {len(str(prefix))} bytes" in refused.stderr
    assert (dest / "bin" / "prefixed").read_bytes() == before


def test_the_same_generation_packs_to_the_same_bytes(
    corral: Corral, channel: Path, wheels: Path, tmp_path: Path
) -> None:
    make_env(corral, channel, wheels)
    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    first = corral("pack", "-n", "e", "-o", str(tmp_path / "a.tar.gz"), "--json", extra_env=epoch)
    ok(first)
    ok(corral("pack", "-n", "e", "-o", str(tmp_path / "b.tar.gz"), extra_env=epoch))
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    doc = first.json()["result"]
    assert doc["format"] == "tar.gz" and doc["python"].startswith("3.") and doc["binary_fixups"] == 1
    raw = (tmp_path / "a.tar.gz").read_bytes()
    assert raw[4:8] == (1700000000).to_bytes(4, "little")  # gzip's header mtime, and no file name (flag bit 3)
    assert not raw[3] & 0x08
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        members = tar.getmembers()
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", 1700000000)}
    names = [m.name for m in members]
    added = ["bin/activate", "bin/activate.csh", "bin/activate.fish", "bin/corral-unpack", "bin/deactivate",
             "bin/deactivate.csh", "bin/deactivate.fish", "share/corral/pack.json"]  # fmt: skip
    assert names[-8:] == added and len(set(names)) == len(names)
    assert "conda-meta/corral" not in names and "bin/pip" not in names
    assert not any(n.endswith("EXTERNALLY-MANAGED") for n in names)
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        meta = [json.load(tar.extractfile(m)) for m in members if re.fullmatch(r"conda-meta/[^/]+\.json", m.name)]  # type: ignore[arg-type]
    assert meta and all(r["extracted_package_dir"] == "" and r["link"]["source"] == "" for r in meta)
    assert gzip.decompress(raw)[:100].startswith(b"CACHEDIR.TAG")


def test_zip_and_folder_packs_pass_the_check_and_check_reports_the_python(
    corral: Corral, channel: Path, wheels: Path, tmp_path: Path
) -> None:
    make_env(corral, channel, wheels)
    for out, extra in (("e.zip", ()), ("e-dir", ("--format", "dir")), ("e.tar.gz", ())):
        ok(corral("pack", "-n", "e", "-o", str(tmp_path / out), *extra))
        checked = corral("pack", "--check", str(tmp_path / out), "--json")
        ok(checked)
        doc = checked.json()["result"]
        assert doc["ok"] and doc["python"].startswith("3.") and doc["fixed"] >= 3
        assert doc["prefix"].startswith(tempfile.gettempdir())
    mode = (tmp_path / "e-dir" / "bin" / "corral-unpack").stat().st_mode
    assert stat.S_IMODE(mode) == 0o755
    again = corral("pack", "-n", "e", "-o", str(tmp_path / "e.zip"))
    assert again.code == 1 and "--force" in again.err
    ok(corral("pack", "-n", "e", "-o", str(tmp_path / "e.zip"), "--force"))


def test_a_broken_archive_fails_the_check_with_a_message(corral: Corral, tmp_path: Path) -> None:
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    res = corral("pack", "--check", str(tmp_path / "junk.tar.gz"))
    assert res.code == 1 and "cannot unpack" in res.err and "Traceback" not in res.err
    missing = corral("pack", "--check", str(tmp_path / "nope.tar.gz"))
    assert missing.code == 1 and "no archive" in missing.err


def test_found_interpreters_and_editables_are_refused_with_a_hint(
    corral: Corral, channel: Path, wheels: Path, tmp_path: Path
) -> None:
    ok(corral("create", "-n", "venv", "--python", "3.12", "-y"))
    refused = corral("pack", "-n", "venv", "-o", str(tmp_path / "v.tar.gz"))
    assert refused.code == 1 and "found on this machine" in refused.err and "python=3.12" in refused.err
    assert not (tmp_path / "v.tar.gz").exists()
    if (wheels / "NO-BUILD-WHEELS").exists():
        pytest.skip("no setuptools/wheel wheels available to build editables offline")
    from tests.support.pypi import write_setuptools_project

    project = write_setuptools_project(tmp_path / "mylib", "mylib", "ANSWER = 1\n")
    made = corral("create", "-n", "dev", "-c", str(channel), "python", "-e", str(project), "--no-index",
                  "--find-links", str(wheels), "-y")  # fmt: skip
    ok(made)
    refused = corral("pack", "-n", "dev", "-o", str(tmp_path / "d.tar.gz"), "--json")
    assert refused.code == 1
    error = refused.json()["error"]
    assert error["code"] == "pack-refused" and "mylib" in error["message"] and "without -e" in error["hint"]


def _final_stage_steps() -> tuple[list[str], str]:
    """The RUN lines and the CMD of the last stage of the guide's Dockerfile."""
    text = GUIDE.read_text(encoding="utf-8")
    dockerfile = text.split("```dockerfile\n", 1)[1].split("```", 1)[0]
    final = dockerfile.rsplit("\nFROM ", 1)[1].replace("\\\n", "")
    runs = [line[4:] for line in final.splitlines() if line.startswith("RUN ")]
    cmd = next(line[4:] for line in final.splitlines() if line.startswith("CMD "))
    return runs, cmd


def test_the_guides_container_recipe_runs_as_another_user_with_the_store_gone(
    corral: Corral, channel: Path, wheels: Path, tmp_path: Path, short_dir: Path
) -> None:
    """The final stage's RUN lines, as written in docs/guide.md, with /opt/env and /tmp/env.tar.gz moved here."""
    make_env(corral, channel, wheels, name="app")
    ok(corral("pack", "-n", "app", "-o", str(tmp_path / "env.tar.gz")))
    ok(corral("pack", "--check", str(tmp_path / "env.tar.gz")))
    shutil.rmtree(corral.root)
    env_dir, archive = short_dir / "opt" / "env", short_dir / "env.tar.gz"
    shutil.copy(tmp_path / "env.tar.gz", archive)  # COPY --from=build
    runs, cmd = _final_stage_steps()
    assert runs, "the guide's recipe lost its final stage"
    for step in runs:
        step = step.replace("/opt/env", str(env_dir)).replace("/tmp/env.tar.gz", str(archive))
        done = run(["sh", "-ec", step])
        assert done.returncode == 0, f"{step}\n{done.stderr}"
    assert not archive.exists()
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("running as another user needs root and setpriv")
    as_nobody = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "env",
        f"PATH={env_dir}/bin:/usr/bin:/bin",
    ]
    shown = run([*as_nobody, *json.loads(cmd)], cwd="/")
    assert shown.returncode == 0 and shown.stdout.strip() == str(env_dir), shown.stderr
    programs = run([*as_nobody, "sh", "-c", "prefixed && tinyapp && python -c 'import filelock'"], cwd="/")
    assert programs.returncode == 0, programs.stderr
    assert programs.stdout.splitlines()[0] == f"prefix={env_dir}"


def test_block_parallel_gzip_gives_the_same_bytes_whatever_the_threads(tmp_path: Path) -> None:
    import io
    import random

    from corral.pack.writers import ParallelGzip

    data = random.Random(7).randbytes(ParallelGzip.BLOCK * 2 + 12345) + b"a" * ParallelGzip.BLOCK
    outputs = []
    for threads in (1, 3):
        raw = io.BytesIO()
        gz = ParallelGzip(raw, 4, 1234, threads)
        for start in range(0, len(data), 70000):
            gz.write(data[start : start + 70000])
        gz.close()
        outputs.append(raw.getvalue())
    assert outputs[0] == outputs[1] and gzip.decompress(outputs[0]) == data
    empty = io.BytesIO()
    ParallelGzip(empty, 4, 0, 2).close()
    assert gzip.decompress(empty.getvalue()) == b""


def test_binary_replacement_pads_each_string_and_text_replacement_is_plain() -> None:
    """conda's binary_replace (conda/core/portability.py): per NUL-terminated string, padding = shrink x count."""
    from corral.pack.corral_unpack import binary_replace

    old, new = b"/very/long/old/prefix", b"/new"
    data = b"A\0" + old + b"/lib:" + old + b"/bin\0tail" + old + b"\0"
    fixed = binary_replace(data, old, new)
    assert len(fixed) == len(data)
    pad = len(old) - len(new)
    assert fixed == b"A\0" + new + b"/lib:" + new + b"/bin\0" + b"\0" * (2 * pad) + b"tail" + new + b"\0" + b"\0" * pad
