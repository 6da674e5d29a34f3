"""conda.clobbers on hand-made records: which paths clash as file against directory, and whose file is kept."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from corral.conda.clobbers import clobbered, file_directory_conflicts
from corral.models import Clobber


def record(name: str, files: list[str], softlinks: tuple[str, ...] = ()) -> dict[str, Any]:
    paths = [{"_path": f, "path_type": "softlink" if f in softlinks else "hardlink"} for f in files]
    return {"name": name, "files": files, "paths_data": {"paths": paths}}


def test_a_file_where_another_package_has_files_inside_is_named_with_both_sides() -> None:
    records = [
        record("a", ["lib/tool", "share/a.txt"]),
        record("b", ["lib/tool/x.py", "lib/tool/sub/y.py"]),
        record("c", ["lib/tool/z.py"]),
    ]
    assert file_directory_conflicts(records) == ["lib/tool: a file in a, a directory of files in b, c"]


def test_no_clash_in_the_common_case_and_a_symlink_to_a_directory_is_fine() -> None:
    assert file_directory_conflicts([record("a", ["bin/x", "lib/a/b.py"]), record("b", ["lib/a/c.py"])]) == []
    # conda packages ship `lib/foo -> foo.1` style links; a link where another package has files is no clash
    assert (
        file_directory_conflicts([record("a", ["lib/link"], softlinks=("lib/link",)), record("b", ["lib/link/f"])])
        == []
    )


def test_a_moved_aside_copy_counts_at_its_original_path() -> None:
    # rattler moved b's copy of lib/tool to __clobbers__/b/lib/tool: it still clashes with c's directory
    records = [record("b", ["__clobbers__/b/lib/tool"]), record("c", ["lib/tool/z.py"])]
    assert file_directory_conflicts(records) == ["lib/tool: a file in b, a directory of files in c"]


def test_clobbered_names_the_package_whose_file_is_in_place() -> None:
    records = [record("a", ["share/same.txt"]), record("b", ["__clobbers__/b/share/same.txt", "share/b.txt"])]
    assert clobbered(records) == [Clobber("share/same.txt", "a", ("b",))]


segments = st.sampled_from(["a", "b", "lib", "x.py", "__clobbers__"])
rel_paths = st.lists(segments, min_size=1, max_size=4).map("/".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["p", "q", "r"]), st.lists(rel_paths, max_size=6)), max_size=4))
def test_the_one_pass_finds_what_comparing_every_pair_of_paths_finds(shipped: list[tuple[str, list[str]]]) -> None:
    records = [record(name, files) for name, files in shipped]

    def placed(rel: str) -> str:  # where a moved-aside copy belongs
        parts = rel.split("/", 2)
        return parts[2] if parts[0] == "__clobbers__" and len(parts) == 3 else rel

    paths = {placed(rel) for _, files in shipped for rel in files}
    as_both = sorted(p for p in paths if any(q.startswith(p + "/") for q in paths))
    assert [line.split(":")[0] for line in file_directory_conflicts(records)] == as_both
