"""The activation scripts a pack adds, for POSIX sh, fish and csh/tcsh: no corral needed where they run.

Each sets what `corral activate` sets for a packed environment (its bin first on PATH,
CONDA_PREFIX, the environment's variables, a prompt prefix), then sources the environment's
`etc/conda/activate.d` scripts of its own kind (`*.sh`, `*.fish`, `*.csh`, as conda's activators
do); its `deactivate` runs the `deactivate.d` scripts of that kind in reverse name order (conda's
order), then puts back every value it changed. bash, zsh and fish find the folder they were
sourced from; dash, ksh and csh read the path corral-unpack wrote into the script.
"""

from __future__ import annotations

import re
from collections.abc import Callable

ACTIVATE, ACTIVATE_FISH, ACTIVATE_CSH = "bin/activate", "bin/activate.fish", "bin/activate.csh"
DEACTIVATE, DEACTIVATE_FISH, DEACTIVATE_CSH = "bin/deactivate", "bin/deactivate.fish", "bin/deactivate.csh"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_SH_HEAD = """# Use this environment in this shell: `. bin/activate` (bash, zsh, dash, ksh); `deactivate` undoes it.
# Written by `corral pack`: it needs no corral. Run bin/corral-unpack once after unpacking.
if command -v deactivate >/dev/null 2>&1 && [ -n "${_CORRAL_PACK_PREFIX:-}" ]; then deactivate; fi
_CORRAL_PACK_PREFIX=@PREFIX@
if [ -n "${BASH_VERSION:-}" ]; then
    _CORRAL_PACK_PREFIX=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
elif [ -n "${ZSH_VERSION:-}" ]; then
    eval '_CORRAL_PACK_PREFIX=$(cd "$(dirname -- "${(%):-%x}")/.." && pwd)'
fi
_CORRAL_PACK_OLD_PATH=$PATH
_CORRAL_PACK_OLD_PS1=${PS1:-}
PATH="$_CORRAL_PACK_PREFIX/bin:$PATH"
PS1="(${_CORRAL_PACK_PREFIX##*/}) ${PS1:-}"
export PATH
"""
_SH_SAVE = """_CORRAL_PACK_HAD_{name}=${{{name}+x}}
_CORRAL_PACK_OLD_{name}=${{{name}:-}}
{name}={value}
export {name}
"""
_SH_DEACTIVATE = """
deactivate() {
    if [ -d "$_CORRAL_PACK_PREFIX/etc/conda/deactivate.d" ]; then
        set --  # the scripts in reverse name order, as positional parameters (the function's own)
        for _corral_script in "$_CORRAL_PACK_PREFIX"/etc/conda/deactivate.d/*.sh; do
            [ -f "$_corral_script" ] && set -- "$_corral_script" "$@"
        done
        for _corral_script in "$@"; do . "$_corral_script"; done
    fi
    PATH=$_CORRAL_PACK_OLD_PATH
    PS1=$_CORRAL_PACK_OLD_PS1
    export PATH
@RESTORE@    unset _CORRAL_PACK_PREFIX _CORRAL_PACK_OLD_PATH _CORRAL_PACK_OLD_PS1 _corral_script
    unset -f deactivate
    hash -r 2>/dev/null || true
}

if [ -d "$_CORRAL_PACK_PREFIX/etc/conda/activate.d" ]; then
    for _corral_script in "$_CORRAL_PACK_PREFIX"/etc/conda/activate.d/*.sh; do
        [ -f "$_corral_script" ] && . "$_corral_script"
    done
    unset _corral_script
fi
hash -r 2>/dev/null || true
"""
_SH_RESTORE = """    if [ -n "$_CORRAL_PACK_HAD_{name}" ]; then
        {name}=$_CORRAL_PACK_OLD_{name}
        export {name}
    else
        unset {name}
    fi
    unset _CORRAL_PACK_HAD_{name} _CORRAL_PACK_OLD_{name}
"""
_SH_DEACTIVATE_FILE = """# Leave the environment `. bin/activate` entered: `. bin/deactivate` (or call `deactivate`).
# Written by `corral pack`: it needs no corral.
if command -v deactivate >/dev/null 2>&1 && [ -n "${_CORRAL_PACK_PREFIX:-}" ]; then deactivate; fi
"""

