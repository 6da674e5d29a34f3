"""Virtual packages with conda's CONDA_OVERRIDE_* semantics, and what to tell a user whose machine lacks one.

Pure Python (no rattler): the solver hands in what rattler detected, without overrides, and this
module applies conda's rules (conda/plugins/virtual_packages/*.py, conda/plugins/types.py
`CondaVirtualPackage.to_virtual_package`), which differ from rattler's `VirtualPackageOverrides.from_env`:
an empty CONDA_OVERRIDE_LINUX keeps `__linux` at version 0 (rattler drops it), CONDA_OVERRIDE_OSX and
CONDA_OVERRIDE_WIN add nothing on a linux-* platform (rattler adds `__osx`/`__win`), values are
stripped of white space (rattler fails on " 12.0"), and a Linux override is cut to its numeric part
(`5.10.0-rc1` -> `5.10.0`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from corral.regex import Lazy
from corral.values import frozen

Virtual = tuple[str, str, str]  # name, version, build

_LINUX_VERSION = Lazy(r"\d+\.\d+(\.\d+)?(\.\d+)?")


def _linux_version(value: str) -> str | None:
    match = _LINUX_VERSION.match(value)
    return match.group() if match else None


@frozen
class _Rule:
    """How conda exports one overridable virtual package."""

    entity: str  # "version" or "build": what the override replaces
    platforms: tuple[str, ...] | None  # subdir prefixes it exists on; None: every platform
    keep_when_empty: bool = False  # an empty override gives version 0 instead of removing the package
    default: Virtual = ("", "0", "0")
    validate: Callable[[str], str | None] | None = None
    what: str = ""


RULES: dict[str, _Rule] = {
    "__cuda": _Rule("version", None, what="no CUDA driver was found"),
    "__glibc": _Rule("version", ("linux-",), what="no glibc was found"),
    "__linux": _Rule("version", ("linux-",), keep_when_empty=True, validate=_linux_version),
    "__osx": _Rule("version", ("osx-",)),
    "__win": _Rule("version", ("win-",)),
    "__archspec": _Rule("build", None, default=("", "1", "0"), what="the CPU architecture is unknown"),
}
_NOT_OVERRIDABLE = {"__unix": ("linux-", "osx-", "freebsd-")}


def override_variable(name: str) -> str:
    """The environment variable conda reads to override `__name` (`__cuda` -> CONDA_OVERRIDE_CUDA)."""
    return f"CONDA_OVERRIDE_{name.lstrip('_').upper()}"


def _exists_on(name: str, subdir: str) -> bool:
    rule = RULES.get(name)
    platforms = rule.platforms if rule else _NOT_OVERRIDABLE.get(name)
    return platforms is None or subdir.startswith(platforms)


def apply_overrides(detected: Sequence[Virtual], environ: Mapping[str, str], subdir: str) -> list[Virtual]:
    """The virtual packages conda would export for `subdir`, given what was detected and CONDA_OVERRIDE_* values."""
    out = {name: (name, version, build) for name, version, build in detected if _exists_on(name, subdir)}
    for name, rule in RULES.items():
        raw = environ.get(override_variable(name))
        if raw is None or not _exists_on(name, subdir):
            continue
        value: str | None = raw.strip()
        if not value:
            if not rule.keep_when_empty:
                out.pop(name, None)
                continue
            value = None
        elif rule.validate is not None:
            value = rule.validate(value)
        _, version, build = out.get(name, rule.default)
        if rule.entity == "version":
            version = value or "0"
        else:
            build = value or "0"
        out[name] = (name, version, build)
    return sorted(out.values())


# --- explaining an unmet virtual package -------------------------------------------------------

_REQUIRE = Lazy(r"(\S+) (\S+) would require\s*\n\s*\S*\s*(__[\w.-]+)(?: ([^,\n]*))?, for which no candidates")
_REQUESTED = Lazy(r"No candidates were found for (__[\w.-]+)(?: (.*?))?\.\s*$", re.M)


@frozen
class Unmet:
    """A virtual package a request or a package needs: who needs it (empty: the request) and the spec."""

    name: str
    spec: str
    needed_by: str = ""


def find_unmet(solver_text: str) -> Unmet | None:
    """The virtual package a rattler solver error says has no candidates, if any."""
    dependency = _REQUIRE.search(solver_text)
    if dependency:
        who = f"{dependency.group(1)} {dependency.group(2)}"
        return Unmet(dependency.group(3), _spec(dependency.group(4)), who)
    requested = _REQUESTED.search(solver_text)
    if requested:
        return Unmet(requested.group(1), _spec(requested.group(2)))
    return None


def _spec(text: str | None) -> str:
    spec = (text or "").strip()
    return "" if spec == "*" else spec


def explain(
    unmet: Unmet,
    have: Sequence[Virtual],
    subdir: str,
    satisfies: Callable[[str, str], bool],
    where: str = "this machine",
) -> tuple[str, str]:
    """(message, hint) for an unmet virtual package; `satisfies(spec, version)` checks a suggested override."""
    needs = f"'{unmet.name}{' ' + unmet.spec if unmet.spec else ''}'"
    who = f"{unmet.needed_by} needs {needs}" if unmet.needed_by else f"the request asks for {needs}"
    known = sorted({*RULES, *_NOT_OVERRIDABLE})
    if unmet.name not in known:
        return (
            f"{who}, a virtual package conda does not define",
            f"check the spelling; virtual packages are {', '.join(known)}",
        )
    if not _exists_on(unmet.name, subdir):
        rule = RULES.get(unmet.name)
        platforms = (rule.platforms if rule else _NOT_OVERRIDABLE[unmet.name]) or ()
        return (
            f"{who}, which exists only on {'/'.join(p + '*' for p in platforms)} platforms, and {where} is {subdir}",
            (
                "the package is built for another platform"
                if unmet.needed_by
                else f"only {platforms[0]}* machines have it"
            )
            + f"; lock for such a platform with `corral lock --platform {platforms[0]}64`",
        )
    found = next((v for v in have if v[0] == unmet.name), None)
    rule = RULES.get(unmet.name)
    if found is None:
        why = rule.what if rule and where == "this machine" else ""  # a lock's target is assumed, not detected
        state = f"{where} has no {unmet.name}" + (f" ({why})" if why else "")
    else:
        value = found[1] if rule is None or rule.entity == "version" else found[2]
        state = f"{where} has {unmet.name} {value}"
    if rule is None:
        return f"{who}, and {state}", f"{unmet.name} cannot be overridden; use a package built for {subdir}"
    variable = override_variable(unmet.name)
    if rule.entity == "build":
        value = unmet.spec.split()[-1] if len(unmet.spec.split()) > 1 else "BUILD"
    else:
        value = _suggestion(unmet.spec, satisfies)
    return (
        f"{who}, and {state}",
        f"if the machine the environment is for has it (detection can be wrong, or you are building for"
        f" another machine), set {variable}={value} as with conda; otherwise relax the request",
    )


_NUMBER = Lazy(r"\d+(?:\.\d+)*")


def _suggestion(spec: str, satisfies: Callable[[str, str], bool]) -> str:
    """A version that meets `spec`, to show in the override hint (`>=12` -> `12.0`), or VERSION."""
    numbers: list[str] = _NUMBER.findall(spec)
    for number in numbers:
        for candidate in (number + ".0" if "." not in number else number, number):
            if satisfies(spec, candidate):
                return candidate
    return "VERSION"
