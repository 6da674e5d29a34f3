"""Issue 20 item 12: `update NAME` moves NAME even when that needs a newer dependency; the solve timeout bounds
the whole solve (every attempt), measured on a real hard request (a pigeonhole instance resolvo cannot prove fast).

Pins conda's behaviour: `conda update NAME` moves NAME to its newest version and its dependencies with it
as needed, while unrelated installed packages stay.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import PackageDef, index_channel, simple_package, write_conda_package

pytestmark = pytest.mark.slow


def test_update_name_moves_it_and_the_dependency_it_needs_and_nothing_else(corral: Corral, tmp_path: Path) -> None:
    chan = tmp_path / "chan"
    write_conda_package(chan, simple_package("liba", "1.0", ["libb >=1"]))
    write_conda_package(chan, simple_package("libb", "1.0"))
    write_conda_package(chan, simple_package("other", "1.0"))
    index_channel(chan)
    assert corral("create", "-n", "u", "-c", str(chan), "liba", "other", "-y").code == 0
    write_conda_package(chan, simple_package("liba", "2.0", ["libb >=2"]))  # a newer liba needs a newer libb
    write_conda_package(chan, simple_package("libb", "2.0"))
    write_conda_package(chan, simple_package("other", "2.0"))
    index_channel(chan)
    res = corral("update", "-n", "u", "liba", "-y")
    assert res.code == 0, res.err
    versions = {p["name"]: p["version"] for p in corral("list", "-n", "u", "--json").json()["result"]["packages"]}
    assert versions == {"liba": "2.0", "libb": "2.0", "other": "1.0"}, versions


def test_the_solve_timeout_bounds_every_attempt_together(corral: Corral, tmp_path: Path) -> None:
    """An installed environment is solved twice at most (pinned, then preferred): both share one bound."""
    chan = tmp_path / "chan"
    write_conda_package(chan, simple_package("liba", "1.0"))
    holes = 14  # 15 pigeons, 14 holes: takes resolvo far longer than the bound (11 s for 13 here)
    for i in range(1, holes + 2):
        for j in range(1, holes + 1):
            others = [f"p{k} !={j}" for k in range(1, holes + 2) if k != i]
            write_conda_package(chan, PackageDef(f"p{i}", str(j), constrains=others), compresslevel=1)
    index_channel(chan)
    assert corral("create", "-n", "b", "-c", str(chan), "liba", "-y").code == 0
    bound = 4
    start = time.monotonic()
    res = corral(
        "install", "-n", "b", *[f"p{i}" for i in range(1, holes + 2)], extra_env={"CORRAL_SOLVE_TIMEOUT": str(bound)}
    )
    took = time.monotonic() - start
    assert res.code != 0 and "Traceback" not in res.err
    assert f"did not finish within {bound} s" in res.err, res.err
    assert took < 2 * bound - 1, took  # one bound and start-up, not one bound per attempt
    assert corral("history", "-n", "b", "--json").json()["result"]["current"] == 1


def test_a_half_created_environment_is_not_listed_and_gets_no_rollback_hint(corral: Corral, tmp_path: Path) -> None:
    """What a create killed right after registering leaves: env.json, no generation, no link."""
    import json

    chan = tmp_path / "chan"
    write_conda_package(chan, simple_package("liba", "1.0"))
    index_channel(chan)
    assert corral("create", "-n", "ok", "-c", str(chan), "liba", "-y").code == 0
    home = corral.root / "generations" / "half"
    home.mkdir()
    (home / "env.json").write_text(json.dumps({"schema": 1, "name": "half", "path": str(corral.link("half"))}))
    listed = {e["name"] for e in corral("env", "list", "--json").json()["result"]["environments"]}
    assert listed == {"ok"}
    res = corral("list", "-n", "half")
    assert res.code == 1 and "never finished" in res.err and "rollback" not in res.err, res.err
    back = corral("rollback", "-n", "half", "-y")
    assert back.code == 1 and "never finished" in back.err and "None" not in back.err, back.err
    assert corral("create", "-n", "half", "-c", str(chan), "liba", "-y").code == 0
