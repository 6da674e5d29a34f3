"""Environment files end to end: create -f, layering, env update, exports that recreate the environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow


def packages(corral: Corral, env: str) -> dict[str, tuple[str, str, str]]:
    """name -> (version, build, kind) of an environment's packages."""
    result = corral("list", "-n", env, "--json")
    assert result.code == 0, result.err
    return {p["name"]: (p["version"], p["build"], p["kind"]) for p in result.json()["result"]["packages"]}


def export(corral: Corral, env: str, *args: str) -> str:
    result = corral("export", "-n", env, *args)
    assert result.code == 0, result.err
    return result.out


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def mixed_file(folder: Path, channel: Path, wheels: Path) -> Path:
    return write(
        folder / "environment.yml",
        f"""# a service: conda packages from the local channel, PyPI packages from a folder of wheels
name: svc
channels:
  - {channel}
  - nodefaults
dependencies:
  - python=3.12
  - liba=1.0
  - platformdirs
  - pip:
    - --no-index
    - --find-links {wheels}
    - tinyapp
    - tinylib==1.0
variables:
  OMP_NUM_THREADS: 4
  RATIO: 1.10
""",
    )


def test_environment_yml_with_pip_section_round_trips_exactly(corral: Corral, channel: Path, wheels: Path) -> None:
    made = corral("create", "-f", str(mixed_file(corral.cwd, channel, wheels)), "-y")
    assert made.code == 0, made.err
    original = packages(corral, "svc")
    assert original["liba"][0] == "1.0" and original["tinylib"] == ("1.0", "", "pypi")
    assert original["tinyapp"][2] == "pypi" and original["python"][0] == "3.12.1"
    tool = subprocess.run([str(corral.link("svc") / "bin" / "tinyapp")], capture_output=True, text=True, check=True)
    assert "tinylib 1.0" in tool.stdout

    full = export(corral, "svc")
    assert "  - liba=1.0=" in full and "    - tinylib==1.0" in full and 'OMP_NUM_THREADS: "4"' in full
    assert 'RATIO: "1.10"' in full  # the text as written, not the float 1.1
    write(corral.cwd / "full.yml", full)
    again = corral("create", "-n", "copy", "-f", "full.yml", "-y")
    assert again.code == 0, again.err
    assert packages(corral, "copy") == original
    assert export(corral, "copy").replace("name: copy", "name: svc") == full  # stable: export -> create -> export

    for flags in (("--no-builds",), ("--from-history",)):
        write(corral.cwd / "other.yml", export(corral, "svc", *flags))
        name = "nb" if flags == ("--no-builds",) else "fh"
        assert corral("create", "-n", name, "-f", "other.yml", "-y").code == 0
        assert {k: v[0] for k, v in packages(corral, name).items()} == {k: v[0] for k, v in original.items()}


def test_explicit_export_recreates_builds_and_refuses_a_changed_hash(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "a", "-c", str(channel), "python", "app", "-y").code == 0
    text = export(corral, "a", "--format", "explicit")
    assert "@EXPLICIT" in text and "# platform: linux-64" in text
    lines = [line for line in text.splitlines() if "://" in line]
    assert all("#" in line for line in lines)
    # Dependencies come before what needs them: explicit files are installed without a solve.
    order = [line.rsplit("/", 1)[1].split("-")[0] for line in lines]
    assert order.index("liba") < order.index("app")
    write(corral.cwd / "explicit.txt", text)
    made = corral("create", "-n", "b", "-f", "explicit.txt", "-y")
    assert made.code == 0, made.err
    assert packages(corral, "b") == packages(corral, "a")

    url = lines[0].split("#")[0]
    write(corral.cwd / "tampered.txt", text.replace(lines[0], f"{url}#{'0' * 32}"))
    refused = corral("create", "-n", "c", "-f", "tampered.txt", "-y")
    assert refused.code == 1 and "differ from the explicit file" in refused.err and "Traceback" not in refused.err
    assert not corral.link("c").exists() and not (corral.root / "generations" / "c").exists()


