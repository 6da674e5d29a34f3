"""conda's environment.yml (and corral's include:, python:, system-requirements:) read into an EnvFile.

Every error names file:line:col; unknown keys get a did-you-mean; `${VAR}` is expanded where
conda expands it; node counts are bounded (YAML aliases cannot make a small file huge).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from corral.errors import ChannelError, EnvFileError, SpecError
from corral.models import EnvSpec
from corral.specs.envfile import FOREIGN_KEYS, KNOWN_KEYS, EnvFile, conda_specs, pip_entry, read_file, spec_channels
from corral.specs.requirements import PypiRequest

_PIP_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")  # what pip expands in a requirements line
_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")

# --- environment.yml -------------------------------------------------------------------------


def read_yaml(path: Path, text: str, chain: tuple[Path, ...]) -> EnvFile:
    import yaml

    loader = None
    try:
        loader = yaml.SafeLoader(text)  # a NUL or other control character is refused already here
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(path, exc) from exc
    except yaml.YAMLError as exc:
        what = " ".join(str(exc).split())
        raise EnvFileError(
            f"{path}: not valid YAML: {what}", hint="remove control characters (NUL, escapes) from the file"
        ) from exc
    finally:
        if loader is not None:
            loader.dispose()
    if root is None or _Doc.is_null(root):
        raise EnvFileError(f"{path} is empty", hint="an environment file needs at least `dependencies:`")
    if _expanded_size(root, {}) > _MAX_NODES:
        raise EnvFileError(
            f"{path}: its YAML aliases expand to more than {_MAX_NODES:,} values",
            hint="write the entries out; anchors and aliases that nest this deep are not an environment",
        )
    doc = _Doc(path, loader, text)
    base = path.parent
    warnings: list[str] = []
    fields = doc.mapping(root, "the file")
    _check_keys(doc, fields, warnings)
    layered = EnvFile(EnvSpec(channels=()))
    if "include" in fields:
        node = fields["include"][1]
        items = doc.sequence(node, "include") if not doc.is_scalar(node) else [node]
        for item in items:
            layered = layered.layered(read_file(base / doc.scalar(item, "an include path"), chain))
    name = doc.scalar(fields["name"][1], "name") if "name" in fields else ""
    prefix = doc.scalar(fields["prefix"][1], "prefix") if "prefix" in fields else ""
    python = doc.scalar(fields["python"][1], "python") if "python" in fields else ""
    channels = [_channel(doc, item, base) for item in doc.sequence(fields.get("channels", (None, None))[1], "channels")]
    specs: list[tuple[str, str]] = []
    request = PypiRequest()
    for item in doc.sequence(fields.get("dependencies", (None, None))[1], "dependencies"):
        if doc.is_scalar(item):
            specs.append((doc.line(item, "dependency"), doc.where(item)))
            continue
        entry = doc.mapping(item, "a dependency")
        if set(entry) != {"pip"}:
            raise _not_pip(doc, item, entry)
        for pip_item in doc.sequence(entry["pip"][1], "pip"):
            text = _pip_vars(doc, pip_item, doc.line(pip_item, "pip entry"))
            pip_entry(text, doc.where(pip_item), base, request)
    variables = []
    for key, (key_node, value) in doc.mapping(fields.get("variables", (None, None))[1], "variables").items():
        variables.append((key, "" if value is None else doc.scalar(value, f"variable {key}")))
        if _ENV_VAR.search(variables[-1][1]):
            warnings.append(_literal_variable(doc, key_node, key, variables[-1][1]))
    system = {}
    for key, (_, value) in doc.mapping(
        fields.get("system-requirements", (None, None))[1], "system-requirements"
    ).items():
        system[key] = doc.scalar(value, f"system requirement {key}")
    channels = [c for c in channels if c != "nodefaults"]
    conda = conda_specs(specs)
    channels += [c for c in spec_channels(conda) if c not in channels]
    spec = EnvSpec(
        channels=tuple(dict.fromkeys(channels)),
        specs=tuple(conda),
        python=python,
        variables=tuple(variables),
        system=_system(doc, fields, system),
    )
    own = EnvFile(
        request.applied_to(spec),
        name=name,
        prefix=prefix,
        sources=(str(path),),
        warnings=tuple(warnings + request.warnings),
    )
    return layered.layered(own)


_MAX_NODES = 100_000


def _expanded_size(node: Any, seen: dict[int, int]) -> int:
    """How many values the node stands for once every alias is expanded (shared nodes counted once each)."""
    known = seen.get(id(node))
    if known is not None:
        return known
    seen[id(node)] = 1  # a recursive alias counts once, rather than forever
    total = 1
    if isinstance(node.value, list):
        for item in node.value:
            for part in item if isinstance(item, tuple) else (item,):
                total += _expanded_size(part, seen)
                if total > _MAX_NODES:
                    break
    seen[id(node)] = total
    return total


def _system(doc: _Doc, fields: dict[str, tuple[Any, Any]], values: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """`system-requirements:` checked, with the key's place in errors."""
    from corral.models import check_system

    try:
        return check_system(values)
    except SpecError as exc:
        raise EnvFileError(f"{doc.where(fields['system-requirements'][0])}: {exc.message}", hint=exc.hint) from exc


