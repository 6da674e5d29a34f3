"""corral's record types: `@frozen` and `@mutable`, the part of `dataclasses` corral uses, at ~1/20 of its import cost.

Why not `dataclasses`: it compiles five or six functions from source for every class, and imports
`inspect` (with `ast`, `dis`, `tokenize`) for itself. corral defines about ninety record types and
every command imports a third of them, so on `rollback` that was ~20 ms of a ~60 ms command
(bench/README.md, "Record types"). These decorators attach shared, generic methods instead: class
creation costs a few microseconds, an instance ~1 µs more to build than a dataclass's.

What they give, with the dataclass meaning: fields from the class's annotations in definition
order (a base class's fields first), defaults from class attributes, `field(default_factory=...)`,
`__init__` (positional or keyword), `__post_init__`, `__repr__`, `__eq__` (same class, fields
equal), and for `@frozen` a `__hash__` of the fields and assignment refused with
`FrozenInstanceError` (`object.__setattr__` still works in `__post_init__`); `order=True` adds
the comparisons. `replace(value, **changes)` and `field_names(cls)` stand in for
`dataclasses.replace` and `dataclasses.fields`. Type checkers read the decorators through PEP 681
(`dataclass_transform`), so mypy checks constructors as it would a dataclass's.
"""

from __future__ import annotations

from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only for type checkers: every command imports this module, few need typing (~3 ms)
    from collections.abc import Callable
    from typing import Any, TypeVar, overload

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> Callable[[T], T]:
        return lambda decorated: decorated


_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a `@frozen` value (as `dataclasses.FrozenInstanceError`)."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None) -> Any:
    """A field's default, or a factory called for each new instance (for lists, dicts, sets)."""
    if default_factory is not None:
        return _Factory(default_factory)
    return default


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    names: tuple[str, ...] = cls.__value_fields__
    values: dict[str, Any] = cls.__value_plain__.copy()
    if args:
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} positional arguments but {len(args)} were given")
        values.update(zip(names, args, strict=False))  # fewer arguments than fields: the rest below
        if kwargs and not kwargs.keys().isdisjoint(names[: len(args)]):
            twice = next(name for name in names[: len(args)] if name in kwargs)
            raise TypeError(f"{cls.__name__}() got multiple values for argument {twice!r}")
    if kwargs:
        if not kwargs.keys() <= cls.__value_names__:
            unknown = next(name for name in kwargs if name not in cls.__value_names__)
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {unknown!r}")
        values.update(kwargs)
    if len(values) != len(names):
        for name, make in cls.__value_factories__:
            if name not in values:
                values[name] = make()
        if len(values) != len(names):
            missing = next(name for name in names if name not in values)
            raise TypeError(f"{cls.__name__}() missing required argument: {missing!r}")
    self.__dict__.update(values)
    if cls.__value_post__ is not None:
        self.__post_init__()


def _repr(self: Any) -> str:
    cls = type(self)
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__value_fields__)
    return f"{cls.__qualname__}({shown})"


def _key(self: Any) -> tuple[Any, ...]:
    return type(self).__value_key__(self)  # type: ignore[no-any-return]


def _key_function(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        only = attrgetter(names[0])
        return lambda value: (only(value),)
    return lambda value: ()


def _eq(self: Any, other: object) -> object:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _key(self) == _key(other)


def _hash(self: Any) -> int:
    return hash(_key(self))


def _refuse_set(self: Any, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _compare(op: str) -> Callable[[Any, object], object]:
    def compare(self: Any, other: object) -> object:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return getattr(_key(self), op)(_key(other))

    compare.__name__ = op
    return compare


_ORDER = {op: _compare(op) for op in ("__lt__", "__le__", "__gt__", "__ge__")}


def _make(cls: type[T], frozen: bool, ordered: bool) -> type[T]:
    names: list[str] = []
    defaults: dict[str, Any] = {}
    for base in reversed(cls.__mro__[1:]):
        for name in getattr(base, "__value_fields__", ()):
            if name not in names:
                names.append(name)
        defaults.update(getattr(base, "__value_defaults__", {}))
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063 (inspect is what we avoid)
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        if name not in names:
            names.append(name)
        if name in cls.__dict__:
            defaults[name] = cls.__dict__[name]
            if type(defaults[name]) is _Factory:
                delattr(cls, name)
        else:
            defaults.pop(name, None)
    seen_default = False
    for name in names:
        if name in defaults:
            seen_default = True
        elif seen_default:
            raise TypeError(f"{cls.__name__}: field {name!r} without a default follows a field with one")
    attrs: dict[str, Any] = {
        "__value_fields__": tuple(names),
        "__value_names__": frozenset(names),
        "__value_defaults__": defaults,
        "__value_plain__": {name: value for name, value in defaults.items() if type(value) is not _Factory},
        "__value_factories__": tuple((name, value.make) for name, value in defaults.items() if type(value) is _Factory),
        "__value_post__": getattr(cls, "__post_init__", None),
        "__value_key__": staticmethod(_key_function(names)),
        "__match_args__": tuple(names),
        "__init__": _init,
        "__repr__": _repr,
        "__eq__": _eq,
        "__hash__": _hash if frozen else None,
    }
    if frozen:
        attrs.update(__setattr__=_refuse_set, __delattr__=_refuse_delete)
    if ordered:
        attrs.update(_ORDER)
    for name, value in attrs.items():
        own = cls.__dict__.get(name, _MISSING)
        if name.startswith("__value_") or own is _MISSING or (name == "__hash__" and own is None):
            type.__setattr__(cls, name, value)  # a method the class writes itself wins, as with dataclasses
    return cls


if TYPE_CHECKING:  # typing.overload at run time only records the variants: type checkers alone need them

    @overload
    def frozen(cls: type[T], /) -> type[T]: ...
    @overload
    def frozen(*, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[T] | None = None, /, *, order: bool = False) -> Any:
    """An immutable, hashable record type (as `@dataclass(frozen=True)`; `order=True` as there)."""
    if cls is None:
        return lambda inner: _make(inner, frozen=True, ordered=order)
    return _make(cls, frozen=True, ordered=order)


@dataclass_transform(field_specifiers=(field,))
def mutable(cls: type[T], /) -> type[T]:
    """A record type whose fields can be assigned (as a plain `@dataclass`); not hashable."""
    return _make(cls, frozen=False, ordered=False)


def replace(value: T, /, **changes: Any) -> T:
    """A copy of a record with some fields changed (as `dataclasses.replace`)."""
    cls: Any = type(value)
    unknown = set(changes) - set(cls.__value_fields__)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    current = {name: getattr(value, name) for name in cls.__value_fields__}
    current.update(changes)
    return cls(**current)  # type: ignore[no-any-return]


def field_names(cls_or_value: object) -> tuple[str, ...]:
    """The fields of a record type or value, in order (as `[f.name for f in dataclasses.fields(x)]`)."""
    names: tuple[str, ...] = cls_or_value.__value_fields__  # type: ignore[attr-defined]
    return names