def test_layered_files_merge_and_export_as_one_file(corral: Corral, channel: Path, wheels: Path) -> None:
    base = write(
        corral.cwd / "base.yml",
        f"channels: [{channel}]\ndependencies:\n  - python=3.12\n  - liba=1.0\n  - pip:\n"
        f"    - --no-index\n    - --find-links {wheels}\n    - tinylib==1.0\nvariables:\n  A: base\n  B: base\n",
    )
    service = "dependencies:\n  - liba=2.0\n  - pip:\n    - six\n    - tinylib>=2\nvariables:\n  B: svc\n"
    write(corral.cwd / "svc.yml", "name: svc\n" + service)
    write(corral.cwd / "svc-inc.yml", "name: inc\ninclude: base.yml\n" + service)
    assert corral("create", "-f", str(base), "-f", "svc.yml", "-y").code == 0
    assert corral("create", "-f", "svc-inc.yml", "-y").code == 0
    for env in ("svc", "inc"):
        got = packages(corral, env)
        assert got["liba"][0] == "2.0" and got["tinylib"][0] == "2.0" and "six" in got
    merged = export(corral, "svc", "--from-history")
    assert merged == export(corral, "inc", "--from-history").replace("name: inc", "name: svc")
    assert "liba 2.0.*" in merged and "liba 1.0" not in merged and "tinylib>=2" in merged
    assert "  A: base\n  B: svc\n" in merged and "include" not in merged


def test_requirements_file_on_found_python_and_its_export(corral: Corral, wheels: Path) -> None:
    write(corral.cwd / "requirements.txt", f"--find-links {wheels}\n--no-index\ntinyapp  # the tool\nsix>=1\n")
    made = corral("create", "-n", "api", "-f", "requirements.txt", "--python", "3.12", "-y")
    assert made.code == 0, made.err
    pinned = export(corral, "api", "--format", "requirements.txt")
    assert "tinyapp==1.0" in pinned and "tinylib==2.0" in pinned and "# Python 3.12" in pinned
    write(corral.cwd / "pinned.txt", pinned.replace("tinylib==2.0", "tinylib==1.0"))
    again = corral("create", "-n", "api2", "-f", "pinned.txt", "--python", "3.12", "-y")
    assert again.code == 0, again.err
    assert packages(corral, "api2")["tinylib"][0] == "1.0"
    # environment.yml of a found-interpreter environment records the Python, and takes it back.
    write(corral.cwd / "api.yml", export(corral, "api").replace("name: api", "name: api3"))
    assert "python: 3.12" in (corral.cwd / "api.yml").read_text()
    assert corral("create", "-f", "api.yml", "-y").code == 0
    assert packages(corral, "api3") == packages(corral, "api")
    # PEP 751: every artifact with its sha256, and taken back as exact requests.
    lock = export(corral, "api", "--format", "pylock.toml")
    assert 'lock-version = "1.0"' in lock and "sha256" in lock and 'name = "tinylib"' in lock
    write(corral.cwd / "pylock.toml", lock)
    assert corral("create", "-n", "api4", "-f", "pylock.toml", "--python", "3.12", "-y").code == 0
    assert packages(corral, "api4") == packages(corral, "api")
    no_python = corral("create", "-n", "x", "-f", "requirements.txt", "-y")
    assert no_python.code == 1 and "--python" in no_python.err


