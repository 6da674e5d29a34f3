"""Credentials found in URLs: masked in text, split off for the record, kept out of uv's argv."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from corral.credentials import take, take_specs
from corral.errors import ChannelError
from corral.models import PypiIndex
from corral.pypi.uv import index_arguments, index_environment
from corral.redact import has_credentials, redact, split_credentials


def test_redact_masks_userinfo_and_conda_tokens_in_running_text() -> None:
    """conda masks `/t/<token>/` in everything it prints (conda/gateways/streams.py redact_token_urls)."""
    text = "GET https://u:p@ss@host/a and http://10.2.3.4:8080/conda/t/tk-123_x/chan/noarch failed; /t/plain"
    assert redact(text) == (
        "GET https://****@host/a and http://10.2.3.4:8080/conda/t/****/chan/noarch failed; /t/plain"
    )
    assert redact("https://host/t/tk-1") == "https://host/t/****"
    assert redact("no url here, t/x") == "no url here, t/x"


def test_split_credentials_takes_the_token_out_of_the_path_as_conda_does() -> None:
    """conda/common/url.py split_anaconda_token: the /t/TOKEN segment is removed wherever it is."""
    assert split_credentials("https://1.2.3.4/conda/t/tk-123-456/path") == (
        "https://1.2.3.4/conda/path",
        "",
        "",
        "tk-123-456",
    )
    assert split_credentials("https://al%40ce:p%3Aw@host/chan") == ("https://host/chan", "al%40ce", "p%3Aw", "")
    assert split_credentials("https://host/chan") == ("https://host/chan", "", "", "")
    assert not has_credentials("/local/t/dir") and has_credentials("https://u@host/c")


def test_take_stores_credentials_0600_in_rattlers_format_and_returns_clean_channels(tmp_path: Path) -> None:
    """rattler's file storage: host -> {"BasicHTTP": {...}} or {"CondaToken": ...}, keyed by host name."""
    taken = take(["https://al%40ce:pw@a.example/chan", "https://b.example/t/TK/c", "conda-forge"], tmp_path)
    assert taken.channels == ("https://a.example/chan", "https://b.example/c", "conda-forge")
    assert len(taken.notes) == 2
    path = tmp_path / "credentials.json"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert json.loads(path.read_text()) == {
        "a.example": {"BasicHTTP": {"username": "al@ce", "password": "pw"}},
        "b.example": {"CondaToken": "TK"},
    }
    assert take(["https://b.example/t/TK/c"], tmp_path).notes == ()  # already stored: nothing written
    specs = take_specs(['liba[channel="https://c.example/t/T2/c/"]', "https://u:p@d.example/c::app", "x"], tmp_path)
    assert specs == ('liba[channel="https://c.example/c"]', "https://d.example/c::app", "x")
    assert set(json.loads(path.read_text())) == {"a.example", "b.example", "c.example", "d.example"}


def test_take_uses_the_users_rattler_auth_file_and_refuses_two_credentials_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "mine.json"
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(own))
    take(["https://host/t/TK/c"], tmp_path / "root")
    assert json.loads(own.read_text()) == {"host": {"CondaToken": "TK"}}
    with pytest.raises(ChannelError, match="both") as refused:
        take(["https://u:SECRET@host/t/TK2/c"], tmp_path)
    assert "SECRET" not in refused.value.message and "TK2" not in refused.value.message


def test_uv_argv_holds_no_index_password_and_its_environment_holds_the_urls() -> None:
    index = PypiIndex(
        index_url="https://u:pw@private/simple",
        extra_index_urls=("https://pypi.org/simple", "https://u:pw@other/simple"),
        find_links=("/wheels",),
    )
    argv = index_arguments(index)
    assert argv == ["--find-links", "/wheels"] and "pw" not in " ".join(argv)
    assert index_environment(index) == {
        "UV_INDEX_URL": "https://u:pw@private/simple",
        "UV_EXTRA_INDEX_URL": "https://pypi.org/simple https://u:pw@other/simple",
    }
    plain = PypiIndex(index_url="https://mirror/simple", extra_index_urls=("https://x/simple",))
    assert index_arguments(plain) == ["--index-url", "https://mirror/simple", "--extra-index-url", "https://x/simple"]
    assert index_environment(plain) == {}
