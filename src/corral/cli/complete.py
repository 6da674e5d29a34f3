"""Tab completion: `corral __complete WORD...` prints the candidates for the last word, one per line.

Commands and options come from the argument parser itself, read once per corral version into a
small marshal file in the store (so a completion costs no argparse and no rattler); environment
names are the store's links, package names an environment's conda-meta records and dist-info
folders. Built-in modules only (marshal rather than json, which costs its decoder and `re`): this
runs on every Tab (bench/README.md has its time).
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

ENV_OPTIONS = ("-n", "--name", "--clone")
PACKAGE_COMMANDS = ("remove", "uninstall", "update", "upgrade")


def main(words: Sequence[str]) -> str:
    """The candidates for the last of `words` (the words after `corral`, the last one possibly empty)."""
    environ = os.environ
    root = _root(environ)
    tree = _tree(root)
    *done, current = list(words) or [""]
    node, path = tree, []
    for word in done:
        sub = node.get("sub", {})
        if word in sub:
            node = sub[word]
            path.append(word)
    previous = done[-1] if done else ""
    if previous in ENV_OPTIONS:
        candidates = _env_names(root)
    elif current.startswith("-"):
        candidates = list(node.get("options", ()))
    elif node.get("sub"):
        candidates = sorted(node["sub"])
    elif path[:1] and path[0] in PACKAGE_COMMANDS:
        candidates = _packages(root, _env_of(done, environ, root))
    elif path[:1] and path[0] in ("activate", "shell", "rename"):
        candidates = _env_names(root)
    else:
        candidates = []
    return "".join(f"{c}\n" for c in candidates if c.startswith(current))


def _root(environ: Mapping[str, str]) -> str:
    from corral.locations import default_root

    return os.path.abspath(os.path.expanduser(environ.get("CORRAL_ROOT") or default_root(environ)))


def _tree(root: str) -> dict[str, Any]:
    """The command tree, cached per corral version (built from the parser on the first Tab after an upgrade)."""
    from corral import __version__

    parser_file = os.path.join(os.path.dirname(__file__), "parser.py")
    try:  # a checkout whose parser changed without a version bump must not keep old completions
        stamp = int(os.stat(parser_file).st_mtime)
    except OSError:
        stamp = 0
    # marshal's format belongs to the Python version, so the version is part of the name
    name = f"completion-{__version__}-{stamp}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    cache = os.path.join(root, "run", name)
    try:
        with open(cache, "rb") as f:
            data = marshal.loads(f.read())
        if isinstance(data, dict):
            return data
    except (OSError, ValueError, EOFError, TypeError):
        pass
    tree = build_tree()
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        tmp = f"{cache}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(marshal.dumps(tree))
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only store still completes, only more slowly
    return tree


def build_tree() -> dict[str, Any]:
    """Every command, subcommand and option of the argument parser."""
    import argparse

    from corral.cli.parser import build_parser

    def walk(parser: argparse.ArgumentParser) -> dict[str, Any]:
        node: dict[str, Any] = {"options": [], "sub": {}}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    node["sub"][name] = walk(child)
            else:
                node["options"] += [o for o in action.option_strings if o.startswith("--") or len(o) == 2]
        node["options"] = sorted(set(node["options"]))
        return node

    return walk(build_parser())


def _env_names(root: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(os.path.join(root, "envs")) if not e.name.startswith("."))
    except OSError:
        return []


def _env_of(words: Sequence[str], environ: Mapping[str, str], root: str) -> str:
    """The environment the command line names (-n NAME / -p PATH), else the active one's link."""
    import itertools

    for flag, value in itertools.pairwise(words):
        if flag in ("-n", "--name"):
            return os.path.join(root, "envs", value)
        if flag in ("-p", "--prefix"):
            return os.path.abspath(value)
    return environ.get("CONDA_PREFIX", "")


def _packages(root: str, prefix: str) -> list[str]:
    """Package names of an environment: its conda records and its installed distributions."""
    if not prefix:
        return []
    names = set()
    try:
        for entry in os.scandir(os.path.join(prefix, "conda-meta")):
            if entry.name.endswith(".json") and entry.name.count("-") >= 2:
                names.add(entry.name[: -len(".json")].rsplit("-", 2)[0])
    except OSError:
        pass
    lib = os.path.join(prefix, "lib")
    try:
        for python in os.scandir(lib):
            site = os.path.join(lib, python.name, "site-packages")
            if python.name.startswith("python") and os.path.isdir(site):
                for entry in os.scandir(site):
                    if entry.name.endswith(".dist-info"):
                        names.add(entry.name[: -len(".dist-info")].rsplit("-", 1)[0].lower().replace("_", "-"))
    except OSError:
        pass
    return sorted(names)


if __name__ == "__main__":  # pragma: no cover - `python -m corral.cli.complete WORD...`
    sys.stdout.write(main(sys.argv[1:]))
