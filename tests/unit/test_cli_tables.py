"""The CLI's command tables: every handler and renderer imported on first use names a function that exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import corral.cli

CLI = Path(corral.cli.__file__).parent


def test_every_later_handler_and_renderer_resolves() -> None:
    found = []
    for source in ("handlers.py", "render.py"):
        text = (CLI / source).read_text()
        found += re.findall(r'\blater\("(\w+)", "(\w+)"\)', text)
    assert len(found) > 20  # the store/tools handlers and renderers
    for module, name in found:
        assert callable(getattr(importlib.import_module(f"corral.cli.{module}"), name)), (module, name)
