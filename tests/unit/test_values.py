"""corral.values: @frozen and @mutable behave as the dataclasses they replace (dataclasses' documented behaviour)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from corral.values import FrozenInstanceError, field, field_names, frozen, mutable, replace


@frozen
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class DataPoint:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@frozen(order=True)
class Version:
    major: int
    minor: int = 0


@frozen
class Labelled(Point):
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", self.label.strip())


@mutable
class Bag:
    name: str
    items: list[str] = field(default_factory=list)


def test_construction_repr_and_equality_match_a_frozen_dataclass() -> None:
    cases: list[tuple[tuple[Any, ...], dict[str, Any]]] = [((1,), {}), ((1, 2), {}), ((), {"x": 1, "tags": ("a",)})]
    for args, kwargs in [*cases, ((1,), {"y": 5})]:
        ours, theirs = Point(*args, **kwargs), DataPoint(*args, **kwargs)
        assert repr(ours) == repr(theirs).replace("DataPoint", "Point")
        assert (ours.x, ours.y, ours.tags) == (theirs.x, theirs.y, theirs.tags)
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    other: object = DataPoint(1)
    assert Point(1) != other  # another class is never equal, as with dataclasses
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert {Point(1), Point(1), Point(2)} == {Point(1), Point(2)}
    assert field_names(Point) == ("x", "y", "tags") == tuple(f.name for f in dataclasses.fields(DataPoint))
    assert Point.__match_args__ == DataPoint.__match_args__


def test_bad_calls_fail_as_a_dataclass_call_fails() -> None:
    make: Any = Point
    for args, kwargs in [((), {}), ((1, 2, (), 4), {}), ((1,), {"z": 3}), ((1,), {"x": 2})]:
        with pytest.raises(TypeError):
            make(*args, **kwargs)


def test_frozen_refuses_assignment_but_post_init_may_set() -> None:
    point = Point(1)
    with pytest.raises(FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):  # FrozenInstanceError is an AttributeError, as dataclasses'
        del point.x
    assert Labelled(1, label="  a ").label == "a"
    assert field_names(Labelled) == ("x", "y", "tags", "label")  # a base class's fields first


def test_replace_order_copy_and_pickle() -> None:
    assert replace(Point(1, 2), y=3) == Point(1, 3)
    with pytest.raises(TypeError):
        replace(Point(1), z=1)
    assert replace(Labelled(1, label="a "), x=2) == Labelled(2, label="a")  # __post_init__ runs again
    assert sorted([Version(2), Version(1, 5), Version(1)]) == [Version(1), Version(1, 5), Version(2)]
    assert Version(1) < Version(1, 1) <= Version(1, 1)
    for value in (Point(1, 2, ("a",)), Labelled(3, label="b"), Version(4, 2)):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value


def test_mutable_fields_can_be_assigned_and_factories_are_per_instance() -> None:
    bag, other = Bag("a"), Bag("b")
    bag.items.append("x")
    bag.name = "c"
    assert other.items == [] and bag == Bag("c", ["x"])
    with pytest.raises(TypeError):
        hash(bag)  # a mutable record is not hashable, as a plain @dataclass


def test_a_field_without_a_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default"):

        @frozen
        class Bad:
            x: int = 0
            y: int  # type: ignore[misc]
