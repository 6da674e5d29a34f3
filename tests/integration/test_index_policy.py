"""allowlist-indexes: every PyPI index and find-links location a command would read is under an allowed one.

Pinned behaviour: pip and uv read PyPI (`https://pypi.org/simple`) when no --index-url is given, so
with the setting on, PyPI itself must be allowed for a bare `--pip NAME`; locations compare as
URLs without their credentials, a folder as its file:// URL. The refusal comes before anything runs:
no environment, no uv process, no generation.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import Corral, Result
from tests.support.pypi import serve_simple_index

pytestmark = pytest.mark.slow

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def configure(corral: Corral, text: str) -> None:
    """Write corral's config file for this test."""
    Path(corral.env["CORRAL_CONFIG"]).write_text(text)


def refused(result: Result, url: str) -> None:
    """A clear refusal naming the URL and the setting, without a traceback."""
    assert result.code == 1, result.err + result.out
    assert url in result.err and "allowlist-indexes" in result.err, result.err
    assert "hint:" in result.err and "Traceback" not in result.err, result.err


def test_an_index_outside_the_allowlist_is_refused_on_every_road(corral: Corral, wheels: Path, tmp_path: Path) -> None:
    with serve_simple_index(wheels) as url:
        port_root = url.rsplit("/", 1)[0]  # http://127.0.0.1:PORT
        configure(corral, 'allowlist-indexes = ["https://pypi.internal.example/simple"]\n')
        refused(corral("create", "-n", "a", "--python", PYTHON, "--pip", "tinylib", "--index-url", url, "-y"), url)
        assert not corral.link("a").exists() and not (corral.root / "generations" / "a").exists()
        bare = corral("create", "-n", "a", "--python", PYTHON, "--pip", "tinylib", "-y")  # PyPI itself
        refused(bare, "https://pypi.org/simple")
        assert not corral.link("a").exists()
        refused(corral("search", "--pypi", "six"), "https://pypi.org/simple")  # PyPI's JSON API is PyPI too

        configure(corral, f'allowlist-indexes = ["{port_root}/"]\n')  # a prefix, a trailing slash
        made = corral("create", "-n", "a", "--python", PYTHON, "--pip", "tinylib==1.0", "--index-url", url, "-y")
        assert made.code == 0, made.err
        with_password = url.replace("http://", "http://alice:s3cret@")  # credentials do not count
        again = corral("pip", "install", "-n", "a", "tinylib==2.0", "--index-url", with_password, "-y")
        assert again.code == 0, again.err

        lock = tmp_path / "env.lock"
        exported = corral("export", "-n", "a", "--format", "lock", "-o", str(lock))
        assert exported.code == 0, exported.err

        configure(corral, f'allowlist-indexes = ["{port_root}/other"]\n')  # the same host, another path
        refused(corral("pip", "install", "-n", "a", "tinyapp", "--index-url", url, "-y"), url)
        refused(corral("create", "-n", "b", "--lock", str(lock), "-y"), url)  # a frozen install
        assert not corral.link("b").exists()

        requirements = tmp_path / "requirements.txt"
        requirements.write_text(f"--index-url {port_root}/other\n--extra-index-url {url}\ntinyapp\n")
        refused(corral("pip", "install", "-n", "a", "-r", str(requirements), "-y"), url)
        requirements.write_text(f"--no-index\n-f {wheels}\ntinyapp\n")
        refused(corral("pip", "install", "-n", "a", "-r", str(requirements), "-y"), str(wheels))

        envfile = tmp_path / "environment.yml"
        pip = f"  - pip:\n    - --index-url {url}\n    - six\n"
        envfile.write_text(f"name: l\npython: '{PYTHON}'\ndependencies:\n{pip}")
        refused(corral("lock", "-f", str(envfile), "-o", str(tmp_path / "new.lock")), url)
        assert not (tmp_path / "new.lock").exists()

        history = corral("history", "-n", "a", "--json")
        assert history.code == 0 and history.json()["result"]["current"] == 2, history.out


def test_folders_are_allowed_by_path_and_bad_values_are_named(corral: Corral, wheels: Path) -> None:
    configure(corral, f'allowlist-indexes = ["{wheels.parent}"]\n')
    folder = ("--no-index", "--find-links", str(wheels))
    made = corral("create", "-n", "f", "--python", PYTHON, "--pip", "six", *folder, "-y")
    assert made.code == 0, made.err

    configure(corral, 'allowlist-indexes = ["ftp://mirror.example/simple"]\n')
    bad = corral("env", "list")
    assert bad.code == 1 and "allowlist-indexes" in bad.err and "ftp://" in bad.err, bad.err
    assert "Traceback" not in bad.err

    Path(corral.env["CORRAL_CONFIG"]).unlink()
    added = corral("config", "--append", "allowlist-indexes", "https://pypi.org/simple")
    assert added.code == 0, added.err
    shown = corral("config", "--show", "allowlist-indexes", "--json")
    assert shown.json()["result"]["settings"]["allowlist-indexes"]["value"] == ["https://pypi.org/simple"]