# What PyYAML's complaint usually means in an environment file, by the start of its problem text.
_YAML_HINTS = (
    ("found character '\\t'", "a tab: YAML indents with spaces only"),
    (
        "mapping values are not allowed",
        "a ': ' where no key can start: indent the key under its parent, or quote a value that holds ': '",
    ),
    (
        "expected <block end>, but found '<block sequence start>'",
        "a list item less indented than the items above it: the items of one list start in the same column",
    ),
    (
        "expected <block end>, but found '<block mapping start>'",
        "a key indented differently from the keys around it: top-level keys start in column 1",
    ),
    (
        "could not find expected ':'",
        "a line that is neither a 'key: value' nor a '- item' where a key was"
        " expected: check the indentation of this line and the one above",
    ),
    (
        "did not find expected '-' indicator",
        "a list item at the wrong indentation: the items of one list start in the same column",
    ),
    ("found unexpected end of stream", "a quote that is never closed"),
    ("found undefined alias", "an alias (*name) with no anchor (&name) before it"),
)


def _yaml_error(path: Path, exc: Any) -> EnvFileError:
    """A YAML syntax error as file:line:col, what PyYAML found, and what it usually means there."""
    what = exc.problem or exc.context or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    if what.startswith("found unexpected end of stream") and exc.context_mark is not None:
        mark = exc.context_mark  # where the unclosed quote opens, not the end of the file
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    meaning = next((m for start, m in _YAML_HINTS if what.startswith(start)), "")
    return EnvFileError(
        f"{where}: not valid YAML: {what}" + (f" ({meaning})" if meaning else ""),
        hint="fix that line; the rest of the file was not read",
    )


def _check_keys(doc: _Doc, fields: dict[str, tuple[Any, Any]], warnings: list[str]) -> None:
    """Unknown top-level keys are errors with a did-you-mean: a typo (`dependecies:`) must not make an empty
    environment. `x-*` keys (anchors for aliases) and other tools' keys (FOREIGN_KEYS) are ignored."""
    import difflib

    unknown = []
    for key, (key_node, _) in fields.items():
        if key in KNOWN_KEYS or key.startswith("x-"):
            continue
        if key in FOREIGN_KEYS:
            warnings.append(f"{doc.where(key_node)}: ignored key '{key}' ({FOREIGN_KEYS[key]})")
            continue
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.6)
        unknown.append(
            f"{doc.where(key_node)}: unknown key '{key}'" + (f": did you mean '{close[0]}'?" if close else "")
        )
    if unknown:
        raise EnvFileError(
            unknown[0],
            hint=f"an environment file's keys are {', '.join(KNOWN_KEYS)} (x-NAME keys are ignored)",
            details=unknown[1:],
        )


def _not_pip(doc: _Doc, item: Any, entry: dict[str, tuple[Any, Any]]) -> EnvFileError:
    """A mapping among the dependencies that is not `pip:`: what it most likely was meant to be."""
    import difflib

    keys = list(entry)
    key_node, value = entry[keys[0]]
    if len(keys) == 1 and difflib.get_close_matches(keys[0], ["pip"], cutoff=0.6):
        hint = "PyPI packages go under '- pip:'"
        return EnvFileError(f"{doc.where(key_node)}: unknown dependency section '{keys[0]}': did you mean 'pip'?", hint)
    if len(keys) == 1 and value is not None and doc.is_scalar(value):
        return EnvFileError(
            f"{doc.where(key_node)}: '{keys[0]}: {value.value}' is a mapping, not a conda spec"
            " (': ' makes YAML read a key)",
            hint=f"write it as '- {keys[0]}={value.value}' (conda) or under '- pip:' as '{keys[0]}=={value.value}'",
        )
    return EnvFileError(
        f"{doc.where(item)}: a dependency must be a conda spec or a `pip:` list, found keys {', '.join(keys)}",
        hint="write conda packages as '- numpy>=1.26' and PyPI ones under '- pip:'",
    )


def _pip_vars(doc: _Doc, node: Any, text: str) -> str:
    """`${NAME}` in a `pip:` line expanded, as pip expands it in the requirements file conda hands it."""

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise EnvFileError(
                f"{doc.where(node)}: '{text}' uses ${{{name}}}, which is not set",
                hint=f"export {name}=... before running corral, or write the value out",
            )
        return os.environ[name]

    return _PIP_VAR.sub(expand, text)


def _literal_variable(doc: _Doc, node: Any, key: str, value: str) -> str:
    """The word that a `variables:` value naming another variable is kept as written (conda keeps it too)."""
    named = sorted({m.group(1) or m.group(2) for m in _ENV_VAR.finditer(value)})
    return (
        f"{doc.where(node)}: variable {key} is set to the text '{value}' on activation, as conda does:"
        f" {', '.join('$' + n for n in named)} is not expanded (conda expands variables only in channels);"
        " write the value itself, or leave the variable out of the file and set it in your shell"
    )


