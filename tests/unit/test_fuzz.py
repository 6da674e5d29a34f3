"""Every file reader answers any input with a value or a CorralError, never another exception (issue 20 item 11).

Hypothesis builds files from fragments of each format (YAML mappings with odd keys and value types,
requirement lines, lock documents with values of the wrong type, TOML and .condarc text) and
random text; the budget is bounded so CI stays fast (CORRAL_FUZZ_EXAMPLES raises it on demand).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corral.errors import CorralError

EXAMPLES = int(os.environ.get("CORRAL_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", " ", "\x00", "python=3.12", "- six", "${HOME}", "pip", "defaults", "../x", "~", "a" * 300]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
env_keys = st.sampled_from(
    ["name", "prefix", "channels", "dependencies", "variables", "python", "include", "platforms", "pip", "dependecies"]
)


def _write(name: str, content: str | bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="corral-fuzz-"))
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    return path


def _read_env(path: Path) -> None:
    from corral.specs.envfile import read_files

    with contextlib.suppress(CorralError):
        read_files([str(path)], base=path.parent)


@FUZZ
@given(st.dictionaries(env_keys, values, max_size=6))
def test_environment_yml_documents(doc: dict[str, Any]) -> None:
    _read_env(_write("environment.yml", yaml.safe_dump(doc, allow_unicode=True)))


@FUZZ
@given(st.binary(max_size=300))
def test_environment_yml_bytes(data: bytes) -> None:
    _read_env(_write("environment.yml", b"name: x\ndependencies:\n  - " + data))


@FUZZ
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                [
                    "-r",
                    "-e .",
                    "--hash=sha256:00",
                    "-c c.txt",
                    "six==",
                    "./",
                    "a @ b",
                    "--index-url",
                    "-f",
                    "name @ file:///nope",
                ]
            ),
        ),
        max_size=8,
    )
)
def test_requirements_files(lines: list[str]) -> None:
    _read_env(_write("requirements.txt", "\n".join(lines)))


@FUZZ
@given(st.lists(st.text(max_size=60), max_size=6))
def test_explicit_and_spec_files(lines: list[str]) -> None:
    _read_env(_write("explicit.txt", "@EXPLICIT\n" + "\n".join(lines)))
    _read_env(_write("specs.txt", "\n".join(lines)))


@FUZZ
@given(st.dictionaries(st.sampled_from(["version", "input", "platforms", "packages", "spec", "x"]), values, max_size=5))
def test_lock_documents(doc: dict[str, Any]) -> None:
    from corral.lock import lockfile

    path = _write("corral.lock", yaml.safe_dump(doc))
    with contextlib.suppress(CorralError):
        lockfile.load(path)


@FUZZ
@given(st.text(max_size=200))
def test_config_and_condarc_text(text: str) -> None:
    from corral.settings import load_settings

    config = _write("config.toml", text)
    condarc = _write(".condarc", text)
    for environ in ({"CORRAL_CONFIG": str(config)}, {"CORRAL_CONFIG": "/nonexistent", "CONDARC": str(condarc)}):
        with contextlib.suppress(CorralError):
            load_settings({**environ, "HOME": str(config.parent)}, {})


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["channels", "channel_priority", "default_channels", "allowlist_channels"]), values, max_size=4
    )
)
def test_condarc_documents(doc: dict[str, Any]) -> None:
    from corral.settings import load_settings

    condarc = _write(".condarc", yaml.safe_dump(doc))
    with contextlib.suppress(CorralError):
        load_settings({"CORRAL_CONFIG": "/nonexistent", "CONDARC": str(condarc), "HOME": str(condarc.parent)}, {})


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a YAML document."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, value)}
    copy = list(node)
    copy[head] = _replace(copy[head], rest, value)
    return copy


@FUZZ
@given(st.data())
def test_valid_locks_with_one_value_of_the_wrong_type(data: st.DataObject) -> None:
    """A real lock with one value anywhere replaced (wrong types under input.spec, packages, ...)."""
    from corral.lock import lockfile
    from tests.unit.test_lockfile import _lock

    document = yaml.safe_load(lockfile.dumps(_lock()))
    path = data.draw(st.sampled_from(_paths(document)))
    mutated = _replace(document, path, data.draw(values))
    target = _write("corral.lock", yaml.safe_dump(mutated))
    with contextlib.suppress(CorralError):
        lockfile.load(target)


@FUZZ
@given(st.binary(max_size=200))
def test_requirements_bytes(data: bytes) -> None:
    _read_env(_write("requirements.txt", b"six\n" + data))
