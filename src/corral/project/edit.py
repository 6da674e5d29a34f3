"""Manifest edits that keep the rest of the file as it was: comments, order, quoting, blank lines.

environment.yml is edited line by line at the places PyYAML's node marks give (one list entry
per line, as conda's files are written; a flow list `[a, b]` is refused with a hint), so nothing
but the added, replaced or removed entry changes. pyproject.toml is edited with tomlkit. No new
dependency, and neither is imported on the `run` path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corral.errors import EnvFileError
from corral.models import pypi_name, spec_name
from corral.values import frozen


@frozen
class Edit:
    """What to change in a manifest: entries to add (or replace, by name) and names to remove."""

    conda: tuple[str, ...] = ()
    pypi: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()  # as the manifest should say them (relative to its folder where below it)
    no_index: bool = False
    drop_conda: tuple[str, ...] = ()
    drop_pypi: tuple[str, ...] = ()
    group: str = ""  # pyproject: the PyPI entries go to (or leave) [dependency-groups].GROUP
    environment: str = ""  # pyproject: also declare [tool.corral.environments] ENVIRONMENT = [GROUP]


def apply(kind: str, text: str, edit: Edit, path: Path) -> tuple[str, list[str]]:
    """(the edited text, the names to remove that the manifest does not list)."""
    if kind == "pyproject":
        return _TomlEdit(text, path).run(edit)
    return _YamlEdit(text, path).run(edit)


# --- environment.yml ---------------------------------------------------------------------------


class _YamlEdit:
    def __init__(self, text: str, path: Path) -> None:
        self.lines = (text if text.endswith("\n") or not text else text + "\n").splitlines(keepends=True)
        self.path = path

    def run(self, edit: Edit) -> tuple[str, list[str]]:
        for channel in edit.channels:
            self._add_channel(channel)
        for spec in edit.conda:
            self._add_conda(spec)
        options = [f"--find-links {_plain(f)}" for f in edit.find_links] + (["--no-index"] if edit.no_index else [])
        for option in reversed(options):
            self._add_pip(option, option=True)
        for req in edit.pypi:
            self._add_pip(req)
        missing = [n for n in edit.drop_conda if not self._drop_conda(n)]
        missing += [n for n in edit.drop_pypi if not self._drop_pip(n)]
        return "".join(self.lines), missing

    # parsing

    def _root(self) -> dict[str, tuple[Any, Any]]:
        import yaml

        try:
            node = yaml.compose("".join(self.lines), Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            raise EnvFileError(f"{self.path}: not valid YAML: {exc}", hint="fix the file first") from exc
        if node is None:
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise EnvFileError(f"{self.path} is not a mapping of keys", hint="see conda's environment.yml format")
        return {str(k.value): (k, v) for k, v in node.value}

    def _block_items(self, node: Any, what: str) -> list[Any] | None:
        """The entries of a block list; None for a null value; refused for a flow list or a scalar."""
        import yaml

        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return None
        if not isinstance(node, yaml.SequenceNode) or (node.flow_style and node.value):
            raise EnvFileError(
                f"{self.path}:{node.start_mark.line + 1}: corral edits '{what}' only as a list of '- item' lines",
                hint=f"write each entry of '{what}' on its own '- ' line, then run the command again",
            )
        if node.flow_style:  # `key: []`: make it a block list by dropping the brackets
            line = node.start_mark.line
            self.lines[line] = self.lines[line][: node.start_mark.column].rstrip() + "\n"
            return None
        return list(node.value)

    # positions

    def _prefix(self, node: Any) -> str:
        return str(self.lines[node.start_mark.line][: node.start_mark.column])

    @staticmethod
    def _last_line(node: Any) -> int:
        end = node.end_mark
        return int(end.line if end.column > 0 else end.line - 1)

    def _insert(self, index: int, text: str) -> None:
        self.lines[index:index] = text.splitlines(keepends=True)

    def _replace(self, node: Any, value: str) -> None:
        line = node.start_mark.line
        old = self.lines[line]
        self.lines[line] = old[: node.start_mark.column] + _plain(value) + old[node.end_mark.column :]

    # channels and conda entries

    def _add_channel(self, channel: str) -> None:
        fields = self._root()
        if "channels" not in fields:
            at = fields["dependencies"][0].start_mark.line if "dependencies" in fields else len(self.lines)
            self._insert(at, f"channels:\n  - {_plain(channel)}\n")
            return
        key, value = fields["channels"]
        items = self._block_items(value, "channels")
        if items is None:
            self._insert(key.start_mark.line + 1, f"  - {_plain(channel)}\n")
        elif channel not in [str(i.value) for i in items]:
            self._insert(self._last_line(items[-1]) + 1, f"{self._prefix(items[-1])}{_plain(channel)}\n")

    def _dependencies(self) -> tuple[Any, list[Any] | None]:
        fields = self._root()
        if "dependencies" not in fields:
            self.lines.append("dependencies:\n")
            fields = self._root()
        key, value = fields["dependencies"]
        return key, self._block_items(value, "dependencies")

    def _add_conda(self, spec: str) -> None:
        import yaml

        key, items = self._dependencies()
        if items is None:
            self._insert(key.start_mark.line + 1, f"  - {_plain(spec)}\n")
            return
        scalars = [i for i in items if isinstance(i, yaml.ScalarNode)]
        same = [i for i in scalars if spec_name(str(i.value)) == spec_name(spec)]
        if same:
            self._replace(same[0], spec)
        elif scalars:
            self._insert(self._last_line(scalars[-1]) + 1, f"{self._prefix(scalars[-1])}{_plain(spec)}\n")
        elif items:
            self._insert(items[0].start_mark.line, f"{self._prefix(items[0])}{_plain(spec)}\n")
        else:
            self._insert(key.start_mark.line + 1, f"  - {_plain(spec)}\n")

    def _drop_conda(self, name: str) -> bool:
        import yaml

        _, items = self._dependencies()
        for item in items or []:
            if isinstance(item, yaml.ScalarNode) and spec_name(str(item.value)) == name.lower():
                del self.lines[item.start_mark.line : self._last_line(item) + 1]
                return True
        return False

    # the pip section

    def _pip(self) -> tuple[Any, Any, list[Any] | None]:
        """(the `- pip:` item, its key node, its entries) or (None, None, None) when there is none."""
        import yaml

        _, items = self._dependencies()
        for item in items or []:
            if isinstance(item, yaml.MappingNode):
                for k, v in item.value:
                    if k.value == "pip":
                        return item, k, self._block_items(v, "pip")
        return None, None, None

    def _add_pip(self, text: str, option: bool = False) -> None:
        item, key, entries = self._pip()
        if item is None:
            key_node, items = self._dependencies()
            if items:
                dash = self._prefix(items[-1])
                at = self._last_line(items[-1]) + 1
            else:
                dash, at = "  - ", key_node.start_mark.line + 1
            indent = " " * (len(dash) - 2)
            self._insert(at, f"{dash}pip:\n{indent}  - {_plain(text)}\n")
            return
        if entries is None or not entries:
            indent = " " * (len(self._prefix(item)) - 2)
            self._insert(key.start_mark.line + 1, f"{indent}  - {_plain(text)}\n")
            return
        if option:
            if text not in [str(e.value) for e in entries]:
                self._insert(entries[0].start_mark.line, f"{self._prefix(entries[0])}{_plain(text)}\n")
            return
        same = [e for e in entries if not str(e.value).startswith("-") and pypi_name(str(e.value)) == pypi_name(text)]
        if same:
            self._replace(same[0], text)
        else:
            self._insert(self._last_line(entries[-1]) + 1, f"{self._prefix(entries[-1])}{_plain(text)}\n")

    def _drop_pip(self, name: str) -> bool:
        item, _, entries = self._pip()
        for entry in entries or []:
            value = str(entry.value)
            if not value.startswith("-") and pypi_name(value) == pypi_name(name):
                del self.lines[entry.start_mark.line : self._last_line(entry) + 1]
                item, _, entries = self._pip()
                if item is not None and not entries:
                    del self.lines[item.start_mark.line : self._last_line(item) + 1]  # an empty pip section
                return True
        return False


_PLAIN = re.compile(r"^(?:[A-Za-z0-9_./~]|--[a-z])[^#]*$")


def _plain(value: str) -> str:
    """A YAML scalar for `value`: as written when YAML reads it back the same, else double-quoted."""
    if _PLAIN.match(value) and ": " not in value and not value.endswith(":") and value == value.strip():
        return value
    return json.dumps(value)


# --- pyproject.toml ------------------------------------------------------------------------------


class _TomlEdit:
    def __init__(self, text: str, path: Path) -> None:
        import tomlkit
        from tomlkit.exceptions import TOMLKitError

        try:
            self.doc: Any = tomlkit.parse(text)
        except TOMLKitError as exc:
            raise EnvFileError(f"{path}: not valid TOML: {exc}", hint="fix the file first") from exc
        self.path = path

    def run(self, edit: Edit) -> tuple[str, list[str]]:
        import tomlkit

        if edit.channels:
            _merge(self._array(self._corral(), "channels"), edit.channels, lambda s: s)
        if edit.conda:
            _merge(self._array(self._corral(), "dependencies"), edit.conda, spec_name)
        if edit.find_links or edit.no_index:
            corral = self._corral()
            if "pypi-options" not in corral:
                corral.add("pypi-options", tomlkit.table())
            options = corral["pypi-options"]
            if edit.find_links:
                _merge(self._array(options, "find-links"), edit.find_links, lambda s: s)
            if edit.no_index:
                options["no-index"] = True
        if edit.pypi:
            _merge(self._pypi_array(edit.group), edit.pypi, pypi_name)
        if edit.environment:
            corral = self._corral()
            if "environments" not in corral:
                corral.add("environments", tomlkit.table())
            listed = tomlkit.array()
            listed.append(edit.group)
            corral["environments"][edit.environment] = listed
        missing = []
        if edit.drop_conda:
            missing += _drop(self._existing("tool", "corral", "dependencies"), edit.drop_conda, spec_name)
        if edit.drop_pypi:
            where = ("dependency-groups", edit.group) if edit.group else ("project", "dependencies")
            missing += _drop(self._existing(*where), edit.drop_pypi, pypi_name)
        return tomlkit.dumps(self.doc), missing

    def _corral(self) -> Any:
        import tomlkit

        if "tool" not in self.doc:
            self.doc.add("tool", tomlkit.table(is_super_table=True))
        tool = self.doc["tool"]
        if "corral" not in tool:
            tool.add("corral", tomlkit.table())
        return tool["corral"]

    def _pypi_array(self, group: str) -> Any:
        """[project].dependencies, or [dependency-groups].GROUP (made when missing)."""
        import tomlkit

        if not group:
            return self._array(self._project(), "dependencies")
        if "dependency-groups" not in self.doc:
            self.doc.add("dependency-groups", tomlkit.table())
        return self._array(self.doc["dependency-groups"], group)

    def _project(self) -> Any:
        if "project" not in self.doc:
            raise EnvFileError(
                f"{self.path} has no [project] table for the PyPI dependencies",
                hint='add one with a name: [project] name = "..." (PEP 621), then run the command again',
            )
        return self.doc["project"]

    def _array(self, table: Any, key: str) -> Any:
        import tomlkit

        if key not in table:
            table[key] = tomlkit.array()
        value = table[key]
        if not isinstance(value, list):
            raise EnvFileError(f"{self.path}: '{key}' must be a list of strings", hint=f'e.g. {key} = ["..."]')
        return value

    def _existing(self, *keys: str) -> list[Any]:
        node: Any = self.doc
        for key in keys:
            if not hasattr(node, "get") or key not in node:
                return []
            node = node[key]
        return node if isinstance(node, list) else []


def _merge(array: Any, values: Sequence[str], key: Any) -> None:
    """Replace the entry of the same name in place, or append."""
    for value in values:
        index = next((i for i, old in enumerate(array) if isinstance(old, str) and key(old) == key(value)), None)
        if index is None:
            array.append(value)
        else:
            array[index] = value


def _drop(array: Any, names: Sequence[str], key: Any) -> list[str]:
    missing = []
    for name in names:
        index = next((i for i, old in enumerate(array) if isinstance(old, str) and key(old) == key(name)), None)
        if index is None:
            missing.append(name)
        else:
            del array[index]
    return missing
