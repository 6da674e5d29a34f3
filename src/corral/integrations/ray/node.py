"""The node's half: build the field's environment into this node's corral store, once per hash.

No Ray import (the plugin in plugin.py is the thin Ray-facing part). A lock becomes the named
environment `ray-<sha256[:20]>` through `create_from_lock`, the one road every locked install
takes; an archive of `corral pack` is unpacked once under the store and fixed up by its own
`bin/corral-unpack`. Both are found again by their names, so a new Ray session on a node with a
kept store (CORRAL_RAY_ROOT) builds nothing.
"""

from __future__ import annotations

import logging
import os
import shlex
import site
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from corral.errors import CorralError, EnvironmentExists
from corral.integrations.ray.driver import RayEnvError, digest
from corral.values import frozen

SCHEME = "corral://"
BOOT = Path(__file__).with_name("worker_boot.py")
SITE_VARIABLE = "CORRAL_RAY_SITE"


@frozen
class Built:
    """An environment ready on this node: its stable path and its size on disk."""

    link: Path
    label: str
    size: int


def node_root(environ: Mapping[str, str], argv: Sequence[str]) -> Path:
    """The node's corral store: $CORRAL_RAY_ROOT, else `corral/` in the agent's --runtime-env-dir (Ray's own)."""
    if environ.get("CORRAL_RAY_ROOT"):
        return Path(environ["CORRAL_RAY_ROOT"]).expanduser().resolve()
    for i, arg in enumerate(argv):
        if arg.startswith("--runtime-env-dir="):
            return Path(arg.split("=", 1)[1]) / "corral"
        if arg == "--runtime-env-dir" and i + 1 < len(argv):
            return Path(argv[i + 1]) / "corral"
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"corral-ray-{os.getuid()}"


def uri_of(field: Mapping[str, Any]) -> str:
    """`corral://<sha256 of the lock>`, or `corral://archive-<sha256 of its URI>`: what Ray's URI cache keeps."""
    if "lock_text" in field:
        return SCHEME + str(field["sha256"])
    return SCHEME + "archive-" + digest(str(field["archive"]))


def name_of(uri: str) -> str:
    """The environment's name in the node's store for a URI."""
    key = uri.removeprefix(SCHEME)
    return key[: len("archive-") + 20] if key.startswith("archive-") else f"ray-{key[:20]}"


def build(field: Mapping[str, Any], root: Path, logger: logging.Logger) -> Built:
    """The field's environment on this node, built unless it is already there (then this costs a stat)."""
    uri = uri_of(field)
    if "lock_text" in field:
        return _from_lock(str(field["lock_text"]), uri, root, logger, str(field.get("source", "")))
    from corral.integrations.ray.archives import unpacked

    link = unpacked(str(field["archive"]), root / "ray" / "archives" / name_of(uri), logger)
    return Built(link, str(link), _size(link))


def located(field: Mapping[str, Any], root: Path) -> Built:
    """The field's environment as `build` left it (no size: this runs at every worker start)."""
    uri = uri_of(field)
    if "lock_text" in field:
        from corral.store.envs import env_ref

        name = name_of(uri)
        link = Path(env_ref(_settings(root), name=name).link)
        built = Built(link, name, 0)
    else:
        link = root / "ray" / "archives" / name_of(uri)
        built = Built(link, str(link), 0)
    if not _ready(link):
        raise RayEnvError(f"{built.label} is not in the node's corral store {root}", hint="it is built by create")
    return built


def _settings(root: Path) -> Any:
    from corral.settings import load_settings

    return load_settings({**os.environ, "CORRAL_ROOT": str(root)}, {})


def _from_lock(text: str, uri: str, root: Path, logger: logging.Logger, source: str) -> Built:
    from corral.context import ChangeContext
    from corral.locks import create_from_lock
    from corral.store.envs import env_ref
    from corral.store.fsutil import atomic_write_text

    settings = _settings(root)
    ref = env_ref(settings, name=name_of(uri))
    link = Path(ref.link)
    if not _ready(link):
        path = root / "ray" / "locks" / f"{uri.removeprefix(SCHEME)}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
        ctx = ChangeContext(settings, LogReporter(logger), command=f"ray runtime_env corral {source}".rstrip())
        logger.info("corral: building %s from %s into %s", ref.name, source or "the lock", root)
        start = time.monotonic()
        try:
            create_from_lock(ctx, ref, str(path))
            logger.info("corral: built %s in %.1f s", ref.name, time.monotonic() - start)
        except EnvironmentExists:
            if not _ready(link):  # another worker's build (it held the lock) that did not finish
                raise
            logger.info("corral: %s was built meanwhile by another process sharing %s", ref.name, root)
        except CorralError as exc:
            raise RayEnvError(f"cannot build the environment of {source or 'the lock'} on this node: {exc.message}",
                              hint=exc.hint, details=exc.details) from exc  # fmt: skip
    else:
        logger.info("corral: %s is already built in %s", ref.name, root)
    return Built(link, str(ref.name), _size(link))


