"""Human text for results, plans and errors. The same result objects give the --json documents."""

from __future__ import annotations

from collections.abc import Callable

from corral.cli import later
from corral.cli.text import table
from corral.errors import CorralError
from corral.models import Change, EnvInfo, PackageInfo, Plan
from corral.values import frozen

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from typing import Any

_MARK = {"add": "+", "remove": "-", "upgrade": "↑", "downgrade": "↓", "change": "~"}
_WORD = {
    "add": "install",
    "remove": "remove",
    "upgrade": "upgrade",
    "downgrade": "downgrade",
    "change": "change",
}


@frozen
class EnvList:
    """`corral env list` result wrapper, so it has to_dict like the others."""

    envs: tuple[EnvInfo, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"environments": [e.to_dict() for e in self.envs]}


def shown_version(package: PackageInfo) -> str:
    """A package's version for a table: PyPI projects without one show `editable` or their URL's file name."""
    if package.version:
        return package.version
    if package.kind == "pypi" and package.build == "editable":
        return "editable"
    if package.kind == "pypi" and "/" in package.channel:
        return package.channel.rstrip("/").rsplit("/", 1)[-1]
    return "-"


def _change_row(change: Change) -> list[str]:
    old, new = change.old, change.new
    if change.kind == "add" and new:
        version, build, channel = shown_version(new), new.build, new.channel
    elif change.kind == "remove" and old:
        version, build, channel = shown_version(old), old.build, old.channel
    else:
        assert old and new
        before, after = shown_version(old), shown_version(new)
        version = f"{before} -> {after}" if before != after else after
        build = f"{old.build} -> {new.build}" if old.build != new.build else new.build
        channel = new.channel if old.channel == new.channel else f"{old.channel} -> {new.channel}"
    return [f"  {_MARK[change.kind]} {change.name}", version, build, channel]


def plan_lines(plan: Plan) -> str:
    """The plan as a table, grouped by kind."""
    order = ["add", "upgrade", "downgrade", "change", "remove"]
    changes = sorted(plan.changes, key=lambda c: (order.index(c.kind), c.name))
    text = table([_change_row(c) for c in changes], ["  package", "version", "build", "channel"])
    counts = ", ".join(f"{n} to {_WORD[k]}" for k, n in plan.summary().items() if n)
    return text + (f"  ({counts})\n" if counts else "")


def plan(result: Any) -> str:
    """What a mutating command is about to do, shown before asking (chosen by the result's type)."""
    return _PLANS[type(result).__name__](result)


def _removal_plan(result: Any) -> str:
    gens = ", ".join(map(str, result.generations)) or "none"
    return f"Environment {result.env} ({result.path}) will be deleted with its generations: {gens}\n"


def _rollback_plan(result: Any) -> str:
    head = f"Plan for {result.env} (generation {result.previous} -> {result.generation})"
    body = plan_lines(result.plan) if not result.plan.is_empty else "  no package changes\n"
    return f"{head}:\n{body}\n"


def _change_plan(result: Any) -> str:
    head = f"Plan for {result.env}"
    if result.action in ("create", "clone", "rename"):
        head += f" (new, at {result.path})"
    elif result.generation is not None and result.previous is not None:
        head += f" (generation {result.previous} -> {result.generation})"
    if result.python:
        head += f" on Python {result.python}"
    same = (
        "  no package changes: every file is linked afresh from the verified caches\n"
        if result.action == "doctor --fix"
        else "  no package changes (only the request changes)\n"
    )
    body = plan_lines(result.plan) if not result.plan.is_empty else same
    messages = package_messages([m for m in result.messages if not m.source.endswith("script")])
    return f"{head}:\n{body}\n" + _clobbers(result.clobbers) + messages


def _clobbers(clobbers: Any) -> str:
    """Paths several conda packages ship, and whose file stays (conda clobbers silently; corral says so)."""
    if not clobbers:
        return ""
    rows = [[f"  {c.path}", c.winner, ", ".join(c.losers)] for c in clobbers[:20]]
    more = f"  ... and {len(clobbers) - 20} more (see --json)\n" if len(clobbers) > 20 else ""
    head = "Paths shipped by more than one package (the others' copies are kept under __clobbers__/):\n"
    return head + table(rows, ["  path", "kept from", "also shipped by"]) + more + "\n"


def package_messages(messages: Any) -> str:
    """Conda packages' messages to the user (pre-link message files, what link scripts wrote), as conda shows them."""
    out = ""
    for m in messages:
        body = "\n".join(f"  {line}" for line in m.text.splitlines())
        out += f"Message from {m.package} ({m.source}):\n{body}\n\n"
    return out


