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


def test_condarc_files_in_condas_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pins conda's SEARCH_PATH order (conda/base/constants.py): $CONDA_ROOT, $XDG_CONFIG_HOME/conda,
    ~/.config/conda, ~/.conda, ~/.condarc, $CONDA_PREFIX, $CONDARC; a condarc.d folder gives the entries
    whose names end in .yml or .yaml, hidden ones too, sorted (conda/common/configuration.py
    load_file_configs); a place whose variable is unset or empty is skipped; a file reached twice (a
    symlink) counts once, where it comes first."""
    from corral.condarc import condarc_files

    home, root, xdg, prefix = (tmp_path / n for n in ("home", "root", "xdg", "prefix"))
    files = [
        root / ".condarc",
        xdg / "conda" / "condarc.d" / ".early.yml",
        xdg / "conda" / "condarc.d" / "a.yml",
        xdg / "conda" / "condarc.d" / "b.yaml",
        home / ".conda" / "condarc",
        home / ".condarc",
        prefix / "condarc",
    ]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("channels: [x]\n")
    (xdg / "conda" / "condarc.d" / "notes.txt").write_text("channels: [y]\n")
    explicit = tmp_path / "explicit.yml"
    explicit.symlink_to(home / ".condarc")  # the same file as ~/.condarc: listed once, as ~/.condarc
    environ = {
        "HOME": str(home),
        "CONDA_ROOT": str(root),
        "XDG_CONFIG_HOME": str(xdg),
        "CONDA_PREFIX": str(prefix),
        "CONDARC": str(explicit),
    }
    monkeypatch.setenv("HOME", str(home))  # `~` is the user's home, as os.path.expanduser reads it
    assert condarc_files(environ) == [str(p) for p in files]
    assert condarc_files({**environ, "CONDA_ROOT": "", "CONDA_PREFIX": ""}) == [str(p) for p in files[1:6]]


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("ml", True),
        ("Py3.12_env-2", True),
        ("9lives", True),
        ("a" * 100, True),
        ("a" * 101, False),
        ("", False),
        (".hidden", False),
        ("-flag", False),
        ("_x", False),
        ("bad/name", False),
        ("sp ace", False),
        ("naïve", False),  # ASCII only, as before
        ("ml\n", False),  # the old pattern's `$` let a trailing newline through; a name holds none
    ],
)
def test_environment_names(name: str, valid: bool) -> None:
    from corral.store.envs import valid_name

    assert valid_name(name) is valid


def test_an_unreadable_condarc_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A condarc.d that cannot be listed stops with the folder named (conda's load_file_configs stops too),
    never a traceback nor its settings silently dropped."""
    import os
    from collections.abc import Iterator

    from corral.condarc import condarc_files

    folder = tmp_path / "conda" / "condarc.d"
    folder.mkdir(parents=True)
    listing = os.scandir

    def refuse(path: str = ".") -> Iterator[os.DirEntry[str]]:
        if os.path.normpath(path) == str(folder):
            raise PermissionError(13, "Permission denied", path)
        return listing(path)

    monkeypatch.setattr(os, "scandir", refuse)
    with pytest.raises(ConfigError, match="Permission denied") as caught:
        condarc_files({"XDG_CONFIG_HOME": str(tmp_path)})
    assert str(folder) in caught.value.message and "move it aside" in (caught.value.hint or "")
