"""`corral doctor`: find what is wrong with an environment, name it, and repair it with a fresh generation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from corral.context import ChangeResult
from corral.doctor import checks
from corral.doctor.checks import Problem
from corral.errors import DamagedGeneration, DamagedHistory
from corral.lock.platforms import machine_platform
from corral.preflight import owned_extra_files
from corral.settings import Settings
from corral.store import generations as gens
from corral.store import history
from corral.store import prefix as pfx
from corral.store.envs import EnvRef, require_existing
from corral.values import frozen

CHECKS = (
    "broken-link",
    "damaged-record",
    "damaged-history",
    "missing-file",
    "modified-file",
    "edited-file",
    "unreadable-file",
    "untracked-file",
    "foreign-dist",
    "conda-dist-overwritten",
    "lock-drift",
    "inconsistent",
    "broken-symlink",
    "broken-entry-point",
    "cache-damage",
)


@frozen
class Diagnosis:
    """One environment's health: every problem found, and how many of each kind."""

    env: str
    path: str
    generation: int | None
    problems: tuple[Problem, ...]

    @property
    def healthy(self) -> bool:
        """True when nothing was found."""
        return not self.problems

    def counts(self) -> dict[str, int]:
        """Problems per check, every check listed (0 when clean)."""
        return {c: sum(1 for p in self.problems if p.check == c) for c in CHECKS}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: schema documented in the guide ("doctor --json")."""
        return {
            "env": self.env,
            "path": self.path,
            "generation": self.generation,
            "healthy": self.healthy,
            "counts": self.counts(),
            "problems": [p.to_dict() for p in self.problems],
        }


@frozen
class DoctorResult:
    """`corral doctor`: the diagnoses, and with --fix what was done and how each environment is after."""

    diagnoses: tuple[Diagnosis, ...]
    fixed: tuple[ChangeResult, ...] = ()
    actions: tuple[str, ...] = ()
    after: tuple[Diagnosis, ...] = ()

    @property
    def healthy(self) -> bool:
        """True when the environments are healthy (after the repair, when there was one)."""
        return all(d.healthy for d in (self.after or self.diagnoses))

    @property
    def exit_code(self) -> int:
        """0 healthy, 1 problems found (or left after a repair)."""
        return 0 if self.healthy else 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "healthy": self.healthy,
            "environments": [d.to_dict() for d in self.diagnoses],
            "actions": list(self.actions),
            "fixed": [r.to_dict() for r in self.fixed],
            "after": [d.to_dict() for d in self.after],
        }


def diagnose(settings: Settings, ref: EnvRef) -> Diagnosis:
    """Run every check on the environment's current generation."""
    from corral.context import env_label
    from corral.pypi import dists as pydists
    from corral.pypi.resolve import conda_provided

    require_existing(ref)
    label = env_label(ref)
    problems: list[Problem] = []
    try:
        history.read(ref)
    except DamagedHistory as exc:
        problems.append(Problem("damaged-history", "", exc.details[0], exc.message))
    current = gens.current_generation(ref)
    if current is None:
        target = _link_target(ref)
        problem = Problem(
            "broken-link", "", str(ref.link), f"points to {target or 'nothing'}, not a finished generation"
        )
        return Diagnosis(label, str(ref.link), None, (*problems, problem))
    prefix = Path(gens.generation_dir(ref, current))
    try:
        record = gens.read_record(ref, current)
    except DamagedGeneration as exc:
        problem = Problem("damaged-record", "", str(prefix / pfx.GENERATION_FILE), exc.message)
        return Diagnosis(label, str(ref.link), current, (*problems, problem))
    try:
        records = pfx.read_records(prefix)
    except DamagedGeneration as exc:  # a conda-meta record: the generation's own record still holds the lock
        problem = Problem("damaged-record", "", exc.details[0], exc.message)
        return Diagnosis(label, str(ref.link), current, (*problems, problem))
    hasher = checks.Hasher()
    installed = pydists.installed(prefix)
    provided = conda_provided(prefix, records) if records else {}
    ours = record.pypi_names()
    conda_names, conda_infos = checks.conda_dist_infos(records)
    problems += checks.conda_files(prefix, records, hasher)
    problems += checks.pypi_files(prefix, [d for d in installed if d.name in ours], hasher)
    untracked = pfx.find_untracked(prefix, owned_extra_files(prefix, record))
    problems += checks.foreign(prefix, untracked, installed, ours, conda_names, conda_infos)
    problems += checks.lock_drift(records, record.locked, [d for d in installed if d.name not in provided], provided)
    problems += checks.consistency(records, machine_platform())
    problems += checks.links(prefix, records, (str(ref.link),))
    problems += checks.cache_files(records, hasher)
    problems += checks.hand_edits(settings, prefix, record, problems)
    problems += _shared_damage(settings, prefix, problems)
    return Diagnosis(label, str(ref.link), current, tuple(_unique(problems)))


def _link_target(ref: EnvRef) -> str:
    try:
        return os.readlink(ref.link)
    except OSError:
        return ""


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for problem in problems:
        key = (problem.check, problem.package, problem.path)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


def _shared_damage(settings: Settings, prefix: Path, problems: list[Problem]) -> list[Problem]:
    """A modified file that is a hardlink of a cache file damaged the cache and every environment linking it."""
    modified = [p for p in problems if p.check == "modified-file"]
    if not modified:
        return []
    from corral.store import disk

    found = disk.scan(settings)
    out = []
    for problem in modified:
        try:
            st = os.lstat(prefix / problem.path)
        except OSError:
            continue
        inode = found.inodes.get((st.st_dev, st.st_ino))
        if inode is None:
            continue
        caches = sorted(o for o in inode.owners if o[0] in ("conda-pkg", "pypi-archive"))
        if not caches:
            continue
        envs = sorted({found.labels.get(o[1], o[1]) + f" (generation {o[2]})" for o in inode.owners if o[0] == "gen"})
        where = "conda package cache" if caches[0][0] == "conda-pkg" else "PyPI wheel cache"
        out.append(
            Problem(
                "cache-damage",
                problem.package,
                problem.path,
                f"the file is a hardlink of the {where} entry {caches[0][1]}: the edit changed it for every"
                " environment that links it",
                tuple(envs),
            )
        )
    return out


def diagnose_many(settings: Settings, refs: list[EnvRef]) -> DoctorResult:
    """`corral doctor` of one or all environments."""
    return DoctorResult(tuple(diagnose(settings, r) for r in refs))
