"""Conda packages' link scripts and messages (issue 15), with the semantics of conda's `conda/core/link.py`.

Pinned conda behaviour: `bin/.NAME-post-link.sh` runs after the files are linked, in an activated
environment, with PREFIX, PKG_NAME, PKG_VERSION, PKG_BUILDNUM and ROOT_PREFIX set (`run_script`);
a failing post-link fails the transaction and the environment stays as it was (`LinkError`);
`$PREFIX/.messages.txt` is shown to the user and removed (`messages`); the files of
`info/prelink_messages/` are shown before linking (`_verify_pre_link_message`). Where corral's
design changes the answer: PREFIX is the generation's own path (where its files embed their
prefix), and every package's scripts run in every new generation, since each is a fresh prefix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Corral
from tests.support.channel import FileEntry, PackageDef, index_channel, simple_package, write_conda_package

pytestmark = pytest.mark.slow


def _script(text: str) -> FileEntry:
    return FileEntry(text.encode(), mode=0o755)


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A channel of packages with link scripts: a base that activates, a writer after it, a failing one."""
    chan = tmp_path_factory.mktemp("scripted")
    base_post = 'echo "base ran" > "$PREFIX/share/base-marker"\n'
    write_conda_package(
        chan,
        PackageDef(
            name="base",
            version="1.0",
            files={
                "bin/.base-post-link.sh": _script(base_post),
                "etc/conda/activate.d/base.sh": FileEntry(b"export BASE_ACTIVE=yes\n"),
                "share/base/data.txt": FileEntry(b"data\n"),
            },
        ),
    )
    writer_post = (
        "set -e\n"
        'test -f "$PREFIX/share/base-marker"\n'  # a dependency's post-link ran first
        'printf "%s|%s|%s|%s|%s|%s\\n" "$PREFIX" "$PKG_NAME" "$PKG_VERSION" "$PKG_BUILDNUM" "$BASE_ACTIVE"'
        ' "$(pwd)" > "$PREFIX/share/writer-was-here"\n'
        'echo "writer says: remember to configure writer" >> "$PREFIX/.messages.txt"\n'
    )
    write_conda_package(
        chan,
        PackageDef(
            name="writer",
            version="2.1",
            build="3",
            build_number=3,
            depends=["base"],
            files={"bin/.writer-post-link.sh": _script(writer_post), "share/writer/w.txt": FileEntry(b"w\n")},
        ),
    )
    failing_post = 'echo "failing explains itself" >> "$PREFIX/.messages.txt"\necho "oops on stderr" >&2\nexit 3\n'
    write_conda_package(
        chan,
        PackageDef(name="failing", version="1.0", files={"bin/.failing-post-link.sh": _script(failing_post)}),
    )
    notice = b"This package's license changed: read it before you go on.\n"
    write_conda_package(
        chan,
        PackageDef(name="noticed", version="1.0", info_files={"prelink_messages/notice.txt": notice}),
    )
    write_conda_package(chan, simple_package("plain", "1.0"))
    unlink = 'echo "pre-unlink ran" > "$PREFIX/share/unlinked"\n'
    write_conda_package(
        chan, PackageDef(name="leaving", version="1.0", files={"bin/.leaving-pre-unlink.sh": _script(unlink)})
    )
    index_channel(chan)
    return chan


def test_post_link_runs_at_the_generation_path_in_order_with_condas_variables(corral: Corral, scripted: Path) -> None:
    res = corral("create", "-n", "s", "-c", str(scripted), "writer", "-y")
    assert res.code == 0, res.err
    prefix = corral.link("s").resolve()
    line = (prefix / "share" / "writer-was-here").read_text().strip()
    assert line == f"{prefix}|writer|2.1|3|yes|{prefix}/bin", line
    assert ".build" not in line
    assert not (prefix / ".messages.txt").exists()  # shown, then removed, as conda does
    out = res.out
    assert "Message from writer (post-link script):" in out and "remember to configure writer" in out
    assert out.index("remember to configure writer") < out.index("now at generation 1")
    assert corral("doctor", "-n", "s").code == 0


def test_every_new_generation_runs_the_scripts_but_shows_only_new_packages_messages(
    corral: Corral, scripted: Path
) -> None:
    assert corral("create", "-n", "s", "-c", str(scripted), "writer", "-y").code == 0
    res = corral("install", "-n", "s", "plain", "-y", "--json")
    assert res.code == 0, res.err
    assert res.json()["result"]["messages"] == []
    prefix = corral.link("s").resolve()
    assert prefix.name == "2" and (prefix / "share" / "writer-was-here").read_text().startswith(f"{prefix}|")