def test_env_update_adds_and_prune_drops(corral: Corral, channel: Path) -> None:
    assert corral("create", "-n", "u", "-c", str(channel), "python", "liba=1.0", "filelock", "-y").code == 0
    write(corral.cwd / "more.yml", f"channels: [{channel}]\ndependencies:\n  - liba=2.0\n  - platformdirs\n")
    updated = corral("env", "update", "-n", "u", "-f", "more.yml", "-y")
    assert updated.code == 0, updated.err
    got = packages(corral, "u")
    assert got["liba"][0] == "2.0" and "platformdirs" in got and "filelock" in got and "python" in got
    write(corral.cwd / "exact.yml", f"channels: [{channel}]\ndependencies:\n  - python\n  - liba\n")
    pruned = corral("env", "update", "-n", "u", "-f", "exact.yml", "--prune", "-y")
    assert pruned.code == 0, pruned.err
    got = packages(corral, "u")
    assert "filelock" not in got and "platformdirs" not in got and got["liba"][0] == "2.0"
    assert corral("rollback", "-n", "u", "-y").code == 0
    assert "filelock" in packages(corral, "u")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: bad\ndependencies:\n  - python\n - liba\n", "bad.yml:4:"),
        ("name: bad\ndependecies:\n  - liba\n", "bad.yml:2:1: unknown key 'dependecies': did you mean 'dependencies'?"),
        ("name: bad\ndependencies:\n  - python=3.12\n     - liba\n", "bad.yml:4:6: a list item inside a spec"),
        ("name: bad\ndependencies:\n  - liba: 1.0\n", "bad.yml:3:5: 'liba: 1.0' is a mapping, not a conda spec"),
        ("name: bad\ndependencies:\n\t- liba\n", "bad.yml:3:1: not valid YAML: found character '\\t'"),
        ("name: bad\ndependencies:\n  - 'numpy >>> 1'\n", "bad.yml:3:5: invalid package spec"),
        ("name: bad\ninclude: missing.yml\n", "missing.yml does not exist (included from"),
        ("name: bad\ndependencies:\n  - pip:\n    - 'requests >='\n", "bad.yml:4:7: invalid PyPI requirement"),
    ],
)
def test_bad_files_name_the_place_and_create_nothing(corral: Corral, text: str, expected: str) -> None:
    write(corral.cwd / "bad.yml", text)
    result = corral("create", "-f", "bad.yml", "-y")
    assert result.code == 1 and expected in result.err, result.err
    assert "Traceback" not in result.err
    assert not corral.link("bad").exists() and not (corral.root / "generations" / "bad").exists()
    as_json = corral("create", "-f", "bad.yml", "--json")
    assert as_json.code == 1 and as_json.json()["error"]["code"] in ("bad-env-file", "bad-spec")


@pytest.fixture
def two_formats(tmp_path: Path) -> Path:
    """A channel holding both a .tar.bz2 and a .conda of the same package (as conda-forge has for older builds)."""
    from tests.support.channel import index_channel, simple_package, write_conda_package
    from tests.support.condav2 import to_conda_v2, zstd_available

    if not zstd_available():
        pytest.skip("no zstd tool to write the .conda format")
    chan = tmp_path / "both"
    to_conda_v2(write_conda_package(chan, simple_package("twofmt", "1.0")))
    index_channel(chan)
    return chan


def _repodata(chan: Path) -> dict[str, dict[str, str]]:
    import json

    data = json.loads((chan / "noarch" / "repodata.json").read_text())
    return {**data["packages"], **data["packages.conda"]}


@pytest.mark.parametrize(("artifact", "fragment"), [("tar.bz2", "md5"), ("conda", "md5"), ("tar.bz2", "sha256")])
def test_an_explicit_file_installs_the_artifact_it_names(
    corral: Corral, two_formats: Path, artifact: str, fragment: str
) -> None:
    """conda's explicit install takes each URL as given (conda/misc.py `explicit`): the .tar.bz2 when the file
    names it, even though the channel also has the .conda that a solve prefers; its md5 is compared with
    the md5 of that artifact, and a `#sha256:` fragment with its sha256."""
    name = f"twofmt-1.0-0.{artifact}"
    record = _repodata(two_formats)[name]
    digest = record["md5"] if fragment == "md5" else f"sha256:{record['sha256']}"
    url = f"{two_formats.as_uri()}/noarch/{name}"
    write(corral.cwd / "explicit.txt", f"# platform: linux-64\n@EXPLICIT\n{url}#{digest}\n")
    made = corral("create", "-n", "x", "-f", "explicit.txt", "-y")
    assert made.code == 0, made.err
    exported = export(corral, "x", "--format", "explicit")
    assert f"/noarch/{name}#{record['md5']}" in exported

    other = "conda" if artifact == "tar.bz2" else "tar.bz2"
    wrong = _repodata(two_formats)[f"twofmt-1.0-0.{other}"]
    write(corral.cwd / "wrong.txt", f"@EXPLICIT\n{url}#{wrong['md5']}\n")
    refused = corral("create", "-n", "y", "-f", "wrong.txt", "-y")
    assert refused.code == 1 and "Traceback" not in refused.err
    assert f"expects md5 {wrong['md5']}, the channel has md5 {record['md5']}" in refused.err
    assert not corral.link("y").exists()


