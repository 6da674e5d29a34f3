"""corral.jsontext writes and reads JSON exactly as the standard library's json does (json's documented defaults)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corral import jsontext

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
)
keys = st.text(max_size=8) | st.integers(-5, 5) | st.floats(allow_nan=False) | st.booleans() | st.none()
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
WRITE_FORMS: list[dict[str, Any]] = [
    {},
    {"sort_keys": True},
    {"indent": 2, "sort_keys": True},  # corral's record files (store/fsutil.py)
    {"indent": 2},
    {"indent": 0},
    {"separators": (",", ":"), "ensure_ascii": False},  # keptparse's copies
    {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False},  # the lock's spec hash
    {"indent": 4, "ensure_ascii": False},
]


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b and type(a) is type(b))


@settings(max_examples=300, deadline=None)
@given(documents)
def test_dumps_writes_what_json_writes(value: Any) -> None:
    for form in WRITE_FORMS:
        assert jsontext.dumps(value, **form) == json.dumps(value, **form), form


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, scalars, max_size=5))
def test_keys_that_are_not_strings_are_written_as_json_writes_them(value: dict[Any, Any]) -> None:
    forms: list[dict[str, Any]] = [{}, {"indent": 2}]
    for form in forms:
        assert jsontext.dumps(value, **form) == json.dumps(value, **form)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from(["", " ", "\n", " \t\r\n "]))
def test_loads_reads_what_json_reads(value: Any, space: str) -> None:
    for form in WRITE_FORMS:
        text = space + json.dumps(value, **form) + space
        assert same(jsontext.loads(text), json.loads(text))
        assert same(jsontext.loads(text.encode()), json.loads(text.encode()))


@pytest.mark.parametrize(
    "text",
    ["", "   ", "{", '{"a": 1,}', "[1, 2", "{} {}", "[1] x", "nul", '"\\x"', "{'a': 1}", "\ufeff{}", "1 2", '"a\nb"'],
)
def test_bad_documents_fail_as_json_fails(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        jsontext.loads(text)
    assert str(got.value) == str(expected.value)
    assert got.value.pos == expected.value.pos


def test_what_json_cannot_write_is_refused_as_json_refuses_it() -> None:
    loop: list[Any] = []
    loop.append(loop)
    forms: list[dict[str, Any]] = [{}, {"indent": 2}]
    for form in forms:
        with pytest.raises(TypeError, match="not JSON serializable"):
            jsontext.dumps({"a": object()}, **form)
        with pytest.raises(ValueError, match="Circular reference"):
            jsontext.dumps(loop, **form)
    with pytest.raises(TypeError):
        jsontext.dumps({(1, 2): 3}, indent=2)


def test_reading_and_writing_does_not_import_json_and_bad_text_fails_as_json_fails_without_it() -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from corral import jsontext\n"
        "jsontext.loads(jsontext.dumps({'a': [1, 2.5, None, True, 'é']}, indent=2, sort_keys=True))\n"
        "print('json' in sys.modules)\n"
        "try:\n"
        "    jsontext.loads(sys.argv[1])\n"
        "except ValueError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    bad = ['{"a": ', "[1,]", '{"a" 1}', '"\\x"', "{} x", "nul", '{"history": [{"generation": 1, "ti']
    for text in bad:  # each in a fresh interpreter: the first error must not find json imported
        out = subprocess.run([sys.executable, "-c", script, text], capture_output=True, text=True, check=True).stdout
        with pytest.raises(json.JSONDecodeError) as failed:
            json.loads(text)
        assert out.splitlines() == ["False", f"JSONDecodeError {failed.value}"], text
