"""`corral config --remove` of a list's last item: the key leaves the file (its default applies again), or, when
the file never set it, a clear refusal instead of 'invalid value []'."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.api.config import change_config
from corral.errors import ConfigError
from corral.settings import load_settings


def test_removing_the_files_last_channel_drops_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('# mine\nchannels = ["bioconda"]\nkeep-generations = 4\n')
    environ = {"CORRAL_CONFIG": str(config), "HOME": str(tmp_path), "CORRAL_ROOT": str(tmp_path / "root")}
    change = change_config(load_settings(environ, {}), "remove", "channels", "bioconda")
    assert change.value is None and "channels" not in config.read_text() and "# mine" in config.read_text()
    settings = load_settings(environ, {})
    assert settings.channels == ("conda-forge",) and settings.keep_generations == 4  # the default again
    with pytest.raises(ConfigError, match=r"'conda-forge' is all of channels \(from corral's default\)") as refused:
        change_config(settings, "remove", "channels", "conda-forge")
    assert "corral config --add channels VALUE" in (refused.value.hint or "")
    assert "channels" not in config.read_text()  # nothing written
