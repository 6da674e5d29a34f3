"""Settings precedence: defaults < config file < environment variables < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.errors import ConfigError
from corral.settings import load_settings


def test_precedence(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('channels = ["from-file"]\nkeep-generations = 5\noffline = true\nroot = "/from/file"\n')
    env = {"CORRAL_CONFIG": str(config), "CORRAL_KEEP_GENERATIONS": "7", "CORRAL_ROOT": str(tmp_path / "r")}
    settings = load_settings(env, {"offline": None})
    assert settings.channels == ("from-file",)
    assert settings.keep_generations == 7
    assert settings.offline is True
    assert settings.root == str(tmp_path / "r")
    assert settings.sources["keep_generations"] == "$CORRAL_KEEP_GENERATIONS"
    assert settings.sources["channels"] == str(config)
    env["CORRAL_CHANNELS"] = "a, b"
    assert load_settings(env, {}).channels == ("a", "b")


def test_defaults_without_config(tmp_path: Path) -> None:
    settings = load_settings({"CORRAL_CONFIG": str(tmp_path / "none.toml")}, {})
    assert settings.channels == ("conda-forge",)
    assert settings.channel_priority == "strict"
    assert settings.keep_generations == 3
    assert settings.offline is False
    assert settings.conda_cache.is_relative_to(settings.root)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("keep-generations = 0\n", "keep-generations"),
        ('channel-priority = "sometimes"\n', "strict"),
        ("nonsense = 1\n", "unknown setting 'nonsense'"),
        ("this is not toml\n", "cannot read the config file"),
        ("solve-timeout = nan\n", "finite"),  # issue 20 item 12: nan and inf bounds are refused
        ("lock-timeout = inf\n", "finite"),
    ],
)
def test_bad_config_names_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=needle.replace("'", ".")):
        load_settings({"CORRAL_CONFIG": str(config)}, {})


def test_bad_environment_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"CORRAL_OFFLINE"):
        load_settings({"CORRAL_CONFIG": str(tmp_path / "x"), "CORRAL_OFFLINE": "maybe"}, {})


def test_user_dirs_follow_xdg(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data")}
    (tmp_path / "cfg" / "corral").mkdir(parents=True)
    (tmp_path / "cfg" / "corral" / "config.toml").write_text("keep-generations = 9\n")
    settings = load_settings(env, {})
    assert settings.root == str(tmp_path / "data" / "corral")
    assert settings.keep_generations == 9


def test_a_config_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    """Issue 20 item 11: invalid UTF-8 in config.toml is a ConfigError naming the file, not an internal error."""
    config = tmp_path / "config.toml"
    config.write_bytes(b"keep-generations = 3\n# \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings({"CORRAL_CONFIG": str(config)}, {})


def test_nan_from_an_environment_variable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CORRAL_SOLVE_TIMEOUT"):
        load_settings({"CORRAL_CONFIG": str(tmp_path / "x"), "CORRAL_SOLVE_TIMEOUT": "nan"}, {})
