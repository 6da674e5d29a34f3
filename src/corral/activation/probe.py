"""What an environment's activate.d scripts do, learned by running them in bash, as a template over
the caller's values.

The scripts run with their environment captured through a file descriptor of its own (never their
stdout, which is what they print). They run once with the caller's values and then three times with
every variable they touched unset, and set to two different sentinels; each touched variable's
effect is then "unset", "a constant" or "a prefix and a suffix around the value it had". The
template is kept only if it reproduces all four runs exactly and the scripts print the same text in
each. A fifth run with the caller's other values marked finds the ones the effect embeds (a script
writing $HOME/cfg); the template then holds only for callers with those same values. Otherwise
`corral run` runs the scripts on every call. Imported only when the cache misses.
"""

from __future__ import annotations

import os

from corral.activation.runner import apply_template

TYPE_CHECKING = False
if TYPE_CHECKING:  # no typing import at run time: scripts without a template run on every `corral run`
    from collections.abc import Mapping, Sequence
    from typing import Any

# Variables bash sets for itself; not part of what the scripts changed.
SHELL_OWN = frozenset({"SHLVL", "_", "PWD", "OLDPWD"})
_END = "corral-end-of-environment"
_SENTINELS = ("corral-probe-a", "corral-probe-b")
_UNMARKED = frozenset(
    {"PATH", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "IFS", "PS4", "LANG", "TMPDIR", "PYTHONHOME", "HOSTNAME"}
)


class ScriptsFailed(Exception):
    """The scripts exited (or failed) before their environment could be read."""

    def __init__(self, code: int, output: str) -> None:
        super().__init__(f"exit {code}")
        self.code, self.output = code, output


def run_scripts(scripts: Sequence[str], env: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """Source `scripts` in one bash with `env`: (the environment they leave, what they printed)."""
    # os-level spawning, not subprocess (whose import alone costs ~17 ms): this runs on every
    # `corral run` of an environment whose scripts have no template.
    dump = os.memfd_create("corral-env") if hasattr(os, "memfd_create") else _tempfile()
    try:
        # Builtins only: the scripts may have changed PATH or defined functions of these names.
        text = "".join(f". {_sq(s)}\n" for s in scripts) + (
            "IFS=$' \\t\\n'\n"
            "for __corral_n in $(builtin compgen -e); do"
            f' builtin printf "%s=%s\\0" "$__corral_n" "${{!__corral_n}}" >&{dump}; done\n'
            f"builtin printf '%s\\0' {_END} >&{dump}\n"
        )
        code, output = _bash(text, env, dump)
        os.lseek(dump, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(dump, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(dump)
    records = b"".join(chunks).decode(errors="replace").split("\0")
    if code != 0 or _END not in records:
        raise ScriptsFailed(code, output)
    after = {k: v for k, v in (r.split("=", 1) for r in records if "=" in r) if k not in SHELL_OWN}
    # Names that are no shell identifiers pass through bash untouched, but `compgen -e` omits them;
    # bash's own variables (SHLVL, PWD, ...) are the caller's again.
    after.update({k: v for k, v in env.items() if k in SHELL_OWN or not _shell_name(k)})
    return after, output


def _shell_name(name: str) -> bool:
    return name.isascii() and name.replace("_", "a").isalnum() and not name[0].isdigit()


def _bash(text: str, env: Mapping[str, str], keep: int) -> tuple[int, str]:
    """(exit code, stdout and stderr together) of `bash -c text`, with fd `keep` passed on."""
    read, write = os.pipe()
    os.set_inheritable(keep, True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, write, 1),
        (os.POSIX_SPAWN_DUP2, write, 2),
    ]
    try:
        pid = os.posix_spawnp("bash", ["bash", "-c", text], dict(env), file_actions=actions)
    except OSError as exc:
        os.close(read)
        raise ScriptsFailed(127, f"bash, which runs activate.d scripts, cannot be started: {exc.strerror}") from exc
    finally:
        os.close(write)
    chunks = []
    while chunk := os.read(read, 1 << 16):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")


def _tempfile() -> int:
    import tempfile

    return os.dup(tempfile.TemporaryFile().fileno())


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
    deps = _deps(scripts, pre, names, template, output, fixed)
    if deps is None:
        return real, output, None
    return real, output, {"template": template, "deps": deps, "output": output}


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
    scripts: Sequence[str],
    pre: Mapping[str, str],
    names: set[str],
    template: Mapping[str, Any],
    output: str,
    fixed: Mapping[str, str],
) -> dict[str, str] | None:
    """The caller's other values the scripts' effect depends on (a script writing $HOME/x): one more
    run with each of them marked. The entry holds only while the caller has the same values; None
    when the effect changes but no marked value shows where it came from."""
    marks = {k: f"-corral-dep{i}-" for i, k in enumerate(sorted(pre)) if _markable(k, names, fixed)}
    env = {k: v + marks[k] if k in marks else v for k, v in pre.items()}
    after, text = run_scripts(scripts, env)
    if text == output and _strip(apply_template(env, template)) == _strip(after):
        return {}
    blob = "\0".join([text, *(after.get(n) or "" for n in names)])
    found = {k: pre[k] for k, mark in marks.items() if mark in blob}
    return found or None


def _markable(name: str, names: set[str], fixed: Mapping[str, str]) -> bool:
    """Whether a caller variable may be changed to see if the scripts use it (not those that change
    how bash, the loader or commands start)."""
    if name in names or name in fixed or name in SHELL_OWN or name in _UNMARKED:
        return False
    return not name.startswith(("LD_", "DYLD_", "LC_", "BASH_FUNC_"))


def _strip(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in SHELL_OWN}


def _sq(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
