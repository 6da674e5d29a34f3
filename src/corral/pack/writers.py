"""Archive writers: tar.gz, tar, zip and a plain folder, streamed, with fixed metadata for identical bytes.

Every member gets the same owner (0/0, no names), the same mtime (SOURCE_DATE_EPOCH or 0; zip's
floor is 1980-01-01) and its own permission bits; gzip's header carries no name and that mtime.
Files are copied in chunks, so memory does not grow with their size.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import IO, Protocol

CHUNK = 1 << 20
GZIP_LEVEL = 4  # conda-pack's default compress-level: most of level 9's size at a fraction of its time
FORMATS = ("tar.gz", "tar", "zip", "dir")


class Sink(Protocol):
    """Where members go."""

    def add_dir(self, path: str, mode: int) -> None:
        """A directory."""

    def add_symlink(self, path: str, target: str) -> None:
        """A symbolic link."""

    def add_file(self, path: str, mode: int, size: int, source: IO[bytes]) -> None:
        """A regular file of `size` bytes read from `source`."""

    def close(self) -> None:
        """Finish the output."""

    @property
    def member_mtime(self) -> int | None:
        """The mtime every member gets where it is unpacked, when the format carries it exactly (tar)."""


def format_of(output: str, given: str) -> str:
    """The format named by --format, else by the output's suffix (tar.gz when it says nothing)."""
    if given:
        return given
    name = output.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith(".tar"):
        return "tar"
    return "tar.gz"


def open_sink(path: Path, format: str, mtime: int) -> Sink:
    """A writer of `format` into `path` (a file, or a folder for "dir")."""
    if format == "dir":
        return _DirSink(path)
    if format == "zip":
        return _ZipSink(path, mtime)
    return _TarSink(path, mtime, compress=format == "tar.gz")


class ParallelGzip:
    """A gzip writer that deflates 1 MiB blocks on several threads (zlib lets go of the GIL), as pigz does.

    Each block is deflated on its own and ended with a sync flush (the last with a finish), so the
    blocks join into one valid deflate stream; the bytes depend only on the data, never on the
    number of threads. The header has no name and `mtime`; CRC-32 and size close it. At most two
    blocks per thread wait in memory.
    """

    BLOCK = 1 << 20

    def __init__(self, raw: IO[bytes], level: int, mtime: int, threads: int) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        self.raw, self.level, self.threads = raw, level, max(threads, 1)
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="corral-gzip")
        self.pending: list[Future[bytes]] = []
        self.buf = bytearray()
        self.crc = self.size = 0
        raw.write(b"\x1f\x8b\x08\x00" + (mtime & 0xFFFFFFFF).to_bytes(4, "little") + b"\x00\xff")

    def _deflate(self, block: bytes, last: bool) -> bytes:
        engine = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        return engine.compress(block) + engine.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)

    def write(self, data: bytes) -> int:
        """Take `data`; deflate whole blocks in the background."""
        self.buf += data
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        while len(self.buf) >= self.BLOCK:
            self._submit(bytes(self.buf[: self.BLOCK]), last=False)
            del self.buf[: self.BLOCK]
        return len(data)

    def tell(self) -> int:
        """Bytes taken so far (tarfile asks)."""
        return self.size

    def _submit(self, block: bytes, last: bool) -> None:
        self.pending.append(self.pool.submit(self._deflate, block, last))
        while len(self.pending) > 2 * self.threads or (last and self.pending):
            self.raw.write(self.pending.pop(0).result())

    def close(self) -> None:
        """Deflate what is left, finish the stream, write the trailer."""
        try:
            self._submit(bytes(self.buf), last=True)
            self.raw.write(self.crc.to_bytes(4, "little") + (self.size & 0xFFFFFFFF).to_bytes(4, "little"))
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _threads() -> int:
    try:
        return min(len(os.sched_getaffinity(0)), 4)
    except AttributeError:  # not Linux
        return min(os.cpu_count() or 1, 4)


