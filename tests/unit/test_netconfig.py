"""The network settings' values and the index policy's URL comparison (pure functions, no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.conda.auth import rattler_config_toml
from corral.errors import PypiError
from corral.models import PypiIndex
from corral.netconfig import coerce_network_setting
from corral.policy import check_indexes
from corral.pypi.uvnet import network_arguments, network_environment
from corral.settings import Settings


def allowing(*urls: str) -> Settings:
    return Settings(root="/nonexistent", allowlist_indexes=coerce_network_setting("allowlist_indexes", urls))


@pytest.mark.parametrize(
    "url",
    [
        "https://Pypi.Internal.example/simple",
        "https://pypi.internal.example:443/simple/",
        "https://alice:pw@pypi.internal.example/simple/team",
    ],
)
def test_allowed_urls_match_without_case_port_slash_or_credentials(url: str) -> None:
    check_indexes(allowing("https://pypi.internal.example/simple"), PypiIndex(index_url=url))


@pytest.mark.parametrize(
    "url",
    [
        "https://pypi.internal.example/simplex",  # a prefix of the text, not of the path
        "http://pypi.internal.example/simple",  # another scheme
        "https://pypi.internal.example:8443/simple",  # another port
        "https://pypi.internal.example.evil/simple",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(PypiError, match="allowlist-indexes"):
        check_indexes(allowing("https://pypi.internal.example/simple"), PypiIndex(index_url=url))


def test_pypi_counts_when_no_index_is_given_and_not_with_no_index() -> None:
    settings = allowing("/srv/wheels")
    with pytest.raises(PypiError, match=r"https://pypi\.org/simple"):
        check_indexes(settings, PypiIndex())
    check_indexes(settings, PypiIndex(no_index=True, find_links=("/srv/wheels/team",)))
    with pytest.raises(PypiError, match="find-links location /srv/wheelsx"):
        check_indexes(settings, PypiIndex(no_index=True, find_links=("/srv/wheelsx",)))


def test_values_are_checked() -> None:
    mirrors = coerce_network_setting("mirrors", {"conda-forge": "https://m.example/cf/"})
    assert mirrors == (("https://conda.anaconda.org/conda-forge", ("https://m.example/cf",)),)
    with pytest.raises(ValueError, match="not a URL"):
        coerce_network_setting("mirrors", {"https://a.example/c": ["mirror"]})
    with pytest.raises(ValueError, match="'http' or 'https'"):
        coerce_network_setting("proxy_servers", {"ftp": "http://proxy:3128"})
    assert coerce_network_setting("proxy_servers", "https=http://p:3128") == (("https", "http://p:3128"),)
    assert coerce_network_setting("ssl_verify", "False") is False
    with pytest.raises(ValueError, match="CA bundle"):
        coerce_network_setting("ssl_verify", "/nonexistent/ca.pem")


def test_what_rattler_and_uv_are_given(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    settings = Settings(
        root=str(tmp_path),
        mirrors=(("https://conda.anaconda.org/conda-forge", ("https://m.example/cf",)),),
        proxy_servers=(("https", "http://u:pw@proxy:3128"),),
        ssl_verify=str(ca),
    )
    text = rattler_config_toml(settings)
    assert '"https://conda.anaconda.org/conda-forge/" = ["https://m.example/cf/"]' in text
    assert 'https = "http://u:pw@proxy:3128"' in text and 'tls-root-certs = "system"' in text
    env = network_environment(settings)
    assert env["HTTPS_PROXY"] == env["https_proxy"] == "http://u:pw@proxy:3128" and env["SSL_CERT_FILE"] == str(ca)
    insecure = Settings(root=str(tmp_path), ssl_verify=False)
    assert network_arguments(insecure, PypiIndex()) == [
        "--allow-insecure-host",
        "pypi.org",
        "--allow-insecure-host",
        "files.pythonhosted.org",
    ]
    assert "tls-no-verify = true" in rattler_config_toml(insecure)
