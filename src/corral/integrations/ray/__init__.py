"""corral environments as a Ray runtime_env field: `runtime_env={"corral": {"lock": "corral.lock"}}`.

The driver side (this module, no Ray import) turns the user's field into one that carries the lock's
text, since the nodes do not share the driver's files: call `runtime_env(...)`, or set
`RAY_RUNTIME_ENV_HOOK=corral.integrations.ray.hook` so that `ray.init` does it. The node side is
`corral.integrations.ray.plugin.CorralPlugin`, registered on every node with
`RAY_RUNTIME_ENV_PLUGINS='[{"class": "corral.integrations.ray.plugin.CorralPlugin"}]'`.
"""

from __future__ import annotations

from typing import Any

from corral.integrations.ray.driver import FIELD, embedded, runtime_env

__all__ = ["FIELD", "embedded", "hook", "runtime_env"]


def hook(env: dict[str, Any] | None) -> dict[str, Any] | None:
    """Ray's RAY_RUNTIME_ENV_HOOK: the job's runtime_env with its `corral` field embedded."""
    if not env or FIELD not in env or env[FIELD] is None:
        return env
    return {**env, FIELD: embedded(env[FIELD])}
