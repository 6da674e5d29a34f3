"""Environment files: environment.yml, conda spec/explicit .txt files and pip requirements read into EnvFiles.

A corpus of realistic valid and invalid files, layering of several files, format detection, explicit
files, and property tests that what `export` writes is read back unchanged.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from corral.conda.solver import parse_specs
from corral.errors import EnvFileError, SpecError
from corral.models import EnvSpec, PypiIndex, pypi_name, spec_name
from corral.specs.envfile import EnvFile, ExplicitPackage, file_kind, read_file, read_files
from corral.specs.export import Exportable, environment_yml, requirements_txt

MD5 = "0123456789abcdef0123456789abcdef"
SHA = "ab" * 32
PYPROJECT = '[project]\nname = "mylib"\nversion = "0.1"\n'


def _sub(text: str, tmp: Path) -> str:
    """`{tmp}` stands for the test's temporary directory."""
    return text.replace("{tmp}", str(tmp))


def _write(tmp: Path, files: dict[str, str], dirs: tuple[str, ...] = ()) -> None:
    for name in dirs:
        (tmp / name).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_sub(text, tmp).encode())


# --- valid environment files -----------------------------------------------------------------


@dataclass(frozen=True)
class Valid:
    """One valid file (plus the files and folders it refers to) and the EnvFile expected from it."""

    id: str
    text: str
    channels: tuple[str, ...] = ()
    specs: tuple[str, ...] = ()
    pypi: tuple[str, ...] = ()
    editables: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    index: PypiIndex = field(default_factory=PypiIndex)
    variables: tuple[tuple[str, str], ...] = ()
    python: str = ""
    name: str = ""
    prefix: str = ""
    warnings: tuple[str, ...] = ()  # one phrase per expected warning, in order
    files: dict[str, str] = field(default_factory=dict)
    dirs: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    filename: str = "environment.yml"
    crlf: bool = False


