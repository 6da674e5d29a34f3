"""Where an environment lives: its stable link, its home of generations, its lock; finding them all."""

from __future__ import annotations

import os

from corral import layout
from corral.errors import EnvironmentExists, EnvironmentNotFound, UsageError
from corral.store.fsutil import read_json
from corral.values import frozen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from corral.settings import Settings

ENV_FILE = layout.ENV_FILE
PATHS_DIR = layout.PATHS
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")  # ASCII only
_NAME_START = _NAME_CHARS - {".", "_", "-"}


def valid_name(name: str) -> bool:
    """An environment name: 1-100 of ASCII letters, digits, '.', '_' and '-', starting with a letter or digit.

    Plain string tests, not a regular expression: rollback and run check a name and compile none.
    """
    return 0 < len(name) <= 100 and name[0] in _NAME_START and _NAME_CHARS.issuperset(name)


@frozen
class EnvRef:
    """An environment: `link` is the stable path users keep; `home` holds its generations.

    The paths are strings (rollback's path imports no pathlib): `Path(ref.home, "x")` where a Path helps.
    """

    name: str | None
    link: str
    home: str
    lock_file: str
    run_dir: str  # where the store notes running child processes (see store/children.py)

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
        return os.path.isfile(os.path.join(self.home, ENV_FILE))


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
        if not valid_name(name):
            raise UsageError(
                f"invalid environment name '{name}'",
                hint="use letters, digits, '.', '_' and '-', starting with a letter or digit",
            )
        return EnvRef(
            name=name,
            link=settings.store_path(layout.ENVS, name),
            home=settings.store_path(layout.GENERATIONS, name),
            lock_file=settings.store_path(layout.LOCKS, f"{name}.lock"),
            run_dir=settings.store_path(layout.RUN),
        )
    assert path is not None
    import hashlib

    link = os.path.abspath(os.path.expanduser(os.fspath(path)))
    digest = hashlib.sha256(link.encode()).hexdigest()[:12]
    slug = "".join(c if c in _NAME_CHARS else "_" for c in os.path.basename(link)) or "root"
    key = f"{slug}-{digest}"
    return EnvRef(
        name=None,
        link=link,
        home=settings.store_path(layout.GENERATIONS, PATHS_DIR, key),
        lock_file=settings.store_path(layout.LOCKS, f"{PATHS_DIR}-{key}.lock"),
        run_dir=settings.store_path(layout.RUN),
    )


def active_ref(settings: Settings, environ: Mapping[str, str]) -> EnvRef | None:
    """The corral environment this shell has activated (`corral activate` sets CONDA_PREFIX to its link), if any.

    conda acts on the active environment when a command gets no -n/-p; so does corral. A
    CONDA_PREFIX that is not a corral environment (a conda one) is not a default.
    """
    prefix = environ.get("CONDA_PREFIX", "")
    if not prefix or not os.path.isabs(prefix):
        return None
    folder, name = os.path.split(os.path.normpath(prefix))
    if folder == settings.store_path(layout.ENVS) and valid_name(name):
        ref = env_ref(settings, name=name)
    else:
        ref = env_ref(settings, path=prefix)
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
    if ref.name is None and os.path.lexists(ref.link):
        raise EnvironmentExists(
            f"{ref.link} already exists and is not a corral environment",
            hint="choose another path, or move that one away",
        )
    return ref


def all_envs(settings: Settings) -> Iterator[EnvRef]:
    """Every registered environment, named ones first, each sorted."""
    base = settings.store_path(layout.GENERATIONS)
    if not os.path.isdir(base):
        return
    for name in sorted(os.listdir(base)):
        if name.startswith((".", "_")) or not os.path.isfile(os.path.join(base, name, ENV_FILE)):
            continue
        yield env_ref(settings, name=name)
    paths = os.path.join(base, PATHS_DIR)
    if os.path.isdir(paths):
        for key in sorted(os.listdir(paths)):
            if os.path.isfile(os.path.join(paths, key, ENV_FILE)):
                yield env_ref(settings, path=read_json(os.path.join(paths, key, ENV_FILE))["path"])
