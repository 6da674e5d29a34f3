"""`corral run`: exec a command in an activated environment, at almost no cost over running it directly.

The activated environment is the environment's variables and the effect of its activate.d
scripts. That effect is learned once per generation (activation/probe.py runs the scripts in bash)
as a template over the caller's values and cached inside the generation; each later run reads that
small file, applies it to its own environment and execs. No shell is started and no activation
script re-runs unless their effect has no template. Since corral replaces itself with the command,
its exit code and signals are the command's own.
This module is on the `run` fast path: it avoids argparse and corral's heavier modules.
"""

from __future__ import annotations

import json
import os
import sys

from corral.layout import ACTIVATION_CACHE as CACHE
from corral.layout import GENERATION_FILE

TYPE_CHECKING = False
if TYPE_CHECKING:  # no typing import at run time: `corral run` is on a fast path
    from collections.abc import Mapping, Sequence
    from typing import Any, NoReturn

CACHE_VERSION = 2

USAGE = """usage: corral run [-n NAME | -p PATH | -e ENV] [--locked | --frozen] [--cwd DIR] [-e KEY=VALUE]...
                  COMMAND [ARG...]

Run COMMAND with the environment activated (its bin first on PATH, CONDA_PREFIX, its variables and
the effect of its activate.d scripts), without a shell. The exit code and signals are COMMAND's.
Without -n/-p, inside a project (environment.yml, or pyproject.toml with [tool.corral]): the
project's environment, locked again when the manifest changed and synced when it is not the lock's;
`-e ENV` (a name, no '=') runs in the project's named environment ENV instead of its default one.

options:
  -n, --name NAME       environment name
  -p, --prefix PATH     environment path
  --cwd DIR             run in DIR
  -e, --env KEY=VALUE   set a variable for COMMAND (repeatable)
  -e, --environment ENV in a project: its named environment ENV ([tool.corral.environments])
  --locked              in a project: fail if corral.lock is out of date with the manifest
  --frozen              in a project: use corral.lock as it is, whatever the manifest says

conda run's --no-capture-output and --live-stream are accepted: COMMAND's output is never captured.
"""


class RunError(Exception):
    """A `corral run` problem: message, hint, exit code."""

    def __init__(self, message: str, hint: str = "", exit_code: int = 1) -> None:
        super().__init__(message)
        self.message, self.hint, self.exit_code = message, hint, exit_code


def parse(
    argv: Sequence[str],
) -> tuple[str | None, str | None, str | None, list[tuple[str, str]], list[str], str, str]:
    """(name, path, cwd, extra variables, command, project mode, project environment) from `run`'s arguments.

    Options stop at the command. Neither -n nor -p: the project around the current directory (main
    finds it); the mode is "locked", "frozen" or "" for it, the environment "default" unless `-e ENV`
    (a value without '=': a variable is always KEY=VALUE) or `--environment ENV` names another.
    """
    name = path = cwd = None
    environment = ""
    mode = ""
    extra: list[tuple[str, str]] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        flag, eq, inline = arg.partition("=") if arg.startswith("--") else (arg[:2], "", arg[2:])
        if flag in ("-h", "--help"):
            sys.stdout.write(USAGE)
            raise SystemExit(0)
        if flag in ("--locked", "--frozen") and not eq:
            if mode and mode != flag[2:]:
                raise RunError(
                    "--locked and --frozen exclude each other",
                    "--locked checks the lock; --frozen ignores the manifest",
                    2,
                )
            mode = flag[2:]
            i += 1
            continue
        if flag in ("--no-capture-output", "--live-stream") and not eq:  # conda run's: corral never captures
            i += 1
            continue
        if flag not in ("-n", "--name", "-p", "--prefix", "--cwd", "-e", "--env", "--environment"):
            raise RunError(f"unknown option {arg} for corral run", "see `corral run --help`", 2)
        if inline or eq:
            value = inline
        else:
            i += 1
            if i >= len(args):
                raise RunError(f"{flag} needs a value", "see `corral run --help`", 2)
            value = args[i]
        if flag in ("-n", "--name"):
            name = value
        elif flag in ("-p", "--prefix"):
            path = value
        elif flag == "--cwd":
            cwd = value
        elif flag == "--environment" or (flag == "-e" and "=" not in value):
            if environment and environment != value:
                raise RunError("name one project environment", "e.g. corral run -e test pytest", 2)
            environment = value
        else:
            key, sep, val = value.partition("=")
            if not sep or not key:
                raise RunError(f"-e takes KEY=VALUE, not '{value}'", "e.g. -e OMP_NUM_THREADS=4", 2)
            extra.append((key, val))
        i += 1
    command = args[i:]
    if name is not None and path is not None:
        raise RunError(
            "name the environment with -n NAME or -p PATH, not both", "e.g. corral run -n ml python train.py", 2
        )
    if environment and (name is not None or path is not None):
        raise RunError(
            f"-e {environment} names a project's environment, not one given with -n/-p",
            "run it inside the project without -n/-p (a variable is -e KEY=VALUE)",
            2,
        )
    if mode and (name is not None or path is not None):
        raise RunError(
            f"--{mode} is for a project's environment, not -n/-p", "run it inside the project without -n/-p", 2
        )
    if not command:
        raise RunError("give the command to run", "e.g. corral run -n ml python train.py", 2)
    return name, path, cwd, extra, command, mode, environment or "default"


