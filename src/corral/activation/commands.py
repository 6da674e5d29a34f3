"""Use cases of the shell commands: activation scripts, `shell init`, the `corral shell` subshell."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from corral.activation import hook as hooks
from corral.activation.activate import activate_ops, deactivate_ops, target_for
from corral.activation.shells import render
from corral.errors import CorralError, UsageError
from corral.values import frozen


@frozen
class ShellText:
    """Text printed as is: a hook or an activation script for the shell to evaluate."""

    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"text": self.text}


@frozen
class InitResult:
    """`corral shell init`: which file changed, its backup, and whether anything changed."""

    shell: str
    rc_file: str
    backup: str
    action: str  # "added", "updated", "unchanged", "removed", "absent"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"shell": self.shell, "rc_file": self.rc_file, "backup": self.backup, "action": self.action}


def hook_missing(verb: str) -> CorralError:
    """The error `corral activate` gives when it runs as a program, not through the shell function."""
    shell = Path(os.environ.get("SHELL", "bash")).name
    shell = shell if shell in ("bash", "zsh", "fish") else "bash"
    line = hooks.rc_block(shell).splitlines()[1]
    return CorralError(
        f"`corral {verb}` changes the current shell, so it needs corral's shell hook, which is not loaded here",
        hint=f"run `corral shell init {shell}` (or add this line to {hooks.rc_file(shell)}: {line}), then open a"
        " new shell; without a hook, use `corral shell -n ENV` or `corral run -n ENV CMD`",
    )


def activate_script(settings: Any, name: str | None, path: str | None, shell: str) -> ShellText:
    """The script that activates an environment in `shell`, on top of what this process's environment has."""
    return ShellText(render(shell, activate_ops(os.environ, target_for(settings, name, path), shell)))


def deactivate_script(shell: str) -> ShellText:
    """The script that undoes the innermost activation."""
    return ShellText(render(shell, deactivate_ops(os.environ, shell)))


def init(shell: str, rc: str = "", *, undo: bool = False) -> InitResult:
    """Add (or with `undo` remove) the hook block in the shell's rc file, keeping a backup of the old file."""
    from corral.store.fsutil import atomic_write_text

    path = Path(rc).expanduser() if rc else hooks.rc_file(shell)
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as exc:
        raise CorralError(f"cannot read {path}: {exc.strerror}", hint="pass another file with --rc") from exc
    block = hooks.rc_block(shell)
    if undo:
        new = hooks.without_block(old)
        action = "removed" if new != old else "absent"
    else:
        base = hooks.without_block(old)
        new = base + ("\n" if base and not base.endswith("\n\n") else "") + block
        action = "unchanged" if block in old else ("updated" if hooks.BEGIN in old else "added")
        if action == "unchanged":
            new = old
    backup = ""
    if new != old:
        try:
            if path.exists():
                backup = str(path.with_name(path.name + ".corral-backup"))
                shutil.copy2(path, backup)
            atomic_write_text(path, new)
        except OSError as exc:
            raise CorralError(f"cannot write {path}: {exc.strerror}", hint="pass another file with --rc") from exc
    return InitResult(shell, str(path), backup, action)


def subshell(settings: Any, name: str | None, path: str | None) -> NoReturn:
    """Replace this process with the user's shell, the environment active; `exit` returns to the caller.

    bash, zsh and fish read the user's own startup file first, then activate through corral (so
    the activation sees PATH as that file left it); other shells get the activated variables.
    """
    target = target_for(settings, name, path)
    program = os.environ.get("SHELL") or shutil.which("bash") or "/bin/sh"
    shell = Path(program).name
    env = dict(os.environ)
    selector = ["-n", name] if name else ["-p", target.link]
    activate = [*hooks.corral_command(), "shell", "activate", *selector, "--shell", shell]
    if shell in ("bash", "zsh"):
        folder = Path(tempfile.mkdtemp(prefix="corral-shell-"))
        line = f'eval "$({shlex.join(activate)})"\nrm -rf {shlex.quote(str(folder))}\n'
        if shell == "bash":
            (folder / "bashrc").write_text(f"[ -f ~/.bashrc ] && . ~/.bashrc\n{line}", encoding="utf-8")
            argv = [program, "--rcfile", str(folder / "bashrc"), "-i"]
        else:
            home = env.get("ZDOTDIR") or str(Path.home())
            (folder / ".zshrc").write_text(
                f'ZDOTDIR={shlex.quote(home)}\n[ -f "$ZDOTDIR/.zshrc" ] && . "$ZDOTDIR/.zshrc"\n{line}',
                encoding="utf-8",
            )
            env["ZDOTDIR"] = str(folder)
            argv = [program, "-i"]
    elif shell == "fish":
        command = " ".join(hooks.fish_word(w) for w in activate)
        argv = [program, "-i", "--init-command", f"{command} | source"]
    else:  # any other shell: started with the environment's variables, without activate.d scripts
        from corral.activation.runner import pre_environment

        argv = [program]
        env = pre_environment(env, target.bin, {"CONDA_PREFIX": target.link, **dict(target.variables)})
    sys.stderr.write(f"corral: a {shell} with {target.label} active; `exit` returns here\n")
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        raise UsageError(f"cannot start {program}: {exc.strerror}", hint="set SHELL to a shell that exists") from exc
