"""Use cases: each takes typed arguments and Settings, does the work, and returns a result object.

The CLI imports this package only; the use cases live in its modules by what they do, and each is
imported on first use (PEP 562), so `corral rollback` or `corral list` never load the solving code.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from corral.api.adopt import adopt
    from corral.api.envs import EnvRemoved, RollbackResult, remove_env, rollback
    from corral.api.exports import Exported, export, export_lock
    from corral.api.pack import PackChecked, Packed, check_pack, pack
    from corral.api.requests import (
        EnvRequest,
        create,
        install,
        read_env_files,
        remove,
        request_spec,
        update,
        update_from_files,
    )
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
    from corral.context import ChangeContext, ChangeResult

_WHERE = {
    "adopt": "adopt",
    "EnvRemoved": "envs",
    "RollbackResult": "envs",
    "remove_env": "envs",
    "rollback": "envs",
    "Exported": "exports",
    "export": "exports",
    "export_lock": "exports",
    "PackChecked": "pack",
    "Packed": "pack",
    "check_pack": "pack",
    "pack": "pack",
    "EnvRequest": "requests",
    "create": "requests",
    "install": "requests",
    "read_env_files": "requests",
    "remove": "requests",
    "request_spec": "requests",
    "update": "requests",
    "update_from_files": "requests",
    "History": "views",
    "Info": "views",
    "PackageList": "views",
    "PythonList": "views",
    "history": "views",
    "info": "views",
    "list_envs": "views",
    "list_packages": "views",
    "list_pythons": "views",
}

__all__ = [
    "ChangeContext",
    "ChangeResult",
    "EnvRemoved",
    "EnvRequest",
    "Exported",
    "History",
    "Info",
    "PackChecked",
    "PackageList",
    "Packed",
    "PythonList",
    "RollbackResult",
    "adopt",
    "check_pack",
    "create",
    "export",
    "export_lock",
    "history",
    "info",
    "install",
    "list_envs",
    "list_packages",
    "list_pythons",
    "pack",
    "read_env_files",
    "remove",
    "remove_env",
    "request_spec",
    "rollback",
    "update",
    "update_from_files",
]


def __getattr__(name: str) -> object:
    if name in ("ChangeContext", "ChangeResult"):
        return getattr(importlib.import_module("corral.context"), name)
    if name in _WHERE:
        return getattr(importlib.import_module(f"corral.api.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'corral.api' has no attribute {name!r}")
