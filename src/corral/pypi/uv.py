"""The only place that runs uv: argv lists, a clean child environment, errors translated for users."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from corral.errors import CorralError, PypiError
from corral.models import PypiIndex, pypi_name
from corral.pypi.uvnet import network_arguments, network_environment
from corral.redact import has_credentials
from corral.reporting import Reporter
from corral.settings import Settings
from corral.store import children
from corral.values import frozen

# Variables that would make uv act on another environment or configuration than the one given.
_STRIPPED_PREFIXES = ("UV_", "VIRTUAL_ENV", "CONDA_", "PYTHON", "PIP_")


@frozen
class Pin:
    """One distribution of a PyPI resolution: `name==version`, a direct URL, or an editable project."""

    name: str  # normalized
    version: str = ""
    url: str = ""  # direct reference (name @ url)
    editable: str = ""  # absolute project path

    def requirement(self) -> str:
        """The line uv installs it from."""
        if self.editable:
            return f"-e {self.editable}"
        if self.url:
            return f"{self.name} @ {self.url}"
        return f"{self.name}=={self.version}"


@functools.cache
def uv_binary() -> str:
    """The uv executable shipped by the pinned `uv` wheel (looked up once: the lookup is not thread-safe)."""
    try:
        from uv import find_uv_bin
    except ImportError as exc:  # pragma: no cover - uv is a declared dependency
        raise CorralError("the uv package is not installed", hint="reinstall corral: pip install corral") from exc
    return str(find_uv_bin())


def managed_python_dirs() -> list[Path]:
    """Installation directories of the interpreters uv manages (`uv python install`), without running uv."""
    base = os.environ.get("UV_PYTHON_INSTALL_DIR")
    root = Path(base) if base else Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "uv"
    root = root if base else root / "python"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(("cpython-", "pypy-")))


def child_environment() -> dict[str, str]:
    """os.environ without what would redirect uv (UV_*, VIRTUAL_ENV, CONDA_*, PYTHON*, PIP_*)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_STRIPPED_PREFIXES)}


