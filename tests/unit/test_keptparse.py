"""Parsed documents kept as JSON beside their text (keptparse): a .condarc or config.toml read before costs no
PyYAML or tomllib import; a changed text is parsed again; nothing JSON cannot hold, and no secret, is kept."""

from __future__ import annotations

import datetime
import json
import stat
import sys
import zlib
from pathlib import Path

import pytest

from corral import keptparse
from corral.condarc import read_condarc
from corral.settings import load_settings


def test_kept_reused_changed_parsed_again_damaged_parsed_again_and_pruned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "kept"
    calls: list[str] = []

    def parse(text: str) -> object:
        calls.append(text)
        return {"channels": text.split()}

    assert keptparse.parse_kept("a b", parse, folder) == {"channels": ["a", "b"]}
    assert keptparse.parse_kept("a b", parse, folder) == {"channels": ["a", "b"]}
    assert calls == ["a b"]  # the second read came from the copy
    (copy,) = folder.glob("*.json")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert keptparse.parse_kept("a c", parse, folder) == {"channels": ["a", "c"]} and len(calls) == 2
    copy.write_text("{not json")
    assert keptparse.parse_kept("a b", parse, folder) == {"channels": ["a", "b"]} and len(calls) == 3
    assert json.loads(copy.read_text()) == {"text": "a b", "data": {"channels": ["a", "b"]}}  # kept again
    monkeypatch.setattr(keptparse, "KEEP", 2)
    for text in ("x", "y", "z"):
        keptparse.parse_kept(text, parse, folder)
    assert len(list(folder.glob("*.json"))) == 2
    assert keptparse.parse_kept("no folder", parse, None) == {"channels": ["no", "folder"]}


def test_a_copy_serves_only_the_very_text_it_was_parsed_from(tmp_path: Path) -> None:
    folder = tmp_path / "kept"
    keptparse.parse_kept("channels: [a]", lambda t: {"parsed": t}, folder)
    (copy,) = folder.glob("*.json")
    other = "channels: [b]"  # a text whose copy would have this name (a CRC-32 collision): its own parse wins
    encoded = other.encode()
    copy.rename(folder / f"{len(encoded)}-{zlib.crc32(encoded):08x}.json")
    assert keptparse.parse_kept(other, lambda t: {"parsed": t}, folder) == {"parsed": other}
    assert keptparse.parse_kept(other, lambda t: {"again": t}, folder) == {"parsed": other}  # and is kept


def test_a_copy_is_found_without_hashlib(tmp_path: Path) -> None:
    import subprocess

    code = (
        "import sys; from pathlib import Path; from corral import keptparse;"
        f"folder = Path({str(tmp_path)!r});"
        "[keptparse.parse_kept('a: 1', lambda t: {'a': 1}, folder) for _ in range(2)];"
        "print('hashlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    "data",
    [
        {"when": datetime.date(2026, 12, 2)},  # YAML and TOML dates: JSON would change them
        {1: "an int key"},
        {"channels": ["https://alice:s3cret@example.org/c"]},  # credentials: never copied anywhere
        {"channels": ["https://conda.example.org/t/tk-123456/c"]},
    ],
)
def test_what_json_cannot_hold_or_a_secret_is_never_kept(tmp_path: Path, data: object) -> None:
    assert keptparse.parse_kept("text", lambda _: data, tmp_path / "kept") == data
    assert not list(tmp_path.rglob("*.json"))


def test_a_condarc_and_a_config_file_read_again_import_neither_yaml_nor_tomllib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".condarc").write_text("channels:\n  - conda-forge\nchannel_priority: strict\n")
    config = tmp_path / "config.toml"
    config.write_text('link-scripts = "skip"\n')
    environ = {"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "cache"), "CORRAL_CONFIG": str(config)}
    monkeypatch.setenv("HOME", str(home))  # conda's search path expands ~ with the process's HOME
    first = load_settings(environ, {})
    assert first.channels == ("conda-forge",) and first.link_scripts == "skip"
    assert len(list((tmp_path / "cache" / "corral" / "parsed-config").glob("*.json"))) == 2
    for module in ("yaml", "tomllib", "tomli"):
        monkeypatch.setitem(sys.modules, module, None)  # importing them now fails
    again = load_settings(environ, {})
    assert (again.channels, again.link_scripts, again.sources) == (first.channels, first.link_scripts, first.sources)
    (home / ".condarc").write_text("channels:\n  - bioconda\n")  # changed: parsed again, which needs PyYAML
    with pytest.raises(ImportError):
        read_condarc(environ)