VALID = [
    Valid(
        id="ml-pytorch-cuda",
        text="""\
name: torch-cuda
channels:
  - pytorch
  - nvidia
  - conda-forge
dependencies:
  - python=3.11
  - pytorch::pytorch
  - pytorch-cuda=12.1
  - torchvision
  - numpy>=1.26,<2
  - scipy 1.11.4
  - cudatoolkit=11.8.0
""",
        name="torch-cuda",
        channels=("pytorch", "nvidia", "conda-forge"),
        specs=(
            "python 3.11.*",
            "pytorch::pytorch",
            "pytorch-cuda 12.1.*",
            "torchvision",
            "numpy >=1.26,<2",
            "scipy ==1.11.4",
            "cudatoolkit 11.8.0.*",
        ),
    ),
    Valid(
        id="ml-spec-channels-appended",
        text="""\
name: llm
channels:
  - conda-forge
dependencies:
  - python 3.12.*
  - nvidia::cuda-toolkit=12.1
  - pytorch::pytorch>=2.2
  - conda-forge::numpy=1.26.4=py312heda63a1_0
  - transformers
""",
        name="llm",
        channels=("conda-forge", "nvidia", "pytorch"),
        specs=(
            "python 3.12.*",
            "nvidia::cuda-toolkit 12.1.*",
            "pytorch::pytorch >=2.2",
            "conda-forge::numpy ==1.26.4 py312heda63a1_0",
            "transformers",
        ),
    ),
    Valid(
        id="web-service-big-pip",
        text="""\
name: api
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
    - --extra-index-url https://download.pytorch.org/whl/cu121
    - --find-links ./wheels
    - -r other-requirements.txt
    - -e ./mylib
    - uvicorn[standard]>=0.29
    - Requests >= 2.31
    - tomli>=2; python_version < "3.11"
    - torch==2.3.0+cu121
    - mypkg @ https://example.com/mypkg-1.0-py3-none-any.whl
    - git+https://github.com/org/repo.git#egg=repo
    - pydantic>=2,<3
""",
        files={
            "other-requirements.txt": (
                "# shared pins\nhttpx>=0.27\n\nfastapi==0.110.0 \\\n    --hash=sha256:" + SHA + "  # pinned\n"
            ),
            "mylib/pyproject.toml": PYPROJECT,
        },
        dirs=("wheels",),
        name="api",
        channels=("conda-forge",),
        specs=("python 3.11.*", "pip"),
        pypi=(
            "httpx>=0.27",
            "fastapi==0.110.0",
            "uvicorn[standard]>=0.29",
            "Requests>=2.31",
            'tomli>=2; python_version < "3.11"',
            "torch==2.3.0+cu121",
            "mypkg @ https://example.com/mypkg-1.0-py3-none-any.whl",
            "repo @ git+https://github.com/org/repo.git",
            "pydantic<3,>=2",
        ),
        editables=("{tmp}/mylib",),
        index=PypiIndex(extra_index_urls=("https://download.pytorch.org/whl/cu121",), find_links=("{tmp}/wheels",)),
        warnings=("other-requirements.txt:4: --hash values are not checked",),
    ),
    Valid(
        id="pip-index-options-and-constraints",
        text="""\
dependencies:
  - python>=3.10
  - pip:
      - --index-url=https://pypi.internal.example.com/simple
      - --extra-index-url https://download.pytorch.org/whl/cpu
      - --no-index
      - --find-links https://example.com/wheels/
      - -c constraints.txt
      - --trusted-host pypi.internal.example.com
      - "-e ./setup-py-lib"
      - "exceptiongroup; python_version<'3.11'"
      - SQLAlchemy[asyncio]~=2.0
""",
        files={"constraints.txt": "urllib3<2\nidna==3.6\n", "setup-py-lib/setup.py": "from setuptools import setup\n"},
        specs=("python >=3.10",),
        pypi=('exceptiongroup; python_version < "3.11"', "SQLAlchemy[asyncio]~=2.0"),
        editables=("{tmp}/setup-py-lib",),
        constraints=("urllib3<2", "idna==3.6"),
        index=PypiIndex(
            index_url="https://pypi.internal.example.com/simple",
            extra_index_urls=("https://download.pytorch.org/whl/cpu",),
            find_links=("https://example.com/wheels/",),
            no_index=True,
        ),
        warnings=("pip option --trusted-host is not used by corral",),
    ),
    Valid(
        id="variables-kept-as-written",
        text="""\
name: vars
dependencies:
  - numpy
variables:
  OMP_NUM_THREADS: 4
  RATIO: 1.10
  DEBUG: true
  VERBOSE: False
  SWITCH: off
  BIG: 1_000
  HEX: 0x1F
  SCI: 1e3
  RELEASED: 2024-01-01
  EMPTY:
  NULLISH: null
  QUOTED: "1.10"
  SINGLE: 'it''s here'
  CUDA_PATHS: /usr/local/cuda/bin:/opt/bin
  URL: http://localhost:8080/a#frag
  MESSAGE: hello world  # a comment, not part of the value
  1: one
""",
        name="vars",
        specs=("numpy",),
        variables=(
            ("OMP_NUM_THREADS", "4"),
            ("RATIO", "1.10"),
            ("DEBUG", "true"),
            ("VERBOSE", "False"),
            ("SWITCH", "off"),
            ("BIG", "1_000"),
            ("HEX", "0x1F"),
            ("SCI", "1e3"),
            ("RELEASED", "2024-01-01"),
            ("EMPTY", ""),
            ("NULLISH", ""),
            ("QUOTED", "1.10"),
            ("SINGLE", "it's here"),
            ("CUDA_PATHS", "/usr/local/cuda/bin:/opt/bin"),
            ("URL", "http://localhost:8080/a#frag"),
            ("MESSAGE", "hello world"),
            ("1", "one"),
        ),
    ),
    Valid(
        id="env-var-channels",
        text="""\
channels:
  - ${CORRAL_TEST_CHANNEL_URL}
  - https://repo.example.com/$CORRAL_TEST_ORG/conda
  - ${CORRAL_TEST_CHANNEL_DIR}/local-channel
  - conda-forge
dependencies:
  - numpy
""",
        env=(
            ("CORRAL_TEST_CHANNEL_URL", "https://conda.example.com/private"),
            ("CORRAL_TEST_ORG", "acme"),
            ("CORRAL_TEST_CHANNEL_DIR", "{tmp}"),
        ),
        dirs=("local-channel",),
        channels=(
            "https://conda.example.com/private",
            "https://repo.example.com/acme/conda",
            "{tmp}/local-channel",
            "conda-forge",
        ),
        specs=("numpy",),
    ),
    Valid(
        id="nodefaults-dropped-defaults-kept",
        text="""\
name: nd
channels:
  - conda-forge
  - nodefaults
dependencies:
  - python=3.12
""",
        name="nd",
        channels=("conda-forge",),
        specs=("python 3.12.*",),
    ),
    Valid(
        id="defaults-and-repeated-channels",
        text="""\
channels:
  - defaults
  - conda-forge
  - conda-forge
  - https://conda.example.com/ml/
dependencies:
  - numpy
""",
        channels=("defaults", "conda-forge", "https://conda.example.com/ml"),
        specs=("numpy",),
    ),
    Valid(
        id="local-channels",
        text="""\
channels:
  - ./local-channel
  - file://{tmp}/other channel
  - {tmp}/abs-channel/
dependencies:
  - mypkg
""",
        dirs=("local-channel", "other channel", "abs-channel"),
        channels=("{tmp}/local-channel", "{tmp}/other channel", "{tmp}/abs-channel"),
        specs=("mypkg",),
    ),
    Valid(
        id="flow-lists",
        text="""\
name: flow
channels: [conda-forge, bioconda]
dependencies: [python=3.12, "samtools 1.19", {pip: [requests, "rich>=13"]}]
variables: {MODE: fast, LEVEL: 2}
""",
        name="flow",
        channels=("conda-forge", "bioconda"),
        specs=("python 3.12.*", "samtools ==1.19"),
        pypi=("requests", "rich>=13"),
        variables=(("MODE", "fast"), ("LEVEL", "2")),
    ),
    Valid(
        id="anchors-aliases-merge-keys",
        text="""\
x-common-channels: &chans
  - conda-forge
x-env: &env
  TZ: UTC
  LANG: C.UTF-8
name: &name anchored
channels: *chans
dependencies:
  - &py python=3.11
  - numpy
  - pip:
    - *name
variables:
  <<: *env
  EXTRA: "1"
""",
        name="anchored",
        channels=("conda-forge",),
        specs=("python 3.11.*", "numpy"),
        pypi=("anchored",),
        variables=(("TZ", "UTC"), ("LANG", "C.UTF-8"), ("EXTRA", "1")),
    ),
    Valid(
        id="comments-everywhere",
        text="""\
# A project environment
name: commented   # the env name
# channels come next
channels:  # in priority order
  # the community channel
  - conda-forge   # trailing
dependencies:
  # interpreter
  - python=3.11  # pinned minor
  - numpy  # arrays
  - pip:  # PyPI side
    # a comment inside pip
    - requests  # http
variables:  # none but one
  # commented: out
  A: b  # trailing
# the end
""",
        name="commented",
        channels=("conda-forge",),
        specs=("python 3.11.*", "numpy"),
        pypi=("requests",),
        variables=(("A", "b"),),
    ),
    Valid(
        id="quoted-strings",
        text="""\
name: "quoted env"
channels:
  - 'conda-forge'
  - "https://conda.example.com/ml"
dependencies:
  - "numpy>=1.26"
  - 'scipy 1.11.4'
  - "pytorch::pytorch"
  - pip:
    - 'black==24.3.0'
    - "uvicorn[standard]>=0.29"
variables:
  "QUOTED KEY": 'v'
""",
        name="quoted env",
        channels=("conda-forge", "https://conda.example.com/ml", "pytorch"),
        specs=("numpy >=1.26", "scipy ==1.11.4", "pytorch::pytorch"),
        pypi=("black==24.3.0", "uvicorn[standard]>=0.29"),
        variables=(("QUOTED KEY", "v"),),
    ),
    Valid(
        id="crlf-line-endings",
        text="""\
name: windows
channels:
  - conda-forge
dependencies:
  - python=3.10
  - numpy>=1.26,<2
  - pip:
    - requests
variables:
  RATIO: 1.10
""",
        crlf=True,
        name="windows",
        channels=("conda-forge",),
        specs=("python 3.10.*", "numpy >=1.26,<2"),
        pypi=("requests",),
        variables=(("RATIO", "1.10"),),
    ),
    Valid(
        id="document-markers",
        text="""\
%YAML 1.1
---
name: docstart
dependencies:
  - numpy
...
""",
        name="docstart",
        specs=("numpy",),
    ),
    Valid(
        id="empty-sections",
        text="""\
name: empty-bits
channels:
dependencies:
  - numpy
  - pip:
variables:
""",
        name="empty-bits",
        specs=("numpy",),
    ),
    Valid(
        id="conda-lock-platforms-key-ignored-with-a-word",
        text="""\
name: with-extras
platforms: [linux-64, osx-arm64]
dependencies:
  - numpy
""",
        name="with-extras",
        specs=("numpy",),
        warnings=("environment.yml:2:1: ignored key 'platforms' (conda-lock's lock platforms",),
    ),
    Valid(
        id="env-vars-in-pip-lines-expanded-as-pip-does",
        text="""\
dependencies:
  - python
  - pip:
    - --extra-index-url https://${CORRAL_TEST_TOKEN}@pypi.example.com/simple
    - mylib==${CORRAL_TEST_VERSION}
    - other  # $CORRAL_TEST_VERSION: pip expands only ${NAME}
""",
        env=(("CORRAL_TEST_TOKEN", "s3cret"), ("CORRAL_TEST_VERSION", "1.2")),
        specs=("python",),
        pypi=("mylib==1.2", "other"),
        index=PypiIndex(extra_index_urls=("https://s3cret@pypi.example.com/simple",)),
    ),
    Valid(
        id="env-vars-in-variables-kept-as-written-with-a-word",
        text="""\
dependencies: [numpy]
variables:
  API_KEY: ${MY_API_KEY}
  TOOLS: $HOME/tools
  PLAIN: no dollar here
""",
        env=(("MY_API_KEY", "would-leak"),),
        specs=("numpy",),
        variables=(("API_KEY", "${MY_API_KEY}"), ("TOOLS", "$HOME/tools"), ("PLAIN", "no dollar here")),
        warnings=(
            "environment.yml:3:3: variable API_KEY is set to the text '${MY_API_KEY}' on activation, as conda does",
            "$HOME is not expanded",
        ),
    ),
    Valid(
        id="prefix-and-python",
        text="""\
prefix: /opt/envs/proj
python: 3.10
dependencies:
  - pip:
    - requests
""",
        prefix="/opt/envs/proj",
        python="3.10",
        pypi=("requests",),
    ),
    Valid(
        id="include-with-override",
        text="""\
include: base/base.yml
name: service
channels:
  - pytorch
dependencies:
  - numpy>=2
  - pytorch::pytorch
  - pip:
    - requests>=2.32
    - fastapi
variables:
  B: "3"
  C: "4"
""",
        files={
            "base/base.yml": """\
name: base
channels:
  - conda-forge
  - ./chan
dependencies:
  - python=3.11
  - numpy
  - pip:
    - requests==2.31.0
    - -e ../mylib
variables:
  A: 1
  B: 2
""",
            "mylib/pyproject.toml": PYPROJECT,
        },
        dirs=("base/chan",),
        name="service",
        channels=("conda-forge", "{tmp}/base/chan", "pytorch"),
        specs=("python 3.11.*", "numpy >=2", "pytorch::pytorch"),
        pypi=("requests>=2.32", "fastapi"),
        editables=("{tmp}/mylib",),
        variables=(("A", "1"), ("B", "3"), ("C", "4")),
    ),
    Valid(
        id="include-list-several-bases",
        text="""\
include:
  - common.yml
  - gpu.yml
dependencies:
  - scipy
""",
        files={
            "common.yml": "name: common\nchannels: [conda-forge]\ndependencies: [python=3.12, numpy]\n",
            "gpu.yml": "channels: [nvidia]\ndependencies: [cuda-version=12.1, numpy>=1.26]\nvariables: {GPU: 1}\n",
        },
        name="common",
        channels=("conda-forge", "nvidia"),
        specs=("python 3.12.*", "numpy >=1.26", "cuda-version 12.1.*", "scipy"),
        variables=(("GPU", "1"),),
    ),
    Valid(
        id="conda-list-export-txt",
        filename="spec-file.txt",
        text="""\
# This file may be used to create an environment using:
# $ conda create --name <env> --file <this file>
# platform: linux-64
numpy=1.26.4=py312heda63a1_0
python=3.12.2=hab00c5b_0_cpython
pytorch::pytorch=2.2.1=py3.12_cuda12.1_cudnn8.9.2_0
""",
        channels=("pytorch",),
        specs=(
            "numpy ==1.26.4 py312heda63a1_0",
            "python ==3.12.2 hab00c5b_0_cpython",
            "pytorch::pytorch ==2.2.1 py3.12_cuda12.1_cudnn8.9.2_0",
        ),
    ),
    Valid(
        id="requirements-txt",
        filename="requirements-dev.txt",
        text="""\
--index-url https://pypi.example.com/simple
-r base.txt
pytest>=8  # tests
requests[socks]==2.31.0 --hash=sha256:{hash} \\
    --hash=sha256:{hash}
""".replace("{hash}", SHA),
        files={"base.txt": "numpy>=1.26\n"},
        pypi=("numpy>=1.26", "pytest>=8", "requests[socks]==2.31.0"),
        index=PypiIndex(index_url="https://pypi.example.com/simple"),
        warnings=("requirements-dev.txt:4: --hash values are not checked",),
    ),
]


