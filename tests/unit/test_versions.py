"""corral's pure-Python version order agrees with rattler's on real and tricky versions."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from corral.versions import compare

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "pytorch" / "linux-64" / "repodata.json"
TRICKY = [
    "1.0",
    "1.0.0",
    "1.0.1",
    "1.0rc1",
    "1.0RC2",
    "1.0a1",
    "1.0b2",
    "1.0.dev1",
    "1.0dev",
    "1.0.post1",
    "1.0post",
    "1!0.5",
    "2.0+local",
    "2.0+local.2",
    "2.0",
    "1.10",
    "1.9",
    "0.4",
    "0.4.0",
    "0.4.1.rc",
    "0.4.1",
    "0.4.1.post",
    "1.1dev1",
    "1.1a1",
    "1.1.0dev1",
    "1.1.a1",
    "1.1.0rc1",
    "1.1.0",
    "1.1.0post1",
    "1996.07.12",
    "2023.1",
    "1.2.3_4",
    "1.2-3",
    "1.2.3-4",
    "3.12.1",
    "3.13.0",
    "0.0.1",
    "10",
    "9",
]


def corpus() -> list[str]:
    """Tricky versions plus every version in the shared pytorch repodata, when present."""
    versions = set(TRICKY)
    if DATA.is_file():
        data = json.loads(DATA.read_text())
        for group in ("packages", "packages.conda"):
            versions.update(r["version"] for r in data.get(group, {}).values())
    return sorted(versions)


def test_order_matches_rattler() -> None:
    rattler = pytest.importorskip("rattler")
    versions = corpus()
    ours = sorted(versions, key=functools.cmp_to_key(compare))
    theirs = sorted(versions, key=lambda v: rattler.Version(v))
    assert ours == theirs or _equal_runs(ours, theirs, rattler)


def _equal_runs(ours: list[str], theirs: list[str], rattler: object) -> bool:
    """Same order up to versions both consider equal (e.g. 1.0 and 1.0.0)."""
    version = rattler.Version  # type: ignore[attr-defined]
    return all(version(a) == version(b) for a, b in zip(ours, theirs, strict=True))


@pytest.mark.parametrize(("a", "b"), [("1.0", "1.0.0"), ("1.0-1", "1.0_1"), ("1.0A", "1.0a")])
def test_equal_versions(a: str, b: str) -> None:
    assert compare(a, b) == 0
