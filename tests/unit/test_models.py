"""Value types: spec names, spec merging, round trips."""

from __future__ import annotations

import pytest

from corral.models import Change, EnvSpec, HistoryEntry, PackageInfo, Plan, spec_name


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("numpy", "numpy"),
        ("numpy>=1.26", "numpy"),
        ("numpy ==1.26.4", "numpy"),
        ("python 3.12.*", "python"),
        ("conda-forge::NumPy=1.2", "numpy"),
        ("scikit-learn[build=py*]", "scikit-learn"),
        ("pkg !=1", "pkg"),
    ],
)
def test_spec_name_reads_the_package_name(spec: str, name: str) -> None:
    assert spec_name(spec) == name


def test_with_specs_replaces_by_name_and_keeps_order() -> None:
    spec = EnvSpec(channels=("c",), specs=("python 3.12.*", "numpy"))
    assert spec.with_specs(["numpy >=2", "scipy"]).specs == ("python 3.12.*", "numpy >=2", "scipy")
    assert spec.with_specs(["python"]).specs == ("python", "numpy")
    assert spec.without(["NUMPY"]).specs == ("python 3.12.*",)


def test_values_round_trip_through_dicts() -> None:
    a = PackageInfo("numpy", "1.26.4", "py312_0", "conda-forge", "linux-64", 0)
    b = PackageInfo("numpy", "2.0.0", "py312_0", "conda-forge", "linux-64", 0)
    plan = Plan((Change("upgrade", "numpy", a, b), Change("add", "scipy", None, a)))
    assert Plan.from_dict(plan.to_dict()) == plan
    assert plan.summary()["upgrade"] == 1 and plan.summary()["add"] == 1
    entry = HistoryEntry(3, "2026-01-01T00:00:00+00:00", "install", "corral install", 2, plan.changes)
    assert HistoryEntry.from_dict(entry.to_dict()) == entry
    spec = EnvSpec(("conda-forge",), ("numpy",))
    assert EnvSpec.from_dict(spec.to_dict()) == spec
