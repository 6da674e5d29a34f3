"""What activating and deactivating an environment changes, computed from the caller's environment.

Activation sets what conda sets (PATH with the environment's bin first, CONDA_PREFIX,
CONDA_DEFAULT_ENV, CONDA_SHLVL, CONDA_PROMPT_MODIFIER) plus the environment's `variables:`, and
sources its `etc/conda/activate.d` scripts. Every value it replaces is saved in
CORRAL_STACK_<level>, so deactivation restores each variable exactly as it was, however deep the
stack. Paths are the environment's stable link, never a generation: a shell activated before an
update or a rollback sees the new generation on its next command.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corral.activation.shells import PATH_SEP, SCRIPT_SUFFIX, Op
from corral.errors import CorralError

LEVEL = "CORRAL_SHLVL"
STACK = "CORRAL_STACK_"


class NotActive(CorralError):
    """`corral deactivate` with no corral environment active."""

    code = "not-active"


@dataclass(frozen=True)
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
    """The steps that activate `target` on top of whatever `environ` has active (empty: already active)."""
    level = _level(environ)
    if level > 0 and environ.get("CONDA_PREFIX") == target.link:
        return []
    old_bin = os.path.join(environ["CONDA_PREFIX"], "bin") if level > 0 and environ.get("CONDA_PREFIX") else None
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
    ops = [Op("prompt-push", str(level + 1), f"({target.label}) ")]
    ops += [Op("set", name, value) for name, value in values.items()]
    ops.append(Op("set", f"{STACK}{level + 1}", record))
    ops += [Op("source", value=script) for script in scripts(target.link, "activate.d", shell)]
    return ops


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
    ops = [Op("source", value=script) for script in scripts(prefix, "deactivate.d", shell)]
    for name, old in saved.items():
        if name == "PATH":
            value: str | None = _restored_path(environ.get("PATH", ""), path_set, prefix, old, replaced)
        else:
            value = old
        ops.append(Op("unset", name) if value is None else Op("set", name, value))
    ops.append(Op("unset", f"{STACK}{level}"))
    ops.append(Op("prompt-pop", str(level)))
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
