"""corral.lock as text and data: stable bytes, checked loading, platform assumptions, staleness, conda-lock parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from corral import keptparse
from corral.errors import LockError, SpecError
from corral.lock import lockfile, platforms
from corral.lock.lockfile import Artifact, CondaEntry, Lock, LockedPlatform, PypiEntry
from corral.lockmake import conda_provided, differences
from corral.models import EnvSpec, check_system
from corral.settings import Settings

SHA = "a" * 64


def _entry(name: str, version: str = "1.0", **kw: object) -> CondaEntry:
    values: dict[str, object] = {
        "name": name,
        "version": version,
        "build": "0",
        "build_number": 0,
        "subdir": "noarch",
        "channel": "https://example.org/chan/",
        "url": f"https://example.org/chan/noarch/{name}-{version}-0.conda",
        "sha256": SHA,
        "md5": "b" * 32,
        "size": 10,
        **kw,
    }
    return CondaEntry(**values)  # type: ignore[arg-type]


def _lock(spec: EnvSpec | None = None) -> Lock:
    spec = spec or EnvSpec(channels=("conda-forge",), specs=("python 3.12.*", "numpy"), pypi=("rich",))
    wheel = Artifact("https://files.example.org/rich-13.0.0-py3-none-any.whl", "c" * 64)
    linux = LockedPlatform(
        "linux-64",
        platforms.virtual_packages("linux-64"),
        "3.12.1",
        (
            _entry(
                "python", "3.12.1", subdir="linux-64", url="https://example.org/chan/linux-64/python-3.12.1-0.conda"
            ),
            _entry("numpy", "2.0", depends=("python >=3.12",)),
        ),
        (PypiEntry("rich", "13.0.0", ">=3.8", (wheel,)),),
    )
    win = LockedPlatform("win-64", platforms.virtual_packages("win-64"), "3.12.1", (_entry("numpy", "2.0"),))
    return Lock(spec=spec, platforms=(win, linux), sources=("environment.yml",))


def test_dump_is_stable_sorted_and_loads_back(tmp_path: Path) -> None:
    text = lockfile.dumps(_lock())
    assert text == lockfile.dumps(_lock()) and text.startswith("# corral.lock")
    data = yaml.safe_load(text)
    assert list(data["platforms"]) == ["linux-64", "win-64"]  # sorted whatever the input order
    assert [e["name"] for e in data["platforms"]["linux-64"]["conda"]] == ["numpy", "python"]
    path = tmp_path / "corral.lock"
    path.write_text(text)
    loaded = lockfile.load(path)
    assert lockfile.dumps(loaded) == text
    assert loaded.platform("linux-64") is not None and loaded.platform("osx-arm64") is None
    assert loaded.input_hash == lockfile.spec_hash(loaded.spec)


def test_a_lock_read_before_is_checked_from_its_kept_json_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """lockfile.load(path, parsed): the document is kept by the sha256 of the text; the copy is checked as the
    YAML is, a damaged copy is parsed again, a changed lock is a new entry, and only the newest are kept."""
    path, parsed = tmp_path / "corral.lock", tmp_path / "parsed"
    path.write_text(lockfile.dumps(_lock()))
    first = lockfile.load(path, parsed)
    (kept,) = parsed.glob("*.json")

    def no_yaml(text: str, where: Path) -> object:
        raise AssertionError("the kept copy was not used")

    with monkeypatch.context() as patch:
        patch.setattr(lockfile, "_yaml_document", no_yaml)
        assert lockfile.load(path, parsed) == first
    kept.write_text("{not json")
    assert lockfile.load(path, parsed) == first  # parsed again, and kept again
    assert lockfile.load(path, parsed) == first and kept.read_text().startswith("{")
    data = yaml.safe_load(path.read_text())
    data["input"]["spec"]["specs"].append("scipy")  # an edited lock: refused each time, never kept
    path.write_text(yaml.safe_dump(data))
    for _ in range(2):
        with pytest.raises(LockError, match="edited by hand"):
            lockfile.load(path, parsed)
    secret = tmp_path / "secret.lock"  # a lock someone wrote credentials into: read, never kept in the store
    secret.write_text(lockfile.dumps(_lock()).replace("https://example.org/", "https://alice:s3cret@example.org/"))
    assert "s3cret" in secret.read_text()
    lockfile.load(secret, tmp_path / "kept-secret")
    assert not list((tmp_path / "kept-secret").glob("*.json"))
    monkeypatch.setattr(keptparse, "KEEP", 2)
    for number in range(3):
        path.write_text(lockfile.dumps(_lock(EnvSpec(channels=("c",), specs=(f"pkg{number}",)))))
        lockfile.load(path, parsed)
    assert len(list(parsed.glob("*.json"))) == 2


def test_spec_hash_follows_the_request_not_its_name() -> None:
    one = EnvSpec(channels=("c",), specs=("numpy",))
    assert lockfile.spec_hash(one) == lockfile.spec_hash(EnvSpec(channels=("c",), specs=("numpy",)))
    assert lockfile.spec_hash(one) != lockfile.spec_hash(EnvSpec(channels=("c",), specs=("numpy >=2",)))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(version=9), "lock version 9"),
        (lambda d: d["platforms"]["linux-64"]["conda"][0].update(sha256="xyz"), "linux-64.conda[0] (numpy)"),
        (lambda d: d["platforms"]["linux-64"]["conda"][1].pop("url"), "'url' is missing"),
        (lambda d: d["platforms"]["linux-64"]["conda"][1].update(version="3.13.0"), "its url names"),
        (lambda d: d["platforms"]["linux-64"]["conda"][0].update(build_number="x"), "whole number"),
        (lambda d: d["platforms"]["linux-64"]["pypi"][0].pop("wheels"), "neither wheels nor an sdist"),
        (lambda d: d["platforms"]["linux-64"]["pypi"][0]["wheels"][0].update(sha256=1), "pypi[0] (rich)"),
        (lambda d: d["input"]["spec"]["specs"].append("scipy"), "edited by hand"),
        (lambda d: d.update(platforms={}), "covers no platform"),
        (lambda d: d["platforms"].update({"linux-64": []}), "expected a mapping"),
        # found by test_fuzz: a None among the index URLs crashed in strip_credentials
        (lambda d: d["input"]["spec"].setdefault("index", {}).update(extra_index_urls=[None]), "input.spec holds"),
        (lambda d: d["input"]["spec"].update(channels="conda-forge"), "channels must be a list of strings"),
    ],
)
def test_damaged_or_edited_locks_name_the_entry(tmp_path: Path, edit: object, message: str) -> None:
    data = yaml.safe_load(lockfile.dumps(_lock()))
    edit(data)  # type: ignore[operator]
    path = tmp_path / "corral.lock"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(LockError) as caught:
        lockfile.load(path)
    assert message in caught.value.message and str(path) in caught.value.message


def test_not_yaml_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "corral.lock"
    path.write_text("version: 1\ninput: [\n")
    with pytest.raises(LockError, match=r"corral.lock:\d+:\d+: the lock file is not valid YAML"):
        lockfile.load(path)
    with pytest.raises(LockError, match="does not exist"):
        lockfile.load(tmp_path / "nope.lock")


def test_virtual_packages_per_platform_and_overrides() -> None:
    assert platforms.virtual_packages("linux-64") == (
        "__archspec=1=x86_64",
        "__glibc=2.28=0",
        "__linux=4.18=0",
        "__unix=0=0",
    )
    assert "__osx=13.0=0" in platforms.virtual_packages("osx-arm64")
    assert "__archspec=1=arm64" in platforms.virtual_packages("osx-arm64")
    assert "__win=0=0" in platforms.virtual_packages("win-64")
    system = check_system({"cuda": "12.4", "glibc": "2.34", "macos": "14.0"})
    assert "__cuda=12.4=0" in platforms.virtual_packages("win-64", system)
    assert "__glibc=2.34=0" in platforms.virtual_packages("linux-aarch64", system)
    assert "__osx=14.0=0" in platforms.virtual_packages("osx-64", system)
    with pytest.raises(SpecError, match="unknown system requirement 'gpu'"):
        check_system({"gpu": "1"})
    with pytest.raises(SpecError, match="not a version"):
        check_system({"cuda": "twelve"})
    with pytest.raises(SpecError, match="unknown platform 'linux-32'"):
        platforms.check_platform("linux-32")


def test_uv_targets_follow_the_assumed_glibc() -> None:
    assert platforms.uv_target("linux-64") == "x86_64-manylinux_2_28"
    assert platforms.uv_target("linux-aarch64", (("glibc", "2.17"),)) == "aarch64-manylinux_2_17"
    assert platforms.uv_target("linux-64", (("glibc", "2.12"),)) == "x86_64-manylinux_2_17"
    assert platforms.uv_target("osx-arm64") == "aarch64-apple-darwin"
    assert platforms.uv_target("win-64") == "x86_64-pc-windows-msvc"


def test_best_wheel_prefers_the_most_specific_compatible_tag() -> None:
    names = [
        "numpy-2.1.3-cp312-cp312-win_amd64.whl",
        "numpy-2.1.3-py3-none-any.whl",
        "numpy-2.1.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ]
    chosen = platforms.best_wheel(names, "3.12.1")
    import platform as host

    if host.system() == "Linux" and host.machine() == "x86_64":
        assert chosen == 2
        assert platforms.best_wheel(["numpy-2.1.3-cp312-cp312-win_amd64.whl"], "3.12") is None
        assert platforms.best_wheel(["numpy-2.1.3-cp311-cp311-manylinux2014_x86_64.whl"], "3.12") is None
    assert platforms.best_wheel(["not-a-wheel.tar.gz"], "3.12") is None


def test_differences_name_each_change() -> None:
    lock = _lock()
    settings = Settings(root="/nonexistent")
    assert differences(lock, lock.spec, ["linux-64", "win-64"], settings) == []
    changed = EnvSpec(channels=("conda-forge", "bioconda"), specs=("python 3.12.*", "numpy >=2"), pypi=())
    found = differences(lock, changed, ["linux-64", "osx-arm64"], settings)
    assert "~ conda spec numpy -> numpy >=2" in found
    assert "- PyPI requirement rich" in found
    assert any(line.startswith("~ channels:") for line in found)
    assert any("osx-arm64 is not in the lock" in line for line in found)
    gpu = Settings(root="/nonexistent", system_requirements=(("cuda", "12.0"),))
    assert any("system requirements changed" in line for line in differences(lock, lock.spec, ["linux-64"], gpu))


def test_conda_provided_distributions_are_the_python_packages() -> None:
    entries = [
        _entry("python", "3.12.1"),
        _entry("numpy", "2.0", depends=("python >=3.12,<3.13", "libblas")),
        _entry("typing_extensions", "4.0", noarch="python"),
        _entry("libblas", "3.9"),
    ]
    assert conda_provided(entries) == {"numpy": "2.0", "typing-extensions": "4.0"}


def test_conda_lock_yml_is_read_with_builds_from_urls(tmp_path: Path) -> None:
    from corral.locks import read_foreign

    path = tmp_path / "conda-lock.yml"
    path.write_text(
        f"""version: 1