_FISH_HEAD = """# Use this environment in fish: `source bin/activate.fish`; `deactivate` undoes it.
# Written by `corral pack`: it needs no corral. Run bin/corral-unpack once after unpacking.
if set -q _CORRAL_PACK_PREFIX; and functions -q deactivate
    deactivate
end
set -gx _CORRAL_PACK_PREFIX @PREFIX@
set -l _corral_here (status filename)
if test -n "$_corral_here"
    set -gx _CORRAL_PACK_PREFIX (builtin realpath (dirname -- $_corral_here)/..)
end
set -g _CORRAL_PACK_OLD_PATH $PATH
set -gx PATH $_CORRAL_PACK_PREFIX/bin $PATH
"""
_FISH_SAVE = """if set -q {name}
    set -g _CORRAL_PACK_OLD_{name} ${name}
end
set -gx {name} {value}
"""
_FISH_REST = """if functions -q fish_prompt
    functions -c fish_prompt _corral_pack_old_fish_prompt
    function fish_prompt
        set -l last $status
        printf '(%s) ' (basename $_CORRAL_PACK_PREFIX)
        echo "exit $last" | source
        _corral_pack_old_fish_prompt
    end
end

function deactivate --description 'leave the environment bin/activate.fish entered'
    set -l _corral_scripts $_CORRAL_PACK_PREFIX/etc/conda/deactivate.d/*.fish
    if set -q _corral_scripts[1]
        for _corral_script in $_corral_scripts[-1..1]
            source $_corral_script
        end
    end
    set -gx PATH $_CORRAL_PACK_OLD_PATH
@RESTORE@    if functions -q _corral_pack_old_fish_prompt
        functions -e fish_prompt
        functions -c _corral_pack_old_fish_prompt fish_prompt
        functions -e _corral_pack_old_fish_prompt
    end
    set -e _CORRAL_PACK_PREFIX _CORRAL_PACK_OLD_PATH
    functions -e deactivate
end

for _corral_script in $_CORRAL_PACK_PREFIX/etc/conda/activate.d/*.fish
    source $_corral_script
end
set -e _corral_script
"""
_FISH_RESTORE = """    if set -q _CORRAL_PACK_OLD_{name}
        set -gx {name} $_CORRAL_PACK_OLD_{name}
        set -e _CORRAL_PACK_OLD_{name}
    else
        set -e {name}
    end
"""
_FISH_DEACTIVATE_FILE = """# Leave the environment `source bin/activate.fish` entered (or call `deactivate`).
# Written by `corral pack`: it needs no corral.
if set -q _CORRAL_PACK_PREFIX; and functions -q deactivate
    deactivate
end
"""

