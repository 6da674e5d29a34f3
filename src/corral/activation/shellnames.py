"""The shells corral writes activation for, alone: the argument parser needs the names, not the writers."""

from __future__ import annotations

SHELLS = ("bash", "zsh", "fish", "powershell", "xonsh", "cmd")
