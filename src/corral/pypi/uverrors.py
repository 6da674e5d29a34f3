"""uv's error output read into one corral error: what failed, uv's reasons as details, and the hint that fits."""

from __future__ import annotations

import re

from corral.errors import (
    BuildError,
    ChannelError,
    CorralError,
    PackageNotFound,
    PypiError,
    Unsatisfiable,
    no_space,
)
from corral.models import PypiIndex
from corral.redact import redact

_NOT_CACHED = re.compile(r"\b(\S+) was not found in the cache")
_NOT_FOUND = re.compile(r"\b(\S+) was not found in the (?:package registry|provided package locations)")


def _condense_build_output(details: list[str]) -> list[str]:
    """Keep the build backend's last line (its error) instead of its whole traceback."""
    if "[stderr]" not in details:
        return details
    start = details.index("[stderr]")
    rest = details[start + 1 :]
    end = next((i for i, line in enumerate(rest) if line.startswith("hint:")), len(rest))
    output = [line for line in rest[:end] if line]
    return [*details[:start], *(f"build output: {line}" for line in output[-1:]), *rest[end:]]


def translate_error(stderr: str, index: PypiIndex) -> CorralError:
    """uv's error output as one corral error: a message, uv's reasons as details, and a hint."""
    lines = [redact(line.rstrip()) for line in stderr.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("error:")), 0)
    body = lines[start:] or ["uv failed without a message"]
    message = body[0].strip().removeprefix("error:").strip()
    details = [line.strip().removeprefix("cause:").strip() for line in body[1:]]
    text = "\n".join(body)
    where = "the given index" if (index.index_url or index.no_index or index.find_links) else "PyPI"
    if "Failed to build" in text or "build backend" in text:
        return BuildError(
            f"building a PyPI package failed: {message}",
            hint="fix the project's build (its backend's error is above), or require a version that has a wheel"
            " for this platform",
            details=_condense_build_output(details)[:30],
        )
    details = details[:30]
    if "No space left on device" in text:
        error = no_space("the store (uv's cache or the new generation)")
        error.details = details
        return error
    uncached = _NOT_CACHED.search(text)
    if uncached or "network was disabled" in text:
        what = f"PyPI package '{uncached.group(1)}' is" if uncached else "some PyPI packages are"
        return PackageNotFound(
            f"{what} not in the cache, and --offline forbids downloading",
            hint="run the command once without --offline to download it; `corral clean --all` keeps only what"
            " environments use",
            details=details,
        )
    missing = _NOT_FOUND.search(text)
    if missing:
        return PackageNotFound(
            f"PyPI package '{missing.group(1)}' was not found on {where}",
            hint="check the spelling (PyPI names, e.g. scikit-learn), or add an index with --index-url,"
            " --extra-index-url or --find-links",
            details=details,
        )
    if "No solution found" in text:
        return Unsatisfiable(
            "the PyPI requests cannot be satisfied together",
            hint="relax a version requirement; uv's explanation is above",
            details=details,
        )
    if any(word in text for word in ("Failed to fetch", "error sending request", "dns error", "Could not connect")):
        return ChannelError(
            f"cannot reach {where}: {message}",
            hint="check the network and the index URL, or pass --offline to use what is cached",
            details=details,
        )
    if "no wheels with a matching" in text or "no source distribution" in text.lower():
        return PypiError(
            f"no installable file for this platform: {message}",
            hint="require another version, or one that publishes a wheel for this platform and Python",
            details=details,
        )
    return PypiError(f"uv failed: {message}", hint="the reasons uv gave are listed above", details=details)
