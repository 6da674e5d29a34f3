"""Use cases: each takes typed arguments and Settings, does the work, and returns a result object.

The CLI imports this package only; the use cases live in its modules by what they do.
"""

from __future__ import annotations

from corral.api.adopt import adopt
from corral.api.envs import EnvRemoved, RollbackResult, remove_env, rollback
from corral.api.exports import Exported, export, export_lock
from corral.api.requests import create, install, read_env_files, remove, request_spec, update, update_from_files
from corral.api.views import (
    History,
    Info,
    PackageList,
    PythonList,
    history,
    info,
    list_envs,
    list_packages,
    list_pythons,
)
from corral.change import ChangeContext, ChangeResult

__all__ = [
    "ChangeContext",
    "ChangeResult",
    "EnvRemoved",
    "Exported",
    "History",
    "Info",
    "PackageList",
    "PythonList",
    "RollbackResult",
    "adopt",
    "create",
    "export",
    "export_lock",
    "history",
    "info",
    "install",
    "list_envs",
    "list_packages",
    "list_pythons",
    "read_env_files",
    "remove",
    "remove_env",
    "request_spec",
    "rollback",
    "update",
    "update_from_files",
]