def project_target(cwd: str | None, mode: str, environ: Mapping[str, str], env: str = "default") -> tuple[str, str]:
    """(stable link, label) of the project's environment, after bringing it in step with the lock if needed.

    The fast path is two stats, a readlink and a small JSON read (corral/project/__init__.py); only
    when they differ from what the last sync stamped does the manifest get parsed (and the lock made
    again, or the environment installed from it).
    """
    from corral import project

    found = project.find(cwd or os.getcwd(), env)
    if found is None:
        raise RunError(
            "name the environment with -n NAME or -p PATH (no project here: no environment.yml, nor pyproject.toml"
            " with [tool.corral])",
            "e.g. corral run -n ml python train.py, or make this folder a project with corral init",
            2,
        )
    if not project.up_to_date(found, frozen=mode == "frozen"):
        from corral.project.sync import sync_for_run

        notes = sync_for_run(environ, found, mode)
        sys.stderr.write("".join(f"{n}\n" for n in notes))
    return found.link, found.link


def locate(name: str | None, path: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """(stable link, label) of the environment; an error a user can act on when it does not exist."""
    if name is not None:
        if not _valid_name(name):
            raise RunError(f"invalid environment name '{name}'", "see `corral env list`", 2)
        link = os.path.join(_root(environ), "envs", name)
        label = name
    else:
        assert path is not None
        link = os.path.abspath(os.path.expanduser(path))
        label = link
    if not os.path.isdir(link):
        what = f"environment '{name}'" if name is not None else f"environment at {link}"
        flag = f"-n {name}" if name is not None else f"-p {link}"
        raise RunError(f"{what} does not exist", f"see `corral env list`, or create it: corral create {flag} ...")
    return link, label


def _valid_name(name: str) -> bool:
    """The rule env_ref applies, without importing re: letters, digits, '.', '_', '-', not leading."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    return 0 < len(name) <= 100 and name[0].isalnum() and name.isascii() and set(name) <= allowed


def _root(environ: Mapping[str, str]) -> str:
    """The store's root as Settings gives it, reading the config file only when there is one."""
    from corral.locations import default_config_file, default_root

    if environ.get("CORRAL_ROOT"):
        return os.path.abspath(os.path.expanduser(environ["CORRAL_ROOT"]))
    if os.path.isfile(default_config_file(environ)):
        from corral.settings import load_settings

        return str(load_settings(environ, {}).root)
    return str(default_root(environ))


def activated_environment(environ: Mapping[str, str], link: str, label: str) -> tuple[dict[str, str], str]:
    """(the environment a command gets, what the activate.d scripts print) for the caller's `environ`.

    From the generation's cache when it holds for these inputs; otherwise the scripts run (and
    the cache is remade)."""
    generation = os.path.realpath(link)
    path = os.path.join(generation, CACHE)
    data = _read_cache(path, link, label)
    if data is not None:
        pre = pre_environment(environ, os.path.join(link, "bin"), data["base"])
        if all(pre.get(k) == v for k, v in dict(data.get("deps", {})).items()):
            if data["mode"] == "none":
                return pre, ""
            if data["mode"] == "template":
                try:
                    return apply_template(pre, data["template"]), str(data["output"])
                except KeyError:
                    pass  # a case the template does not know (PATH unset): run the scripts
            return _run_scripts(list(data["scripts"]), pre, label), ""
    env, output, data = make_activation(environ, link, label, generation)
    try:
        from pathlib import Path

        from corral.store.fsutil import atomic_write_json

        atomic_write_json(Path(path), data)
    except OSError:
        pass  # a read-only store still runs, just without the cache
    return env, output


def _read_cache(path: str, link: str, label: str) -> dict[str, Any] | None:
    """The cache entry if it is this version's and made for this link and label."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("version") == CACHE_VERSION and data.get("key") == [link, label]:
        return data
    return None


def make_activation(
    environ: Mapping[str, str], link: str, label: str, generation: str
) -> tuple[dict[str, str], str, dict[str, Any]]:
    """(environment, printed text, cache entry): corral's variables and the environment's, then the
    activate.d scripts, whose effect is kept as a template over the caller's values when it can be."""
    from corral.activation.activate import scripts

    variables: dict[str, str] = {}
    try:
        with open(os.path.join(generation, GENERATION_FILE), encoding="utf-8") as handle:
            variables = {str(k): str(v) for k, v in dict(json.load(handle)["spec"].get("variables", {})).items()}
    except (OSError, ValueError, KeyError):
        pass
    base = {"CONDA_PREFIX": link, "CONDA_DEFAULT_ENV": label, "CONDA_PROMPT_MODIFIER": f"({label}) ", **variables}
    data: dict[str, Any] = {"version": CACHE_VERSION, "key": [link, label], "base": base, "mode": "none"}
    pre = pre_environment(environ, os.path.join(link, "bin"), base)
    found = scripts(link, "activate.d", "bash")
    if not found:
        return pre, "", data
    from corral.activation import probe

    try:
        env, output, learned = probe.learn(found, pre, base)
    except probe.ScriptsFailed as exc:
        raise _failed(label, exc) from None
    if learned is None:
        data.update(mode="scripts", scripts=found)
    else:
        data.update(mode="template", **learned)
    return env, output, data


def _run_scripts(found: Sequence[str], pre: Mapping[str, str], label: str) -> dict[str, str]:
    """Run the scripts for this call (their effect has no template); what they print goes to stderr."""
    from corral.activation import probe

    try:
        env, output = probe.run_scripts(found, pre)
    except probe.ScriptsFailed as exc:
        raise _failed(label, exc) from None
    sys.stderr.write(output)
    return env


def _failed(label: str, exc: Any) -> RunError:
    return RunError(
        f"the activate.d scripts of {label} failed (exit {exc.code})",
        hint=str(exc.output).strip()[-300:] or "run them by hand to see why",
    )


def pre_environment(environ: Mapping[str, str], bin_dir: str, base: Mapping[str, str]) -> dict[str, str]:
    """`environ` with corral's part of activation: `bin_dir` first on PATH (once), `base` set."""
    env = dict(environ)
    entries = [e for e in env.get("PATH", "").split(os.pathsep) if e and e != bin_dir]
    env["PATH"] = os.pathsep.join([bin_dir, *entries])
    env.update(base)
    return env


def apply_template(env: Mapping[str, str], template: Mapping[str, Any]) -> dict[str, str]:
    """`env` changed as the scripts' template says (KeyError for a case it does not know)."""
    out = dict(env)
    for name, entry in template.items():
        value = out.get(name)
        if value is None:
            new = entry["unset"]
        else:
            kind = entry["set"]
            new = None if kind[0] == "drop" else kind[1] if kind[0] == "const" else kind[1] + value + kind[2]
        if new is None:
            out.pop(name, None)
        else:
            out[name] = new
    return out


def _sq(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def main(argv: Sequence[str]) -> NoReturn:
    """`corral run ARGS`: exec the command, or print an error and exit."""
    environ = dict(os.environ)
    try:
        name, path, cwd, extra, command, mode, project_env = parse(argv)
        if name is None and path is None:
            link, label = project_target(cwd, mode, environ, project_env)
        else:
            link, label = locate(name, path, environ)
        env, output = activated_environment(environ, link, label)
        env.update(extra)
        if output:  # what the activate.d scripts print, as activation shows it; never the command's stdout
            sys.stderr.write(output)
        if cwd is not None:
            try:
                os.chdir(cwd)
            except OSError as exc:
                raise RunError(f"cannot run in {cwd}: {exc.strerror}", "give an existing directory to --cwd") from exc
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execvpe(command[0], command, env)
        except FileNotFoundError:
            raise RunError(
                f"command '{command[0]}' was not found in {label} or on PATH",
                hint=f"see what the environment provides: ls {os.path.join(link, 'bin')}",
                exit_code=127,
            ) from None
        except PermissionError:
            raise RunError(f"command '{command[0]}' cannot be executed (permission denied)", exit_code=126) from None
    except RunError as error:
        _leave(error.message, error.hint, error.exit_code)
    except Exception as exc:  # corral's own errors (a bad config file), named without a traceback
        from corral.errors import CorralError

        if not isinstance(exc, CorralError):
            raise
        _leave(exc.message, exc.hint or "", exc.exit_code, exc.details)


def _leave(message: str, hint: str, code: int, details: Sequence[str] = ()) -> NoReturn:
    text = f"error: {message}\n" + "".join(f"  {d}\n" for d in details)
    sys.stderr.write(text + (f"hint: {hint}\n" if hint else ""))
    sys.stderr.flush()
    os._exit(code)