def _expected_index(index: PypiIndex, tmp: Path) -> PypiIndex:
    return PypiIndex(
        index_url=index.index_url,
        extra_index_urls=index.extra_index_urls,
        find_links=tuple(_sub(f, tmp) for f in index.find_links),
        no_index=index.no_index,
    )


@pytest.mark.parametrize("case", VALID, ids=[c.id for c in VALID])
def test_valid_files_are_read_into_the_expected_spec(
    case: Valid, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp = tmp_path.resolve()
    for key, value in case.env:
        monkeypatch.setenv(key, _sub(value, tmp))
    _write(tmp, case.files, case.dirs)
    text = _sub(case.text, tmp)
    path = tmp / case.filename
    path.write_bytes((text.replace("\n", "\r\n") if case.crlf else text).encode())

    result = read_file(path)

    expected = EnvSpec(
        channels=tuple(_sub(c, tmp) for c in case.channels),
        specs=case.specs,
        pypi=case.pypi,
        editables=tuple(_sub(e, tmp) for e in case.editables),
        pypi_constraints=case.constraints,
        index=_expected_index(case.index, tmp),
        python=case.python,
        variables=case.variables,
    )
    assert result.spec == expected
    assert (result.name, result.prefix) == (case.name, case.prefix)
    assert result.sources[-1] == str(path)
    assert len(result.warnings) == len(case.warnings), result.warnings
    for warning, phrase in zip(result.warnings, case.warnings, strict=True):
        assert phrase in warning
    assert result.explicit == ()


def test_canonical_specs_are_what_the_solver_parser_gives() -> None:
    """The specs expected in the corpus are exactly parse_specs' canonical strings."""
    written = ["python=3.11", "numpy>=1.26,<2", "scipy 1.11.4", "pytorch-cuda=12.1", "pytorch::pytorch"]
    assert parse_specs(written) == [
        "python 3.11.*",
        "numpy >=1.26,<2",
        "scipy ==1.11.4",
        "pytorch-cuda 12.1.*",
        "pytorch::pytorch",
    ]


def test_every_unknown_key_is_named_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text("name: x\nfoo: 1\nchanels: [2]\ndependencies: [numpy]\nx-anchors: {}\n")
    with pytest.raises(EnvFileError) as info:
        read_file(path)
    assert info.value.message == f"{path}:2:1: unknown key 'foo'"
    assert info.value.details == [f"{path}:3:1: unknown key 'chanels': did you mean 'channels'?"]
    assert info.value.hint is not None and "name, prefix, channels, dependencies, variables" in info.value.hint


def test_include_resolves_relative_to_the_including_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "envs" / "shared").mkdir(parents=True)
    (tmp_path / "envs" / "shared" / "base.yml").write_text("dependencies: [numpy]\n")
    (tmp_path / "envs" / "app.yml").write_text("include: shared/base.yml\ndependencies: [scipy]\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = read_file(Path("../envs/app.yml"))
    assert result.spec.specs == ("numpy", "scipy")
    assert result.sources == (str(tmp_path / "envs" / "shared" / "base.yml"), str(tmp_path / "envs" / "app.yml"))


def test_diamond_include_is_not_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "root.yml").write_text("channels: [conda-forge]\ndependencies: [python=3.12]\n")
    (tmp_path / "a.yml").write_text("include: root.yml\ndependencies: [numpy]\n")
    (tmp_path / "b.yml").write_text("include: root.yml\ndependencies: [scipy]\n")
    (tmp_path / "top.yml").write_text("include: [a.yml, b.yml]\n")
    result = read_file(tmp_path / "top.yml")
    assert result.spec.channels == ("conda-forge",)
    assert result.spec.specs == ("python 3.12.*", "numpy", "scipy")


