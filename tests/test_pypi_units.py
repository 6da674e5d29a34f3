"""Unit tests of the PyPI side: requirement files, credential redaction, uv output, spec models, dist-info."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corral.errors import BuildError, ChannelError, PackageNotFound, SpecError, Unsatisfiable
from corral.models import EnvSpec, PypiIndex, pypi_name
from corral.pypi.dists import Dist, installed, record_files
from corral.pypi.uv import Pin, child_environment, parse_pins
from corral.pypi.uverrors import translate_error
from corral.redact import has_credentials, redact, strip_credentials
from corral.specs.requirements import PypiRequest, pypi_request, read_requirements_file


def _project(folder: Path, name: str = "") -> Path:
    """A local Python project folder (pyproject.toml, with a [project] name when given)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = f'[project]\nname = "{name}"\nversion = "0.1"\n' if name else "[build-system]\nrequires = []\n"
    (folder / "pyproject.toml").write_text(table)
    return folder


def _read(path: Path) -> PypiRequest:
    request = PypiRequest()
    read_requirements_file(path, request)
    return request


# --- requirements files -------------------------------------------------------------------------


def test_requirement_lines_are_validated_and_written_in_canonical_form(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text('requests >= 2.0\nNumPy==1.26.*\nfoo[bar] ; python_version >= "3.8"\n')
    assert _read(path).requirements == ["requests>=2.0", "NumPy==1.26.*", 'foo[bar]; python_version >= "3.8"']


def test_comments_blank_lines_and_backslash_continuations_are_handled(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("# a full-line comment\n\nrequests \\\n    >=2  # trailing comment\n   # indented comment\nsix\n")
    request = _read(path)
    assert request.requirements == ["requests>=2", "six"]
    assert request.constraints == [] and request.editables == []


def test_direct_url_fragments_are_not_taken_for_comments(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("foo @ https://example.org/foo-1.0-py3-none-any.whl#sha256=abc\n")
    assert _read(path).requirements == ["foo @ https://example.org/foo-1.0-py3-none-any.whl#sha256=abc"]


def test_nested_requirement_files_are_read_relative_to_their_folder(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "requirements.txt").write_text("top\n-r sub/base.txt\n")
    (tmp_path / "sub" / "base.txt").write_text("middle\n--requirement=deeper/leaf.txt\n")
    (tmp_path / "sub" / "deeper" / "leaf.txt").write_text("leaf\n")
    assert _read(tmp_path / "requirements.txt").requirements == ["top", "middle", "leaf"]


def test_constraint_files_fill_constraints_not_requirements(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests\n-c constraints.txt\n")
    (tmp_path / "constraints.txt").write_text("urllib3<2\ncertifi==2024.2.2\n")
    request = _read(tmp_path / "requirements.txt")
    assert request.requirements == ["requests"]
    assert request.constraints == ["urllib3<2", "certifi==2024.2.2"]


def test_a_file_read_as_constraints_puts_its_lines_in_constraints(tmp_path: Path) -> None:
    path = tmp_path / "constraints.txt"
    path.write_text("numpy<2\n")
    request = PypiRequest()
    read_requirements_file(path, request, constraint=True)
    assert request.constraints == ["numpy<2"] and request.requirements == []


def test_editable_lines_give_absolute_project_folders_relative_to_the_file(tmp_path: Path) -> None:
    first = _project(tmp_path / "projects" / "first")
    second = _project(tmp_path / "projects" / "second")
    (tmp_path / "reqs").mkdir()
    path = tmp_path / "reqs" / "requirements.txt"
    path.write_text(f"-e ../projects/first\n--editable={second}\n")
    assert _read(path).editables == [str(first.resolve()), str(second.resolve())]


def test_editable_folder_without_pyproject_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notaproject").mkdir()
    path = tmp_path / "requirements.txt"
    path.write_text("-e notaproject\n")
    with pytest.raises(SpecError, match=r"neither pyproject\.toml nor setup\.py"):
        _read(path)


def test_editable_path_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("-e ./missing\n")
    with pytest.raises(SpecError, match="is not a directory"):
        _read(path)


def test_index_options_are_read_with_a_space_or_an_equals_sign(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    (tmp_path / "more").mkdir()
    path = tmp_path / "requirements.txt"
    path.write_text(
        "--index-url https://first.example/simple\n"
        "-i=https://second.example/simple\n"
        "--extra-index-url https://extra1.example/simple\n"
        "--extra-index-url=https://extra2.example/simple\n"
        "--find-links wheels\n"
        "-f=more\n"
        "--find-links=https://links.example/wheels/\n"
    )
    index = _read(path).index
    assert index.index_url == "https://second.example/simple"  # the later --index-url wins
    assert index.extra_index_urls == ("https://extra1.example/simple", "https://extra2.example/simple")
    assert index.find_links == (
        str((tmp_path / "wheels").resolve()),
        str((tmp_path / "more").resolve()),
        "https://links.example/wheels/",
    )
    assert index.no_index is False


def test_no_index_option_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("--no-index\nsix\n")
    request = _read(path)
    assert request.index == PypiIndex(no_index=True)
    assert request.requirements == ["six"]


def test_local_find_links_folder_must_exist(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("--find-links ./nowhere\n")
    with pytest.raises(SpecError, match="does not exist"):
        _read(path)


def test_unsupported_option_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("six\n--pre\n")
    with pytest.raises(SpecError, match=r"requirements\.txt:2: option --pre is not supported") as caught:
        _read(path)
    assert caught.value.hint is not None and "--index-url" in caught.value.hint


def test_option_without_a_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("--index-url\n")
    with pytest.raises(SpecError, match="--index-url needs a value"):
        _read(path)


def test_invalid_requirement_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("six\n# comment\nnot a valid requirement!!\n")
    with pytest.raises(SpecError, match=r"invalid PyPI requirement 'not a valid requirement!!'") as caught:
        _read(path)
    assert f"{path}:3" in caught.value.message


def test_invalid_requirement_after_a_continuation_names_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("six\nbad \\\n  >=>=1\n")
    with pytest.raises(SpecError) as caught:
        _read(path)
    assert f"{path}:2" in caught.value.message


def test_missing_nested_requirement_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("-r other.txt\n")
    with pytest.raises(SpecError, match=r"requirements.txt:1: -r other.txt: .*other\.txt does not exist"):
        _read(path)


def test_a_requirement_file_that_includes_itself_stops_with_an_error(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("six\n-r requirements.txt\n")
    with pytest.raises(SpecError, match="nest more than 10 deep"):
        _read(path)


def test_pypi_request_is_none_when_nothing_is_given(tmp_path: Path) -> None:
    assert pypi_request(base=tmp_path) is None


def test_pypi_request_with_only_an_index_option_is_a_request(tmp_path: Path) -> None:
    request = pypi_request(no_index=True, base=tmp_path)
    assert request is not None
    assert request.index == PypiIndex(no_index=True) and request.requirements == []


def test_pypi_request_gathers_files_requirements_editables_and_index(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    (tmp_path / "requirements.txt").write_text("requests\n--extra-index-url https://extra.example/simple\n")
    (tmp_path / "constraints.txt").write_text("urllib3<2\n")
    request = pypi_request(
        requirements=["six >= 1.16"],
        editables=["proj"],
        requirement_files=["requirements.txt"],
        constraint_files=["constraints.txt"],
        index_url="https://main.example/simple",
        base=tmp_path,
    )
    assert request is not None
    assert request.requirements == ["requests", "six>=1.16"]
    assert request.constraints == ["urllib3<2"]
    assert request.editables == [str(project.resolve())]
    assert request.index.index_url == "https://main.example/simple"
    assert request.index.extra_index_urls == ("https://extra.example/simple",)


def test_pypi_request_refuses_an_invalid_command_line_requirement(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="invalid PyPI requirement"):
        pypi_request(requirements=["==1.0"], base=tmp_path)


# --- local wheels, sdists and project folders ---------------------------------------------------


def _wheel(folder: Path, name: str = "simple_math", version: str = "0.1") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-py3-none-any.whl"
    path.write_bytes(b"PK")  # only its name is read here
    return path


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("dist/simple_math-0.1-py3-none-any.whl", "simple-math @ {wheel}"),
        ("./dist/simple_math-0.1-py3-none-any.whl", "simple-math @ {wheel}"),
        ("{wheel_path}", "simple-math @ {wheel}"),
        ("file://{wheel_path}", "simple-math @ {wheel}"),
        ("file://{legacy_path}#egg=Old_Lib", "old-lib @ {legacy}"),
        ("dist/Simple.Math-0.3.tar.gz", "simple-math @ {sdist}"),
        ("proj", "proj"),  # no separator, no leading dot, no archive suffix: a name, as pip decides
        ("./proj", "my-proj @ {project}"),
        ("./proj[cli,test]", "my-proj[cli,test] @ {project}"),
        ('./proj ; python_version >= "3.8"', 'my-proj @ {project} ; python_version >= "3.8"'),
        ("simple-math @ ./dist/simple_math-0.1-py3-none-any.whl", "simple-math @ {wheel}"),
        ("requests>=2", "requests>=2"),
    ],
)
def test_local_paths_become_absolute_file_urls_named_by_their_distribution(
    tmp_path: Path, given: str, expected: str
) -> None:
    """pip's `_looks_like_path` / `is_archive_file` rules (pip/_internal/req/constructors.py) decide what is a path."""
    wheel = _wheel(tmp_path / "dist")
    sdist = tmp_path / "dist" / "Simple.Math-0.3.tar.gz"
    sdist.write_bytes(b"")
    project = _project(tmp_path / "proj", "My_Proj")
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "setup.py").write_text("")
    values = {"wheel": wheel.as_uri(), "wheel_path": str(wheel), "sdist": sdist.as_uri(), "project": project.as_uri()}
    values |= {"legacy": legacy.as_uri(), "legacy_path": str(legacy)}
    request = pypi_request(requirements=[given.format(**values)], base=tmp_path)
    assert request is not None and request.requirements == [expected.format(**values)]


def test_a_local_path_that_does_not_exist_is_named_in_the_error(tmp_path: Path) -> None:
    for given in ("dist/gone-1.0-py3-none-any.whl", "./nothing-here", "gone @ file:///no/such/gone.whl"):
        with pytest.raises(SpecError) as caught:
            pypi_request(requirements=[given], base=tmp_path)
        assert "does not exist" in caught.value.message and "invalid PyPI requirement" not in caught.value.message
        assert ("/no/such/gone.whl" if "file:" in given else str(tmp_path)) in caught.value.message


def test_a_folder_without_a_project_and_a_file_that_is_no_package_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("six\n")
    with pytest.raises(SpecError, match=r"neither pyproject\.toml nor setup\.py"):
        pypi_request(requirements=["./empty"], base=tmp_path)
    with pytest.raises(SpecError, match="not a wheel, an sdist or a project folder") as caught:
        pypi_request(requirements=["./notes.txt"], base=tmp_path)
    assert caught.value.hint and "-r FILE" in caught.value.hint


def test_a_project_without_a_readable_name_asks_for_the_name_at_form(tmp_path: Path) -> None:
    project = tmp_path / "legacy"
    project.mkdir()
    (project / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    with pytest.raises(SpecError, match="cannot tell the distribution name") as caught:
        pypi_request(requirements=["./legacy"], base=tmp_path)
    assert caught.value.hint and f"NAME @ {project.as_uri()}" in caught.value.hint
    (project / "setup.cfg").write_text("[metadata]\nname = Legacy_Lib\n")
    request = pypi_request(requirements=["./legacy"], base=tmp_path)
    assert request is not None and request.requirements == [f"legacy-lib @ {project.as_uri()}"]


def test_paths_in_a_requirements_file_are_taken_from_its_folder_then_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip takes requirement paths from the current folder (constructors.py `os.path.abspath`), -r from the file's."""
    here = _wheel(tmp_path / "sub" / "dist")
    there = _wheel(tmp_path / "cwd" / "wheels", "other_lib", "1.0")
    (tmp_path / "sub" / "requirements.txt").write_text("dist/simple_math-0.1-py3-none-any.whl\n")
    (tmp_path / "sub" / "more.txt").write_text("wheels/other_lib-1.0-py3-none-any.whl\n")
    monkeypatch.chdir(tmp_path / "cwd")
    assert _read(tmp_path / "sub" / "requirements.txt").requirements == [f"simple-math @ {here.as_uri()}"]
    assert _read(tmp_path / "sub" / "more.txt").requirements == [f"other-lib @ {there.as_uri()}"]


def test_a_new_request_replaces_the_old_one_for_its_distribution_whatever_the_source(tmp_path: Path) -> None:
    project = str(_project(tmp_path / "proj", "simple-math"))
    wheel = f"simple-math @ {_wheel(tmp_path).as_uri()}"
    spec = EnvSpec(channels=(), pypi=("six", "simple-math==0.1"))
    spec = PypiRequest(requirements=[wheel]).applied_to(spec)
    assert spec.pypi == ("six", wheel) and spec.editables == ()
    spec = PypiRequest(editables=[project]).applied_to(spec)
    assert spec.pypi == ("six",) and spec.editables == (project,)
    spec = PypiRequest(requirements=["simple-math==0.1"]).applied_to(spec)
    assert spec.pypi == ("six", "simple-math==0.1") and spec.editables == ()
    with pytest.raises(SpecError, match="both as a requirement and as an editable"):
        PypiRequest(requirements=[wheel], editables=[project]).applied_to(spec)


def test_a_project_folder_installed_non_editable_is_a_direct_entry_in_locks_and_exports(tmp_path: Path) -> None:
    from corral.lock.lockfile import LockedPlatform
    from corral.lock.pypi import entries_from_pylock, install_plan, pylock_text
    from corral.specs.export import requirements_text

    project = _project(tmp_path / "proj", "proj")
    text = f'lock-version = "1.0"\n[[packages]]\nname = "proj"\ndirectory = {{ path = "{project}" }}\n'
    (entry,) = entries_from_pylock(text)
    assert entry.direct == project.as_uri() and not entry.editable
    assert install_plan([entry], "3.12", "linux-64", allow_build=False) == ([], [f"proj @ {project.as_uri()}"], [])
    assert f'directory = {{ path = "{project}", editable = false }}' in pylock_text([entry], "3.12")
    assert entries_from_pylock(pylock_text([entry], "3.12")) == (entry,)
    section = LockedPlatform(platform="linux-64", python="3.12", pypi=(entry,))
    assert f"proj @ {project.as_uri()}" in requirements_text(section).splitlines()
    editable = text.replace("}\n", ", editable = true }\n")
    assert entries_from_pylock(editable)[0].editable == str(project)


# --- redaction ----------------------------------------------------------------------------------


def test_redact_hides_user_and_password_of_every_url_in_a_text() -> None:
    text = "from https://alice:s3cret@pypi.example/simple and git+https://token@github.com/o/r.git"
    assert redact(text) == "from https://****@pypi.example/simple and git+https://****@github.com/o/r.git"


def test_redact_leaves_urls_without_credentials_alone() -> None:
    text = "https://pypi.org/simple/ file:///srv/wheels foo @ https://host/pkg@1.0.tar.gz"
    assert redact(text) == text


def test_strip_credentials_removes_the_userinfo_part() -> None:
    assert strip_credentials("https://alice:s3cret@pypi.example/simple") == "https://pypi.example/simple"
    assert strip_credentials("https://token@pypi.example/simple") == "https://pypi.example/simple"
    assert strip_credentials("https://pypi.org/simple") == "https://pypi.org/simple"


def test_has_credentials_tells_urls_with_userinfo_apart() -> None:
    assert has_credentials("https://alice:s3cret@pypi.example/simple")
    assert has_credentials("https://token@pypi.example/simple")
    assert not has_credentials("https://pypi.example/simple")
    assert not has_credentials("https://pypi.example/simple/pkg@1.0/")
    assert not has_credentials("")


# --- uv output ----------------------------------------------------------------------------------


def test_parse_pins_reads_name_version_lines_with_normalized_names() -> None:
    text = "Foo_Bar==1.0\nrequests==2.31.0 ; python_version >= '3.8'\nsix[extra]==1.17.0\n"
    assert parse_pins(text) == [
        Pin(name="foo-bar", version="1.0"),
        Pin(name="requests", version="2.31.0"),
        Pin(name="six", version="1.17.0"),
    ]


def test_parse_pins_skips_comments_blank_lines_options_and_hashes() -> None:
    text = (
        "# This file was autogenerated by uv\n"
        "--index-url https://pypi.org/simple\n"
        "\n"
        "tinylib==2.0 \\\n"
        "    --hash=sha256:0123\n"
        "    # via tinyapp\n"
        "tinyapp==1.0  # via -r requirements.in\n"
    )
    assert parse_pins(text) == [Pin(name="tinylib", version="2.0"), Pin(name="tinyapp", version="1.0")]


def test_parse_pins_reads_direct_references_without_markers() -> None:
    text = "Foo @ https://example.org/foo-1.0-py3-none-any.whl#sha256=abc ; sys_platform == 'linux'\n"
    pins = parse_pins(text)
    assert pins == [Pin(name="foo", url="https://example.org/foo-1.0-py3-none-any.whl#sha256=abc")]
    assert pins[0].requirement() == "foo @ https://example.org/foo-1.0-py3-none-any.whl#sha256=abc"


def test_parse_pins_reads_editables_given_as_file_urls_or_paths(tmp_path: Path) -> None:
    named = _project(tmp_path / "named", name="My_Project")
    unnamed = _project(tmp_path / "Plain.Folder")
    pins = parse_pins(f"-e file://{named}\n-e {unnamed}\n")
    assert pins == [
        Pin(name="my-project", editable=str(named.resolve())),
        Pin(name="plain-folder", editable=str(unnamed.resolve())),
    ]
    assert pins[0].requirement() == f"-e {named.resolve()}"


def test_pin_requirement_lines_round_trip_through_parse_pins() -> None:
    pins = [Pin(name="a", version="1.0"), Pin(name="b", url="https://example.org/b-2.0.tar.gz")]
    assert parse_pins("".join(f"{p.requirement()}\n" for p in pins)) == pins


NOT_FOUND = (
    "error: No solution found when resolving dependencies\n"
    "  cause: Because foo was not found in the package registry and you require foo, we can conclude that your"
    " requirements are unsatisfiable.\n"
)


def test_translate_error_reports_an_unknown_package_as_not_found_on_pypi() -> None:
    error = translate_error(NOT_FOUND, PypiIndex())
    assert isinstance(error, PackageNotFound)
    assert error.code == "package-not-found"
    assert error.message == "PyPI package 'foo' was not found on PyPI"
    assert error.details == [
        "Because foo was not found in the package registry and you require foo, we can conclude that your"
        " requirements are unsatisfiable."
    ]


def test_translate_error_names_the_given_index_when_one_was_used() -> None:
    stderr = (
        "error: No solution found when resolving dependencies\n"
        "  cause: Because nothere was not found in the provided package locations and you require nothere, we can"
        " conclude that your requirements are unsatisfiable.\n"
        "\n"
        "hint: Packages were unavailable because index lookups were disabled\n"
    )
    error = translate_error(stderr, PypiIndex(no_index=True, find_links=("/srv/wheels",)))
    assert isinstance(error, PackageNotFound)
    assert error.message == "PyPI package 'nothere' was not found on the given index"
    assert error.details[-1].startswith("hint: Packages were unavailable")


def test_translate_error_reports_a_version_conflict_as_unsatisfiable() -> None:
    stderr = (
        "warning: an unrelated warning before the error\n"
        "error: No solution found when resolving dependencies\n"
        "  cause: Because only tinylib<=2.0 is available and you require tinylib>=3, we can conclude that your"
        " requirements are unsatisfiable.\n"
    )
    error = translate_error(stderr, PypiIndex())
    assert isinstance(error, Unsatisfiable)
    assert error.code == "unsatisfiable"
    assert len(error.details) == 1 and "tinylib>=3" in error.details[0]
    assert not any("warning" in line for line in error.details)


def test_translate_error_condenses_a_build_failure_to_the_backend_error() -> None:
    stderr = (
        "error: Failed to build `x==1`\n"
        "  cause: The build backend returned an error\n"
        "  cause: Call to `setuptools.build_meta.build_wheel` failed (exit status: 1)\n"
        "\n"
        "  [stderr]\n"
        "  Traceback (most recent call last):\n"
        '    File "<string>", line 11, in <module>\n'
        '    File "/tmp/x/setup.py", line 3, in <module>\n'
        "  RuntimeError: boom\n"
        "\n"
        "  hint: Build failures usually indicate a problem with the package or the build environment\n"
    )
    error = translate_error(stderr, PypiIndex())
    assert isinstance(error, BuildError)
    assert error.code == "build-failed"
    assert error.message == "building a PyPI package failed: Failed to build `x==1`"
    assert "build output: RuntimeError: boom" in error.details
    assert "The build backend returned an error" in error.details
    assert not any("Traceback" in line or 'File "' in line for line in error.details)
    assert error.details[-1].startswith("hint: Build failures")


def test_translate_error_condenses_uv_build_output_with_stdout_and_stderr_sections() -> None:
    stderr = (  # uv 0.13's layout: sections indented deeper, hint at the margin
        "error: Failed to build `brokenproj @ file:///tmp/proj`\n"
        "  cause: The build backend returned an error\n"
        "  cause: Call to `backend.build_wheel` failed (exit status: 1)\n"
        "\n"
        "         [stdout]\n"
        "         some stdout\n"
        "\n"
        "         [stderr]\n"
        "         Traceback (most recent call last):\n"
        '           File "/tmp/proj/backend.py", line 3, in _f\n'
        '             raise RuntimeError("boom")\n'
        "         RuntimeError: boom\n"
        "\n"
        "hint: Build failures usually indicate a problem with the package or the build environment\n"
    )
    error = translate_error(stderr, PypiIndex())
    assert isinstance(error, BuildError)
    assert "build output: RuntimeError: boom" in error.details
    assert not any("Traceback" in line or "raise RuntimeError" in line for line in error.details)


def test_translate_error_never_shows_credentials_of_an_index_url() -> None:
    stderr = (
        "error: Failed to fetch: `https://alice:s3cret@pypi.example/simple/foo/`\n"
        "  cause: Request failed after 3 retries\n"
        "  cause: error sending request for url (https://alice:s3cret@pypi.example/simple/foo/)\n"
    )
    error = translate_error(stderr, PypiIndex(index_url="https://alice:s3cret@pypi.example/simple"))
    assert isinstance(error, ChannelError)
    assert error.message == "cannot reach the given index: Failed to fetch: `https://****@pypi.example/simple/foo/`"
    assert "s3cret" not in error.message and "alice" not in error.message
    assert error.details and not any("s3cret" in line or "alice" in line for line in error.details)
    assert "s3cret" not in json.dumps(error.to_dict())


def test_translate_error_without_output_still_gives_a_message() -> None:
    error = translate_error("", PypiIndex())
    assert error.code == "pypi"
    assert error.message == "uv failed: uv failed without a message"
    assert error.details == []


def test_child_environment_drops_variables_that_would_redirect_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    stripped = {
        "UV_INDEX_URL": "https://elsewhere.example/simple",
        "UV_CACHE_DIR": "/tmp/other-cache",
        "VIRTUAL_ENV": "/tmp/some-venv",
        "CONDA_PREFIX": "/opt/conda",
        "CONDA_DEFAULT_ENV": "base",
        "PYTHONPATH": "/tmp/lib",
        "PYTHONHOME": "/tmp/home",
        "PIP_INDEX_URL": "https://elsewhere.example/simple",
    }
    kept = {"CORRAL_TEST_KEEP": "yes", "UVICORN_WORKERS": "2", "MY_PYTHONPATH": "/x"}
    for name, value in {**stripped, **kept}.items():
        monkeypatch.setenv(name, value)
    env = child_environment()
    assert not set(stripped) & set(env)
    assert {name: env.get(name) for name in kept} == kept
    assert not any(name.startswith(("UV_", "CONDA_", "PYTHON", "PIP_")) for name in env)


# --- models -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "name"),
    [
        ("Foo_Bar[x]>=1", "foo-bar"),
        ("zope.interface", "zope-interface"),
        ("  requests ", "requests"),
        ("Django==5.0", "django"),
        ("foo @ https://example.org/foo.whl", "foo"),
        ("a__b--c..d", "a-b-c-d"),
        ('pkg; python_version < "3.11"', "pkg"),
    ],
)
def test_pypi_name_gives_the_normalized_distribution_name(requirement: str, name: str) -> None:
    assert pypi_name(requirement) == name


def test_pypi_index_merge_keeps_the_newer_index_url_and_joins_lists_without_repeats() -> None:
    old = PypiIndex(index_url="https://old.example", extra_index_urls=("https://a",), find_links=("/w1",))
    new = PypiIndex(index_url="https://new.example", extra_index_urls=("https://a", "https://b"), find_links=("/w2",))
    assert old.merged(new) == PypiIndex(
        index_url="https://new.example",
        extra_index_urls=("https://a", "https://b"),
        find_links=("/w1", "/w2"),
        no_index=False,
    )


def test_pypi_index_merge_with_no_index_url_keeps_the_old_one_and_no_index_sticks() -> None:
    old = PypiIndex(index_url="https://old.example", no_index=True)
    assert old.merged(PypiIndex()) == old
    assert PypiIndex().merged(PypiIndex(no_index=True)).no_index is True


def test_pypi_index_to_dict_strips_credentials() -> None:
    index = PypiIndex(
        index_url="https://alice:s3cret@pypi.example/simple",
        extra_index_urls=("https://token@extra.example/simple",),
        find_links=("https://bob:pw@links.example/wheels/",),
    )
    assert index.to_dict() == {
        "index_url": "https://pypi.example/simple",
        "extra_index_urls": ["https://extra.example/simple"],
        "find_links": ["https://links.example/wheels/"],
        "no_index": False,
    }


def test_pypi_index_round_trips_through_a_dict() -> None:
    index = PypiIndex(
        index_url="https://pypi.example/simple",
        extra_index_urls=("https://a.example/simple", "https://b.example/simple"),
        find_links=("/srv/wheels",),
        no_index=True,
    )
    data = json.loads(json.dumps(index.to_dict()))
    assert PypiIndex.from_dict(data) == index
    assert PypiIndex.from_dict({}) == PypiIndex()


def test_with_pypi_replaces_by_normalized_name_in_place_and_appends_new_ones() -> None:
    spec = EnvSpec(channels=("c",), pypi=("Foo_Bar>=1", "requests", "six"))
    assert spec.with_pypi(["foo-bar==2", "tinylib"]).pypi == ("foo-bar==2", "requests", "six", "tinylib")
    assert spec.with_pypi(["REQUESTS[socks]"]).pypi == ("Foo_Bar>=1", "REQUESTS[socks]", "six")
    assert spec.pypi == ("Foo_Bar>=1", "requests", "six")  # frozen: the original is unchanged


def test_without_pypi_drops_requirements_by_normalized_name_only() -> None:
    spec = EnvSpec(channels=("c",), specs=("python",), pypi=("Foo_Bar>=1", "six"), editables=("/p",))
    dropped = spec.without_pypi(["foo.bar"])
    assert dropped.pypi == ("six",)
    assert dropped.specs == ("python",) and dropped.editables == ("/p",)
    assert spec.without_pypi(["unknown"]).pypi == spec.pypi


def test_has_pypi_is_true_for_requirements_editables_or_a_found_interpreter() -> None:
    assert not EnvSpec(channels=("c",), specs=("python",)).has_pypi
    assert not EnvSpec(channels=("c",), pypi_constraints=("a<2",), index=PypiIndex(no_index=True)).has_pypi
    assert EnvSpec(channels=(), pypi=("six",)).has_pypi
    assert EnvSpec(channels=(), editables=("/proj",)).has_pypi
    assert EnvSpec(channels=(), python="3.12").has_pypi


def test_env_spec_from_an_old_dict_without_pypi_keys_has_an_empty_pypi_side() -> None:
    spec = EnvSpec.from_dict({"channels": ["conda-forge"], "specs": ["python 3.12.*", "numpy"]})
    assert spec == EnvSpec(channels=("conda-forge",), specs=("python 3.12.*", "numpy"))
    assert spec.pypi == () and spec.editables == () and spec.pypi_constraints == ()
    assert spec.index == PypiIndex() and spec.python == ""
    assert not spec.has_pypi


def test_env_spec_round_trips_through_a_dict() -> None:
    spec = EnvSpec(
        channels=("conda-forge", "/srv/chan"),
        specs=("python 3.12.*",),
        pypi=("requests>=2", "six"),
        editables=("/home/me/proj",),
        pypi_constraints=("urllib3<2",),
        index=PypiIndex(index_url="https://pypi.example/simple", find_links=("/srv/wheels",)),
        python="3.12",
    )
    assert EnvSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_env_spec_to_dict_never_writes_index_credentials() -> None:
    spec = EnvSpec(channels=(), pypi=("six",), index=PypiIndex(index_url="https://alice:s3cret@pypi.example/simple"))
    data = spec.to_dict()
    assert data["index"]["index_url"] == "https://pypi.example/simple"
    assert "s3cret" not in json.dumps(data)


# --- installed distributions --------------------------------------------------------------------


def _dist_info(
    site: Path,
    name: str,
    version: str,
    record: str | None = None,
    installer: str = "uv",
    direct_url: dict[str, object] | None = None,
) -> Path:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test\n\nbody\n")
    (info / "INSTALLER").write_text(f"{installer}\n")
    if record is not None:
        (info / "RECORD").write_text(record)
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return info


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    """A prefix with two distributions in lib/python3.12/site-packages and one broken dist-info."""
    root = tmp_path / "prefix"
    site = root / "lib" / "python3.12" / "site-packages"
    record = (
        "foo/__init__.py,sha256=abc,10\n"
        "foo/sub/mod.py,sha256=def,20\n"
        "../../../bin/foo,sha256=ghi,30\n"
        "foo-1.0.dist-info/METADATA,sha256=jkl,40\n"
        "foo-1.0.dist-info/RECORD,,\n"
        "\n"
        "../../../../outside-the-prefix,sha256=mno,50\n"
    )
    _dist_info(
        site, "foo", "1.0", record=record, direct_url={"url": "https://example.org/foo-1.0.whl", "archive_info": {}}
    )
    _dist_info(
        site,
        "Bar_Baz",
        "2.0",
        installer="pip",
        direct_url={"url": "file:///home/me/bar", "dir_info": {"editable": True}},
    )
    (site / "broken-0.1.dist-info").mkdir()  # no METADATA: not a distribution
    return root


def test_installed_reads_names_versions_installer_and_direct_urls(prefix: Path) -> None:
    site = "lib/python3.12/site-packages"
    assert installed(prefix) == [
        Dist(
            name="bar-baz",
            version="2.0",
            dist_info=f"{site}/Bar_Baz-2.0.dist-info",
            installer="pip",
            editable="/home/me/bar",
            url="",
        ),
        Dist(
            name="foo",
            version="1.0",
            dist_info=f"{site}/foo-1.0.dist-info",
            installer="uv",
            editable="",
            url="https://example.org/foo-1.0.whl",
        ),
    ]


def test_installed_is_empty_for_a_prefix_without_site_packages(tmp_path: Path) -> None:
    assert installed(tmp_path) == []


def test_record_files_are_given_relative_to_the_prefix(prefix: Path) -> None:
    foo = next(d for d in installed(prefix) if d.name == "foo")
    site = "lib/python3.12/site-packages"
    assert record_files(prefix, foo) == [
        f"{site}/foo/__init__.py",
        f"{site}/foo/sub/mod.py",
        "bin/foo",
        f"{site}/foo-1.0.dist-info/METADATA",
        f"{site}/foo-1.0.dist-info/RECORD",
    ]


def test_record_files_keep_absolute_paths_inside_the_prefix_only(prefix: Path) -> None:
    foo = next(d for d in installed(prefix) if d.name == "foo")
    record = prefix / foo.dist_info / "RECORD"
    record.write_text(f"{prefix}/share/foo/data.txt,,\n/etc/passwd,,\n")
    assert record_files(prefix, foo) == ["share/foo/data.txt"]


def test_record_files_without_a_record_name_only_the_metadata(prefix: Path) -> None:
    bar = next(d for d in installed(prefix) if d.name == "bar-baz")
    assert record_files(prefix, bar) == [f"{bar.dist_info}/METADATA"]


def test_redact_hides_a_password_that_holds_a_raw_at_sign() -> None:
    assert redact("https://user:p@ss@host/simple") == "https://****@host/simple"
    assert strip_credentials("https://user:p@ss@host/simple") == "https://host/simple"


def test_translate_error_keeps_the_backend_error_of_a_long_traceback() -> None:
    frames = "".join(f'  File "x{i}.py", line {i}, in f\n' for i in range(40))
    stderr = (
        "error: Failed to build `x==1`\n  cause: The build backend returned an error\n\n  [stderr]\n"
        f"  Traceback (most recent call last):\n{frames}  RuntimeError: boom\n\n  hint: Build failures ...\n"
    )
    error = translate_error(stderr, PypiIndex())
    assert "build output: RuntimeError: boom" in error.details
    assert not any("Traceback" in line for line in error.details)
