"""Where an environment lives: its stable link, its home of generations, its lock; finding them all."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from corral import layout
from corral.errors import EnvironmentExists, EnvironmentNotFound, UsageError
from corral.regex import Lazy
from corral.settings import Settings
from corral.store.fsutil import read_json
from corral.values import frozen

_NAME = Lazy(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
ENV_FILE = layout.ENV_FILE
PATHS_DIR = layout.PATHS


@frozen
class EnvRef:
    """An environment: `link` is the stable path users keep; `home` holds its generations."""

    name: str | None
    link: Path
    home: Path
    lock_file: Path
    run_dir: Path  # where the store notes running child processes (see store/children.py)

    @property
    def label(self) -> str:
        """How messages name it."""
        return f"environment '{self.name}'" if self.name else f"environment at {self.link}"

    @property
    def flag(self) -> str:
        """The command-line option that selects it."""
        return f"-n {self.name}" if self.name else f"-p {self.link}"

    def exists(self) -> bool:
        """True once the environment has been created (its registration file is there)."""
        return (self.home / ENV_FILE).is_file()


def env_ref(
    settings: Settings, name: str | None = None, path: str | os.PathLike[str] | None = None, command: str = "list"
) -> EnvRef:
    """The EnvRef for `-n NAME` or `-p PATH` (exactly one of them); `command` names the command in the hint."""
    if (name is None) == (path is None):
        if command in ("create", "env create"):  # a new environment: an active one is no answer
            raise UsageError(
                "name the new environment with -n NAME or -p PATH",
                hint=f"e.g. corral {command} -n ml python=3.12 numpy",
            )
        raise UsageError(
            "name the environment with -n NAME or -p PATH (no corral environment is active)",
            hint=f"e.g. corral {command} -n ml, or activate one first (corral activate ml)",
        )
    if name is not None:
        if not _NAME.match(name):
            raise UsageError(
                f"invalid environment name '{name}'",
                hint="use letters, digits, '.', '_' and '-', starting with a letter or digit",
            )
        return EnvRef(
            name=name,
            link=settings.envs_dir / name,
            home=settings.generations_dir / name,
            lock_file=settings.locks_dir / f"{name}.lock",
            run_dir=settings.run_dir,
        )
    assert path is not None
    import hashlib

    link = Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
    digest = hashlib.sha256(str(link).encode()).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9._-]", "_", link.name) or "root"
    key = f"{slug}-{digest}"
    return EnvRef(
        name=None,
        link=link,
        home=settings.generations_dir / PATHS_DIR / key,
        lock_file=settings.locks_dir / f"{PATHS_DIR}-{key}.lock",
        run_dir=settings.run_dir,
    )


def active_ref(settings: Settings, environ: Mapping[str, str]) -> EnvRef | None:
    """The corral environment this shell has activated (`corral activate` sets CONDA_PREFIX to its link), if any.

    conda acts on the active environment when a command gets no -n/-p; so does corral. A
    CONDA_PREFIX that is not a corral environment (a conda one) is not a default.
    """
    prefix = environ.get("CONDA_PREFIX", "")
    if not prefix or not os.path.isabs(prefix):
        return None
    link = Path(prefix)
    if link.parent == settings.envs_dir and _NAME.match(link.name):
        ref = env_ref(settings, name=link.name)
    else:
        ref = env_ref(settings, path=link)
    return ref if ref.exists() else None


def require_existing(ref: EnvRef) -> EnvRef:
    """Raise EnvironmentNotFound unless the environment exists."""
    if not ref.exists():
        raise EnvironmentNotFound(
            f"{ref.label} does not exist",
            hint="see `corral env list`, or create it with `corral create " + ref.flag + " PACKAGE...`",
        )
    return ref


def require_absent(ref: EnvRef) -> EnvRef:
    """Raise EnvironmentExists if the name or path is taken."""
    if ref.exists():
        raise EnvironmentExists(
            f"{ref.label} already exists",
            hint=f"change it with `corral install {ref.flag} ...`, or remove it first with"
            f" `corral env remove {ref.flag}`",
        )
    if ref.name is None and (ref.link.exists() or ref.link.is_symlink()):
        raise EnvironmentExists(
            f"{ref.link} already exists and is not a corral environment",
            hint="choose another path, or move that one away",
        )
    return ref


def all_envs(settings: Settings) -> Iterator[EnvRef]:
    """Every registered environment, named ones first, each sorted."""
    base = settings.generations_dir
    if not base.is_dir():
        return
    for home in sorted(base.iterdir()):
        if home.name.startswith((".", "_")) or not (home / ENV_FILE).is_file():
            continue
        yield env_ref(settings, name=home.name)
    paths = base / PATHS_DIR
    if paths.is_dir():
        for home in sorted(paths.iterdir()):
            if (home / ENV_FILE).is_file():
                yield env_ref(settings, path=read_json(home / ENV_FILE)["path"])
