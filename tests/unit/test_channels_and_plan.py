"""Channel strings and plan diffs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corral.channels import canonical_channel, channel_display, file_url_path, with_defaults
from corral.errors import ChannelError
from corral.models import PackageInfo
from corral.plan import diff


def test_channels_names_urls_and_dirs(tmp_path: Path) -> None:
    assert canonical_channel("conda-forge") == "conda-forge"
    assert canonical_channel("https://example.org/chan/") == "https://example.org/chan"
    (tmp_path / "local").mkdir()
    assert canonical_channel("./local", cwd=tmp_path) == str(tmp_path / "local")
    assert canonical_channel(f"file://{tmp_path}/local") == str(tmp_path / "local")
    with pytest.raises(ChannelError, match="does not exist"):
        canonical_channel("./missing", cwd=tmp_path)
    with pytest.raises(ChannelError, match="unsupported"):
        canonical_channel("ftp://example.org/x")


def test_defaults_stands_for_the_configured_channels_in_place() -> None:
    configured = ("conda-forge", "/srv/chan")
    assert with_defaults(["pytorch", "defaults", "bioconda"], configured) == ["pytorch", *configured, "bioconda"]
    assert with_defaults(["conda-forge", "defaults", "nodefaults"], configured) == ["conda-forge", "/srv/chan"]
    assert with_defaults(["defaults"], ("conda-forge",)) == ["conda-forge"]
    with pytest.raises(ChannelError, match="contain 'defaults'"):
        with_defaults(["defaults"], ("conda-forge", "defaults"))


def test_channel_display() -> None:
    assert channel_display("https://conda.anaconda.org/conda-forge/") == "conda-forge"
    assert channel_display("file:///srv/chan/") == "/srv/chan"
    assert channel_display("file:///srv/my%20chan") == "/srv/my chan"


@given(st.text(st.sampled_from("/ab. _-~%20?#;:@[]\t\né"), max_size=24))
def test_file_url_path_is_urllibs(rest: str) -> None:
    """Pins the string cut rollback uses for plain file:// URLs to urllib's reading of every URL."""
    url = "file://" + rest
    try:
        expected = unquote(urlparse(url).path)
    except ValueError:  # urllib refuses it (an unclosed '[' in the host): the plain cut is not taken then
        return
    assert file_url_path(url) == expected


def pkg(name: str, version: str, build: str = "0", number: int = 0, channel: str = "c") -> PackageInfo:
    return PackageInfo(name, version, build, channel, "noarch", number)


def test_diff_classifies_every_kind_with_conda_version_order() -> None:
    old = [pkg("a", "1.9"), pkg("b", "2.0"), pkg("c", "1.0"), pkg("d", "1.0", "0"), pkg("e", "1.0", "0", 0, "x")]
    new = [pkg("a", "1.10"), pkg("b", "1.0"), pkg("d", "1.0", "1", 1), pkg("e", "1.0", "0", 0, "y"), pkg("f", "1")]
    kinds = {c.name: c.kind for c in diff(old, new).changes}
    assert kinds == {"a": "upgrade", "b": "downgrade", "c": "remove", "d": "upgrade", "e": "change", "f": "add"}
    assert diff(old, old).is_empty
