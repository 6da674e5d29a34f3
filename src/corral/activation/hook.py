"""The shell hook (a `corral` function that can change the calling shell) and its line in rc files.

Imported on the `corral shell hook` fast path: standard library only.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

BEGIN = "# >>> corral shell hook >>>"
END = "# <<< corral shell hook <<<"


def corral_command() -> list[str]:
    """How the hook runs corral: this interpreter with `-m corral`, so it works before any PATH rehash."""
    return [sys.executable, "-m", "corral"]


def completion(shell: str, run: str) -> str:
    """Tab completion (bash, zsh, fish) appended to the hook: `corral __complete` (cli/complete.py) answers."""
    if shell == "bash":
        return (
            "_corral_complete() {\n"
            "    local IFS=$'\\n'\n"
            "    COMPREPLY=($(" + run + ' __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))\n'
            "}\n"
            "complete -o default -F _corral_complete corral\n"
        )
    if shell == "zsh":
        return (
            "_corral_complete() {\n"
            '    local -a candidates; candidates=("${(@f)$(' + run + ' __complete "${(@)words[2,$CURRENT]}"'
            ' 2>/dev/null)}")\n'
            "    compadd -a candidates\n"
            "}\n"
            "(( $+functions[compdef] )) && compdef _corral_complete corral\n"
        )
    if shell == "fish":
        return (
            f"complete -c corral -f -a '({run} __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'\n"
        )
    return ""


def hook(shell: str) -> str:
    """The text `eval "$(corral shell hook SHELL)"` runs: a `corral` function for activate/deactivate."""
    exe = corral_command()
    if shell in ("bash", "zsh"):
        run = shlex.join(exe)
        return f"""# corral shell hook ({shell}): `corral activate ENV`, `corral deactivate`, the rest unchanged
corral() {{
    case "${{1-}}" in
        activate|deactivate)
            __corral_script="$({run} shell "$@" --shell {shell})" || {{ unset __corral_script; return 1; }}
            eval "$__corral_script"
            unset __corral_script
            ;;
        *)
            {run} "$@"
            ;;
    esac
}}
""" + completion(shell, run)
    if shell == "fish":
        run = " ".join(fish_word(w) for w in exe)
        return f"""# corral shell hook (fish): `corral activate ENV`, `corral deactivate`, the rest unchanged
function corral
    switch "$argv[1]"
        case activate deactivate
            set -l __corral_script ({run} shell $argv --shell fish); or return 1
            string join \\n -- $__corral_script | source
        case '*'
            {run} $argv
    end
end
""" + completion(shell, run)
    if shell == "powershell":
        python, rest = exe[0], " ".join(f"'{w}'" for w in exe[1:])
        return f"""# corral shell hook (powershell): `corral activate ENV`, `corral deactivate`, the rest unchanged
function corral {{
    if ($args.Count -gt 0 -and ($args[0] -eq 'activate' -or $args[0] -eq 'deactivate')) {{
        $corralScript = & '{python}' {rest} shell @args --shell powershell
        if ($LASTEXITCODE -ne 0) {{ return }}
        Invoke-Expression ($corralScript -join "`n")
    }} else {{
        & '{python}' {rest} @args
    }}
}}
"""
    if shell == "xonsh":
        words = ", ".join(repr(w) for w in exe)
        return f"""# corral shell hook (xonsh): `corral activate ENV`, `corral deactivate`, the rest unchanged
def __corral_main(args):
    __exe = [{words}]
    if args and args[0] in ("activate", "deactivate"):
        __result = !(@(__exe) shell @(args) --shell xonsh)
        if __result.returncode != 0:
            return __result.returncode
        execx(__result.output)
    else:
        @(__exe) @(args)
aliases["corral"] = __corral_main
"""
    if shell == "cmd":
        run = " ".join(f'"{w}"' for w in exe)
        return f"""@REM corral.bat: put this file on PATH ahead of corral; then `corral activate ENV` works in cmd.exe
@IF /I "%~1"=="activate" GOTO :corral_activate
@IF /I "%~1"=="deactivate" GOTO :corral_activate
@{run} %*
@GOTO :EOF
:corral_activate
@FOR /F "delims=" %%L IN ('{run} shell %* --shell cmd') DO @%%L
"""
    raise ValueError(shell)


def fish_word(word: str) -> str:
    """A word quoted for fish."""
    return "'" + word.replace("\\", "\\\\").replace("'", "\\'") + "'"


def rc_file(shell: str) -> Path:
    """The startup file `corral shell init` edits for `shell`."""
    home = Path.home()
    if shell == "bash":
        return home / ".bashrc"
    if shell == "zsh":
        return Path(os.environ.get("ZDOTDIR") or home) / ".zshrc"
    if shell == "fish":
        return Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "fish" / "config.fish"
    if shell == "powershell":
        return Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "powershell" / "profile.ps1"
    if shell == "xonsh":
        return home / ".xonshrc"
    raise ValueError(shell)


def rc_block(shell: str) -> str:
    """The lines `corral shell init` adds: they run the hook at each new shell."""
    exe = corral_command()
    if shell in ("bash", "zsh"):
        line = f'eval "$({shlex.join(exe)} shell hook {shell})"'
    elif shell == "fish":
        line = " ".join(fish_word(w) for w in exe) + " shell hook fish | source"
    elif shell == "powershell":
        rest = " ".join(f"'{w}'" for w in exe[1:])
        line = f"(& '{exe[0]}' {rest} shell hook powershell) -join \"`n\" | Invoke-Expression"
    else:
        line = f"execx($({' '.join(exe)} shell hook xonsh))"
    return f"{BEGIN}\n{line}\n{END}\n"


def without_block(text: str) -> str:
    """`text` with corral's block (and the blank line before it, if corral added one) removed."""
    if BEGIN not in text:
        return text
    start = text.index(BEGIN)
    end = text.find(END, start)
    end = len(text) if end < 0 else end + len(END)
    if text[end : end + 1] == "\n":
        end += 1
    head = text[:start]
    if head.endswith("\n\n"):
        head = head[:-1]
    return head + text[end:]
