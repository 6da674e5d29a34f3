"""Conda packages' link scripts and messages, with conda's semantics, run in a placed generation.

A package may ship `bin/.NAME-pre-link.sh`, `bin/.NAME-post-link.sh` and `bin/.NAME-pre-unlink.sh`
(conda runs them around linking and unlinking), write text to `$PREFIX/.messages.txt` for the user,
and carry `info/prelink_messages/*` that conda shows before it links. corral builds every
generation afresh, so the scripts of every package run in each new generation (their effects
must be in it), in dependency order, once all files are linked and the generation sits at its
final path; messages are shown only for packages the change brings in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import LinkScriptError
from corral.models import PackageMessage
from corral.settings import Settings
from corral.values import frozen

Record = Mapping[str, Any]  # a conda-meta record

# Which scripts corral runs, in the order it runs them for each generation (see docs/architecture.md:
# pre-unlink scripts are never run, since no generation is ever unlinked in place).
RUN_KINDS = ("pre-link", "post-link")
MESSAGES_FILE = ".messages.txt"
_MAX_MESSAGE = 64 * 1024


@frozen
class Script:
    """One link script of one installed package."""

    package: str
    version: str
    build_number: int
    kind: str
    path: Path
    source_dir: str


def script_path(prefix: Path, name: str, kind: str) -> Path:
    """Where a package's `kind` script lies in a prefix (conda's naming)."""
    return prefix / "bin" / f".{name}-{kind}.sh"


def find_scripts(prefix: Path, records: Sequence[Mapping[str, Any]]) -> list[Script]:
    """The pre-link and post-link scripts of `records` in `prefix`, pre-links first, each in dependency order."""
    ordered = _ordered(records, lambda r: any(script_path(prefix, str(r["name"]), k).is_file() for k in RUN_KINDS))
    found: list[Script] = []
    for kind in RUN_KINDS:
        for record in ordered:
            path = script_path(prefix, str(record["name"]), kind)
            if path.is_file():
                found.append(
                    Script(
                        package=str(record["name"]),
                        version=str(record.get("version", "")),
                        build_number=int(record.get("build_number", 0) or 0),
                        kind=kind,
                        path=path,
                        source_dir=str(record.get("extracted_package_dir", "")),
                    )
                )
    return found


def pre_unlink_notes(old_prefix: Path, leaving: Sequence[str], old_number: int) -> list[str]:
    """Warnings for packages leaving the environment whose pre-unlink script corral does not run, and why."""
    return [
        f"the pre-unlink script of {name} is not run: corral never unlinks a package in place (generation"
        f" {old_number}, which has it, stays intact for rollback)"
        for name in sorted(leaving)
        if script_path(old_prefix, name, "pre-unlink").is_file()
    ]


def prelink_messages(records: Sequence[Mapping[str, Any]], fresh: frozenset[str]) -> list[PackageMessage]:
    """The `info/prelink_messages/*` files of the packages named in `fresh` (from their extracted cache copy)."""
    out: list[PackageMessage] = []

    def folder(record: Mapping[str, Any]) -> Path:
        return Path(str(record.get("extracted_package_dir", ""))) / "info" / "prelink_messages"

    def has_messages(record: Mapping[str, Any]) -> bool:
        return str(record["name"]) in fresh and bool(record.get("extracted_package_dir")) and folder(record).is_dir()

    for record in _ordered(records, has_messages):
        name = str(record["name"])
        for path in sorted(p for p in folder(record).rglob("*") if p.is_file()):
            out.append(PackageMessage(name, f"pre-link message {path.name}", _read_message(path)))
    return out


def run_scripts(
    prefix: Path,
    scripts: Sequence[Script],
    settings: Settings,
    fresh: frozenset[str],
) -> list[PackageMessage]:
    """Run `scripts` in `prefix` (its final path) with conda's variables and the environment activated.

    Returns what they left in `$PREFIX/.messages.txt`, for the packages named in `fresh`. A script
    that fails raises LinkScriptError with its output and messages; the caller discards the generation.
    """
    from corral.store import children

    messages: list[PackageMessage] = []
    for script in scripts:
        env = _script_env(prefix, script, settings)
        argv = ["bash", "-c", _RUNNER, "corral-link-script", str(script.path)]
        try:
            done = children.run(argv, env, settings.run_dir, cwd=script.path.parent)
        except OSError as exc:
            raise LinkScriptError(
                f"could not run the {script.kind} script of {script.package}: {exc.strerror or exc}",
                hint="corral runs link scripts with bash: install bash, or skip link scripts with"
                " --link-scripts skip (the package may then not work)",
            ) from exc
        text = _take_messages(prefix)
        if done.returncode != 0:
            raise LinkScriptError(
                f"{script.kind} script failed for package {script.package} {script.version} (exit code"
                f" {done.returncode}); the environment was not changed",
                hint="the package's own script failed in the new generation, which was discarded: see its"
                " output above; report it to the package's maintainers, or skip link scripts with"
                " --link-scripts skip (the package may then not work)",
                details=[
                    f"script: {script.path.name} (of {script.package})",
                    *_labelled("messages", text),
                    *_labelled("output", done.stdout),
                    *_labelled("errors", done.stderr),
                ],
            )
        if text and script.package in fresh:
            messages.append(PackageMessage(script.package, f"{script.kind} script", text))
    return messages


# Activate the environment as conda's activation does (its activate.d scripts), then source the
# link script, as conda runs post-link scripts (`. SCRIPT` in an activated shell).
_RUNNER = (
    '__corral_script="$1"; shift; '
    'for __corral_f in "$PREFIX"/etc/conda/activate.d/*.sh; do [ -f "$__corral_f" ] && . "$__corral_f"; done; '
    '. "$__corral_script"'
)


def _script_env(prefix: Path, script: Script, settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRAL_", "PYTHONHOME"))}
    bin_dir = str(prefix / "bin")
    env.update(
        {
            "PREFIX": str(prefix),
            "ROOT_PREFIX": str(settings.root),
            "PKG_NAME": script.package,
            "PKG_VERSION": script.version,
            "PKG_BUILDNUM": str(script.build_number),
            "CONDA_PREFIX": str(prefix),
            "PATH": os.pathsep.join([bin_dir, env.get("PATH", os.defpath)]),
        }
    )
    if script.kind == "pre-link":
        env["SOURCE_DIR"] = script.source_dir
    return env


def _take_messages(prefix: Path) -> str:
    """What the script wrote to `$PREFIX/.messages.txt`; the file is removed, as conda removes it."""
    path = prefix / MESSAGES_FILE
    if not path.is_file():
        return ""
    try:
        return _read_message(path)
    finally:
        path.unlink(missing_ok=True)


def _read_message(path: Path) -> str:
    with path.open("rb") as f:
        data = f.read(_MAX_MESSAGE + 1)
    text = data[:_MAX_MESSAGE].decode("utf-8", errors="replace").strip("\n")
    return text + ("\n[... cut]" if len(data) > _MAX_MESSAGE else "")


def _labelled(label: str, text: str) -> list[str]:
    lines = [line for line in text.strip("\n").splitlines()][-40:]
    return [f"{label}:", *(f"  {line}" for line in lines)] if lines else []


def _ordered(records: Sequence[Record], keep: Callable[[Record], bool]) -> list[Record]:
    """The records `keep` selects, in dependency order: the whole graph is sorted only when two or more are kept."""
    kept = [r for r in records if keep(r)]
    if len(kept) < 2:
        return kept
    chosen = {id(r) for r in kept}
    return [r for r in _dependency_order(records) if id(r) in chosen]


def _dependency_order(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Records with every package after the packages it depends on (ties by name), as conda links them."""
    from graphlib import CycleError, TopologicalSorter

    by_name = {str(r["name"]): r for r in records}
    graph: dict[str, set[str]] = {}
    for name, record in by_name.items():
        deps = {str(d).split()[0] for d in record.get("depends", ()) if str(d).strip()}
        graph[name] = {d for d in deps if d in by_name and d != name}
    sorter: TopologicalSorter[str] = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError:
        return [by_name[n] for n in sorted(by_name)]
    ordered: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(ready)
        sorter.done(*ready)
    return [by_name[n] for n in ordered]
