"""`corral pack`: a generation as a relocatable archive (tar.gz, tar, zip or a folder) that needs no corral.

contents.py decides what goes in (and refuses what cannot travel), writers.py writes it with fixed
metadata, scripts.py makes the files a pack adds, corral_unpack.py is the fix-up that runs where the
archive is unpacked, check.py unpacks an archive into a scratch folder and runs it.
"""

from __future__ import annotations

from corral.pack import activation, bytecode, scripts
from corral.pack.contents import ADDED, MANIFEST, UNPACK, Contents, Member, conda_meta_record
from corral.pack.writers import ScanningReader, Sink
from corral.reporting import Reporter
from corral.values import frozen


@frozen
class Written:
    """What writing a pack found: the files corral-unpack fixes, and binary files naming the prefix it cannot."""

    fixups: tuple[tuple[str, str], ...]
    unfixable: tuple[str, ...]
    members: int


def write(contents: Contents, sink: Sink, reporter: Reporter) -> Written:
    """Stream every member of `contents`, then the files a pack adds, into `sink`."""
    root = contents.prefix
    needles = (str(root).encode(), *(a.encode() for a in contents.aliases))
    fixups = [(m.path, m.file_mode) for m in contents.members if m.file_mode]
    unfixable: list[str] = []
    reporter.start("Packing", len(contents.members))
    for member in contents.members:
        if member.kind == "dir":
            sink.add_dir(member.path, member.mode)
        elif member.kind == "symlink":
            sink.add_symlink(member.path, member.target)
        elif member.is_conda_meta_record:
            _add_bytes(sink, member.path, member.mode, conda_meta_record(root / member.path))
        elif sink.member_mtime is not None and (pyc := bytecode.restamped(root, member.path, sink.member_mtime)):
            _add_bytes(sink, member.path, member.mode, pyc)
        else:
            with open(root / member.path, "rb") as handle:
                source = ScanningReader(handle, needles)
                sink.add_file(member.path, member.mode, member.size, source)  # type: ignore[arg-type]
            if source.found and not member.file_mode:  # e.g. PyPI scripts, conda's python entry points
                if not source.binary:
                    fixups.append((member.path, "text"))
                elif not member.path.endswith(".pyc"):  # a .pyc names its source only for tracebacks
                    unfixable.append(member.path)
        reporter.advance()
    reporter.finish()
    paths = {m.path for m in contents.members}
    for folder in ("bin", "share", "share/corral"):
        if folder not in paths:
            sink.add_dir(folder, 0o755)
    fixups += [(path, "text") for path in activation.NAMING_PREFIX]
    added = activation.scripts(str(root), contents.variables)
    added[UNPACK] = scripts.unpack_script()
    added[MANIFEST] = scripts.manifest(str(root), contents.aliases, contents.python, fixups)
    for path in ADDED:
        _add_bytes(sink, path, 0o755 if path == UNPACK else 0o644, added[path])
    sink.close()
    return Written(tuple(sorted(fixups)), tuple(unfixable), len(contents.members) + len(ADDED))


def _add_bytes(sink: Sink, path: str, mode: int, data: bytes) -> None:
    import io

    sink.add_file(path, mode, len(data), io.BytesIO(data))


__all__ = ["Contents", "Member", "Written", "write"]