class _TarSink:
    def __init__(self, path: Path, mtime: int, compress: bool) -> None:
        self.raw = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.gz: ParallelGzip | None = None
        if compress:
            self.gz = ParallelGzip(self.raw, GZIP_LEVEL, mtime, _threads())
        # Mode "w" on a file object only ever appends (no seek), so it streams; tarfile's "w|" wrapper
        # re-buffers every write by concatenation, which cost a third of the packing time.
        target: IO[bytes] = self.gz or self.raw  # type: ignore[assignment]
        self.tar = tarfile.TarFile(fileobj=target, mode="w", format=tarfile.PAX_FORMAT, copybufsize=CHUNK)
        self.mtime = mtime

    @property
    def member_mtime(self) -> int | None:
        return self.mtime

    def _info(self, path: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(path)
        info.type, info.mode, info.mtime = kind, mode, self.mtime
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def add_dir(self, path: str, mode: int) -> None:
        self.tar.addfile(self._info(path, tarfile.DIRTYPE, mode))

    def add_symlink(self, path: str, target: str) -> None:
        info = self._info(path, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.tar.addfile(info)

    def add_file(self, path: str, mode: int, size: int, source: IO[bytes]) -> None:
        info = self._info(path, tarfile.REGTYPE, mode)
        info.size = size
        self.tar.addfile(info, source)

    def close(self) -> None:
        self.tar.close()
        if self.gz is not None:
            self.gz.close()
        self.raw.close()


class _ZipSink:
    def __init__(self, path: Path, mtime: int) -> None:
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=GZIP_LEVEL)
        stamp = time.gmtime(max(mtime, 315532800))  # zip cannot say anything before 1980
        self.date_time = (stamp.tm_year, stamp.tm_mon, stamp.tm_mday, stamp.tm_hour, stamp.tm_min, stamp.tm_sec)

    @property
    def member_mtime(self) -> int | None:
        return None  # local time, in 2-second steps, and restored or not by the unzipper

    def _info(self, path: str, mode: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, self.date_time)
        info.create_system = 3  # unix: external_attr carries the mode
        info.external_attr = mode << 16
        return info

    def add_dir(self, path: str, mode: int) -> None:
        info = self._info(path + "/", stat.S_IFDIR | mode)
        info.external_attr |= 0x10  # MS-DOS directory flag
        self.zip.writestr(info, b"")

    def add_symlink(self, path: str, target: str) -> None:
        # Info-ZIP's convention (unzip restores it): the mode says link, the content is the target.
        self.zip.writestr(self._info(path, stat.S_IFLNK | 0o777), target.encode())

    def add_file(self, path: str, mode: int, size: int, source: IO[bytes]) -> None:
        info = self._info(path, stat.S_IFREG | mode)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size = size
        with self.zip.open(info, "w", force_zip64=size > 0x7FFFFFFF) as out:
            shutil.copyfileobj(source, out, CHUNK)

    def close(self) -> None:
        self.zip.close()


class _DirSink:
    """A folder laid out as the archive would unpack (files copied, never linked: corral-unpack edits them)."""

    def __init__(self, path: Path) -> None:
        self.root = path
        path.mkdir(parents=True)
        self.modes: list[tuple[Path, int]] = []

    @property
    def member_mtime(self) -> int | None:
        return None  # files are copied now: they get the time of the copy

    def add_dir(self, path: str, mode: int) -> None:
        (self.root / path).mkdir(exist_ok=True)
        self.modes.append((self.root / path, mode))

    def add_symlink(self, path: str, target: str) -> None:
        os.symlink(target, self.root / path)

    def add_file(self, path: str, mode: int, size: int, source: IO[bytes]) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        os.chmod(target, mode)

    def close(self) -> None:
        for path, mode in reversed(self.modes):  # deepest first: a read-only folder is set last
            os.chmod(path, mode)


class ScanningReader(io.RawIOBase):
    """Reads a file for a writer and notes whether it names one of `needles`, and whether it holds a NUL byte."""

    def __init__(self, handle: IO[bytes], needles: tuple[bytes, ...]) -> None:
        super().__init__()
        self.handle, self.needles = handle, needles
        self.keep = max(len(n) for n in needles) - 1
        self.found = self.binary = False
        self._tail = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self.handle.read(-1 if size is None else size)
        if data:
            if not self.found:
                window = self._tail + data
                self.found = any(n in window for n in self.needles)
                self._tail = window[-self.keep :] if self.keep else b""
            self.binary = self.binary or b"\0" in data
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
