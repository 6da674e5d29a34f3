"""A `corral pack` archive on a node: fetched and unpacked once under the store, fixed up by its corral-unpack.

The archive is named by its URI (an archive at a URI is taken to be immutable, as Ray takes the
URIs of working_dir and py_modules); a second task, or a second worker building it at the same
time, finds the folder marked ready, waiting on the folder's lock while the first one works.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

from corral.integrations.ray.driver import RayEnvError

READY = ".corral-ray-ready"
TIMEOUT = 600.0


def unpacked(uri: str, dest: Path, logger: logging.Logger) -> Path:
    """`dest` holding the archive at `uri`, unpacked and fixed up (done at most once per node)."""
    if (dest / READY).is_file():
        return dest
    from corral.integrations.ray.node import LogReporter
    from corral.store import locking

    dest.parent.mkdir(parents=True, exist_ok=True)
    with locking.held(dest.with_name(dest.name + ".lock"), f"archive {uri}", TIMEOUT, LogReporter(logger)):
        if (dest / READY).is_file():
            return dest
        if dest.exists():
            shutil.rmtree(dest)  # an unpack that was interrupted
        download = dest.with_name(dest.name + ".download")
        try:
            _fetch(uri, download)
            logger.info("corral: unpacking %s into %s", uri, dest)
            _extract(download, dest, uri)
            _fix_up(dest, uri)
            (dest / READY).touch()
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                download.unlink()
    return dest


def _fetch(uri: str, target: Path) -> None:
    """The archive's bytes into `target`: a file:// path is copied, http(s) is downloaded."""
    try:
        if uri.startswith("file://"):
            shutil.copyfile(urllib.parse.unquote(urllib.parse.urlparse(uri).path), target)
            return
        with urllib.request.urlopen(uri, timeout=60) as response, open(target, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except OSError as exc:
        raise RayEnvError(
            f"cannot fetch the archive {uri} on this node: {getattr(exc, 'strerror', None) or exc}",
            hint="give a URI every node can read (http(s)://, or file:// on a shared filesystem)",
        ) from exc


def _extract(archive: Path, dest: Path, uri: str) -> None:
    """Unpack a tar or tar.gz written by `corral pack` (members checked by tarfile's `data` filter)."""
    if not hasattr(tarfile, "data_filter"):
        raise RayEnvError("unpacking an archive safely needs Python 3.10.12 or later on the node (tarfile filters)")
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise RayEnvError(
            f"the archive {uri} cannot be unpacked: {exc}",
            hint="give an archive written by `corral pack -o env.tar.gz` (or .tar)",
        ) from exc


def _fix_up(dest: Path, uri: str) -> None:
    """Run the archive's own bin/corral-unpack, so that its files name `dest`."""
    script = dest / "bin" / "corral-unpack"
    if not script.is_file():
        raise RayEnvError(
            f"the archive {uri} has no bin/corral-unpack: it was not written by `corral pack`",
            hint="pack the environment with corral pack -n NAME -o env.tar.gz",
        )
    try:
        done = subprocess.run([str(script)], capture_output=True, text=True, timeout=TIMEOUT, cwd=dest)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RayEnvError(f"corral-unpack of {uri} could not run: {exc}") from exc
    if done.returncode != 0:
        raise RayEnvError(
            f"corral-unpack of {uri} failed in {dest} (exit {done.returncode})",
            hint=(done.stderr or done.stdout).strip()[-500:] or None,
        )


def remove_unpacked(dest: Path) -> int:
    """The unpacked archive out of the store; the bytes it held."""
    if not dest.exists():
        return 0
    total = sum(os.lstat(os.path.join(d, f)).st_size for d, _, files in os.walk(dest) for f in files)
    shutil.rmtree(dest, ignore_errors=True)
    return total