_CSH_HEAD = """# Use this environment in csh or tcsh: `source bin/activate.csh`; `deactivate` undoes it.
# Written by `corral pack`: it needs no corral. Run bin/corral-unpack once after unpacking (csh
# cannot tell a sourced script where it is, so this one names the folder corral-unpack found).
if ( $?_CORRAL_PACK_PREFIX ) then
    source "$_CORRAL_PACK_PREFIX/bin/deactivate.csh"
endif
setenv _CORRAL_PACK_PREFIX @PREFIX@
setenv _CORRAL_PACK_OLD_PATH "$PATH"
setenv PATH "$_CORRAL_PACK_PREFIX/bin:$PATH"
"""
_CSH_SAVE = """if ( $?{name} ) then
    setenv _CORRAL_PACK_OLD_{name} "${name}"
endif
setenv {name} {value}
"""
_CSH_REST = """if ( $?prompt ) then
    set _corral_pack_old_prompt = "$prompt:q"
    set prompt = "($_CORRAL_PACK_PREFIX:t) $prompt:q"
endif
alias deactivate 'source "$_CORRAL_PACK_PREFIX/bin/deactivate.csh"'
set _corral_nonomatch = $?nonomatch
set nonomatch
foreach _corral_script ( "$_CORRAL_PACK_PREFIX"/etc/conda/activate.d/*.csh )
    if ( -f "$_corral_script" ) source "$_corral_script"
end
if ( ! $_corral_nonomatch ) unset nonomatch
unset _corral_script _corral_nonomatch
rehash
"""
_CSH_DEACTIVATE_HEAD = """# Leave the environment `source bin/activate.csh` entered: `deactivate` (or source this file).
# Written by `corral pack`: it needs no corral.
if ( $?_CORRAL_PACK_PREFIX ) then
    set _corral_nonomatch = $?nonomatch
    set nonomatch
    set _corral_scripts = ( "$_CORRAL_PACK_PREFIX"/etc/conda/deactivate.d/*.csh )
    @ _corral_i = $#_corral_scripts
    while ( $_corral_i > 0 )
        if ( -f "$_corral_scripts[$_corral_i]" ) source "$_corral_scripts[$_corral_i]"
        @ _corral_i--
    end
    if ( ! $_corral_nonomatch ) unset nonomatch
    unset _corral_scripts _corral_i _corral_nonomatch
    setenv PATH "$_CORRAL_PACK_OLD_PATH"
"""
_CSH_RESTORE = """    if ( $?_CORRAL_PACK_OLD_{name} ) then
        setenv {name} "$_CORRAL_PACK_OLD_{name}"
        unsetenv _CORRAL_PACK_OLD_{name}
    else
        unsetenv {name}
    endif
"""
_CSH_DEACTIVATE_TAIL = """    if ( $?_corral_pack_old_prompt ) then
        set prompt = "$_corral_pack_old_prompt:q"
        unset _corral_pack_old_prompt
    endif
    unsetenv _CORRAL_PACK_PREFIX _CORRAL_PACK_OLD_PATH
    unalias deactivate
    rehash
endif
"""


def scripts(prefix: str, variables: tuple[tuple[str, str], ...]) -> dict[str, bytes]:
    """path -> content of the six activation files, naming `prefix` (corral-unpack rewrites it)."""
    names = ["CONDA_PREFIX", *(n for n, _ in variables)]

    def sets(template: str, quote: Callable[[str], str], prefix_ref: str) -> str:
        pairs = [("CONDA_PREFIX", prefix_ref), *((n, quote(v)) for n, v in variables)]
        return "".join(template.format(name=n, value=v) for n, v in pairs)

    def restores(template: str) -> str:
        return "".join(template.format(name=n) for n in names)

    sh = _SH_HEAD.replace("@PREFIX@", sh_quote(prefix)) + sets(_SH_SAVE, sh_quote, '"$_CORRAL_PACK_PREFIX"')
    fish = _FISH_HEAD.replace("@PREFIX@", fish_quote(prefix)) + sets(_FISH_SAVE, fish_quote, "$_CORRAL_PACK_PREFIX")
    csh = _CSH_HEAD.replace("@PREFIX@", sh_quote(prefix)) + sets(_CSH_SAVE, sh_quote, '"$_CORRAL_PACK_PREFIX"')
    return {
        ACTIVATE: (sh + _SH_DEACTIVATE.replace("@RESTORE@", restores(_SH_RESTORE))).encode(),
        ACTIVATE_CSH: (csh + _CSH_REST).encode(),
        ACTIVATE_FISH: (fish + _FISH_REST.replace("@RESTORE@", restores(_FISH_RESTORE))).encode(),
        DEACTIVATE: _SH_DEACTIVATE_FILE.encode(),
        DEACTIVATE_CSH: (_CSH_DEACTIVATE_HEAD + restores(_CSH_RESTORE) + _CSH_DEACTIVATE_TAIL).encode(),
        DEACTIVATE_FISH: _FISH_DEACTIVATE_FILE.encode(),
    }


NAMING_PREFIX = (ACTIVATE, ACTIVATE_CSH, ACTIVATE_FISH)  # corral-unpack rewrites the path in these
ACTIVATION = (*NAMING_PREFIX, DEACTIVATE, DEACTIVATE_CSH, DEACTIVATE_FISH)


def sh_quote(value: str) -> str:
    """A single-quoted word for sh and csh."""
    return "'" + value.replace("'", "'\\''") + "'"


def fish_quote(value: str) -> str:
    """A single-quoted word for fish (backslash escapes only \\ and ')."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