metadata:
  content_hash: {{linux-64: abc}}
  channels: [{{url: conda-forge, used_env_vars: []}}]
  platforms: [linux-64]
  sources: [environment.yml]
package:
- name: numpy
  version: 2.0.1
  manager: conda
  platform: linux-64
  dependencies: {{python: '>=3.12,<3.13.0a0', libblas: '>=3.9.0,<4.0a0'}}
  url: https://conda.anaconda.org/conda-forge/linux-64/numpy-2.0.1-py312h1103770_0.conda
  hash: {{md5: {"d" * 32}, sha256: {SHA}}}
  category: main
  optional: false
- name: rich
  version: 13.7.0
  manager: pip
  platform: linux-64
  dependencies: {{}}
  url: https://files.pythonhosted.org/packages/rich-13.7.0-py3-none-any.whl
  hash: {{sha256: {"e" * 64}}}
  category: main
  optional: false
"""
    )
    lock, notes = read_foreign(path, Settings(root=str(tmp_path)))
    section = lock.platform("linux-64")
    assert section is not None and lock.spec.channels == ("conda-forge",)
    numpy = section.conda[0]
    assert (numpy.build, numpy.subdir, numpy.md5) == ("py312h1103770_0", "linux-64", "d" * 32)
    assert numpy.depends == ("python >=3.12,<3.13.0a0", "libblas >=3.9.0,<4.0a0")
    assert section.pypi[0].wheels[0].sha256 == "e" * 64 and notes


def test_foreign_files_that_are_neither_format(tmp_path: Path) -> None:
    from corral.locks import read_foreign

    path = tmp_path / "x.lock"
    path.write_text("hello: world\n")
    with pytest.raises(LockError, match=r"neither a pixi\.lock nor a conda-lock\.yml"):
        read_foreign(path, Settings(root=str(tmp_path)))


def test_machine_platform_without_rattler_agrees_with_rattler() -> None:
    """PyPI-only generations name their platform without loading rattler; the name must be rattler's."""
    import rattler

    from corral.lock.platforms import machine_platform

    assert machine_platform() == str(rattler.Subdir.current())


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("sha256", "0123456789abcdef" * 4, True),
        ("md5", "0123456789abcdef" * 2, True),
        ("md5", "", True),  # optional
        ("sha256", "A" * 64, False),  # conda and rattler write lower case
        ("sha256", "a" * 63, False),
        ("sha256", "a" * 64 + "\n", False),  # the old pattern's `$` let a trailing newline through
        ("sha256", "g" * 64, False),
        ("md5", "b" * 64, False),
        ("sha256", 12, False),
    ],
)
def test_record_digests_are_checked_as_lower_case_hex_of_their_length(field: str, value: object, ok: bool) -> None:
    """A section's sha256 and md5 are checked as strings (no regex on rollback's path), to the same rule."""
    from corral.lock.sections import section_from_dict

    data = LockedPlatform("linux-64", conda=(_entry("numpy"),)).to_dict()
    data["conda"][0][field] = value
    if ok:
        assert getattr(section_from_dict("linux-64", data, "test.lock").conda[0], field) == value
    else:
        with pytest.raises(LockError, match="hex digest"):
            section_from_dict("linux-64", data, "test.lock")
