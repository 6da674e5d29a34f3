"""conda's .condarc and trusted channels (issue 18), with a temporary HOME holding real .condarc files.

Pinned conda behaviour: the search path and its order (conda/base/constants.py SEARCH_PATH, later
files take precedence); sequence settings merge with the later file's items first and a key marked
`#!final` is not changed by later files (conda/common/configuration.py, SequenceLoadedParameter
.merge and `_first_important_matches`); `${VAR}` in values is expanded; `defaults` in `channels`
stands for `default_channels`; `denylist_channels` and `allowlist_channels` refuse channels
(conda/models/channel.py and conda's ChannelDenied / ChannelNotAllowed errors).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Corral

pytestmark = pytest.mark.slow


def _home(tmp_path: Path, files: dict[str, str]) -> dict[str, str]:
    home = tmp_path / "home"
    for rel, text in files.items():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_text(text)
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


def _setting(corral: Corral, env: dict[str, str], key: str) -> dict[str, object]:
    result = corral("config", "--show", key, "--json", extra_env=env).json()["result"]
    return dict(result["settings"][key])


def test_channels_from_condarc_with_defaults_final_and_variables(corral: Corral, channel: Path, tmp_path: Path) -> None:
    env = _home(
        tmp_path,
        {".condarc": f"channels:\n  - defaults\ndefault_channels:\n  - {channel}\nchannel_priority: flexible\n"},
    )
    assert _setting(corral, env, "channels") == {"value": [str(channel)], "source": str(tmp_path / "home" / ".condarc")}
    assert _setting(corral, env, "channel-priority")["value"] == "disabled"  # flexible has no rattler counterpart
    made = corral("create", "-n", "rc", "liba", "-y", extra_env=env)
    assert made.code == 0, made.err

    layered = _home(
        tmp_path / "two",
        {".config/conda/.condarc": "channels:\n  - first\n", ".condarc": "channels:\n  - ${MY_CHANNEL}\n"},
    )
    layered["MY_CHANNEL"] = "second"
    assert _setting(corral, layered, "channels")["value"] == ["second", "first"]
    final = _home(
        tmp_path / "three",
        {".config/conda/.condarc": "channels:  #!final\n  - first\n", ".condarc": "channels:\n  - second\n"},
    )
    assert _setting(corral, final, "channels")["value"] == ["first"]
    config = tmp_path / "config.toml"
    config.write_text('channels = ["mine"]\n')
    assert _setting(corral, {**env, "CORRAL_CONFIG": str(config)}, "channels") == {
        "value": ["mine"],
        "source": str(config),
    }
    sources = corral("config", "--show-sources", extra_env=env).out
    assert str(tmp_path / "home" / ".condarc") in sources
    bad = corral("config", "--show", "chanels", extra_env=env)
    assert bad.code == 2 and "did you mean 'channels'" in bad.err


def test_denied_and_unlisted_channels_are_refused_on_every_road(corral: Corral, channel: Path, tmp_path: Path) -> None:
    assert corral("create", "-n", "ok", "-c", str(channel), "liba", "-y").code == 0
    lock = tmp_path / "corral.lock"
    assert corral("export", "-n", "ok", "--format", "lock", "-o", str(lock)).code == 0
    denied = _home(tmp_path / "deny", {".condarc": f"denylist_channels:\n  - {channel}\n"})
    res = corral("create", "-n", "d", "-c", str(channel), "liba", "-y", extra_env=denied)
    assert res.code == 1 and f"channel {channel} is in denylist_channels" in res.err, res.err
    from_lock = corral("create", "-n", "d", "--lock", str(lock), "-y", extra_env=denied)
    assert from_lock.code == 1 and "denylist_channels" in from_lock.err and "the lock uses it" in from_lock.err
    assert not corral.link("d").exists()
    allowed = _home(tmp_path / "allow", {".condarc": "allowlist_channels:\n  - conda-forge\n"})
    res = corral("create", "-n", "a", "-c", str(channel), "liba", "-y", extra_env=allowed)
    assert res.code == 1 and "is not in allowlist_channels" in res.err and "conda-forge" in res.err
    assert corral("install", "-n", "ok", "app", "-y", extra_env=allowed).code == 1  # an existing env's channel too


def test_config_set_add_remove_keep_the_files_comments(corral: Corral, tmp_path: Path) -> None:
    """conda's `config --add` puts a channel first (conda/cli/main_config.py: --add is --prepend)."""
    config = tmp_path / "config.toml"
    config.write_text('# my settings\nchannels = ["conda-forge"]  # the usual\n')
    env = {"CORRAL_CONFIG": str(config), "HOME": str(tmp_path)}
    assert corral("config", "--add", "channels", "bioconda", extra_env=env).code == 0
    assert corral("config", "--append", "channels", "extra", extra_env=env).code == 0
    assert _setting(corral, env, "channels")["value"] == ["bioconda", "conda-forge", "extra"]
    assert corral("config", "--remove", "channels", "extra", extra_env=env).code == 0
    assert corral("config", "--set", "keep-generations", "5", extra_env=env).code == 0
    assert _setting(corral, env, "keep-generations") == {"value": 5, "source": str(config)}
    text = config.read_text()
    assert text.startswith("# my settings\n") and "# the usual" in text
    bad = corral("config", "--set", "keep-generations", "0", extra_env=env)
    assert bad.code == 1 and "must be at least 1" in bad.err
    assert "keep-generations = 5" in config.read_text()  # a refused value leaves the file as it was
    assert corral("config", "--unset", "keep-generations", extra_env=env).code == 0
    assert _setting(corral, env, "keep-generations") == {"value": 3, "source": "defaults"}
    unknown = corral("config", "--set", "chanels", "x", extra_env=env)
    assert unknown.code == 2 and "did you mean 'channels'" in unknown.err
    not_list = corral("config", "--add", "offline", "true", extra_env=env)
    assert not_list.code == 2 and "is not a list" in not_list.err
