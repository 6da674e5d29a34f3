"""Archive writers: tar.gz, tar, zip and a plain folder, streamed, with fixed metadata for identical bytes.

Every member gets the same owner (0/0, no names), the same mtime (SOURCE_DATE_EPOCH or 0; zip's
floor is 1980-01-01) and its own permission bits; gzip's header carries no name and that mtime.
Files are copied in chunks, so memory does not grow with their size.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import stat
import tarfile
import time
import zipfile
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


class _TarSink:
    def __init__(self, path: Path, mtime: int, compress: bool) -> None:
        self.raw = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.gz: gzip.GzipFile | None = None
        if compress:
            self.gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, compresslevel=GZIP_LEVEL, mtime=mtime)
        self.tar = tarfile.open(fileobj=self.gz or self.raw, mode="w|", format=tarfile.PAX_FORMAT, bufsize=CHUNK)  # noqa: SIM115
        self.mtime = mtime

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
    """Reads a file for a writer and notes whether it names `needle`, and whether it holds a NUL byte."""

    def __init__(self, handle: IO[bytes], needle: bytes) -> None:
        super().__init__()
        self.handle, self.needle = handle, needle
        self.found = self.binary = False
        self._tail = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self.handle.read(-1 if size is None else size)
        if data:
            if not self.found:
                window = self._tail + data
                self.found = self.needle in window
                self._tail = window[-(len(self.needle) - 1) :] if len(self.needle) > 1 else b""
            self.binary = self.binary or b"\0" in data
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