# Result type (by name: render must not import the use cases) -> its plan's rendering.
_PLANS: dict[str, Callable[[Any], str]] = {
    "ChangeResult": _change_plan,
    "RollbackResult": _rollback_plan,
    "EnvRemoved": _removal_plan,
    "CleanResult": later("render_store", "clean_plan"),
    "RepairPlan": lambda result: _repair_plan(result),
}


def _repair_plan(result: Any) -> str:
    """`doctor --all --fix`: which environments get a fresh generation."""
    head = f"Repair {len(result.diagnoses)} environment(s), each with a fresh generation from its own lock"
    rows = "".join(f"  {d.env}: {len(d.problems)} problem(s)\n" for d in result.diagnoses)
    return f"{head} (the current generations stay for rollback):\n{rows}\n"


def text(command: str, result: Any) -> str:
    """The human rendering of a command's result: by its type where that says it all, else by the command."""
    by_type = _BY_TYPE.get(type(result).__name__)
    return (by_type or _RENDERERS.get(command, _generic))(result)


def _change(result: Any) -> str:
    if result.dry_run:
        return plan(result) + "Dry run: nothing was changed.\n"
    if not result.changed:
        return f"Nothing to do: {result.env} already satisfies the request (generation {result.previous}).\n"
    out = package_messages([m for m in result.messages if m.source.endswith("script")])
    out += f"{result.env}: now at generation {result.generation} ({result.path})\n"
    if result.action in ("create", "clone", "rename"):
        flag = f"-n {result.env}" if "/" not in result.env else f"-p {result.path}"
        out += (
            f"Use it with: corral activate {flag.removeprefix('-n ')}   or: corral run {flag} python\n"
            f"See its packages with: corral list {flag}   (its programs are in {result.path}/bin)\n"
        )
    if result.removed_generations:
        out += f"Deleted old generations: {', '.join(map(str, result.removed_generations))}\n"
    return out


def _list(result: Any) -> str:
    rows = [[p.name + (" *" if result.is_requested(p) else ""), p.version, p.build, p.channel] for p in result.packages]
    head = f"# {result.env} at {result.path} (generation {result.generation}); * = requested\n"
    return head + (table(rows, ["name", "version", "build", "channel"]) or "(no packages)\n")


def _history(result: Any) -> str:
    lines = [f"# {result.env}: current generation {result.current}; kept: {', '.join(map(str, result.available))}"]
    for entry in result.entries:
        mark = "*" if entry.generation == result.current else " "
        gone = "" if entry.generation in result.available else " (deleted)"
        lines.append(f"{mark} {entry.generation:>3}  {entry.time}  {entry.action}{gone}  {entry.command}")
        for change in entry.changes:
            row = _change_row(change)
            lines.append(f"        {row[0].strip()} {row[1]}")
    return "\n".join(lines) + "\n"


def _rollback(result: Any) -> str:
    if result.dry_run:
        return plan(result) + "Dry run: nothing was changed.\n"
    if result.previous == result.generation:
        return f"{result.env} is already at generation {result.generation}.\n"
    return f"{result.env}: switched from generation {result.previous} to {result.generation}\n"


def _env_list(result: EnvList) -> str:
    rows = []
    for env in result.envs:
        generation = str(env.generation) if env.healthy_link else "(link missing)"
        rows.append([env.name or "-", generation, env.updated or env.created, env.path])
    return (
        table(rows, ["name", "generation", "updated", "path"])
        or "No environments yet. Create one with `corral create -n NAME SPEC...`.\n"
    )


def _env_remove(result: Any) -> str:
    if result.dry_run:
        return plan(result) + "Dry run: nothing was removed.\n"
    return f"Removed {result.env} ({len(result.generations)} generation(s)).\n"


def _info(result: Any) -> str:
    rows = [
        ["version", result.version],
        ["store (root)", result.root + _src(result, "root")],
        ["config file", result.config_file],
        ["channels", ", ".join(result.channels) + _src(result, "channels")],
        ["channel priority", result.channel_priority + _src(result, "channel_priority")],
        ["offline", str(result.offline).lower() + _src(result, "offline")],
        ["keep generations", str(result.keep_generations) + _src(result, "keep_generations")],
        ["platform", result.platform],
        ["virtual packages", ", ".join(result.virtual_packages)],
        ["environments", str(result.environments)],
    ]
    width = max(len(r[0]) for r in rows)
    return "".join(f"{k.rjust(width)} : {v}\n" for k, v in rows)


def _python_list(result: Any) -> str:
    rows = [[i.version, i.implementation, i.source, i.path] for i in result.interpreters]
    return table(rows, ["version", "implementation", "found in", "path"]) or (
        "No Python interpreters found (looked in PATH, pyenv, corral environments and uv's installs).\n"
    )


def _export(result: Any) -> str:
    return f"Wrote {result.format} to {result.output}\n" if result.output else str(result.text)


