"""Shell syntax: a list of operations (set, unset, source, prompt) rendered for each supported shell.

Kept free of corral's other modules so that `corral shell hook` imports almost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

# The activate.d / deactivate.d scripts each shell runs (conda's convention).
SCRIPT_SUFFIX = {"bash": ".sh", "zsh": ".sh", "fish": ".fish", "powershell": ".ps1", "xonsh": ".xsh", "cmd": ".bat"}
PATH_SEP = ":"


class Op(NamedTuple):
    """One step of an activation script: ("set", name, value), ("unset", name), ("source", path),
    ("prompt-push", level, modifier), ("prompt-pop", level) or ("path-swap", new_bin, old_bin): PATH
    as the shell has it at that point, without either bin, and `new_bin` in front."""

    kind: str
    name: str = ""
    value: str = ""


def render(shell: str, ops: Sequence[Op]) -> str:
    """The script `shell` evaluates for `ops`."""
    return "".join(_RENDER[shell](op) for op in ops)


def _sq(text: str) -> str:
    """POSIX single quotes."""
    return "'" + text.replace("'", "'\\''") + "'"


def _posix(op: Op) -> str:
    if op.kind == "set":
        return f"export {op.name}={_sq(op.value)}\n"
    if op.kind == "unset":
        return f"unset {op.name}\n"
    if op.kind == "source":
        return f". {_sq(op.value)}\n"
    if op.kind == "prompt-push":
        return f'_CORRAL_PS1_{op.name}="${{PS1-}}"\nPS1={_sq(op.value)}"${{PS1-}}"\n'
    if op.kind == "prompt-pop":
        return f'PS1="${{_CORRAL_PS1_{op.name}-}}"\nunset _CORRAL_PS1_{op.name}\n'
    if op.kind == "path-swap":  # bash and zsh alike: no word splitting, quoted patterns are literal
        return (
            f'__corral_p=":${{PATH-}}:"\nfor __corral_d in {_sq(op.name)} {_sq(op.value)}; do\n'
            '  while case "$__corral_p" in *":$__corral_d:"*) true ;; *) false ;; esac; do\n'
            '    __corral_p="${__corral_p%%:"$__corral_d":*}:${__corral_p#*:"$__corral_d":}"\n'
            "  done\ndone\n"
            '__corral_p="${__corral_p#:}"\n__corral_p="${__corral_p%:}"\n'
            f'export PATH={_sq(op.name)}"${{__corral_p:+:$__corral_p}}"\nunset __corral_p __corral_d\n'
        )
    raise ValueError(op.kind)


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(op: Op) -> str:
    if op.kind == "set":
        if op.name == "PATH":  # a list in fish
            parts = " ".join(_fish_quote(p) for p in op.value.split(PATH_SEP) if p)
            return f"set -gx PATH {parts}\n"
        return f"set -gx {op.name} {_fish_quote(op.value)}\n"
    if op.kind == "unset":
        return f"set -e {op.name}\n"
    if op.kind == "source":
        return f"source {_fish_quote(op.value)}\n"
    if op.kind == "path-swap":
        new, old = _fish_quote(op.name), _fish_quote(op.value)
        kept = f"for __corral_d in $PATH; contains -- $__corral_d {new} {old}; or echo $__corral_d; end"
        return f"set -gx PATH {new} ({kept})\n"
    return ""  # fish prompts are functions: CONDA_PROMPT_MODIFIER is there for them


def _ps_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _powershell(op: Op) -> str:
    if op.kind == "set":
        return f"$Env:{op.name} = {_ps_quote(op.value)}\n"
    if op.kind == "unset":
        return f"Remove-Item -ErrorAction SilentlyContinue Env:{op.name}\n"
    if op.kind == "source":
        return f". {_ps_quote(op.value)}\n"
    if op.kind == "path-swap":
        new, old = _ps_quote(op.name), _ps_quote(op.value)
        kept = f"$Env:PATH -split '{PATH_SEP}' | Where-Object {{ $_ -and $_ -ne {new} -and $_ -ne {old} }}"
        return f"$Env:PATH = (@({new}) + @({kept})) -join '{PATH_SEP}'\n"
    return ""


def _xonsh(op: Op) -> str:
    if op.kind == "set":
        return f"${op.name} = {json.dumps(op.value)}\n"
    if op.kind == "unset":
        return f"${{...}}.pop({json.dumps(op.name)}, None)\n"
    if op.kind == "source":
        return f"source {json.dumps(op.value)}\n"
    if op.kind == "path-swap":
        new, old = json.dumps(op.name), json.dumps(op.value)
        return f"$PATH = [{new}] + [__corral_d for __corral_d in $PATH if __corral_d not in ({new}, {old})]\n"
    return ""


def _cmd(op: Op) -> str:
    if op.kind == "set":
        return f'@SET "{op.name}={op.value}"\n'
    if op.kind == "unset":
        return f"@SET {op.name}=\n"
    if op.kind == "source":
        return f'@CALL "{op.value}"\n'
    return ""


_RENDER = {
    "bash": _posix,
    "zsh": _posix,
    "fish": _fish,
    "powershell": _powershell,
    "xonsh": _xonsh,
    "cmd": _cmd,
}
