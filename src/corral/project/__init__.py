"""Projects: a folder with a manifest (environment.yml, or pyproject.toml with [tool.corral]) and corral.lock.

This module is on the `corral run` fast path: stdlib only, no YAML or TOML parse. It finds a
project by walking up from a folder, and says whether the project's environment is still what
the last sync made of the manifest and the lock, from their sizes and mtimes (and, when those
moved, their content hashes) stamped in `.corral/state.json`.
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MANIFESTS = ("environment.yml", "environment.yaml", "pyproject.toml")
LOCK_NAME = "corral.lock"
STATE_VERSION = 1


DEFAULT_ENV = "default"


class Project:
    """A project folder: its manifest, its lock, and the stable link of one of its environments."""

    __slots__ = ("env", "manifest", "root")

    def __init__(self, root: str, manifest: str, env: str = DEFAULT_ENV) -> None:
        self.root = root
        self.manifest = manifest  # absolute path of the manifest file
        self.env = env  # which environment of the manifest: "default", or a name of [tool.corral.environments]

    @property
    def kind(self) -> str:
        """'pyproject' or 'environment.yml'."""
        return "pyproject" if self.manifest.endswith(".toml") else "environment.yml"

    @property
    def lock(self) -> str:
        """corral.lock, beside the manifest."""
        return os.path.join(self.root, LOCK_NAME)

    @property
    def state_dir(self) -> str:
        """`.corral/` in the project (git-ignored by the `.gitignore` corral writes there)."""
        return os.path.join(self.root, ".corral")

    @property
    def link(self) -> str:
        """The stable path of the environment (a `-p` style environment of the store): `.corral/envs/NAME`."""
        return os.path.join(self.state_dir, "envs", self.env)

    @property
    def state_file(self) -> str:
        """What the last sync of this environment saw: the manifest's and lock's stat and hash, the generation."""
        name = "state.json" if self.env == DEFAULT_ENV else f"state.{self.env}.json"
        return os.path.join(self.state_dir, name)

    def environment(self, name: str) -> Project:
        """The same project, meaning its environment `name`."""
        return Project(self.root, self.manifest, name)


def find(start: str, env: str = DEFAULT_ENV) -> Project | None:
    """The project whose folder holds `start` (or is it): the nearest folder with a manifest."""
    folder = os.path.abspath(start)
    while True:
        found = manifest_in(folder)
        if found:
            return Project(folder, found, env)
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def manifest_in(folder: str) -> str:
    """The manifest of `folder` ('' if none): environment.yml first, else a pyproject.toml with [tool.corral]."""
    for name in MANIFESTS[:2]:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    path = os.path.join(folder, MANIFESTS[2])
    try:
        with open(path, "rb") as handle:
            text = handle.read(1 << 20)
    except OSError:
        return ""
    return path if b"[tool.corral" in text else ""


def fingerprint(path: str) -> list[int]:
    """[size, mtime_ns] of a file, [-1, -1] when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return [-1, -1]
    return [st.st_size, st.st_mtime_ns]


def content_hash(path: str) -> str:
    """The sha256 of a file's bytes ('' when it is missing)."""
    import hashlib

    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return ""


def read_state(project: Project) -> dict[str, Any]:
    """The stamp of the last sync ({} when there is none or it cannot be read)."""
    try:
        with open(project.state_file, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == STATE_VERSION else {}


def current_state(project: Project, hashes: bool) -> dict[str, Any]:
    """The stamp the project has now; with `hashes`, the files' content hashes too."""
    state: dict[str, Any] = {
        "version": STATE_VERSION,
        "manifest": os.path.basename(project.manifest),
        "env": project.env,
        "manifest_stat": fingerprint(project.manifest),
        "lock_stat": fingerprint(project.lock),
        "generation": os.path.realpath(project.link) if os.path.isdir(project.link) else "",
    }
    if hashes:
        state["manifest_sha256"] = content_hash(project.manifest)
        state["lock_sha256"] = content_hash(project.lock)
    return state


def up_to_date(project: Project, frozen: bool = False) -> bool:
    """True when the environment is what the last sync made of this manifest and lock (no parse).

    Sizes and mtimes first (one stat each); when they moved but the bytes did not (a checkout, a
    touch), the hashes decide and the stamp is renewed. With `frozen`, the manifest is not looked at.
    """
    saved = read_state(project)
    if not saved or not saved.get("generation"):
        return False
    now = current_state(project, hashes=False)
    keys = (
        ("manifest", "env", "lock_stat", "generation")
        if frozen
        else ("manifest", "env", "manifest_stat", "lock_stat", "generation")
    )
    if all(saved.get(k) == now[k] for k in keys):
        return True
    if saved.get("manifest") != now["manifest"] or saved.get("generation") != now["generation"]:
        return False
    hashed = current_state(project, hashes=True)
    same = bool(saved.get("lock_sha256") == hashed["lock_sha256"])
    if not frozen:
        same = same and saved.get("manifest_sha256") == hashed["manifest_sha256"]
    if same and not frozen:
        write_state(project, hashed)
    return same


def write_state(project: Project, state: dict[str, Any]) -> None:
    """Stamp what a sync saw (atomically; a read-only project just runs the slow path next time)."""
    tmp = f"{project.state_file}.{os.getpid()}.tmp"
    try:
        os.makedirs(project.state_dir, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle, sort_keys=True)
        os.replace(tmp, project.state_file)
    except OSError:
        if os.path.exists(tmp):
            os.unlink(tmp)
