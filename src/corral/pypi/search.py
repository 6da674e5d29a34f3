"""`corral search --pypi`: a distribution's versions on PyPI, from the index's JSON API, newest last."""

from __future__ import annotations

import json
import urllib.error

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from corral.errors import PackageNotFound, PypiError, SpecError
from corral.models import pypi_name
from corral.settings import Settings

PYPI_JSON = "https://pypi.org/pypi/{name}/json"


def versions(spec: str, settings: Settings) -> list[str]:
    """The released versions of `spec`'s distribution that its specifier allows (yanked ones left out)."""
    try:
        req = Requirement(spec)
    except InvalidRequirement as exc:
        raise SpecError(
            f"invalid PyPI requirement '{spec}': {exc}", hint="e.g. corral search --pypi 'rich>=13'"
        ) from exc
    if settings.offline:
        raise PypiError("PyPI cannot be searched offline", hint="drop --offline (or CORRAL_OFFLINE)")
    from corral.models import PypiIndex
    from corral.netconfig import url_opener
    from corral.policy import check_indexes

    check_indexes(settings, PypiIndex(), "corral search --pypi")  # PyPI's JSON API is PyPI
    name = pypi_name(req.name)
    opener = url_opener(settings.proxy_servers, settings.ssl_verify)
    try:
        with opener.open(PYPI_JSON.format(name=name), timeout=20) as response:
            data = json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise PackageNotFound(f"'{name}' is not on PyPI", hint="check the spelling") from exc
        raise PypiError(f"PyPI answered {exc.code} for '{name}'", hint="try again later") from exc
    except (OSError, ValueError) as exc:
        raise PypiError(f"could not reach PyPI: {exc}", hint="check the network, or search the conda side") from exc
    found = []
    for text, files in data.get("releases", {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if files and not all(f.get("yanked") for f in files) and req.specifier.contains(version, prereleases=True):
            found.append(version)
    return [str(v) for v in sorted(found)]
