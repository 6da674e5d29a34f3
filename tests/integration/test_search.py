"""`corral search` (issue 18), as `conda search` answers: every matching file, newest last.

Pinned conda behaviour: `conda search SPEC` takes a MatchSpec (and `*` globs in the name) and lists
name, version, build and channel sorted by version, newest last (conda/cli/main_search.py);
`--info` prints each file's details with its dependencies; a name the channels lack is an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow


def test_search_lists_matches_newest_last(corral: Corral, channel: Path) -> None:
    res = corral("search", "-c", str(channel), "liba")
    assert res.code == 0, res.err
    rows = [line.split()[:2] for line in res.out.splitlines()[1:]]
    assert rows == [["liba", "1.0"], ["liba", "2.0"]]
    newer = corral("search", "-c", str(channel), "liba>=2", "--json").json()["result"]["packages"]
    assert [(p["name"], p["version"]) for p in newer] == [("liba", "2.0")] and newer[0]["sha256"]
    globbed = {p["name"] for p in corral("search", "-c", str(channel), "lib*", "--json").json()["result"]["packages"]}
    assert globbed == {"liba"}
    info = corral("search", "-c", str(channel), "app", "--info")
    assert "dependencies:" in info.out and "  - liba >=2" in info.out
    on_linux = corral("search", "-c", str(channel), "needsnewglibc", "--platform", "linux-64", "--json")
    assert on_linux.json()["result"]["packages"][0]["subdir"] == "linux-64"
    typo = corral("search", "-c", str(channel), "lbia")
    assert typo.code == 1 and "did you mean liba" in typo.err


@pytest.mark.network
def test_search_pypi(corral: Corral) -> None:
    res = corral("search", "--pypi", "six>=1.16", "--json")
    assert res.code == 0, res.err
    found = res.json()["result"]["versions"]
    assert "1.16.0" in found and found == sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))
    missing = corral("search", "--pypi", "no-such-distribution-corral-test-xyz")
    assert missing.code == 1 and "is not on PyPI" in missing.err
