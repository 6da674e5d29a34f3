"""A project's lock written without the project's own location in it, so a clone at another path is not stale.

Paths and `file://` URLs under the project's folder (find-links folders, local channels, editables,
local wheels' URLs) are kept in corral.lock relative to it: `./wheels` for a path and
`file:./wheels/x.whl` for a URL. The input hash is the hash of that form, the same in every
clone; it is what staleness compares. Before anything is installed, the lock is made absolute
again for the folder it is in (keeping that hash, which the generation records).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from corral.lock.entries import Artifact, CondaEntry, LockedPlatform, PypiEntry
from corral.lock.lockfile import Lock, spec_hash
from corral.models import EnvSpec
from corral.values import replace


def portable(lock: Lock, root: str) -> Lock:
    """`lock` with every path and file URL under `root` made relative to it (and hashed so)."""
    base = os.path.realpath(root)

    def text(value: str) -> str:
        url = f"file://{base}/"
        if value.startswith(url):
            return "file:./" + value[len(url) :]
        if value == base or value.startswith(base + "/"):
            return "./" + value[len(base) + 1 :] if value != base else "."
        return value.replace(url, "file:./")  # inside a requirement: `name @ file:///ROOT/...`

    return _mapped(lock, text, rehash=True)


def absolute(lock: Lock, root: str, rehash: bool = False) -> Lock:
    """A portable lock made absolute again for the folder `root` (its input hash kept, unless `rehash`)."""
    base = os.path.realpath(root)

    def text(value: str) -> str:
        if value.startswith("file:./"):
            return f"file://{base}/" + value[len("file:./") :]
        if value == ".":
            return base
        if value.startswith("./"):
            return f"{base}/{value[2:]}"
        return value.replace(" file:./", f" file://{base}/")

    return _mapped(lock, text, rehash=rehash)


def portable_spec(spec: EnvSpec, root: str) -> EnvSpec:
    """A request in the form the project's lock keeps it."""
    return portable(Lock(spec=spec, platforms=()), root).spec


def _mapped(lock: Lock, text: Callable[[str], str], rehash: bool) -> Lock:
    spec = _spec(lock.spec, text)
    named = tuple((name, _mapped(env, text, rehash)) for name, env in lock.environments)
    return Lock(
        spec=spec,
        platforms=tuple(_section(p, text) for p in lock.platforms),
        sources=lock.sources,
        input_hash=spec_hash(spec) if rehash else lock.input_hash,
        environments=named,
    )


def _spec(spec: EnvSpec, text: Callable[[str], str]) -> EnvSpec:
    index = replace(spec.index, find_links=tuple(text(f) for f in spec.index.find_links))
    return replace(
        spec,
        channels=tuple(text(c) for c in spec.channels),
        pypi=tuple(text(r) for r in spec.pypi),
        editables=tuple(text(e) for e in spec.editables),
        pypi_constraints=tuple(text(c) for c in spec.pypi_constraints),
        index=index,
    )


def _section(section: LockedPlatform, text: Callable[[str], str]) -> LockedPlatform:
    return replace(
        section,
        conda=tuple(_conda(e, text) for e in section.conda),
        pypi=tuple(_pypi(e, text) for e in section.pypi),
    )


def _conda(entry: CondaEntry, text: Callable[[str], str]) -> CondaEntry:
    return replace(entry, channel=text(entry.channel), url=text(entry.url))


def _pypi(entry: PypiEntry, text: Callable[[str], str]) -> PypiEntry:
    def artifact(a: Artifact) -> Artifact:
        return replace(a, url=text(a.url))

    return replace(
        entry,
        wheels=tuple(artifact(w) for w in entry.wheels),
        sdist=artifact(entry.sdist) if entry.sdist is not None else None,
        editable=text(entry.editable) if entry.editable else "",
        direct=text(entry.direct) if entry.direct else "",
    )