def test_a_failing_post_link_fails_the_change_and_keeps_the_environment(corral: Corral, scripted: Path) -> None:
    assert corral("create", "-n", "f", "-c", str(scripted), "plain", "-y").code == 0
    res = corral("install", "-n", "f", "failing", "-y")
    assert res.code == 1 and "Traceback" not in res.err
    assert "post-link script failed for package failing 1.0 (exit code 3)" in res.err, res.err
    assert "oops on stderr" in res.err and "failing explains itself" in res.err
    assert "--link-scripts skip" in res.err
    assert corral.link("f").resolve().name == "1"
    assert not (corral.root / "generations" / "f" / "2").exists()
    history = corral("history", "-n", "f", "--json").json()["result"]["entries"]
    assert [e["generation"] for e in history] == [1]
    created = corral("create", "-n", "g", "-c", str(scripted), "failing", "-y")
    assert created.code == 1 and not corral.link("g").exists()
    listed = {e["name"] for e in corral("env", "list", "--json").json()["result"]["environments"]}
    assert listed == {"f"}


def test_prelink_messages_are_in_the_plan_before_the_question(corral: Corral, scripted: Path) -> None:
    res = corral("create", "-n", "p", "-c", str(scripted), "noticed", input="n\n")
    assert res.code != 0 and not corral.link("p").exists()
    out = res.out
    assert "Message from noticed (pre-link message notice.txt):" in out, out
    assert out.index("license changed") < out.index("Proceed")
    assert not list((corral.root / "generations").glob("p/*"))


def test_link_scripts_can_be_skipped_or_refused(corral: Corral, scripted: Path) -> None:
    skipped = corral("create", "-n", "k", "-c", str(scripted), "writer", "-y", "--link-scripts", "skip")
    assert skipped.code == 0, skipped.err
    assert "link scripts not run" in skipped.err and "writer (post-link)" in skipped.err
    assert "base (post-link)" in skipped.err
    assert not (corral.link("k") / "share" / "writer-was-here").exists()
    refused = corral(
        "create", "-n", "r", "-c", str(scripted), "writer", "-y", extra_env={"CORRAL_LINK_SCRIPTS": "refuse"}
    )
    assert refused.code == 1 and "Traceback" not in refused.err
    assert "link scripts are refused" in refused.err and "$CORRAL_LINK_SCRIPTS" in refused.err
    assert "writer: .writer-post-link.sh" in refused.err and "base: .base-post-link.sh" in refused.err
    assert not corral.link("r").exists()
    bad = corral("create", "-n", "b", "-c", str(scripted), "plain", "-y", extra_env={"CORRAL_LINK_SCRIPTS": "maybe"})
    assert bad.code == 1 and "link-scripts" in bad.err and "'run', 'skip', 'refuse'" in bad.err


def test_pre_unlink_scripts_are_not_run_and_the_user_is_told_why(corral: Corral, scripted: Path) -> None:
    """conda runs pre-unlink before unlinking a package; corral never unlinks in place (the old generation stays)."""
    assert corral("create", "-n", "u", "-c", str(scripted), "leaving", "plain", "-y").code == 0
    res = corral("remove", "-n", "u", "leaving", "-y")
    assert res.code == 0, res.err
    assert "the pre-unlink script of leaving is not run" in res.err and "generation 1" in res.err
    assert not (corral.root / "generations" / "u" / "1" / "share" / "unlinked").exists()
    assert corral.link("u").resolve().name == "2"


def test_a_lock_and_a_repair_run_the_scripts_too(corral: Corral, scripted: Path, tmp_path: Path) -> None:
    """One road: `create --lock` and `doctor --fix` build through the same materializer, scripts included."""
    assert corral("create", "-n", "s", "-c", str(scripted), "writer", "-y").code == 0
    lock = tmp_path / "corral.lock"
    assert corral("export", "-n", "s", "--format", "lock", "-o", str(lock)).code == 0
    res = corral("create", "-n", "t", "--lock", str(lock), "-y")
    assert res.code == 0, res.err
    assert "remember to configure writer" in res.out
    prefix = corral.link("t").resolve()
    assert (prefix / "share" / "writer-was-here").read_text().startswith(f"{prefix}|writer|")
    (corral.link("s") / "share" / "writer" / "w.txt").unlink()  # damage, so that the repair rebuilds
    fixed = corral("doctor", "-n", "s", "--fix", "-y")
    assert fixed.code == 0, fixed.out + fixed.err
    again = corral.link("s").resolve()
    assert again.name == "2" and (again / "share" / "writer-was-here").read_text().startswith(f"{again}|")
    assert "remember to configure writer" not in fixed.out  # nothing new came in
