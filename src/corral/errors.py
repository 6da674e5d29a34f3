"""One hierarchy of errors: a message, a hint, a stable code and an exit code."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it (~3 ms)
    from typing import Any


class CorralError(Exception):
    """An error a user can act on. The CLI renders it without a traceback."""

    code = "corral-error"
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-ready mapping (the `--json` form)."""
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "details": self.details,
            "exit_code": self.exit_code,
        }


class UsageError(CorralError):
    """The command line itself is wrong."""

    code = "usage"
    exit_code = 2


class ConfigError(CorralError):
    """A configuration file or variable cannot be used."""

    code = "config"


class SpecError(CorralError):
    """A package spec string cannot be parsed."""

    code = "bad-spec"


class EnvFileError(SpecError):
    """An environment or requirements file cannot be read: the message names the file, line and column."""

    code = "bad-env-file"


class EnvironmentNotFound(CorralError):
    """No environment by that name or path."""

    code = "env-not-found"


class EnvironmentExists(CorralError):
    """An environment by that name or path already exists."""

    code = "env-exists"


class PackageNotFound(CorralError):
    """A requested package is in none of the channels."""

    code = "package-not-found"


class Unsatisfiable(CorralError):
    """The request has no solution."""

    code = "unsatisfiable"


class SolveLimitExceeded(CorralError):
    """The solver ran past its time or memory bound."""

    code = "solve-limit"


class ChannelError(CorralError):
    """A channel cannot be read."""

    code = "channel"


class InstallError(CorralError):
    """Packages could not be downloaded, extracted or linked."""

    code = "install"


class VerificationError(CorralError):
    """A new generation is incomplete; it was not switched to."""

    code = "verification"


class LockTimeout(CorralError):
    """Another corral process holds the environment's lock for too long."""

    code = "lock-timeout"


class UntrackedChanges(CorralError):
    """The current generation holds files corral did not install."""

    code = "untracked-files"


class NothingToDo(CorralError):
    """The request names nothing that can be done (e.g. removing what is not installed)."""

    code = "nothing-to-do"


class GenerationNotFound(CorralError):
    """A generation asked for does not exist (or was garbage-collected)."""

    code = "generation-not-found"


class Aborted(CorralError):
    """The user declined the plan."""

    code = "aborted"


class InterpreterNotFound(CorralError):
    """No Python interpreter on the machine matches `--python`."""

    code = "python-not-found"


class PypiError(CorralError):
    """uv could not resolve or install the PyPI side (unknown package, no matching version, index error)."""

    code = "pypi"


class PypiConflict(CorralError):
    """A PyPI requirement needs another version of a distribution a conda package provides."""

    code = "pypi-conflict"


class BuildError(CorralError):
    """A source distribution or local project could not be built."""

    code = "build-failed"


class LockError(CorralError):
    """A lock file cannot be used: damaged, edited by hand, or without the platform asked for."""

    code = "bad-lock"


class StaleLock(CorralError):
    """`corral lock --check`: the lock was made from another request than the files give now."""

    code = "stale-lock"


class IncompleteChange(CorralError):
    """The environment was switched to its new generation, but a later step (history) failed."""

    code = "incomplete-change"


class DamagedGeneration(CorralError):
    """A generation's own record (generation.json) cannot be read: corral will not guess what it holds."""

    code = "damaged-generation"


class DamagedHistory(CorralError):
    """An environment's history.json cannot be read: refused, since recovery decides from it what to delete."""

    code = "damaged-history"


class LinkScriptError(CorralError):
    """A package's link script failed, or link scripts were refused by the settings."""

    code = "link-script"


class PathConflictError(CorralError):
    """Conda packages ship the same paths in a way the settings (or the filesystem) do not allow."""

    code = "path-conflict"


class UnsafePackage(CorralError):
    """A package archive would write outside its place (absolute paths, .., conda-meta, escaping links)."""

    code = "unsafe-package"


def no_space(where: str) -> CorralError:
    """The error for a full disk during a change: what happened, where, and how to make room."""
    return CorralError(
        f"no space left on the disk of {where}; the environment was not changed",
        hint="see what takes the space with `corral du`, free it with `corral clean` (or `clean --all`),"
        " or move the store to a larger disk with CORRAL_ROOT",
    )