class _Doc:
    """Walks a composed YAML node tree, keeping every value's line and column for errors."""

    def __init__(self, path: Path, loader: Any, text: str = "") -> None:
        self.path = path
        self.loader = loader
        self.lines = text.splitlines()

    def where(self, node: Any) -> str:
        mark = getattr(node, "start_mark", None)
        return f"{self.path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(self.path)

    def line(self, node: Any, what: str) -> str:
        """A scalar that must stay on one line: `what` is a dependency, a pip entry or a channel.

        A plain scalar that runs onto the next lines is YAML folding them: `- python=3.12` followed by a
        deeper `- six` reads as the one spec `python=3.12 - six`.
        """
        text = self.scalar(node, f"a {what}")
        start, end = node.start_mark.line, node.end_mark.line
        if node.style is not None or end == start:
            return text
        number = next((n for n in range(start + 1, min(end + 1, len(self.lines))) if self.lines[n].strip()), start)
        rest = self.lines[number] if number < len(self.lines) else ""
        here = f"{self.path}:{number + 1}:{len(rest) - len(rest.lstrip()) + 1}"
        if not rest.strip().startswith("-"):
            raise EnvFileError(
                f"{here}: a {what} runs onto this line, so YAML reads the lines as the one value '{text}'",
                hint="put each entry on its own '- ' line, or quote a value meant to span lines",
            )
        if self.lines[start].strip().lstrip("-").strip() == "pip":
            hint = "write '- pip:' with its colon, then the PyPI packages as a list indented under it"
        else:
            hint = f"check the indentation: give '{rest.strip()}' the column of the '- ' above it"
        raise EnvFileError(
            f"{here}: a list item inside a {'spec' if what != 'channel' else what}: '{rest.strip()}' is indented"
            f" deeper than the item above it, so YAML reads both as the one {what} '{text}'",
            hint=hint,
        )

    @staticmethod
    def is_scalar(node: Any) -> bool:
        import yaml

        return isinstance(node, yaml.ScalarNode)

    @staticmethod
    def is_null(node: Any) -> bool:
        return node is None or (_Doc.is_scalar(node) and node.tag == "tag:yaml.org,2002:null")

    def _kind(self, node: Any) -> str:
        import yaml

        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        return f"'{node.value}'"

    def mapping(self, node: Any, what: str) -> dict[str, tuple[Any, Any]]:
        """key -> (key node, value node); null is an empty mapping; a repeated key is an error."""
        import yaml

        if self.is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise EnvFileError(
                f"{self.where(node)}: {what} must be a mapping (key: value), found {self._kind(node)}",
                hint="see conda's environment.yml format: name, channels, dependencies, variables",
            )
        written = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        self.loader.flatten_mapping(node)  # YAML merge keys (<<: *base) come first; written keys override them
        out: dict[str, tuple[Any, Any]] = {}
        for key_node, value in node.value:
            key = self.scalar(key_node, f"a key of {what}")
            if key in out and id(out[key][0]) in written and id(key_node) in written:
                raise EnvFileError(
                    f"{self.where(key_node)}: key '{key}' appears twice in {what}",
                    hint=f"merge the two '{key}' entries into one",
                )
            out[key] = (key_node, None if self.is_null(value) else value)
        return out

    def sequence(self, node: Any, what: str) -> list[Any]:
        """The items of a list; null or absent is an empty list."""
        import yaml

        if self.is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise EnvFileError(
                f"{self.where(node)}: '{what}' must be a list ('- item' lines), found {self._kind(node)}",
                hint=f"write each entry of '{what}' on its own '- ' line",
            )
        return list(node.value)

    def scalar(self, node: Any, what: str) -> str:
        """A scalar's text as written (so `3.10` stays '3.10', not 3.1)."""
        if not self.is_scalar(node) or self.is_null(node):
            found = "nothing" if self.is_null(node) else self._kind(node)
            raise EnvFileError(f"{self.where(node)}: expected {what} as text, found {found}", hint="check that entry")
        return str(node.value)


def _channel(doc: _Doc, node: Any, base: Path) -> str:
    from corral.channels import canonical_channel

    raw = doc.line(node, "channel")

    def expand(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in os.environ:
            raise EnvFileError(
                f"{doc.where(node)}: channel '{raw}' uses ${{{name}}}, which is not set",
                hint=f"export {name}=... before running corral, or write the channel out",
            )
        return os.environ[name]

    text = _ENV_VAR.sub(expand, raw)
    if text in ("defaults", "nodefaults"):
        return text
    try:
        return canonical_channel(text, cwd=base)
    except ChannelError as exc:
        raise EnvFileError(f"{doc.where(node)}: {exc.message}", hint=exc.hint) from exc