def test_defaults_is_the_configured_channels_on_the_command_line_and_in_files(corral: Corral, channel: Path) -> None:
    """conda reads the name `defaults` as one thing wherever it is written (`-c defaults`, a file's
    `channels:`): conda/models/channel.py `Channel.from_value` turns any name found in
    `context.custom_multichannels` into a MultiChannel, and conda/base/context.py puts its
    `default_channels` setting there under `defaults`. corral's one channel setting plays that part."""
    configured = {"CORRAL_CHANNELS": str(channel)}
    made = corral("create", "-n", "cli", "-c", "defaults", "liba=1.0", "-y", extra_env=configured)
    assert made.code == 0, made.err
    write(corral.cwd / "env.yml", "name: file\nchannels: [defaults]\ndependencies:\n  - liba=1.0\n")
    assert corral("create", "-f", "env.yml", "-y", extra_env=configured).code == 0
    assert packages(corral, "cli") == packages(corral, "file")
    for env in ("cli", "file"):
        recorded = export(corral, env, "--from-history")
        assert f"  - {channel}\n" in recorded and "defaults" not in recorded and "anaconda.org" not in recorded
    moved = corral("install", "-n", "cli", "-c", "defaults", "liba=2.0", "-y", extra_env=configured)
    assert moved.code == 0, moved.err
    assert packages(corral, "cli")["liba"][0] == "2.0"

    circular = corral("create", "-n", "x", "-c", "defaults", "liba", "-y", extra_env={"CORRAL_CHANNELS": "defaults"})
    assert circular.code == 1 and "Traceback" not in circular.err
    assert "the configured channels contain 'defaults'" in circular.err and "CORRAL_CHANNELS" in circular.err
    assert not corral.link("x").exists()


def test_environment_variables_in_a_file_are_expanded_where_conda_expands_them(
    corral: Corral, channel: Path, wheels: Path
) -> None:
    """conda expands `$VAR`/`${VAR}` in a file's channels (conda/env/env.py `_expand_channels`,
    os.path.expandvars), its `pip:` lines go to pip in a requirements file (conda/env/installers/pip.py),
    where pip expands `${VAR}`, and `variables:` values are stored as written (conda/core/prefix_data.py
    `set_environment_env_vars`) and exported single-quoted (conda/activate.py `export %s='%s'`), so
    the environment sees the text `${MY_API_KEY}`. corral does the same and says so; an unset variable
    in a channel or a pip line is an error (conda would pass the text on to fail later)."""
    write(
        corral.cwd / "environment.yml",
        "name: v\nchannels:\n  - ${CORRAL_TEST_CHANNEL}\ndependencies:\n  - python=3.12\n  - pip:\n"
        "    - --no-index\n    - --find-links ${CORRAL_TEST_WHEELS}\n    - tinylib==${CORRAL_TEST_PIN}\n"
        "variables:\n  API_KEY: ${MY_API_KEY}\n",
    )
    given = {"CORRAL_TEST_CHANNEL": str(channel), "CORRAL_TEST_WHEELS": str(wheels), "CORRAL_TEST_PIN": "1.0"}
    made = corral("create", "-f", "environment.yml", "-y", extra_env={**given, "MY_API_KEY": "k-123"})
    assert made.code == 0, made.err
    assert "environment.yml:11:3: variable API_KEY is set to the text '${MY_API_KEY}' on activation" in made.err
    assert "$MY_API_KEY is not expanded (conda expands variables only in channels)" in made.err
    assert packages(corral, "v")["tinylib"] == ("1.0", "", "pypi")
    seen = corral(
        "run", "-n", "v", "python", "-c", "import os; print(os.environ['API_KEY'])", extra_env={"MY_API_KEY": "k-123"}
    )
    assert seen.code == 0 and seen.out.strip() == "${MY_API_KEY}", seen.err

    for missing, place in (
        ("CORRAL_TEST_WHEELS", "environment.yml:8:7: '--find-links"),
        ("CORRAL_TEST_CHANNEL", "environment.yml:3:5: channel"),
    ):
        rest = {k: v for k, v in given.items() if k != missing}
        unset = corral("create", "-n", "w", "-f", "environment.yml", "-y", extra_env=rest)
        assert unset.code == 1 and "Traceback" not in unset.err, unset.err
        assert place in unset.err and f"${{{missing}}}, which is not set" in unset.err, unset.err
        assert not corral.link("w").exists()
