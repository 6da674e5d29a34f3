"""Solver and fetch errors a user can act on: what is missing (every absent package at once, with the
closest names), which virtual package the machine lacks, an unreachable or slow channel."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from corral.channels import channel_display
from corral.errors import ChannelError, CorralError, PackageNotFound, SolveLimitExceeded, Unsatisfiable
from corral.models import spec_name
from corral.settings import Settings

_NO_CANDIDATES = re.compile(r"No candidates were found for ([^\s]+)(?: (.*?))?\.\s*$", re.M)


async def explain(
    exc: Exception,
    specs: Sequence[str],
    channels: Any,
    platforms: Any,
    gateway: Any,
    timeout: float,
    target: tuple[Sequence[tuple[str, str, str]], str | None],
) -> CorralError:
    """Turn a SolverError into PackageNotFound or Unsatisfiable with the solver's reasoning.

    `target` is the virtual packages solved against and the lock platform they stand for (None: this machine).
    """
    text = str(exc)
    if "cancelled" in text.lower() or "timed out" in text.lower():
        return SolveLimitExceeded(
            f"the solver did not finish within {timeout:g} s and was stopped; nothing was changed",
            hint="pin the versions of the main packages to narrow the search, or raise the bound with"
            " CORRAL_SOLVE_TIMEOUT=SECONDS",
        )
    virtual = _explain_virtual(text, *target)
    if virtual is not None:
        return virtual
    match = _NO_CANDIDATES.search(text)
    channel_list = ", ".join(channel_display(str(c.base_url)) for c in channels)
    if match:
        name = match.group(1)
        names = {n.normalized for n in await gateway.names(channels, platforms)}
        absent = await _absent(specs, names, channels, platforms, gateway)
        if len(absent) > 1:
            return _absent_error(absent, channel_list)
        if absent:  # the one requested package at fault, whichever name the solver's text starts with
            name = spec_name(absent[0][0])
        if name not in names:
            import difflib

            close = difflib.get_close_matches(name, sorted(names), n=3)
            channel_hint = "add the channel that has it with -c CHANNEL"
            hint = f"did you mean {' or '.join(close)}? If not, {channel_hint}" if close else None
            return PackageNotFound(
                f"package '{name}' is not in the channels ({channel_list})",
                hint=hint or f"check the spelling, or {channel_hint}",
            )
        records = await gateway.query(channels, platforms, [name], recursive=False)
        versions = sorted({str(r.version) for group in records for r in group}, key=version_key)
        requested = next((s for s in specs if spec_name(s) == name), name)
        if name in {spec_name(s) for s in specs}:
            return Unsatisfiable(
                f"no version of '{name}' matches '{requested}' in the channels ({channel_list})",
                hint=f"available versions: {', '.join(versions[-10:])}",
            )
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("Cannot solve the request because of:"):
        lines[0] = lines[0].split(":", 1)[1].strip()
    return Unsatisfiable(
        "the requested packages cannot be installed together",
        hint="relax or remove one of the conflicting requests shown above",
        details=[line for line in lines if line],
    )


async def _absent(
    specs: Sequence[str], names: set[str], channels: Any, platforms: Any, gateway: Any
) -> list[tuple[str, str]]:
    """Every requested spec that nothing in the channels matches, with what to say about it.

    As conda does (conda/core/solve.py `_run_sat`: `absent_specs` -> PackagesNotFoundInChannelsError),
    all of them are named at once, not the first the solver stumbled on.
    """
    from rattler import MatchSpec

    requested = [s for s in specs if not spec_name(s).startswith("__")]
    present = sorted({spec_name(s) for s in requested} & names)
    groups = await gateway.query(channels, platforms, present, recursive=False) if present else []
    records = [r for group in groups for r in group]
    out = []
    for spec in requested:
        name = spec_name(spec)
        if name not in names:
            import difflib

            close = difflib.get_close_matches(name, sorted(names), n=3)
            guess = f"did you mean {', '.join(close)}?" if close else "check the spelling"
            out.append((spec, f"not in the channels; {guess}"))
            continue
        matcher = MatchSpec(spec)
        own = [r for r in records if r.name.normalized == name]
        if not any(matcher.matches(r) for r in own):
            versions = sorted({str(r.version) for r in own}, key=version_key)
            out.append((spec, f"no version matches; available versions: {', '.join(versions[-10:])}"))
    return out


def _absent_error(absent: Sequence[tuple[str, str]], channel_list: str) -> CorralError:
    """One error naming every requested package the channels cannot provide."""
    missing = [spec for spec, why in absent if why.startswith("not in")]
    details = [f"{spec}: {why}" for spec, why in absent]
    message = f"{len(absent)} of the requested packages are not available from the channels ({channel_list})"
    if missing:
        return PackageNotFound(
            message,
            hint="fix the spelling, or add the channel that has them with -c CHANNEL",
            details=details,
        )
    return Unsatisfiable(message, hint="relax the version requirements shown above", details=details)


def _explain_virtual(text: str, have: Sequence[tuple[str, str, str]], platform: str | None) -> CorralError | None:
    """Unsatisfiable naming the virtual package the machine (or a lock's target) lacks, and the override to use."""
    import rattler

    from corral.conda.virtual import explain, find_unmet

    unmet = find_unmet(text)
    if unmet is None:
        return None

    def satisfies(spec: str, version: str) -> bool:
        record = rattler.PackageRecord(
            name=unmet.name, version=version, build=rattler.BuildString("0"), build_number=0, subdir="noarch"
        )
        return bool(rattler.MatchSpec(f"{unmet.name} {spec}").matches(record))

    if platform is None:
        message, hint = explain(unmet, have, str(rattler.Subdir.current()), satisfies)
        return Unsatisfiable(message, hint=hint)
    message, _ = explain(unmet, have, platform, satisfies, where="the lock's target")
    return Unsatisfiable(
        message,
        hint=f"if {platform} machines have it, say so in the request (system-requirements: in the environment"
        " file, or CORRAL_SYSTEM_REQUIREMENTS); otherwise relax the request",
    )


def version_key(version: str) -> Any:
    from rattler import Version

    return Version(version)


def translate(exc: Exception, channels: Sequence[str], settings: Settings) -> CorralError:
    """Map rattler's fetch errors to ChannelError; anything else keeps its message."""
    from corral.redact import redact

    name = type(exc).__name__
    text = redact(str(exc).strip())
    if name in ("FetchRepoDataError", "GatewayError", "IoError", "InvalidChannelError"):
        hint = (
            "corral is offline (--offline): create the environment once online so its repodata is cached"
            if settings.offline
            else "check the channel name or URL and your network; a local channel needs noarch/repodata.json"
        )
        if re.search(r"\b(401|403)\b", text):
            hint = (
                "the channel wants credentials: give its URL once as https://USER:PASSWORD@HOST/... or"
                " https://HOST/t/TOKEN/...; corral keeps them in its credentials file (or RATTLER_AUTH_FILE)"
            )
        if "timed out" in text:
            hint = (
                f"the channel did not answer within network-timeout ({settings.network_timeout:g} s, after"
                f" {settings.network_retries} retries): check the server, or raise CORRAL_NETWORK_TIMEOUT"
            )
        elif re.search(r"\b5\d\d\b", text):
            hint = f"the channel's server failed ({settings.network_retries} retries, with back-off): try again later"
        where = ", ".join(redact(c) for c in channels)
        return ChannelError(f"cannot read channel repodata ({where}): {text}", hint=hint)
    return CorralError(f"solving failed: {name}: {text}")
