"""`corral export`: a generation (or a lock) as environment.yml, requirements.txt, explicit, pylock.toml, locks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.context import env_label, require_current
from corral.errors import (
    CorralError,
    NothingToDo,
    UsageError,
)
from corral.settings import Settings
from corral.store import generations as gens
from corral.store import prefix as pfx
from corral.store.envs import EnvRef, require_existing
from corral.values import frozen


@frozen
class Exported:
    """`corral export`: the file's text, and where it was written (empty: standard output)."""

    env: str
    format: str
    text: str
    output: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"env": self.env, "format": self.format, "text": self.text, "output": self.output}


def export(
    settings: Settings,
    ref: EnvRef,
    format: str,
    *,
    from_history: bool = False,
    no_builds: bool = False,
    output: str = "",
    digest: str = "md5",
) -> Exported:
    """Write the current generation as an environment.yml, requirements.txt or explicit file."""
    from corral.specs import export as writers

    require_existing(ref)
    number = require_current(ref)
    prefix = Path(gens.generation_dir(ref, number))
    record = gens.read_record(ref, number)
    records = writers.sort_records(pfx.read_records(prefix))
    env = writers.Exportable(
        name=ref.name or "",
        spec=record.spec,
        records=records,
        pins=tuple(_pin(e) for e in sorted(record.locked.pypi, key=lambda e: e.name)),
        python=record.python.version if record.python else "",
        platform=_platform_of(records),
    )
    if format == "environment.yml":
        text = writers.environment_yml(env, from_history=from_history, no_builds=no_builds)
    elif format == "requirements.txt":
        text = writers.requirements_txt(env, from_history=from_history)
    elif format == "pylock.toml":
        text = _pylock(settings, ref, env, from_history or no_builds)
    elif format == "explicit":
        if from_history or no_builds:
            raise UsageError("--from-history and --no-builds do not apply to explicit files", hint="drop them")
        if not records:
            raise NothingToDo(
                f"{ref.label} holds no conda packages, so an explicit file would be empty",
                hint="export --format requirements.txt for its PyPI packages",
            )
        text = writers.explicit(env, digest)
    elif format == "spec-list":
        if from_history or no_builds:
            raise UsageError("--from-history and --no-builds do not apply to spec lists", hint="drop them")
        text = writers.spec_list(env)
    else:
        raise UsageError(f"unknown export format '{format}'", hint=f"choose one of: {', '.join(writers.FORMATS)}")
    return _exported(env_label(ref), format, text, output)


def export_lock(
    settings: Settings, reporter: Any, ref: EnvRef | None, lock_path: str, format: str, platform: str, output: str
) -> Exported:
    """An export made from a lock: an environment's (its generation's lock) or a corral.lock file's."""
    from corral.locks import export_lock as make_text

    text = make_text(settings, reporter, ref, lock_path, format, platform)
    return _exported(env_label(ref) if ref is not None else lock_path, format, text, output)


def _exported(env: str, format: str, text: str, output: str) -> Exported:
    from corral.store.fsutil import atomic_write_text

    if output:
        try:
            atomic_write_text(Path(output), text)
        except OSError as exc:
            raise CorralError(
                f"cannot write {output}: {exc.strerror}", hint="choose a writable path with -o, or omit -o"
            ) from exc
    return Exported(env, format, text, str(Path(output).resolve()) if output else "")


def _pin(entry: Any) -> dict[str, str]:
    """A PyPI entry as the export writers take it."""
    return {"name": entry.name, "version": entry.version, "url": entry.direct, "editable": entry.editable}


def _pylock(settings: Settings, ref: EnvRef, env: Any, bad_flags: bool) -> str:
    """The PyPI side as PEP 751 pylock.toml, written from the artifacts the generation recorded."""
    from corral.lock.pypi import pylock_text
    from corral.locks import generation_lock
    from corral.reporting import NullReporter

    if bad_flags:
        raise UsageError("--from-history and --no-builds do not apply to pylock.toml", hint="drop them")
    if not env.pins:
        raise NothingToDo(
            f"{env.name or 'the environment'} holds no PyPI packages, so a pylock.toml would be empty",
            hint="export --format environment.yml or explicit for its conda packages",
        )
    section = generation_lock(settings, ref, NullReporter()).platforms[0]
    conda = ", ".join(f"{r['name']} {r['version']}" for r in env.records)
    head = f"# PyPI packages of {env.name or 'the environment'} (corral export --format pylock.toml)\n"
    if conda:
        head += f"# conda packages (not in this file; export --format environment.yml for them): {conda}\n"
    return head + pylock_text(section.pypi, section.python)


def _platform_of(records: Sequence[Any]) -> str:
    """The platform of a set of records: the first non-noarch subdir."""
    return next((str(r["subdir"]) for r in records if r.get("subdir") not in ("noarch", None)), "noarch")