class Uv:
    """uv pip compile / install against one interpreter, with corral's cache and no user configuration."""

    def __init__(self, settings: Settings, reporter: Reporter) -> None:
        self.settings = settings
        self.reporter = reporter

    def compile(
        self,
        python: Path,
        requirements: Sequence[str],
        editables: Sequence[str],
        constraints: Sequence[str],
        index: PypiIndex,
        preferences: Sequence[Pin] = (),
        upgrade: Sequence[str] | None = (),
        excludes: Sequence[str] = (),
    ) -> list[Pin]:
        """Resolve the requests for `python`; `preferences` keep earlier versions unless named in `upgrade`.

        `upgrade=None` lets every package move to its newest allowed version; `excludes` names are left
        out of the resolution (they are provided otherwise).
        """
        with self._scratch() as tmp:
            folder = Path(tmp)
            output = folder / "resolved.txt"
            output.write_text("".join(f"{p.requirement()}\n" for p in preferences))
            args = ["pip", "compile", _file(folder, "requirements.in", _request_lines(requirements, editables))]
            args += ["--output-file", str(output), "--no-header", "--no-annotate"]
            args += _optional(folder, "constraints.txt", constraints, "--constraints")
            args += _optional(folder, "excludes.txt", excludes, "--excludes")
            if upgrade is None:
                args.append("--upgrade")
            else:
                for name in upgrade:
                    args += ["--upgrade-package", name]
            self._run(args, python, index, "Resolving PyPI packages")
            return parse_pins(output.read_text())

    def dry_run(self, python: Path, pins: Sequence[Pin], constraints: Sequence[str], index: PypiIndex) -> list[Any]:
        """What installing `pins` with their dependencies would change in the environment of `python` (uv's JSON)."""
        with self._scratch() as tmp:
            folder = Path(tmp)
            args = ["pip", "install", "--dry-run", "--output-format", "json"]
            args += ["-r", _file(folder, "pins.txt", [p.requirement() for p in pins])]
            args += _optional(folder, "constraints.txt", constraints, "--constraints")
            out = self._run(args, python, index, "Checking the PyPI packages against the conda packages")
        try:
            return list(json.loads(out).get("changes", []))
        except ValueError as exc:
            raise PypiError("uv's dry run gave no readable plan", details=[out[:500]]) from exc

    def pylock(self, python: Path, pins: Sequence[Pin], index: PypiIndex) -> str:
        """A PEP 751 pylock.toml of exactly `pins` for `python`: uv looks up each artifact's URL and hash."""
        with self._scratch() as tmp:
            folder = Path(tmp)
            output = folder / "pylock.toml"
            args = ["pip", "compile", _file(folder, "pins.txt", [p.requirement() for p in pins]), "--no-deps"]
            args += ["--format", "pylock.toml", "--output-file", str(output), "--no-header"]
            self._run(args, python, index, "Looking up the PyPI artifacts")
            return output.read_text()

    def lock(
        self,
        python: Path,
        target: tuple[str, str] | None,
        requests: tuple[Sequence[str], Sequence[str], Sequence[str]],
        index: PypiIndex,
        excludes: Sequence[str] = (),
        preferences: Sequence[tuple[str, str]] = (),
        upgrade: Sequence[str] | None = (),
    ) -> str:
        """A pylock.toml resolution of `requests` (requirements, editables, constraints).

        `target` is (uv's --python-platform, --python-version) of another machine, or None for
        the interpreter `python` itself; uv lists, for each package, the wheels that fit the
        target and its sdist, with URLs and hashes. `preferences` (name, version) are kept where
        they still fit, except the names in `upgrade` (None: every package may move).
        """
        requirements, editables, constraints = requests
        with self._scratch() as tmp:
            folder = Path(tmp)
            output = folder / "pylock.toml"
            if preferences:  # uv keeps the versions of an existing output file where they still fit
                kept = [f'[[packages]]\nname = "{n}"\nversion = "{v}"\n' for n, v in preferences]
                output.write_text('lock-version = "1.0"\ncreated-by = "corral"\n\n' + "\n".join(kept))
            args = ["pip", "compile", _file(folder, "requirements.in", _request_lines(requirements, editables))]
            args += ["--format", "pylock.toml", "--output-file", str(output), "--no-header"]
            if target is not None:
                args += ["--python-platform", target[0], "--python-version", target[1]]
            args += _optional(folder, "constraints.txt", constraints, "--constraints")
            args += _optional(folder, "excludes.txt", excludes, "--excludes")
            if upgrade is None:
                args.append("--upgrade")
            else:
                for name in upgrade:
                    args += ["--upgrade-package", name]
            where = f" for {target[0]}" if target is not None else ""
            self._run(args, python, index, f"Resolving PyPI packages{where}")
            return output.read_text()

    def install_exact(
        self,
        python: Path,
        hashed: Sequence[str],
        plain: Sequence[str],
        editables: Sequence[str],
        index: PypiIndex,
        allow_build: bool,
    ) -> None:
        """Install exact artifacts into the environment of `python`, with no dependency resolution.

        `hashed` lines (`name @ URL --hash=sha256:...`) are installed with every hash required (and
        nothing built unless `allow_build`); `plain` lines are direct references no hash can pin
        (a VCS URL at a commit, or a version recorded before artifacts were); `editables` are the
        user's own projects, installed last.
        """
        with self._scratch() as tmp:
            if hashed:
                args = ["pip", "install", "--no-deps", "--require-hashes", "--link-mode", "hardlink"]
                args += ["-r", _file(Path(tmp), "locked.txt", hashed)]
                if not allow_build:
                    args.append("--no-build")
                with self._counted("Installing PyPI packages", len(hashed)):
                    if self.settings.offline:
                        self._run(args, python, index, "")
                    else:
                        # Artifacts pinned by sha256 cannot change, so uv's cache is tried first without asking
                        # the index whether its copies are fresh (100-200 ms saved here); anything missing
                        # from the cache is then fetched in the normal run.
                        try:
                            self._run([*args, "--offline"], python, index, "")
                        except CorralError:
                            self._run(args, python, index, "")
            if plain:
                args = ["pip", "install", "--no-deps", "--link-mode", "hardlink"]
                args += ["-r", _file(Path(tmp), "direct.txt", plain)]
                with self._counted("Installing direct references", len(plain)):
                    self._run(args, python, index, "")
            if editables:
                args = ["pip", "install", "--no-deps", "--link-mode", "hardlink"]
                args += ["-r", _file(Path(tmp), "editables.txt", [f"-e {e}" for e in editables])]
                with self._counted("Installing editable projects", len(editables)):
                    self._run(args, python, index, "")

    @contextlib.contextmanager
    def _counted(self, label: str, count: int) -> Iterator[None]:
        """A counted task around uv runs: uv reports nothing while it works, so it is done all at once."""
        self.reporter.start(label, count)
        try:
            yield
            self.reporter.advance(count)
        finally:
            self.reporter.finish()

    def _scratch(self) -> tempfile.TemporaryDirectory[str]:
        """A scratch folder for uv's input files, inside the store (a killed run's is removed by `clean`)."""
        self.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryDirectory(prefix=f"corral-uv-{os.getpid()}-", dir=self.settings.tmp_dir)

    def _run(self, args: list[str], python: Path, index: PypiIndex, status: str) -> str:
        argv = [uv_binary(), *args, *self._common(python, index)]
        if status:
            self.reporter.status(status)
        try:
            env = {**child_environment(), **index_environment(index), **network_environment(self.settings)}
            done = children.run(argv, env, self.settings.run_dir, tick=self.reporter.tick)
        except OSError as exc:
            raise PypiError(f"cannot run uv: {exc}", hint="reinstall corral, which ships uv") from exc
        if done.returncode != 0:
            from corral.pypi.uverrors import translate_error

            raise translate_error(done.stderr, index)
        return done.stdout

    def _common(self, python: Path, index: PypiIndex) -> list[str]:
        args = [
            "--python",
            str(python),
            "--no-config",
            "--no-python-downloads",
            "--cache-dir",
            str(self.settings.pypi_cache),
            "--quiet",
        ]
        if self.settings.offline:
            args.append("--offline")
        return args + network_arguments(self.settings, index) + index_arguments(index)


