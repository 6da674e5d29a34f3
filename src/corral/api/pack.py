"""`corral pack`: the current generation as a relocatable archive; `corral pack --check`: try one out."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from corral.context import env_label, require_current
from corral.errors import CorralError, UsageError
from corral.reporting import Reporter
from corral.settings import Settings
from corral.store import generations as gens
from corral.store.envs import EnvRef, require_existing
from corral.store.fsutil import sha256_of
from corral.values import frozen


@frozen
class Packed:
    """`corral pack`: what was written, and what a user must know to use it."""

    env: str
    generation: int
    output: str
    format: str
    python: str
    files: int
    bytes: int
    sha256: str  # of the archive ("" for a folder)
    fixups: int  # files bin/corral-unpack rewrites
    binary_fixups: int  # of them binary: these limit the length of the path it may move to
    prefix: str  # the packed path; binary files only move to paths at most this long
    unfixable: tuple[str, ...] = ()

    @property
    def python_minor(self) -> str:
        """X.Y of the environment's python ("" without one)."""
        return ".".join(self.python.split(".")[:2])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "env": self.env,
            "generation": self.generation,
            "output": self.output,
            "format": self.format,
            "python": self.python,
            "python_minor": self.python_minor,
            "files": self.files,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "fixups": self.fixups,
            "binary_fixups": self.binary_fixups,
            "prefix": self.prefix,
            "max_prefix_length": len(self.prefix.encode()),
            "unfixable": list(self.unfixable),
        }


@frozen
class PackChecked:
    """`corral pack --check`: the archive ran where it was unpacked."""

    archive: str
    python: str
    prefix: str
    fixed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"archive": self.archive, "python": self.python, "prefix": self.prefix, "fixed": self.fixed, "ok": True}


def pack(
    settings: Settings,
    reporter: Reporter,
    ref: EnvRef,
    output: str,
    *,
    format: str = "",
    force: bool = False,
    mtime: int = 0,
) -> Packed:
    """Write the current generation of `ref` to `output` as a relocatable archive (or folder)."""
    from corral.pack.writers import FORMATS, format_of

    if format and format not in FORMATS:
        raise UsageError(f"unknown pack format '{format}'", hint=f"choose one of: {', '.join(FORMATS)}")
    if not output:
        raise UsageError("name the archive to write with -o", hint="e.g. corral pack -n ENV -o env.tar.gz")
    kind = format_of(output, format)
    from corral.store import locking

    target = Path(output).absolute()
    _make_room(target, force)
    require_existing(ref)
    with locking.held(ref.lock_file, ref.label, settings.lock_timeout, reporter):  # no GC of it meanwhile
        return _pack_current(reporter, ref, target, kind, mtime)


def _pack_current(reporter: Reporter, ref: EnvRef, target: Path, kind: str, mtime: int) -> Packed:
    from corral.pack import write
    from corral.pack.contents import gather
    from corral.pack.writers import open_sink

    number = require_current(ref)
    record = gens.read_record(ref, number)
    contents = gather(Path(gens.generation_dir(ref, number)), record, ref.label, ref.flag, str(ref.link))
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    reporter.status(f"Packing {ref.label} (generation {number}, {len(contents.members)} entries) into {target}")
    try:
        written = write(contents, open_sink(partial, kind, mtime), reporter)
        if kind == "dir":
            _remove(target)
        os.replace(partial, target)
    except OSError as exc:
        _remove(partial)
        raise CorralError(
            f"cannot write {target}: {exc.strerror or exc}", hint="choose a writable place with room for it (-o)"
        ) from exc
    except BaseException:
        _remove(partial)
        raise
    for path in written.unfixable:
        reporter.warn(f"{path} is a binary file that names {contents.prefix}; corral-unpack cannot rewrite it")
    return Packed(
        env=env_label(ref),
        generation=number,
        output=str(target),
        format=kind,
        python=contents.python,
        files=written.members,
        bytes=_size(target),
        sha256="" if kind == "dir" else sha256_of(target),
        fixups=len(written.fixups),
        binary_fixups=sum(1 for _, mode in written.fixups if mode == "binary"),
        prefix=str(contents.prefix),
        unfixable=written.unfixable,
    )


def check_pack(settings: Settings, reporter: Reporter, archive: str) -> PackChecked:
    """Unpack `archive` into a scratch folder, run bin/corral-unpack and its python there."""
    from corral.pack.check import check

    reporter.status(f"Checking {archive}: unpacking into a temporary folder")
    done = check(Path(archive))
    return PackChecked(str(Path(archive).absolute()), done.python, done.prefix, done.fixed)


def _make_room(target: Path, force: bool) -> None:
    if os.path.lexists(target) and not force:
        raise CorralError(f"{target} exists", hint="choose another -o, or pass --force to replace it")
    if not target.parent.is_dir():
        raise CorralError(f"no folder {target.parent} to write {target.name} into", hint="create it first")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink()


def _size(path: Path) -> int:
    if not path.is_dir():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
