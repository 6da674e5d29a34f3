"""Virtual packages: conda's CONDA_OVERRIDE_* semantics, and the explanation of one a machine lacks."""

from __future__ import annotations

import pytest

from corral.conda.virtual import Unmet, Virtual, apply_overrides, explain, find_unmet, override_variable

DETECTED: list[Virtual] = [
    ("__archspec", "1", "icelake"),
    ("__glibc", "2.36", "0"),
    ("__linux", "6.1.0", "0"),
    ("__unix", "0", "0"),
]


def versions(environ: dict[str, str], subdir: str = "linux-64", detected: list[Virtual] = DETECTED) -> dict[str, str]:
    """name -> version (or build, for __archspec) after conda's overrides."""
    return {n: (b if n == "__archspec" else v) for n, v, b in apply_overrides(detected, environ, subdir)}


def test_no_override_keeps_what_was_detected() -> None:
    assert versions({}) == {"__archspec": "icelake", "__glibc": "2.36", "__linux": "6.1.0", "__unix": "0"}


def test_empty_linux_override_keeps_linux_at_version_zero() -> None:
    """conda/plugins/virtual_packages/linux.py: `empty_override=None`, "falsy override -> __linux==0=0".

    (rattler's own VirtualPackageOverrides.from_env drops __linux instead.)
    """
    assert versions({"CONDA_OVERRIDE_LINUX": ""})["__linux"] == "0"
    assert versions({"CONDA_OVERRIDE_LINUX": "   "})["__linux"] == "0"  # conda strips the value first (types.py)


def test_linux_override_is_cut_to_its_numeric_release() -> None:
    """conda/plugins/virtual_packages/linux.py `linux_version_validate`: three or four numeric parts, rest dropped."""
    assert versions({"CONDA_OVERRIDE_LINUX": "5.10.0-rc1"})["__linux"] == "5.10.0"
    assert versions({"CONDA_OVERRIDE_LINUX": "4.18.0.553.el8"})["__linux"] == "4.18.0.553"
    assert versions({"CONDA_OVERRIDE_LINUX": "garbage"})["__linux"] == "0"


def test_empty_cuda_override_removes_cuda_and_a_value_sets_it() -> None:
    """conda/plugins/virtual_packages/cuda.py: override_entity="version", empty -> NULL (not exported)."""
    with_cuda = [*DETECTED, ("__cuda", "12.4", "0")]
    assert "__cuda" not in versions({"CONDA_OVERRIDE_CUDA": ""}, detected=with_cuda)
    assert versions({"CONDA_OVERRIDE_CUDA": "11.8"}, detected=with_cuda)["__cuda"] == "11.8"
    assert versions({"CONDA_OVERRIDE_CUDA": " 12.0 "})["__cuda"] == "12.0"  # added on a machine without CUDA


def test_glibc_override_sets_or_removes_glibc() -> None:
    """conda/plugins/virtual_packages/linux.py: __glibc overridable by version, empty -> skipped."""
    assert versions({"CONDA_OVERRIDE_GLIBC": "2.17"})["__glibc"] == "2.17"
    assert "__glibc" not in versions({"CONDA_OVERRIDE_GLIBC": ""})
    assert "__glibc" not in versions({"CONDA_OVERRIDE_GLIBC": "2.17"}, subdir="osx-arm64")


@pytest.mark.parametrize("variable", ["CONDA_OVERRIDE_OSX", "CONDA_OVERRIDE_WIN"])
def test_osx_and_win_overrides_add_nothing_on_linux(variable: str) -> None:
    """conda/plugins/virtual_packages/osx.py and windows.py return early unless the subdir is osx-*/win-*."""
    assert versions({variable: "13.0"}) == versions({})


def test_osx_override_applies_on_osx() -> None:
    """conda/plugins/virtual_packages/osx.py: __osx takes the override; empty -> skipped."""
    detected: list[Virtual] = [("__osx", "14.5", "0"), ("__unix", "0", "0")]
    assert versions({"CONDA_OVERRIDE_OSX": "10.15"}, "osx-64", detected)["__osx"] == "10.15"
    assert "__osx" not in versions({"CONDA_OVERRIDE_OSX": ""}, "osx-64", detected)


def test_archspec_override_replaces_the_build() -> None:
    """conda/plugins/virtual_packages/archspec.py: override_entity="build", empty -> skipped."""
    assert versions({"CONDA_OVERRIDE_ARCHSPEC": "x86_64_v3"})["__archspec"] == "x86_64_v3"
    assert "__archspec" not in versions({"CONDA_OVERRIDE_ARCHSPEC": ""})


def test_unix_cannot_be_overridden_and_the_variable_names_follow_conda() -> None:
    assert versions({"CONDA_OVERRIDE_UNIX": ""})["__unix"] == "0"
    assert override_variable("__glibc") == "CONDA_OVERRIDE_GLIBC"


def test_machine_virtual_packages_apply_conda_overrides_to_rattlers_detection() -> None:
    from corral.conda.machine import machine_virtual_packages

    names = {n: v for n, v, _ in machine_virtual_packages({"CONDA_OVERRIDE_CUDA": "12.2", "CONDA_OVERRIDE_LINUX": ""})}
    assert names["__cuda"] == "12.2" and names["__linux"] == "0"
    assert "__win" not in {n for n, _, _ in machine_virtual_packages({"CONDA_OVERRIDE_WIN": "10"})}


# rattler 0.28's solver texts, as seen for a request and for a dependency
REQUESTED = "Cannot solve the request because of: No candidates were found for __cuda >=12.\n"
DEPENDENCY = (
    "Cannot solve the request because of: top * cannot be installed because there are no viable options:\n"
    "└─ top 1.0 would require\n"
    "   └─ needsnewglibc *, which cannot be installed because there are no viable options:\n"
    "      └─ needsnewglibc 1.0 would require\n"
    "         └─ __glibc >=99, for which no candidates were found.\n"
)


def test_the_unmet_virtual_package_is_found_in_the_solver_text() -> None:
    assert find_unmet(REQUESTED) == Unmet("__cuda", ">=12")
    assert find_unmet(DEPENDENCY) == Unmet("__glibc", ">=99", "needsnewglibc 1.0")
    assert find_unmet("Cannot solve the request because of: No candidates were found for numpy.\n") is None


def test_the_explanation_names_what_the_machine_has_and_the_override() -> None:
    def satisfies(spec: str, version: str) -> bool:
        return float(version) >= float(spec.lstrip(">="))

    message, hint = explain(Unmet("__glibc", ">=99", "needsnewglibc 1.0"), DETECTED, "linux-64", satisfies)
    assert message == "needsnewglibc 1.0 needs '__glibc >=99', and this machine has __glibc 2.36"
    assert "CONDA_OVERRIDE_GLIBC=99.0" in hint
    message, hint = explain(Unmet("__cuda", ">=12"), DETECTED, "linux-64", satisfies)
    assert message.endswith("this machine has no __cuda (no CUDA driver was found)")
    assert "CONDA_OVERRIDE_CUDA=12.0" in hint


def test_the_platform_known_without_rattler_is_rattlers() -> None:
    """`current_platform` answers from the standard library; its answer is rattler's `Subdir.current()` here."""
    import rattler

    from corral.conda.machine import current_platform

    assert current_platform() == str(rattler.Subdir.current())
