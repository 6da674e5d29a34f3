"""This machine as conda sees it: its platform (subdir) and virtual packages, with conda's overrides.

Light on purpose: the platform is known without importing rattler (a project's `run`, locks and
PyPI-only environments ask for it), rattler is imported only to detect virtual packages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from corral.errors import SpecError
from corral.lock.platforms import known_machine_platform


def split_virtual(text: str) -> tuple[str, str, str]:
    name, version, build = ([*text.split("="), "0", "0"])[:3]
    return name, version, build


def virtual_package(text: str) -> Any:
    import rattler

    name, version, build = split_virtual(text)
    return rattler.GenericVirtualPackage(
        rattler.PackageName(name), rattler.Version(version), rattler.BuildString(build)
    )


_DETECTED: list[tuple[str, str, str]] = []


def machine_virtual_packages(environ: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """This machine's virtual packages as (name, version, build), with conda's CONDA_OVERRIDE_* semantics.

    rattler detects without overrides (its own `from_env` differs from conda, see conda/virtual.py);
    the overrides are applied as conda applies them, and each overridden value is checked.
    """
    import rattler

    from corral.conda.virtual import apply_overrides, override_variable

    if not _DETECTED:  # the machine does not change within a process; detection reads /proc and libc
        for package in rattler.VirtualPackage.detect(rattler.VirtualPackageOverrides()):
            generic = package.into_generic()
            _DETECTED.append((generic.name.normalized, str(generic.version), str(generic.build_string)))
    detected = list(_DETECTED)
    env = os.environ if environ is None else environ
    out = apply_overrides(detected, env, current_platform())
    for name, version, build in out:
        try:
            rattler.Version(version)
            rattler.BuildString(build)
        except Exception as exc:  # rattler raises InvalidVersionError / a ValueError
            variable = override_variable(name)
            raise SpecError(
                f"{variable}={env.get(variable, '')!r} is not a valid {name} value: {exc}",
                hint=f"set {variable} to a version such as 12.0 (empty removes {name}), or unset it",
            ) from exc
    return out


def current_platform() -> str:
    """This machine's conda platform: linux-64, osx-arm64, win-64 ... (rattler's answer where the table has none)."""
    known = known_machine_platform()
    if known is not None:
        return known
    import rattler

    return str(rattler.Subdir.current())


def describe_platform() -> tuple[str, list[str]]:
    """This machine's subdir and virtual packages as `name=version=build` strings."""
    return current_platform(), ["=".join(v) for v in machine_virtual_packages()]
