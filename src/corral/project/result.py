"""What a project command did, for the text and --json renderings."""

from __future__ import annotations

from typing import Any

from corral.values import field, frozen


@frozen
class ProjectResult:
    """What a project command did: the manifest lines it recorded, the lock, the environment."""

    action: str  # "init", "add", "remove", "sync"
    root: str
    manifest: str
    lock: str = ""
    recorded: tuple[str, ...] = ()  # entries written into the manifest
    removed: tuple[str, ...] = ()
    lock_action: str = ""  # "written", "unchanged", "checked" or ""
    lock_changes: tuple[str, ...] = ()
    env: str = ""
    generation: int | None = None
    synced: bool = False  # a new generation was installed from the lock
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "action": self.action,
            "root": self.root,
            "manifest": self.manifest,
            "lock": self.lock,
            "recorded": list(self.recorded),
            "removed": list(self.removed),
            "lock_action": self.lock_action,
            "lock_changes": list(self.lock_changes),
            "env": self.env,
            "generation": self.generation,
            "synced": self.synced,
            "warnings": list(self.warnings),
        }
