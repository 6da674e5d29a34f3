"""What an environment's activate.d scripts do, learned by running them in bash, as a template over
the caller's values.

The scripts run with their environment captured through a file descriptor of its own (never their
stdout, which is what they print). They run once with the caller's values and then three times with
every variable they touched unset, and set to two different sentinels; each touched variable's
effect is then "unset", "a constant" or "a prefix and a suffix around the value it had". The
template is kept only if it reproduces all four runs exactly and the scripts print the same text in
each; otherwise `corral run` runs the scripts on every call. Imported only when the cache misses.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from corral.activation.runner import apply_template

# Variables bash sets for itself; not part of what the scripts changed.
SHELL_OWN = frozenset({"SHLVL", "_", "PWD", "OLDPWD"})
_END = "corral-end-of-environment"
_SENTINELS = ("corral-probe-a", "corral-probe-b")
# Caller values shorter than this are not looked for inside what the scripts produce (too common).
_MIN_DEP = 3


class ScriptsFailed(Exception):
    """The scripts exited (or failed) before their environment could be read."""

    def __init__(self, code: int, output: str) -> None:
        super().__init__(f"exit {code}")
        self.code, self.output = code, output


def run_scripts(scripts: Sequence[str], env: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """Source `scripts` in one bash with `env`: (the environment they leave, what they printed)."""
    with tempfile.TemporaryFile() as dump:
        fd = dump.fileno()
        # Builtins only: the scripts may have changed PATH or defined functions of these names.
        text = "".join(f". {_sq(s)}\n" for s in scripts) + (
            "IFS=$' \\t\\n'\n"
            "for __corral_n in $(builtin compgen -e); do"
            f' builtin printf "%s=%s\\0" "$__corral_n" "${{!__corral_n}}" >&{fd}; done\n'
            f"builtin printf '%s\\0' {_END} >&{fd}\n"
        )
        done = subprocess.run(
            ["bash", "-c", text],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(fd,),
            check=False,
        )
        dump.seek(0)
        records = dump.read().decode(errors="replace").split("\0")
    output = done.stdout.decode(errors="replace")
    if done.returncode != 0 or _END not in records:
        raise ScriptsFailed(done.returncode, output)
    after = dict(r.split("=", 1) for r in records if "=" in r)
    return after, output


def touched(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    """The variables whose value (or presence) differs."""
    return {k for k in set(before) | set(after) if k not in SHELL_OWN and before.get(k) != after.get(k)}


def learn(
    scripts: Sequence[str], pre: Mapping[str, str], fixed: Mapping[str, str]
) -> tuple[dict[str, str], str, dict[str, Any] | None]:
    """(environment for this run, printed text, cache entry or None) for `pre` (the caller's values
    with corral's activation applied). `fixed` are corral's own values (the same for every caller)."""
    real, output = run_scripts(scripts, pre)
    names = touched(pre, real)
    for _ in range(3):
        probes = [(env, *run_scripts(scripts, env)) for env in _probe_envs(pre, names)]
        more = set().union(*(touched(env, after) for env, after, _ in probes)) - names
        if not more:
            break
        names |= more
    else:
        return real, output, None
    if any(text != output for _, _, text in probes):
        return real, output, None
    template: dict[str, Any] = {}
    for name in sorted(names):
        entry = _var_template(name, pre, probes)
        if entry is None:
            return real, output, None
        template[name] = entry
    for env, after in [(pre, real), *((env, after) for env, after, _ in probes)]:
        if _strip(apply_template(env, template)) != _strip(after):
            return real, output, None
    return real, output, {"template": template, "deps": _deps(pre, names, template, output, fixed), "output": output}


def _probe_envs(pre: Mapping[str, str], names: set[str]) -> list[dict[str, str]]:
    """`pre` with every touched variable unset (PATH kept: commands must run), then at each sentinel."""
    unset = {k: v for k, v in pre.items() if k not in names or k == "PATH"}
    return [unset, *({**pre, **{n: _sentinel(n, s, pre) for n in names}} for s in _SENTINELS)]


def _sentinel(name: str, mark: str, pre: Mapping[str, str]) -> str:
    if name == "PATH":  # still a PATH that finds the caller's commands
        return f"/nonexistent/{mark}" + os.pathsep + pre.get("PATH", "")
    return f"{mark}-{name}"


def _var_template(name: str, pre: Mapping[str, str], probes: list[tuple[dict[str, str], dict[str, str], str]]) -> Any:
    """{"unset": value or None, "set": ["drop"] | ["const", v] | ["wrap", prefix, suffix]}, or None."""
    (_, when_unset, _), (env1, after1, _), (env2, after2, _) = probes
    entry: dict[str, Any] = {}
    if name != "PATH":
        entry["unset"] = when_unset.get(name)
    s1, s2, v1, v2 = env1[name], env2[name], after1.get(name), after2.get(name)
    if v1 is None and v2 is None:
        entry["set"] = ["drop"]
    elif v1 is not None and v1 == v2:
        entry["set"] = ["const", v1]
    elif v1 is not None and v2 is not None and v1.count(s1) == 1:
        head, tail = v1.split(s1)
        if head + s2 + tail != v2:
            return None
        entry["set"] = ["wrap", head, tail]
    else:
        return None
    return entry


def _deps(
    pre: Mapping[str, str], names: set[str], template: Mapping[str, Any], output: str, fixed: Mapping[str, str]
) -> dict[str, str]:
    """The caller's values (not among the touched ones) that appear in what the template produces:
    the entry holds only while the caller has the same values (e.g. a script writing $HOME/x)."""
    texts = [output]
    for entry in template.values():
        texts += [t for t in [entry.get("unset"), *entry["set"][1:]] if isinstance(t, str)]
    blob = "\0".join(texts)
    for value in sorted(fixed.values(), key=len, reverse=True):
        if len(value) >= _MIN_DEP:
            blob = blob.replace(value, "\0")
    own = names | set(fixed)
    return {k: v for k, v in pre.items() if k not in own and len(v) >= _MIN_DEP and v in blob}


def _strip(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in SHELL_OWN}


def _sq(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
