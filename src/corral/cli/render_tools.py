"""The human text of the tool commands: search, config, kernel, pack."""

from __future__ import annotations

from typing import Any

from corral.cli.text import size, table


def search(result: Any) -> str:
    if result.source == "pypi":
        if not result.pypi_versions:
            return f"No PyPI release of {result.spec}.\n"
        return f"{result.spec} on PyPI (newest last):\n" + "".join(f"  {v}\n" for v in result.pypi_versions)
    if not result.hits:
        return f"No package matches '{result.spec}'.\n"
    if result.info:
        out = ""
        for h in result.hits:
            out += f"{h.name} {h.version} {h.build}\n" + "-" * (len(h.name) + len(h.version) + len(h.build) + 2) + "\n"
            fields = [
                ("file name", h.url.rsplit("/", 1)[-1]),
                ("channel", h.channel),
                ("subdir", h.subdir),
                ("size", size(h.size)),
                ("license", h.license),
                ("url", h.url),
                ("sha256", h.sha256),
            ]
            out += "".join(f"{k:<12}: {v}\n" for k, v in fields)
            out += "dependencies:\n" + "".join(f"  - {d}\n" for d in h.depends)
            if h.constrains:
                out += "constraints:\n" + "".join(f"  - {c}\n" for c in h.constrains)
            out += "\n"
        return out
    rows = [[h.name, h.version, h.build, h.channel, h.subdir] for h in result.hits]
    return table(rows, ["name", "version", "build", "channel", "subdir"])


def config(result: Any) -> str:
    if type(result).__name__ == "ConfigChange":
        shown = "(removed)" if result.value is None else repr(result.value)
        return f"{result.file}: {result.key} = {shown}\n"
    out = ""
    if result.show_sources:
        out += "files read (lowest precedence first):\n" + "".join(f"  {f}\n" for f in result.files or ["(none)"])
    for key, value, source in result.items:
        out += f"{key} = {value!r}" + (f"   # {source}" if result.show_sources else "") + "\n"
    return out


def kernels(result: Any) -> str:
    if result.action == "install":
        k = result.kernels[0]
        return f"Kernel '{k.name}' ({k.display_name}) runs {k.env} through corral run; its spec: {k.path}\n"
    if result.action == "remove":
        return f"Removed kernel '{result.kernels[0].name}' ({result.kernels[0].path})\n"
    if not result.kernels:
        return "No corral kernels (write one with `corral kernel install -n ENV`).\n"
    rows = [[k.name, k.env + ("" if k.env_exists else " (gone)"), k.display_name] for k in result.kernels]
    return table(rows, ["name", "environment", "display name"])


def pack(result: Any) -> str:
    """`corral pack` and `corral pack --check`."""
    if not hasattr(result, "generation"):
        return (
            f"{result.archive} works: unpacked, fixed up ({result.fixed} files) and its python {result.python}"
            f" ran with sys.prefix {result.prefix}\n"
        )
    python = (
        f"Python {result.python}: run it where Python {result.python_minor} is expected (Spark's driver and"
        " executors need the same minor version)"
        if result.python
        else "no Python in this environment"
    )
    out = f"Packed {result.env} (generation {result.generation}) into {result.output}"
    out += f" ({result.format}, {result.files} entries, {size(result.bytes)})\n{python}\n"
    out += f"sha256 {result.sha256}\n" if result.sha256 else ""
    out += f"Where it is unpacked, run bin/corral-unpack once ({result.fixups} files name the packed path)"
    if result.binary_fixups:
        out += f"; binary files allow a new path of at most {len(result.prefix.encode())} bytes"
    return out + "\n"