def _lock(result: Any) -> str:
    if result.action == "checked":
        return f"{result.path} is up to date ({', '.join(result.platforms)})\n"
    verb = "unchanged" if result.action == "unchanged" else "wrote"
    counts = ", ".join(f"{p}: {c} conda + {n} PyPI" for p, (c, n) in result.counts.items())
    out = f"{'Lock unchanged' if verb == 'unchanged' else 'Wrote'} {result.path} ({counts})\n"
    return out + "".join(f"  {line}\n" for line in result.changes)


def _shell_text(result: Any) -> str:
    return str(result.text)


def _shell_init(result: Any) -> str:
    where = result.rc_file
    if result.action == "unchanged":
        return f"The corral hook is already in {where}; nothing changed.\n"
    if result.action == "absent":
        return f"No corral hook in {where}; nothing changed.\n"
    backup = f" (the old file is at {result.backup})" if result.backup else ""
    if result.action == "removed":
        return f"Removed the corral hook from {where}{backup}.\n"
    return (
        f"{'Updated' if result.action == 'updated' else 'Added'} the corral hook in {where}{backup}.\n"
        "Open a new shell (or source that file); then: corral activate ENV ; corral deactivate\n"
    )


def _src(result: Any, key: str) -> str:
    return f"  (from {result.sources[key]})" if key in result.sources else ""


def _generic(result: Any) -> str:
    return f"{result}\n"


def error(exc: CorralError) -> str:
    """An error as the user reads it: message, details, hint; no traceback; credentials in URLs masked."""
    from corral.redact import redact

    out = f"error: {exc.message}\n"
    for line in exc.details:
        out += f"  {line}\n"
    if exc.hint:
        out += f"hint: {exc.hint}\n"
    return redact(out)


def _variables(result: Any) -> str:
    if not result.variables:
        return f"{result.env}: no variables (set one with `corral env config vars set -n {result.env} NAME=VALUE`)\n"
    return "".join(f"{name}={value}\n" for name, value in result.variables)


def project(result: Any) -> str:
    """A project command's result: the manifest's new entries, the lock, the environment."""
    import os

    if result.action == "init":
        name = os.path.basename(result.manifest)
        return "".join(f"warning: {w}\n" for w in result.warnings) + (
            f"Wrote {result.manifest}; the project's environment will be {result.root}/.corral/envs/default\n"
            "Add packages with: corral add SPEC   (PyPI: corral add --pip REQ); run with: corral run CMD\n"
            f"Commit {name} and corral.lock; .corral/ is git-ignored.\n"
        )
    out = "".join(f"warning: {w}\n" for w in result.warnings)
    name = os.path.basename(result.manifest)
    out += "".join(f"{name}: + {entry}\n" for entry in result.recorded)
    out += "".join(f"{name}: - {entry}\n" for entry in result.removed)
    if result.lock_action:
        out += f"corral.lock: {result.lock_action}\n" + "".join(f"  {c}\n" for c in result.lock_changes)
    state = "synced to the lock" if result.synced else "already the lock's"
    out += f"environment {result.env}: {state} (generation {result.generation})\n"
    return out


_RENDERERS = {
    "config": later("render_tools", "config"),
    "search": later("render_tools", "search"),
    "kernel install": later("render_tools", "kernels"),
    "kernel list": later("render_tools", "kernels"),
    "kernel remove": later("render_tools", "kernels"),
    "rename": lambda result: _change(result),
    "env config vars list": _variables,
    "env config vars set": lambda result: _change(result),
    "env config vars unset": lambda result: _change(result),
    "create": _change,
    "install": _change,
    "remove": _change,
    "init": lambda result: project(result),
    "add": lambda result: project(result),
    "update": _change,
    "list": _list,
    "history": _history,
    "rollback": _rollback,
    "env list": _env_list,
    "env remove": _env_remove,
    "info": _info,
    "pip install": _change,
    "pip uninstall": _change,
    "adopt": _change,
    "python list": _python_list,
    "env create": _change,
    "env update": _change,
    "export": _export,
    "env export": _export,
    "lock": _lock,
    "doctor": later("render_store", "doctor"),
    "du": later("render_store", "du"),
    "clean": later("render_store", "clean"),
    "shell hook": _shell_text,
    "shell activate": _shell_text,
    "shell deactivate": _shell_text,
    "shell init": _shell_init,
    "pack": later("render_tools", "pack"),
}


# Results whose type says how they read, whichever command made them (`remove --all` removes an
# environment, `list --export` exports, `info --envs` lists environments, `remove` in a project
# edits the manifest).
_BY_TYPE = {
    "EnvList": _env_list,
    "EnvRemoved": _env_remove,
    "Exported": _export,
    "History": _history,
    "ProjectResult": project,
    "RollbackResult": _rollback,  # also conda's `install --revision N`
}
