"""Packages built the way conda's own test recipes build them (conda's tests/data/recipes), at test time.

Each function returns the PackageDef of one recipe: the files its build script writes, its
dependencies and link scripts, so that corral meets the packages conda's test suite installs.
"""

from __future__ import annotations

from tests.support.channel import FileEntry, PackageDef


def _sh(text: str) -> FileEntry:
    return FileEntry(text.encode(), mode=0o755)


def conda_test_recipes() -> list[PackageDef]:
    """The recipes that exercise link scripts, messages, activation scripts and clobbering."""
    returns_if_file = "if [[ $(stat ${PREFIX}/bin/file) ]]; then\n  return 0\nfi\n\nreturn 1\n"
    run_in_env = (
        "# send feedback to .messages to make debugging easier\n"
        'echo "TEST_VAR is set to :${TEST_VAR}:" >> "$PREFIX/.messages.txt"\n'
        'if [ "${TEST_VAR}" != "1" ]; then\n'
        '    echo "Error: TEST_VAR is not set or set incorrectly" >> "$PREFIX/.messages.txt";\n'
        "    exit 1;\nfi\n"
        'echo "Success: TEST_VAR is set correctly" >> "$PREFIX/.messages.txt"\nexit 0\n'
    )
    return [
        PackageDef("post_link-b", "1.0", files={"bin/file": FileEntry(b"test\n")}),
        PackageDef(
            "post_link-c",
            "1.0",
            depends=["post_link-b"],
            files={"bin/.post_link-c-post-link.sh": _sh(returns_if_file)},
        ),
        PackageDef(
            "post_link-e", "1.0", files={"bin/.post_link-e-post-link.sh": _sh('echo "test" > ${PREFIX}/bin/file\n')}
        ),
        PackageDef(
            "post_link-d",
            "1.0",
            depends=["post_link-e"],
            files={"bin/.post_link-d-post-link.sh": _sh(returns_if_file)},
        ),
        PackageDef(
            "post_link_run_in_env_package",
            "1.0",
            files={
                "etc/conda/activate.d/test.sh": _sh("echo 'setting TEST_VAR' && export TEST_VAR=1\n"),
                "etc/conda/deactivate.d/test.sh": _sh("echo 'unsetting TEST_VAR' && unset TEST_VAR\n"),
                "bin/.post_link_run_in_env_package-post-link.sh": _sh(run_in_env),
            },
        ),
        PackageDef(
            "pre_link_messages_package",
            "1.0",
            info_files={
                "prelink_messages/message-from-pkg.txt": b"Lorem ipsum dolor sit amet, consectetur adipiscing elit,\n"
                b"sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.\n",
                "prelink_messages/message-from-pkg2.txt": b"Spam spam spam,\nSPAM!\n",
            },
        ),
        PackageDef("failing_post_link", "1.0", files={"bin/.failing_post_link-post-link.sh": _sh("exit 1\n")}),
        PackageDef("clobber-a", "1.0", files={"bin/clobber-test-file": FileEntry(b"clobber-a\n")}),
        PackageDef("clobber-b", "1.0", files={"bin/clobber-test-file": FileEntry(b"clobber-b\n")}),
        PackageDef(
            "small-executable",
            "1.0",
            files={
                "bin/small": _sh("#!/usr/bin/env bash\necho Hello! $@\n"),
                "Scripts/small.bat": FileEntry(b"@echo Hello! %*\n"),
                "etc/conda/activate.d/small_executable.sh": FileEntry(b'SMALL_EXE="small-var-sh"\n'),
                "etc/conda/activate.d/small_executable.bat": FileEntry(b'set "SMALL_EXE=small-var-cmd"\n'),
            },
        ),
        PackageDef(
            "activate_deactivate_package",
            "1.0",
            files={
                "etc/conda/activate.d/activate.sh": FileEntry(
                    b'export TEST=teststringfromactivate\nexport PATH="${TEST}/bin/test:${PATH}"\n'
                ),
                "etc/conda/deactivate.d/deactivate.sh": FileEntry(
                    b'export TEST=teststringfromactivate\nexport PATH=`echo $PATH | sed "s|${TEST}/bin/test:||"`\n'
                ),
            },
        ),
    ]