def _ready(link: Path) -> bool:
    return (link / "bin" / "python").exists()


def worker_python(built: Built) -> str:
    """What Ray runs instead of `python`: the environment's interpreter with the boot script before the worker."""
    return shlex.join([str(built.link / "bin" / "python"), str(BOOT)])


def check_python(built: Built) -> None:
    """Workers import Ray from this node's installation unless the environment has its own: same minor Python."""
    python, label = built.link / "bin" / "python", built.label
    probe = "import sys, importlib.util as u; print('%d.%d' % sys.version_info[:2], u.find_spec('ray') is not None)"
    try:
        out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RayEnvError(f"the python of {label} does not run: {exc}", hint="see the node's runtime_env log") from exc
    minor, has_ray = out.stdout.split()
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if has_ray == "False" and minor != mine:
        raise RayEnvError(
            f"{label} has Python {minor}, but Ray on this node runs on Python {mine}, and its workers import Ray"
            " from the node's installation",
            hint=f"lock the environment with python {mine}, or put ray (the cluster's version) in it",
        )


def worker_variables(built: Built, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables a worker gets: activation (PATH, CONDA_PREFIX, activate.d) as `${VAR}` templates, Ray's site."""
    from corral.activation.runner import RunError, activated_environment

    try:
        activated, _ = activated_environment(environ, str(built.link), built.label)
    except RunError as exc:
        raise RayEnvError(exc.message, hint=exc.hint) from None
    out = {}
    for name, value in activated.items():
        old = environ.get(name)
        if old == value:
            continue
        if old and old in value and "$" not in value:  # prefix + old + suffix: relative to the worker's own value
            head, _, tail = value.partition(old)
            value = head + "${" + name + "}" + tail
        out[name] = value
    out[SITE_VARIABLE] = os.pathsep.join(ray_site())
    return out


def ray_site() -> list[str]:
    """The site folders Ray is imported from here: appended after the environment's own by the boot script."""
    import importlib.util

    found = importlib.util.find_spec("ray")
    dirs = [os.path.dirname(os.path.dirname(found.origin))] if found is not None and found.origin else []
    for entry in site.getsitepackages():
        if entry not in dirs:
            dirs.append(entry)
    return dirs


def remove(uri: str, root: Path, logger: logging.Logger) -> int:
    """Ray's URI cache let go of `uri`: its environment leaves the store (bytes freed, as counted at build)."""
    from corral.api.envs import remove_env
    from corral.context import ChangeContext
    from corral.store.envs import env_ref

    name = name_of(uri)
    if name.startswith("archive-"):
        from corral.integrations.ray.archives import remove_unpacked

        return remove_unpacked(root / "ray" / "archives" / name)
    settings = _settings(root)
    ref = env_ref(settings, name=name)
    if not ref.exists():
        return 0
    size = _size(Path(ref.link))
    remove_env(ChangeContext(settings, LogReporter(logger)), ref)
    logger.info("corral: removed %s from %s", name, root)
    return size


def _size(link: Path) -> int:
    """Bytes of the files under the environment (apparent sizes: hardlinks into the caches counted once here)."""
    total, seen = 0, set()
    for folder, _, files in os.walk(os.path.realpath(link)):
        for name in files:
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                total += st.st_size
    return total


class LogReporter:
    """corral's Reporter over the runtime_env setup log of the job."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def status(self, message: str) -> None:
        """A step, logged."""
        self.logger.info("corral: %s", message)

    def warn(self, message: str) -> None:
        """A warning, logged."""
        self.logger.warning("corral: %s", message)

    def start(self, label: str, total: int, total_bytes: int = 0) -> None:
        """A counted task begins: logged once."""
        self.logger.info("corral: %s (%d)", label, total)

    def advance(self, amount: int = 1) -> None:
        """Not logged (one line per package would drown the log)."""

    def progress_bytes(self, done: int) -> None:
        """Not logged."""

    def tick(self) -> None:
        """Not logged."""

    def finish(self) -> None:
        """Not logged."""
