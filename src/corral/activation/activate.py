"""What activating and deactivating an environment changes, computed from the caller's environment.

Activation sets what conda sets (PATH with the environment's bin first, CONDA_PREFIX,
CONDA_DEFAULT_ENV, CONDA_SHLVL, CONDA_PROMPT_MODIFIER) plus the environment's `variables:`, and
sources its `etc/conda/activate.d` scripts; the deactivate.d scripts run in conda's order (see
conda/activate.py `_yield_commands`, `_build_activate_stack`, `build_deactivate`). Every value it replaces is saved in
CORRAL_STACK_<level>, so deactivation restores each variable exactly as it was, however deep the
stack. Paths are the environment's stable link, never a generation: a shell activated before an
update or a rollback sees the new generation on its next command.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corral.activation.shells import PATH_SEP, SCRIPT_SUFFIX, Op
from corral.errors import CorralError
from corral.values import frozen

LEVEL = "CORRAL_SHLVL"
STACK = "CORRAL_STACK_"


class NotActive(CorralError):
    """`corral deactivate` with no corral environment active."""

    code = "not-active"


@frozen
class Target:
    """An environment to activate: its stable path, how it is named, its variables."""

    link: str
    label: str
    variables: tuple[tuple[str, str], ...] = ()

    @property
    def bin(self) -> str:
        """The directory put first on PATH."""
        return os.path.join(self.link, "bin")


def scripts(prefix: str, kind: str, shell: str) -> list[str]:
    """The environment's etc/conda/<kind> scripts for `shell`, in name order."""
    folder = Path(prefix) / "etc" / "conda" / kind
    if not folder.is_dir():
        return []
    suffix = SCRIPT_SUFFIX[shell]
    return [str(p) for p in sorted(folder.iterdir()) if p.name.endswith(suffix) and p.is_file()]


def activate_ops(environ: Mapping[str, str], target: Target, shell: str) -> list[Op]:
    """The steps that activate `target` on top of whatever `environ` has active (empty: already active).

    As `conda activate` without --stack, an environment active before is replaced: its deactivate.d
    scripts run first (while its values are still set), then the new values are set and the new
    environment's activate.d scripts run."""
    level = _level(environ)
    if level > 0 and environ.get("CONDA_PREFIX") == target.link:
        return []
    old_prefix = environ.get("CONDA_PREFIX") if level > 0 else None
    old_bin = os.path.join(old_prefix, "bin") if old_prefix else None
    leaving = deactivate_scripts(old_prefix, shell) if old_prefix else []
    entries = environ.get("PATH", "").split(PATH_SEP) if environ.get("PATH") else []
    path = PATH_SEP.join([target.bin, *(e for e in entries if e not in (target.bin, old_bin))])
    values = {
        "PATH": path,
        "CONDA_PREFIX": target.link,
        "CONDA_DEFAULT_ENV": target.label,
        "CONDA_SHLVL": str(_int(environ.get("CONDA_SHLVL")) + 1),
        "CONDA_PROMPT_MODIFIER": f"({target.label}) ",
        LEVEL: str(level + 1),
        **dict(target.variables),
    }
    saved = {name: environ.get(name) for name in values}
    record = json.dumps(
        {"prefix": target.link, "path": path, "replaced": old_bin, "saved": saved}, separators=(",", ":")
    )
    ops = [Op("source", value=script) for script in leaving]
    ops.append(Op("prompt-push", str(level + 1), f"({target.label}) "))
    for name, value in values.items():
        if name == "PATH" and leaving and old_bin and shell != "cmd":  # cmd: no list edits, the value
            # PATH as the leaving scripts left it (their PATH cleanup stays), with the new bin in front.
            ops.append(Op("path-swap", target.bin, old_bin))
        else:
            ops.append(Op("set", name, value))
    ops.append(Op("set", f"{STACK}{level + 1}", record))
    ops += [Op("source", value=script) for script in scripts(target.link, "activate.d", shell)]
    return ops


def deactivate_scripts(prefix: str, shell: str) -> list[str]:
    """The deactivate.d scripts of `prefix` for `shell`, in the order conda runs them (reverse name order)."""
    return scripts(prefix, "deactivate.d", shell)[::-1]


def deactivate_ops(environ: Mapping[str, str], shell: str) -> list[Op]:
    """The steps that undo the innermost corral activation in `environ`, restoring every value it replaced."""
    level = _level(environ)
    if level < 1:
        raise NotActive(
            "no corral environment is active in this shell",
            hint="activate one with `corral activate NAME`",
        )
    try:
        record = json.loads(environ[f"{STACK}{level}"])
        saved: dict[str, str | None] = record["saved"]
        prefix, path_set, replaced = str(record["prefix"]), str(record["path"]), record.get("replaced")
    except (KeyError, ValueError, TypeError) as exc:
        raise NotActive(
            f"this shell's activation record {STACK}{level} is missing or damaged",
            hint="open a new shell; corral cannot tell what to restore",
        ) from exc
    # conda's order: PATH first, then the deactivate.d scripts (so their PATH edits stay), then the
    # other values; the environment beneath (if one was replaced) gets its activate.d scripts again.
    ops: list[Op] = []
    path_value: str | None = None
    if "PATH" in saved:
        path_value = _restored_path(environ.get("PATH", ""), path_set, prefix, saved["PATH"], replaced)
        if path_value is not None:
            ops.append(Op("set", "PATH", path_value))
    ops += [Op("source", value=script) for script in deactivate_scripts(prefix, shell)]
    for name, old in saved.items():
        if name != "PATH":
            ops.append(Op("unset", name) if old is None else Op("set", name, old))
    if "PATH" in saved and path_value is None:
        ops.append(Op("unset", "PATH"))
    ops.append(Op("unset", f"{STACK}{level}"))
    ops.append(Op("prompt-pop", str(level)))
    beneath = saved.get("CONDA_PREFIX")
    if replaced and beneath:
        ops += [Op("source", value=script) for script in scripts(beneath, "activate.d", shell)]
    return ops


def _restored_path(current: str, path_set: str, prefix: str, old: str | None, replaced: str | None) -> str | None:
    """The PATH before activation; if the user changed PATH since, theirs minus this environment's bin
    (and with the bin of the environment it replaced back in front)."""
    if current == path_set:
        return old
    entries = current.split(PATH_SEP)
    ours = os.path.join(prefix, "bin")
    if ours in entries:
        entries.remove(ours)
    if replaced and replaced not in entries:
        entries.insert(0, replaced)
    return PATH_SEP.join(entries)


def _level(environ: Mapping[str, str]) -> int:
    return _int(environ.get(LEVEL))


def _int(text: str | None) -> int:
    try:
        return max(int(text or "0"), 0)
    except ValueError:
        return 0


def target_for(settings: Any, name: str | None, path: str | None) -> Target:
    """The Target of `-n NAME` / `-p PATH` (or a bare NAME or PATH): an existing environment."""
    from corral.store import generations as gens
    from corral.store.envs import env_ref, require_existing

    ref = require_existing(env_ref(settings, name=name, path=path))
    current = gens.current_generation(ref)
    variables = gens.read_record(ref, current).spec.variables if current is not None else ()
    return Target(link=str(ref.link), label=ref.name or str(ref.link), variables=variables)
