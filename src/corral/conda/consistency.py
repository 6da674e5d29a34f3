"""Whether a set of conda records holds together: every dependency and constraint met, every record of the platform.

The rules are conda's own `conda doctor` consistency check (conda/plugins/subcommands/doctor/
health_checks/consistency.py): a `depends` needs an installed record of that name that matches;
a `constrains` only binds when a record of that name is installed; virtual packages (`__glibc`,
`__cuda`, ...) count as installed when this machine has them. corral adds the platform: each
record must be of the environment's subdir or noarch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from corral.lock.entries import CondaEntry
from corral.values import frozen


@frozen
class Unmet:
    """One way the records do not hold together: whose spec, which spec, and what is there instead."""

    package: str  # the record at fault, "name version build"
    spec: str  # the dependency or constraint as the record writes it ("" for a platform mismatch)
    detail: str  # "needs liba >=2; no liba is installed"

    def __str__(self) -> str:
        return f"{self.package}: {self.detail}"


def unmet(entries: Sequence[CondaEntry], platform: str, *, machine: bool, state: str = "locked") -> list[Unmet]:
    """Every unmet `depends` and `constrains` of `entries` among themselves, and every record of another platform.

    With `machine`, virtual packages are this machine's (an installed environment runs here);
    without, `__name` specs are skipped: a lock is made for machines, not this one, and
    `create --lock` checks them against this machine separately (records.check_machine).
    `state` says where the records are, in the messages ("locked", "installed").
    """
    import rattler

    installed: dict[str, Any] = {e.name.lower(): _package_record(e) for e in entries}
    virtual = _machine_records() if machine else {}
    out: list[Unmet] = []
    for entry in sorted(entries, key=lambda e: e.name):
        label = f"{entry.name} {entry.version} {entry.build}"
        if entry.subdir not in (platform, "noarch"):
            out.append(Unmet(label, "", f"is built for {entry.subdir}, not {platform}"))
        for kind, specs in (("needs", entry.depends), ("constrains", entry.constrains)):
            for text in specs:
                try:
                    spec = rattler.MatchSpec(text)
                except Exception:  # rattler's InvalidMatchSpecError has no importable base
                    out.append(Unmet(label, text, f"{kind} {text}, which cannot be read as a match spec"))
                    continue
                name = spec.name.normalized if spec.name is not None else text
                if name.startswith("__") and not machine:
                    continue
                found = virtual.get(name) if name.startswith("__") else installed.get(name)
                if found is None:
                    if kind == "needs":
                        where = f"this machine has no {name}" if name.startswith("__") else f"no {name} is {state}"
                        out.append(Unmet(label, text, f"needs {text}; {where}"))
                elif not spec.matches(found):
                    have = f"{name} {found.version} {found.build}".rstrip()
                    where = "this machine has" if name.startswith("__") else f"{state}:"
                    out.append(Unmet(label, text, f"{kind} {text}; {where} {have}"))
    return out


def unmet_installed(records: Sequence[Mapping[str, Any]], platform: str) -> list[Unmet]:
    """`unmet` of a prefix's conda-meta records, virtual packages taken from this machine."""
    return unmet([CondaEntry.from_record(r) for r in records], platform, machine=True, state="installed")


def _package_record(entry: CondaEntry) -> Any:
    import rattler

    return rattler.PackageRecord(
        name=entry.name,
        version=entry.version,
        build=rattler.BuildString(entry.build),
        build_number=entry.build_number,
        subdir=entry.subdir or "noarch",
        depends=list(entry.depends),
        constrains=list(entry.constrains),
    )


def _machine_records() -> dict[str, Any]:
    """This machine's virtual packages as records a MatchSpec can match."""
    import rattler

    from corral.conda.machine import machine_virtual_packages

    out = {}
    for name, version, build in machine_virtual_packages():  # with conda's CONDA_OVERRIDE_* semantics
        out[name] = rattler.PackageRecord(
            name=name, version=version, build=rattler.BuildString(build), build_number=0, subdir="noarch"
        )
    return out
