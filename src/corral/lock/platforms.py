"""What a lock assumes about each target platform: its virtual packages, uv's name for it, its wheel tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from corral.errors import SpecError

# conda subdir -> (archspec, uv --python-platform for non-Linux, os family)
_KNOWN: dict[str, tuple[str, str, str]] = {
    "linux-64": ("x86_64", "", "linux"),
    "linux-aarch64": ("aarch64", "", "linux"),
    "linux-ppc64le": ("ppc64le", "", "linux"),
    "osx-64": ("x86_64", "x86_64-apple-darwin", "osx"),
    "osx-arm64": ("arm64", "aarch64-apple-darwin", "osx"),
    "win-64": ("x86_64", "x86_64-pc-windows-msvc", "win"),
    "win-arm64": ("arm64", "aarch64-pc-windows-msvc", "win"),
}
PLATFORMS = tuple(_KNOWN)

# The machine a lock assumes when nothing says otherwise (pixi's defaults): old enough to cover
# most machines in use, new enough for current packages. `system-requirements` overrides them.
DEFAULT_SYSTEM = {"linux": "4.18", "glibc": "2.28", "macos": "13.0"}


def check_platform(name: str) -> str:
    """`name` when it is a platform corral can lock for; else a clear error."""
    if name not in _KNOWN:
        raise SpecError(
            f"unknown platform '{name}'",
            hint=f"choose among: {', '.join(PLATFORMS)}",
        )
    return name


def virtual_packages(platform: str, system: Iterable[tuple[str, str]] = ()) -> tuple[str, ...]:
    """The virtual packages (`name=version=build`) a lock assumes for `platform`."""
    arch, _, family = _KNOWN[platform]
    values = {**DEFAULT_SYSTEM, **dict(system)}
    out = [f"__archspec=1={arch}"]
    if family in ("linux", "osx"):
        out.append("__unix=0=0")
    if family == "linux":
        out += [f"__linux={values['linux']}=0", f"__glibc={values['glibc']}=0"]
    elif family == "osx":
        out.append(f"__osx={values['macos']}=0")
    else:
        out.append("__win=0=0")
    if "cuda" in values:
        out.append(f"__cuda={values['cuda']}=0")
    return tuple(sorted(out))


def uv_target(platform: str, system: Iterable[tuple[str, str]] = ()) -> str:
    """uv's --python-platform for a conda platform (Linux: the manylinux level of the assumed glibc)."""
    arch, target, family = _KNOWN[platform]
    if family != "linux":
        return target
    glibc = {**DEFAULT_SYSTEM, **dict(system)}["glibc"]
    minor = int(([*glibc.split("."), "0"])[1])
    if arch not in ("x86_64", "aarch64"):
        return f"{arch}-unknown-linux-gnu"
    return f"{arch}-manylinux_2_{min(max(minor, 17), 40)}"


def best_wheel(file_names: Sequence[str], python: str) -> int | None:
    """The index of the wheel this machine prefers for Python `python` (e.g. "3.12.1"), or None."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    major, minor = (int(x) for x in ([*python.split("."), "0"])[:2])
    rank = _tag_ranks(major, minor)
    best: tuple[int, int] | None = None
    for index, name in enumerate(file_names):
        try:
            found = parse_wheel_filename(name)[3]
        except InvalidWheelFilename:
            continue
        score = min((rank[t] for t in found if t in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, index)
    return None if best is None else best[1]


_RANKS: dict[tuple[int, int], dict[Any, int]] = {}


def _tag_ranks(major: int, minor: int) -> dict[Any, int]:
    """This machine's wheel tags for CPython major.minor, most preferred first (made once per process)."""
    if (major, minor) not in _RANKS:
        from packaging import tags

        platforms = list(tags.platform_tags())
        ranked = [
            *tags.cpython_tags((major, minor), platforms=platforms),
            *tags.compatible_tags((major, minor), f"cp{major}{minor}", platforms),
        ]
        _RANKS[major, minor] = {tag: i for i, tag in enumerate(ranked)}
    return _RANKS[major, minor]


_MACHINES = {
    "x86_64": "64",
    "amd64": "64",
    "aarch64": "aarch64",
    "arm64": "arm64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "i686": "32",
    "i386": "32",
    "x86": "32",
}
_FAMILIES = {"linux": "linux", "darwin": "osx", "win32": "win"}


def known_machine_platform() -> str | None:
    """This machine's conda platform from the standard library (linux-64, osx-arm64, win-64 ...), or None
    where the tables have no answer (conda/machine.py then asks rattler)."""
    import os
    import sys

    if hasattr(os, "uname"):
        machine = os.uname().machine  # the platform module costs 4 ms to import
    else:  # pragma: no cover - Windows
        import platform

        machine = platform.machine()
    family, arch = _FAMILIES.get(sys.platform), _MACHINES.get(machine.lower())
    if family == "linux" and arch == "arm64":
        arch = "aarch64"
    if family in ("osx", "win") and arch == "aarch64":
        arch = "arm64"
    return f"{family}-{arch}" if family is not None and arch is not None else None


def machine_platform() -> str:
    """This machine's conda platform name, without rattler (for records of PyPI-only generations)."""
    import os
    import sys

    known = known_machine_platform()
    if known is not None:
        return known
    machine = os.uname().machine.lower() if hasattr(os, "uname") else "unknown"
    return f"{_FAMILIES.get(sys.platform, 'linux')}-{machine}"  # a name rattler would not know either