def test_explicit_key_overrides_a_merged_key(tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text("x-env: &env\n  A: '1'\n  B: '2'\nvariables:\n  <<: *env\n  B: '3'\ndependencies: [numpy]\n")
    assert read_file(path).spec.variables == (("A", "1"), ("B", "3"))


def test_quoted_variable_keeps_its_surrounding_spaces(tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text('variables:\n  PS1: "(env) "\n  PAD: "  x  "\n')
    assert read_file(path).spec.variables == (("PS1", "(env) "), ("PAD", "  x  "))


@pytest.mark.parametrize("text", ["---\n", "# header\n---\n...\n", "null\n"])
def test_empty_document_is_an_empty_file(text: str, tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text(text)
    with pytest.raises(EnvFileError, match="is empty"):
        read_file(path)


def test_requirements_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes("requests>=2\nnumpy\n".encode("utf-8-sig"))
    assert read_file(path).spec.pypi == ("requests>=2", "numpy")


# --- invalid files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Invalid:
    """One invalid file, the error it must raise, where the message points and a phrase it contains."""

    id: str
    text: str
    error: type[SpecError]  # EnvFileError is a SpecError
    where: str  # the location the message starts with; `{file}` is the file read, `{tmp}` its folder
    phrase: str
    files: dict[str, str] = field(default_factory=dict)
    dirs: tuple[str, ...] = ()
    filename: str = "environment.yml"
    starts: bool = True  # the message starts with `where` (else only contains it)


INVALID = [
    Invalid(
        id="yaml-bad-indentation",
        text="name: x\ndependencies:\n  - numpy\n - scipy\n",
        error=EnvFileError,
        where="{file}:4:2:",
        phrase="not valid YAML",
    ),
    Invalid(
        id="yaml-unclosed-quote",
        text='name: x\ndependencies:\n  - "numpy\n  - scipy\n',
        error=EnvFileError,
        where="{file}:3:5:",  # where the quote opens, not the end of the file
        phrase="not valid YAML: found unexpected end of stream (a quote that is never closed)",
    ),
    Invalid(
        id="key-typo-is-an-error-not-an-empty-environment",
        text="name: x\ndependecies:\n  - numpy\n",
        error=EnvFileError,
        where="{file}:2:1:",
        phrase="unknown key 'dependecies': did you mean 'dependencies'?",
    ),
    Invalid(
        id="unknown-key-without-a-near-one",
        text="name: x\ndescription: a project\ndependencies:\n  - numpy\n",
        error=EnvFileError,
        where="{file}:2:1:",
        phrase="unknown key 'description'",
    ),
    Invalid(
        id="list-item-indented-under-a-spec",
        text="name: x\ndependencies:\n  - python=3.12\n     - six\n",
        error=EnvFileError,
        where="{file}:4:6:",
        phrase="a list item inside a spec: '- six' is indented deeper than the item above it, so YAML reads both"
        " as the one dependency 'python=3.12 - six'",
    ),
    Invalid(
        id="pip-without-its-colon",
        text="name: x\ndependencies:\n  - python\n  - pip\n    - requests\n",
        error=EnvFileError,
        where="{file}:5:5:",
        phrase="a list item inside a spec",
    ),
    Invalid(
        id="list-item-indented-under-a-pip-entry",
        text="dependencies:\n  - pip:\n    - requests\n      - rich\n",
        error=EnvFileError,
        where="{file}:4:7:",
        phrase="the one pip entry 'requests - rich'",
    ),
    Invalid(
        id="list-item-indented-under-a-channel",
        text="channels:\n  - conda-forge\n    - bioconda\ndependencies: [numpy]\n",
        error=EnvFileError,
        where="{file}:3:5:",
        phrase="a list item inside a channel",
    ),
    Invalid(
        id="spec-running-onto-the-next-line",
        text="dependencies:\n  - numpy\n    >=1.26\n",
        error=EnvFileError,
        where="{file}:3:5:",
        phrase="a dependency runs onto this line, so YAML reads the lines as the one value 'numpy >=1.26'",
    ),
    Invalid(
        id="spec-written-as-a-mapping",
        text="dependencies:\n  - numpy: 1.26\n",
        error=EnvFileError,
        where="{file}:2:5:",
        phrase="'numpy: 1.26' is a mapping, not a conda spec",
    ),
    Invalid(
        id="pip-section-typo",
        text="dependencies:\n  - pipp:\n    - requests\n",
        error=EnvFileError,
        where="{file}:2:5:",
        phrase="unknown dependency section 'pipp': did you mean 'pip'?",
    ),
    Invalid(
        id="unset-variable-in-a-pip-line",
        text="dependencies:\n  - pip:\n    - --index-url https://${CORRAL_TEST_UNSET_VAR}@example.com/simple\n",
        error=EnvFileError,
        where="{file}:3:7:",
        phrase="uses ${CORRAL_TEST_UNSET_VAR}, which is not set",
    ),
    Invalid(
        id="yaml-colon-where-no-key-can-start",
        text="dependencies:\n  - pip: requests: 1\n",
        error=EnvFileError,
        where="{file}:2:18:",
        phrase="mapping values are not allowed here (a ': ' where no key can start",
    ),
    Invalid(
        id="yaml-tab-indentation",
        text="name: x\ndependencies:\n\t- numpy\n",
        error=EnvFileError,
        where="{file}:3:1:",
        phrase="that cannot start any token",
    ),
    Invalid(
        id="yaml-not-a-mapping",
        text="- numpy\n- scipy\n",
        error=EnvFileError,
        where="{file}:1:1:",
        phrase="the file must be a mapping",
    ),
    Invalid(
        id="dependencies-not-a-list",
        text="name: x\ndependencies: numpy\n",
        error=EnvFileError,
        where="{file}:2:15:",
        phrase="'dependencies' must be a list",
    ),
    Invalid(
        id="channels-a-mapping",
        text="channels:\n  conda-forge: 1\ndependencies: [numpy]\n",
        error=EnvFileError,
        where="{file}:2:3:",
        phrase="'channels' must be a list",
    ),
    Invalid(
        id="variables-a-list",
        text="dependencies: [numpy]\nvariables:\n  - A=1\n",
        error=EnvFileError,
        where="{file}:3:3:",
        phrase="variables must be a mapping",
    ),
    Invalid(
        id="dependency-mapping-not-pip",
        text="dependencies:\n  - numpy\n  - conda:\n    - scipy\n",
        error=EnvFileError,
        where="{file}:3:5:",
        phrase="a dependency must be a conda spec or a `pip:` list, found keys conda",
    ),
    Invalid(
        id="dependency-a-nested-list",
        text="dependencies:\n  - [numpy, scipy]\n",
        error=EnvFileError,
        where="{file}:2:5:",
        phrase="a dependency must be a mapping",
    ),
    Invalid(
        id="duplicate-top-level-key",
        text="name: a\ndependencies:\n  - numpy\nname: b\n",
        error=EnvFileError,
        where="{file}:4:1:",
        phrase="key 'name' appears twice",
    ),
    Invalid(
        id="invalid-conda-spec",
        text="dependencies:\n  - python=3.11\n  - numpy >>> 1\n",
        error=EnvFileError,
        where="{file}:3:5:",
        phrase="invalid package spec 'numpy >>> 1'",
    ),
    Invalid(
        id="invalid-pip-requirement",
        text="dependencies:\n  - pip:\n    - requests\n    - numpy>=>1\n",
        error=SpecError,
        where="{file}:4:7:",
        phrase="invalid PyPI requirement 'numpy>=>1'",
    ),
    Invalid(
        id="pip-url-without-name",
        text="dependencies:\n  - pip:\n    - https://example.com/pkg-1.0-py3-none-any.whl\n",
        error=SpecError,
        where="{file}:3:7:",
        phrase="invalid PyPI requirement",
    ),
    Invalid(
        id="unsupported-pip-option",
        text="dependencies:\n  - pip:\n    - --pre\n    - torch\n",
        error=SpecError,
        where="{file}:3:7:",
        phrase="option --pre is not supported",
    ),
    Invalid(
        id="pip-option-without-value",
        text="dependencies:\n  - pip:\n    - --index-url\n",
        error=SpecError,
        where="{file}:3:7:",
        phrase="--index-url needs a value",
    ),
    Invalid(
        id="missing-r-file",
        text="dependencies:\n  - pip:\n    - -r other-requirements.txt\n",
        error=SpecError,
        where="{tmp}/other-requirements.txt",
        phrase="does not exist",
        starts=False,
    ),
    Invalid(
        id="non-directory-editable",
        text="dependencies:\n  - pip:\n    - -e ./mylib.py\n",
        files={"mylib.py": "print('hi')\n"},
        error=SpecError,
        where="{tmp}/mylib.py",
        phrase="is not a directory",
        starts=False,
    ),
    Invalid(
        id="editable-without-project-file",
        text="dependencies:\n  - pip:\n    - -e ./notaproject\n",
        dirs=("notaproject",),
        error=SpecError,
        where="{tmp}/notaproject",
        phrase="has neither pyproject.toml nor setup.py",
        starts=False,
    ),
    Invalid(
        id="missing-include",
        text="include: ../nowhere/base.yml\ndependencies: [numpy]\n",
        error=EnvFileError,
        where="environment file {nowhere} does not exist (included from {file})",
        phrase="does not exist",
        starts=False,
    ),
    Invalid(
        id="include-cycle",
        text="include: b.yml\ndependencies: [numpy]\n",
        files={"b.yml": "include: environment.yml\ndependencies: [scipy]\n"},
        error=EnvFileError,
        where="{file} -> {tmp}/b.yml -> {file}",
        phrase="environment files include each other",
        starts=False,
    ),
    Invalid(
        id="self-include",
        text="include: [./environment.yml]\n",
        error=EnvFileError,
        where="{file} -> {file}",
        phrase="include each other",
        starts=False,
    ),
    Invalid(
        id="unset-env-var-channel",
        text="channels:\n  - conda-forge\n  - https://conda.example.com/${CORRAL_TEST_UNSET_VAR}\n"
        "dependencies: [numpy]\n",
        error=EnvFileError,
        where="{file}:3:5:",
        phrase="uses ${CORRAL_TEST_UNSET_VAR}, which is not set",
    ),
    Invalid(
        id="missing-local-channel",
        text="channels:\n  - ./no-such-channel\ndependencies: [numpy]\n",
        error=EnvFileError,
        where="{file}:2:5:",
        phrase="channel directory './no-such-channel' does not exist",
    ),
    Invalid(
        id="unsupported-channel-scheme",
        text="channels:\n  - ftp://example.com/chan\n",
        error=EnvFileError,
        where="{file}:2:5:",
        phrase="unsupported channel URL scheme",
    ),
    Invalid(
        id="empty-file",
        text="",
        error=EnvFileError,
        where="{file} is empty",
        phrase="is empty",
    ),
    Invalid(
        id="comments-only-file",
        text="# nothing here yet\n\n   # still nothing\n",
        error=EnvFileError,
        where="{file} is empty",
        phrase="is empty",
    ),
    Invalid(
        id="name-a-list",
        text="name: [a, b]\n",
        error=EnvFileError,
        where="{file}:1:7:",
        phrase="expected name as text, found a list",
    ),
    Invalid(
        id="explicit-bad-url",
        filename="explicit.txt",
        text="# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/noarch/six-1.16.0-pyh_0.conda\n"
        "numpy-1.26.4-py312_0.conda\n",
        error=EnvFileError,
        where="{file}:4:1:",
        phrase="'numpy-1.26.4-py312_0.conda' is not a package URL",
    ),
    Invalid(
        id="explicit-bad-hash",
        filename="explicit.txt",
        text="@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/noarch/six-1.16.0-pyh_0.conda#nothex\n",
        error=EnvFileError,
        where="{file}:2:1:",
        phrase="'#nothex' is not an md5 or sha256 hash",
    ),
    Invalid(
        id="explicit-url-before-marker",
        filename="explicit.txt",
        text="https://conda.anaconda.org/conda-forge/noarch/six-1.16.0-pyh_0.conda\n@EXPLICIT\n",
        error=EnvFileError,
        where="{file}:1:1:",
        phrase="comes before @EXPLICIT",
    ),
    Invalid(
        id="explicit-without-packages",
        filename="explicit.txt",
        text="# platform: linux-64\n@EXPLICIT\n",
        error=EnvFileError,
        where="{file}:",
        phrase="@EXPLICIT lists no packages",
    ),
    Invalid(
        id="conda-specs-txt-bad-spec",
        filename="spec-file.txt",
        text="# platform: linux-64\nnumpy=1.26.4=py312_0\n  scipy >>> 1\n",
        error=EnvFileError,
        where="{file}:3:3:",
        phrase="invalid package spec 'scipy >>> 1'",
    ),
    Invalid(
        id="pylock-not-toml",
        filename="pylock.toml",
        text='lock-version = "1.0"\npackages = [\n  { name = "six" \n',
        error=EnvFileError,
        where="{file}:3:",
        phrase="not valid TOML: ",
    ),
    Invalid(
        id="requirements-txt-bad-line",
        filename="requirements.txt",
        text="requests\n\nnumpy>=>1\n",
        error=SpecError,
        where="{file}:3:",
        phrase="invalid PyPI requirement",
    ),
    Invalid(
        id="requirements-txt-unsupported-option",
        filename="requirements.txt",
        text="--pre\nrequests\n",
        error=SpecError,
        where="{file}:1:",
        phrase="option --pre is not supported",
    ),
    Invalid(
        id="requirements-txt-unbalanced-quote",
        filename="requirements.txt",
        text="requests\nfoo; python_version < '3.11\n",
        error=SpecError,
        where="{file}:2:",
        phrase="cannot parse",
    ),
]


@pytest.mark.parametrize("case", INVALID, ids=[c.id for c in INVALID])
def test_invalid_files_raise_with_file_line_and_column(case: Invalid, tmp_path: Path) -> None:
    tmp = tmp_path.resolve()
    _write(tmp, case.files, case.dirs)
    path = tmp / case.filename
    path.write_text(case.text)
    where = case.where.replace("{file}", str(path)).replace("{nowhere}", str(tmp.parent / "nowhere" / "base.yml"))
    where = _sub(where, tmp)

    with pytest.raises(case.error) as info:
        read_file(path)

    message = info.value.message
    if case.starts:
        assert message.startswith(where), message
    else:
        assert where in message, message
    assert case.phrase in message
    assert info.value.hint


LOCATED = [
    ("missing-r-file", "    - -r other-requirements.txt\n", {}, ()),
    ("non-directory-editable", "    - -e ./mylib.py\n", {"mylib.py": "x = 1\n"}, ()),
    ("editable-without-project-file", "    - -e ./notaproject\n", {}, ("notaproject",)),
    ("missing-find-links-dir", "    - --find-links ./wheels\n", {}, ()),
]


@pytest.mark.parametrize(("line", "files", "dirs"), [case[1:] for case in LOCATED], ids=[case[0] for case in LOCATED])
def test_pip_option_value_errors_name_the_entry(
    line: str, files: dict[str, str], dirs: tuple[str, ...], tmp_path: Path
) -> None:
    _write(tmp_path, files, dirs)
    path = tmp_path / "environment.yml"
    path.write_text("dependencies:\n  - pip:\n    - requests\n" + line)
    with pytest.raises(SpecError) as info:
        read_file(path)
    assert info.value.message.startswith(f"{path}:4:7:"), info.value.message


# --- layering several files ------------------------------------------------------------------

BASE = """\
name: base
channels:
  - conda-forge
  - nvidia
dependencies:
  - python=3.11
  - numpy>=1.26
  - pandas
  - pip:
    - --extra-index-url https://download.pytorch.org/whl/cu121
    - requests==2.31.0
    - rich
variables:
  A: 1
  B: 2
"""

SERVICE = """\
name: service
channels:
  - pytorch
  - conda-forge
dependencies:
  - numpy=2.0
  - pytorch::pytorch
  - pip:
    - --index-url https://pypi.internal.example.com/simple
    - Requests>=2.32
    - fastapi
variables:
  B: 3
  C: 4
"""

LAYERED = EnvSpec(
    channels=("conda-forge", "nvidia", "pytorch"),
    specs=("python 3.11.*", "numpy 2.0.*", "pandas", "pytorch::pytorch"),
    pypi=("Requests>=2.32", "rich", "fastapi"),
    index=PypiIndex(
        index_url="https://pypi.internal.example.com/simple",
        extra_index_urls=("https://download.pytorch.org/whl/cu121",),
    ),
    variables=(("A", "1"), ("B", "3"), ("C", "4")),
)


def test_read_files_layers_later_files_over_earlier_ones(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text(BASE)
    (tmp_path / "service.yml").write_text(SERVICE)
    result = read_files(["base.yml", "service.yml"], base=tmp_path)
    assert result.spec == LAYERED
    assert result.name == "service"
    assert result.sources == (str(tmp_path / "base.yml"), str(tmp_path / "service.yml"))


def test_read_files_with_absolute_paths_and_the_earlier_name_kept(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text(BASE)
    (tmp_path / "extra.yml").write_text("dependencies: [scipy]\n")
    result = read_files([tmp_path / "base.yml", tmp_path / "extra.yml"])
    assert result.name == "base"
    assert result.spec.specs == ("python 3.11.*", "numpy >=1.26", "pandas", "scipy")


def test_include_gives_the_same_as_passing_both_files(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text(BASE)
    (tmp_path / "service.yml").write_text(SERVICE)
    (tmp_path / "included.yml").write_text("include: base.yml\n" + SERVICE)
    both = read_files(["base.yml", "service.yml"], base=tmp_path)
    included = read_file(tmp_path / "included.yml")
    assert included.spec == both.spec == LAYERED
    assert included.name == both.name == "service"
    assert included.sources == (str(tmp_path / "base.yml"), str(tmp_path / "included.yml"))


def test_layering_mixes_formats(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text(BASE)
    (tmp_path / "requirements.txt").write_text("rich==13.7.1\nhttpx\n")
    (tmp_path / "specs.txt").write_text("pandas=2.2\nscipy\n")
    result = read_files(["base.yml", "requirements.txt", "specs.txt"], base=tmp_path)
    assert result.spec.specs == ("python 3.11.*", "numpy >=1.26", "pandas 2.2.*", "scipy")
    assert result.spec.pypi == ("requests==2.31.0", "rich==13.7.1", "httpx")
    assert result.spec.channels == ("conda-forge", "nvidia")
    assert result.name == "base"


def test_envfile_layered_keeps_warnings_and_explicit_packages() -> None:
    pkg = ExplicitPackage("https://c/noarch/a-1-0.conda", "https://c", "a", "1", "0")
    low = EnvFile(EnvSpec(channels=("a",)), name="low", prefix="/p", sources=("x",), warnings=("w1",))
    top = EnvFile(EnvSpec(channels=("b",)), sources=("y",), warnings=("w2",), explicit=(pkg,))
    merged = low.layered(top)
    assert merged == EnvFile(
        EnvSpec(channels=("a", "b")),
        name="low",
        prefix="/p",
        sources=("x", "y"),
        warnings=("w1", "w2"),
        explicit=(pkg,),
    )


# --- file kinds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("environment.yml", "", "environment"),
        ("env.YAML", "numpy\n", "environment"),
        ("requirements.txt", "numpy\nscipy\n", "requirements"),
        ("requirements-dev.txt", "numpy=1.26\n", "requirements"),
        ("dev-requirements.txt", "pytest\n", "requirements"),
        ("constraints.txt", "urllib3<2\n", "requirements"),
        ("deps.in", "numpy\n", "requirements"),
        (
            "spec-file.txt",
            "# platform: linux-64\nnumpy=1.26.4=py312heda63a1_0\npython=3.12.2=hab00c5b_0\n",
            "conda-specs",
        ),
        ("packages.txt", "numpy\nscipy\n# comment\n", "conda-specs"),
        ("packages.txt", "numpy=1.26\n", "conda-specs"),
        ("packages.txt", "numpy 1.26.*\n", "conda-specs"),
        ("packages.txt", "conda-forge::numpy\n", "conda-specs"),
        ("packages.txt", "-r base.txt\n", "requirements"),
        ("packages.txt", "--index-url https://pypi.example.com/simple\nnumpy\n", "requirements"),
        ("packages.txt", "  -e ./mylib\n", "requirements"),
        ("packages.txt", "requests>=2\n", "requirements"),
        ("packages.txt", "requests==2.31.0\n", "requirements"),
        ("packages.txt", "requests~=2.31\n", "requirements"),
        ("packages.txt", "uvicorn[standard]\n", "requirements"),
        ("packages.txt", 'tomli; python_version < "3.11"\n', "requirements"),
        ("packages.txt", "# platform: linux-64\n@EXPLICIT\nhttps://c/noarch/a-1-0.conda\n", "explicit"),
        ("requirements.txt", "@EXPLICIT\n", "explicit"),
        ("empty.txt", "", "conda-specs"),
        ("pylock.toml", "lock-version = '1.0'\n", "pylock"),
    ],
)
def test_file_kind(name: str, text: str, kind: str) -> None:
    assert file_kind(Path(name), text) == kind


def test_file_kind_direct_reference_is_a_requirement() -> None:
    text = "mypkg @ https://example.com/mypkg-1.0-py3-none-any.whl\n"
    assert file_kind(Path("deps.txt"), text) == "requirements"


# --- explicit files --------------------------------------------------------------------------


def test_explicit_file_is_parsed_into_packages(tmp_path: Path) -> None:
    channel = tmp_path / "local channel"
    (channel / "noarch").mkdir(parents=True)
    local_url = f"file://{channel}/noarch/six-1.16.0-pyh6c4a22f_0.tar.bz2"
    path = tmp_path / "explicit.txt"
    path.write_text(
        "# This file may be used to create an environment using:\n"
        "# platform: linux-64\n"
        "@EXPLICIT\n"
        f"https://conda.anaconda.org/conda-forge/noarch/python-dateutil-2.9.0-pyhd8ed1ab_0.conda#{MD5}\n"
        "\n"
        f"https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312heda63a1_0.tar.bz2#sha256:{SHA.upper()}\n"
        f"https://conda.anaconda.org/conda-forge/linux-64/libgcc-ng-13.2.0-h77fa898_7.conda#md5:{MD5}\n"
        f"{local_url}\n"
    )
    result = read_file(path)
    forge = "https://conda.anaconda.org/conda-forge"
    assert result.explicit == (
        ExplicitPackage(
            url=f"{forge}/noarch/python-dateutil-2.9.0-pyhd8ed1ab_0.conda",
            channel=forge,
            name="python-dateutil",
            version="2.9.0",
            build="pyhd8ed1ab_0",
            md5=MD5,
        ),
        ExplicitPackage(
            url=f"{forge}/linux-64/numpy-1.26.4-py312heda63a1_0.tar.bz2",
            channel=forge,
            name="numpy",
            version="1.26.4",
            build="py312heda63a1_0",
            sha256=SHA,
        ),
        ExplicitPackage(
            url=f"{forge}/linux-64/libgcc-ng-13.2.0-h77fa898_7.conda",
            channel=forge,
            name="libgcc-ng",
            version="13.2.0",
            build="h77fa898_7",
            md5=MD5,
        ),
        ExplicitPackage(
            url=local_url,
            channel=f"file://{channel}",
            name="six",
            version="1.16.0",
            build="pyh6c4a22f_0",
        ),
    )
    assert result.spec.channels == (forge, str(channel))
    assert result.spec.specs == (  # the artifact named, so that the solver keeps its format
        'python-dateutil ==2.9.0 pyhd8ed1ab_0[fn="python-dateutil-2.9.0-pyhd8ed1ab_0.conda"]',
        'numpy ==1.26.4 py312heda63a1_0[fn="numpy-1.26.4-py312heda63a1_0.tar.bz2"]',
        'libgcc-ng ==13.2.0 h77fa898_7[fn="libgcc-ng-13.2.0-h77fa898_7.conda"]',
        'six ==1.16.0 pyh6c4a22f_0[fn="six-1.16.0-pyh6c4a22f_0.tar.bz2"]',
    )
    assert [spec_name(s) for s in result.spec.specs] == ["python-dateutil", "numpy", "libgcc-ng", "six"]
    assert parse_specs(list(result.spec.specs)) == list(result.spec.specs)


def test_explicit_file_with_missing_local_channel(tmp_path: Path) -> None:
    path = tmp_path / "explicit.txt"
    path.write_text(f"@EXPLICIT\nfile://{tmp_path}/gone/noarch/six-1.16.0-pyh_0.conda\n")
    with pytest.raises(EnvFileError, match=re.escape(f"{path}: channel directory")):
        read_file(path)


# --- properties: what export writes is read back ---------------------------------------------

_CONDA_NAMES = st.sampled_from(["numpy", "scipy", "pandas", "python-dateutil", "libgcc-ng", "pytorch", "r-base", "x"])
_VERSIONS = st.sampled_from(["1", "1.2", "1.10", "2.0.1", "3.11", "2024.1", "0.29.0"])
_CONDA_SPEC = st.builds(
    lambda name, version, form: form.format(name=name, v=version),
    _CONDA_NAMES,
    _VERSIONS,
    st.sampled_from(
        ["{name}", "{name}={v}", "{name}>={v}", "{name} {v}", "{name}>={v},<9", "{name}=={v}", "{name}<{v}"]
    ),
).map(lambda text: parse_specs([text])[0])
_PYPI_REQ = st.builds(
    lambda name, version, form: str(Requirement(form.format(name=name, v=version))),
    st.sampled_from(["requests", "Flask", "typing_extensions", "uvicorn", "zope.interface", "a", "mypkg"]),
    _VERSIONS,
    st.sampled_from(
        [
            "{name}",
            "{name}=={v}",
            "{name}>={v},<99",
            "{name}[standard]~={v}.0",
            '{name}>={v}; python_version < "3.11"',
            "{name} @ https://example.com/{name}-{v}-py3-none-any.whl",
            "{name}!={v}; sys_platform == 'win32'",
        ]
    ),
)
_CHANNEL = st.sampled_from(
    ["conda-forge", "pytorch", "nvidia", "https://conda.example.com/ml", "https://repo.example.com/a/b-c", "defaults"]
)
_VALUE = st.one_of(
    st.sampled_from(["1.10", "true", "null", "", "~", "yes", "0x1F", "1e3", "-", "- x", "a: b", "x #y", "#x", "'q'"]),
    st.text(alphabet=st.sampled_from(list("ab1.0 #:'\"-,[]{}&*!|>%@`=?\\/é")), max_size=12),
    # non-BMP characters are left to test_export_keeps_characters_outside_the_bmp
    st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), max_size=8).filter(str.isprintable),
).map(str.strip)  # surrounding spaces are lost on reading: see test_quoted_variable_keeps_its_surrounding_spaces
_KEY = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
_INDEX = st.builds(
    PypiIndex,
    index_url=st.sampled_from(["", "https://pypi.internal.example.com/simple"]),
    extra_index_urls=st.lists(
        st.sampled_from(["https://download.pytorch.org/whl/cu121", "https://x.example.com/simple"]), unique=True
    ).map(tuple),
    find_links=st.lists(st.sampled_from(["https://example.com/wheels/", "https://w.example.com/"]), unique=True).map(
        tuple
    ),
    no_index=st.booleans(),
)
_ENV_NAME = st.sampled_from(["", "ml", "my-env", "env_2", "true", "3.10", "a b", "null"])


@st.composite
def _env_specs(draw: st.DrawFn) -> EnvSpec:
    return EnvSpec(
        channels=tuple(draw(st.lists(_CHANNEL, unique=True, max_size=4))),
        specs=tuple(draw(st.lists(_CONDA_SPEC, unique_by=spec_name, max_size=6))),
        pypi=tuple(draw(st.lists(_PYPI_REQ, unique_by=pypi_name, max_size=5))),
        index=draw(_INDEX),
        python=draw(st.sampled_from(["", "3.10", "3.12", "3.13.1"])),
        variables=tuple(draw(st.dictionaries(_KEY, _VALUE, max_size=6)).items()),
    )


@settings(max_examples=60, deadline=None)
@given(spec=_env_specs(), name=_ENV_NAME)
def test_environment_yml_round_trips(spec: EnvSpec, name: str) -> None:
    # an export with nothing in it is left to test_export_of_an_empty_environment_reads_back
    assume(name or spec.python or spec.specs or spec.pypi or spec.variables)
    text = environment_yml(Exportable(name=name, spec=spec, records=(), pins=()), from_history=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "environment.yml"
        path.write_text(text)
        result = read_file(path)
    assert result.name == name
    assert result.warnings == ()
    # channels are written only with specs to look for; the index options only with requirements
    assert result.spec.channels == (spec.channels if spec.specs else ())
    assert result.spec.specs == spec.specs
    assert result.spec.pypi == spec.pypi
    assert result.spec.index == (spec.index if spec.pypi else PypiIndex())
    assert result.spec.python == spec.python
    assert result.spec.variables == spec.variables
    again = environment_yml(Exportable(name=result.name, spec=result.spec, records=(), pins=()), from_history=True)
    assert again == text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(_CONDA_SPEC, unique_by=spec_name, min_size=1, max_size=4), channel=_CHANNEL)
def test_environment_yml_round_trips_channel_prefixed_specs(specs: list[str], channel: str, tmp_path: Path) -> None:
    prefixed = tuple(parse_specs([f"{channel}::{specs[0]}"]) + specs[1:])
    spec = EnvSpec(channels=("conda-forge",), specs=prefixed)
    text = environment_yml(Exportable(name="x", spec=spec, records=(), pins=()), from_history=True)
    path = tmp_path / "environment.yml"
    path.write_text(text)
    result = read_file(path)
    assert result.spec.specs == prefixed
    assert result.spec.channels == tuple(dict.fromkeys(("conda-forge", channel)))


@pytest.mark.parametrize(
    "folder",
    [
        "mylib",
        pytest.param(
            "my lib",
        ),
    ],
)
def test_environment_yml_round_trips_editables(folder: str, tmp_path: Path) -> None:
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "pyproject.toml").write_text(PYPROJECT)
    spec = EnvSpec(channels=(), pypi=("requests",), editables=(str(tmp_path / folder),))
    text = environment_yml(Exportable(name="", spec=spec, records=(), pins=()), from_history=True)
    path = tmp_path / "environment.yml"
    path.write_text(text)
    assert read_file(path).spec == spec


def test_export_keeps_characters_outside_the_bmp(tmp_path: Path) -> None:
    spec = EnvSpec(channels=(), variables=(("GREETING", "hi 🐍"), ("ACCENT", "é")))
    path = tmp_path / "environment.yml"
    path.write_text(environment_yml(Exportable(name="snake", spec=spec, records=(), pins=()), from_history=True))
    assert read_file(path).spec.variables == spec.variables


def test_export_of_an_empty_environment_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "environment.yml"
    path.write_text(environment_yml(Exportable(name="", spec=EnvSpec(channels=()), records=(), pins=())))
    assert read_file(path).spec == EnvSpec(channels=())


def test_environment_yml_with_constraints_reads_back(tmp_path: Path) -> None:
    spec = EnvSpec(channels=("conda-forge",), specs=("numpy",), pypi=("requests",), pypi_constraints=("urllib3<2",))
    path = tmp_path / "environment.yml"
    path.write_text(environment_yml(Exportable(name="x", spec=spec, records=(), pins=()), from_history=True))
    assert read_file(path).spec.pypi == ("requests",)


_PIN = st.builds(
    lambda name, version, url: {"name": name, "version": version, "url": url.format(name=name, v=version)},
    st.sampled_from(["requests", "Flask", "typing_extensions", "zope.interface", "numpy", "a-b"]),
    st.sampled_from(["1.0", "2.31.0", "1.0rc1", "1.0.post1", "2024.1.1", "0.1.dev3", "1!2.0", "2.3.0+cu121"]),
    st.sampled_from(
        ["", "", "https://example.com/{name}-{v}-py3-none-any.whl", "git+https://github.com/o/{name}@v{v}"]
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    pins=st.lists(_PIN, unique_by=lambda p: pypi_name(p["name"]), min_size=1, max_size=6),
    index=_INDEX,
    name=st.sampled_from(["", "ml", "my env"]),
    python=st.sampled_from(["", "3.12.1"]),
    records=st.lists(st.sampled_from([{"name": "python", "version": "3.12.1"}, {"name": "numpy", "version": "2.0"}])),
)
def test_requirements_txt_pins_round_trip(
    pins: list[dict[str, str]], index: PypiIndex, name: str, python: str, records: list[dict[str, str]]
) -> None:
    env = Exportable(
        name=name, spec=EnvSpec(channels=(), index=index), records=tuple(records), pins=tuple(pins), python=python
    )
    text = requirements_txt(env)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requirements.txt"
        path.write_text(text)
        result = read_file(path)
    expected = tuple(
        str(Requirement(f"{p['name']} @ {p['url']}" if p["url"] else f"{p['name']}=={p['version']}")) for p in pins
    )
    assert result.spec.pypi == expected
    assert result.spec.index == index
    assert result.spec.specs == ()
    assert result.warnings == ()
    again = requirements_txt(
        Exportable(name=name, spec=result.spec, records=tuple(records), pins=tuple(pins), python=python)
    )
    assert again == text