def index_arguments(index: PypiIndex) -> list[str]:
    """uv's index options for the URLs without credentials; the others go through index_environment."""
    args: list[str] = []
    if index.no_index:
        args.append("--no-index")
    elif index.index_url and not has_credentials(index.index_url):
        args += ["--index-url", index.index_url]
    if not any(has_credentials(u) for u in index.extra_index_urls):
        for url in index.extra_index_urls:
            args += ["--extra-index-url", url]
    if not any(has_credentials(u) for u in index.find_links):
        for link in index.find_links:
            args += ["--find-links", link]
    return args


def index_environment(index: PypiIndex) -> dict[str, str]:
    """Index URLs that carry a password, for uv's environment: a child's argv is public (`ps`), its
    environment readable only by its owner (/proc/PID/environ). uv 0.13 reads UV_INDEX_URL, and
    UV_EXTRA_INDEX_URL and UV_FIND_LINKS as space- and comma-separated lists; a list goes whole
    (an option given on the command line would replace its variable), in its order.
    """
    env: dict[str, str] = {}
    if not index.no_index and index.index_url and has_credentials(index.index_url):
        env["UV_INDEX_URL"] = index.index_url
    if any(has_credentials(u) for u in index.extra_index_urls):
        env["UV_EXTRA_INDEX_URL"] = " ".join(index.extra_index_urls)
    if any(has_credentials(u) for u in index.find_links):
        env["UV_FIND_LINKS"] = ",".join(index.find_links)
    return env


def _request_lines(requirements: Sequence[str], editables: Sequence[str]) -> list[str]:
    return [*requirements, *(f"-e {e}" for e in editables)]


def _file(folder: Path, name: str, lines: Sequence[str]) -> str:
    """Write `lines` to folder/name; return its path."""
    path = folder / name
    path.write_text("".join(f"{line}\n" for line in lines))
    return str(path)


def _optional(folder: Path, name: str, lines: Sequence[str], flag: str) -> list[str]:
    """`[flag, file of lines]`, or nothing when there are no lines."""
    return [flag, _file(folder, name, lines)] if lines else []


def parse_pins(text: str) -> list[Pin]:
    """The distributions of a `uv pip compile` output (no header, no annotations)."""
    pins = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith("#") or line.startswith("--"):
            continue
        if line.startswith("-e "):
            target = line[3:].strip()
            path = target.removeprefix("file://") if target.startswith("file://") else target
            pins.append(Pin(name=project_name(Path(path)), editable=str(Path(path).resolve())))
        elif " @ " in line:
            name, url = line.split(" @ ", 1)
            pins.append(Pin(name=pypi_name(name), url=url.split(";", 1)[0].strip()))
        elif "==" in line:
            name, version = line.split("==", 1)
            pins.append(Pin(name=pypi_name(name), version=version.split(";", 1)[0].strip()))
    return pins


def project_name(path: Path) -> str:
    """The [project] name of a local project (for editables), or the folder name."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path / "pyproject.toml", "rb") as handle:
            name = tomllib.load(handle).get("project", {}).get("name")
    except (OSError, ValueError):
        name = None
    return pypi_name(str(name or path.name))
