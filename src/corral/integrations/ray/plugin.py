"""The Ray runtime_env plugin: `{"corral": ...}` built on each node by corral, workers on its python.

Register it on every node (in the environment of `ray start`):
`RAY_RUNTIME_ENV_PLUGINS='[{"class": "corral.integrations.ray.plugin.CorralPlugin"}]'`.
Ray's agent calls `validate`, `get_uris`, then `create` once per URI per node (its URI cache
remembers), `modify_context` for every worker start, and `delete_uri` when its cache lets go.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import Any

from ray._private.runtime_env.context import RuntimeEnvContext
from ray._private.runtime_env.plugin import RuntimeEnvPlugin

from corral.errors import CorralError
from corral.integrations.ray import driver, node

_builds = threading.Lock()  # one build at a time in this agent; across processes the store's locks serialize


def _field(runtime_env: Any) -> dict[str, Any]:
    """The embedded field, checked: a bare path means the driver did not embed it."""
    field = runtime_env.get(driver.FIELD) if hasattr(runtime_env, "get") else None
    if isinstance(field, dict) and ("lock" in field or "file" in field) and "lock_text" not in field:
        what = "lock" if "lock" in field else "file"
        raise driver.RayEnvError(
            f"runtime_env['corral']['{what}'] reached the node as a path ({field[what]}): nodes do not share the"
            " driver's files, so its contents must travel with the runtime_env",
            hint=driver.HOOK_HINT,
        )
    return driver.embedded(field)


def _failure(exc: CorralError) -> RuntimeError:
    """A corral error as Ray shows a runtime_env failure: message, hint, details."""
    lines = [f"corral: {exc.message}", *(f"  {d}" for d in exc.details[:20])]
    if exc.hint:
        lines.append(f"hint: {exc.hint}")
    return RuntimeError("\n".join(lines))


class CorralPlugin(RuntimeEnvPlugin):
    """Builds the `corral` field's environment into the node's store and starts workers on its python."""

    name = "corral"

    def __init__(self) -> None:
        self.root = node.node_root(os.environ, sys.argv)

    @staticmethod
    def validate(runtime_env_dict: dict[str, Any]) -> None:
        """The field's shape and the lock's hash (Ray raises what this raises as the setup's failure)."""
        try:
            _field(runtime_env_dict)
        except CorralError as exc:
            raise _failure(exc) from None

    def get_uris(self, runtime_env: Any) -> list[str]:
        """One URI per environment: `corral://<sha256 of the lock>` (or of the archive's URI).

        Ray's agent asks every plugin for the URIs of every runtime_env: none without the field."""
        if runtime_env.get(driver.FIELD) is None:
            return []
        return [node.uri_of(_field(runtime_env))]

    async def create(
        self, uri: str | None, runtime_env: Any, context: RuntimeEnvContext, logger: logging.Logger
    ) -> int:
        """Build the environment (in a thread: the agent's loop keeps serving); its size for Ray's cache."""
        field = _field(runtime_env)

        def run() -> node.Built:
            with _builds:
                built = node.build(field, self.root, logger)
                node.check_python(built)
                return built

        try:
            built = await asyncio.get_running_loop().run_in_executor(None, run)
        except CorralError as exc:
            raise _failure(exc) from None
        return built.size

    def modify_context(
        self, uris: list[str], runtime_env: Any, context: RuntimeEnvContext, logger: logging.Logger
    ) -> None:
        """Workers start on the environment's python, with its activation's variables."""
        field = _field(runtime_env)
        try:
            built = node.located(field, self.root)  # built by create (now, or in an earlier session)
            context.py_executable = node.worker_python(built)
            context.env_vars.update(node.worker_variables(built, os.environ))
        except CorralError as exc:
            raise _failure(exc) from None
        logger.info("corral: workers run %s", context.py_executable)

    def delete_uri(self, uri: str, logger: logging.Logger) -> int:
        """Ray's cache GC: the environment leaves the node's store."""
        with _builds:
            try:
                return node.remove(uri, self.root, logger)
            except CorralError as exc:
                logger.warning("corral: cannot remove %s: %s", uri, exc.message)
                return 0


__all__ = ["CorralPlugin"]
