"""JSON through CPython's own C accelerator (`_json`), without `import json` (~2.7 ms of every command).

`import json` compiles six regular expressions at import, for its pure-Python fallbacks; the C
scanner and encoder it hands the work to need none of them. `loads` and `dumps` here give what
`json.loads` and `json.dumps` give (with their defaults: strict, NaN allowed, circular references
refused) for the documents corral reads and writes. A document that does not parse goes to `json`
itself, imported only then, so it fails with json's own JSONDecodeError (a ValueError) and
message; so does every document on an interpreter without `_json`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for annotations: start-up without it
    from collections.abc import Callable
    from typing import Any

_json: Any
try:
    import _json
except ImportError:  # not CPython: json's own pure-Python code
    _json = None

_SPACE = " \t\n\r"  # JSON's whitespace


def _constant(name: str) -> float:
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


class _Decoding:
    """The settings the C scanner reads from its context (json.JSONDecoder's defaults)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_constant)


_scan = _json.make_scanner(_Decoding()) if _json is not None else None


def _refused(text: str) -> Any:
    """What json makes of a text the fast path did not accept: json's own error (or value), with its message.

    The C scanner raises json's JSONDecodeError only once json.decoder is imported (before that it
    fails with a SystemError), and json words the errors around it (a BOM, no value, extra data):
    rather than copy those, a refused text goes to json itself, imported only then.
    """
    import json

    return json.loads(text)


def loads(text: str | bytes) -> Any:
    """The value of one JSON document (bytes are read as UTF-8), as `json.loads` gives it."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8-sig" if text[:3] == b"\xef\xbb\xbf" else "utf-8")
    if _scan is None or text.startswith("\ufeff"):
        return _refused(text)
    try:
        value, end = _scan(text, len(text) - len(text.lstrip(_SPACE)))
    except Exception:  # StopIteration (no value there) or the scanner's own refusal
        return _refused(text)
    if end != len(text) and text[end:].strip(_SPACE):
        return _refused(text)  # extra data after the value
    return value


def _unserializable(value: object) -> Any:
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


_ENCODERS: dict[tuple[str, str, bool, bool], Callable[[Any, int], Any]] = {}


def _encoder(item: str, key: str, sort_keys: bool, ensure_ascii: bool) -> Callable[[Any, int], Any]:
    settings = (item, key, sort_keys, ensure_ascii)
    if settings not in _ENCODERS:
        strings = _json.encode_basestring_ascii if ensure_ascii else _json.encode_basestring
        _ENCODERS[settings] = _json.make_encoder({}, _unserializable, strings, None, key, item, sort_keys, False, True)
    return _ENCODERS[settings]


def dumps(
    value: Any,
    *,
    indent: int | None = None,
    sort_keys: bool = False,
    separators: tuple[str, str] | None = None,
    ensure_ascii: bool = True,
) -> str:
    """`value` as JSON text, exactly as `json.dumps` with the same arguments writes it."""
    if _json is None:
        import json

        return json.dumps(value, indent=indent, sort_keys=sort_keys, separators=separators, ensure_ascii=ensure_ascii)
    item, key = separators or ((", " if indent is None else ","), ": ")
    scalar = _encoder(item, key, sort_keys, ensure_ascii)
    if indent is None:
        return "".join(scalar(value, 0))
    out: list[str] = []
    _indented(value, " " * indent, 0, item, key, sort_keys, scalar, out, set())
    return "".join(out)


def _indented(
    value: Any,
    step: str,
    level: int,
    item: str,
    key: str,
    sort_keys: bool,
    scalar: Callable[[Any, int], Any],
    out: list[str],
    open_: set[int],
) -> None:
    """`value` as json's indented form (what its pure-Python encoder writes), into `out`."""
    is_dict = isinstance(value, dict)
    if not is_dict and not isinstance(value, (list, tuple)):
        out += scalar(value, 0)
        return
    if not value:
        out.append("{}" if is_dict else "[]")
        return
    if id(value) in open_:
        raise ValueError("Circular reference detected")
    open_.add(id(value))
    inner = "\n" + step * (level + 1)
    out.append("{" if is_dict else "[")
    pairs = (sorted(value.items()) if sort_keys else value.items()) if is_dict else None
    for index, element in enumerate(pairs if pairs is not None else value):
        out.append(inner if index == 0 else item + inner)
        if pairs is not None:
            name, element = element
            out += scalar(_key(name), 0)
            out.append(key)
        _indented(element, step, level + 1, item, key, sort_keys, scalar, out, open_)
    out.append("\n" + step * level + ("}" if is_dict else "]"))
    open_.discard(id(value))


def _key(name: object) -> str:
    """A mapping's key as json writes it: strings as they are, numbers, booleans and None spelt out."""
    if isinstance(name, str):
        return name
    if name is True:
        return "true"
    if name is False:
        return "false"
    if name is None:
        return "null"
    if isinstance(name, float):
        return "".join(_encoder(",", ":", False, True)(name, 0))
    if isinstance(name, int):
        return int.__repr__(name)
    raise TypeError(f"keys must be str, int, float, bool or None, not {name.__class__.__name__}")
