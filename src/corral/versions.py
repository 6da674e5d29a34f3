"""Conda's version order in pure Python, for code paths that must not pay rattler's import (rollback, list).

The rules are conda's: lower-case; an optional `N!` epoch; a `+local` part compared last; `-` read
as `_` when there is no `_`; components split at `.` and `_`, each into runs of digits and letters;
a component that starts with a letter gets a leading 0; `dev` sorts below every other string,
`post` above every number; strings sort below numbers; missing parts count as 0. The solver and
the installer still use rattler's own Version; a test checks this order against it.
"""

from __future__ import annotations

from itertools import zip_longest

from corral.regex import Lazy

_RUNS = Lazy(r"([0-9]+|[^0-9]+)")
_POST = float("inf")
Part = int | float | str


def _parse_part(text: str) -> list[list[Part]]:
    out: list[list[Part]] = []
    for component in text.replace("_", ".").split("."):
        runs: list[Part] = []
        for run in _RUNS.findall(component):
            if run.isdigit():
                runs.append(int(run))
            elif run == "post":
                runs.append(_POST)
            elif run == "dev":
                runs.append("DEV")  # upper case sorts below every lower-case string
            else:
                runs.append(run)
        if not runs or not component[0].isdigit():
            runs.insert(0, 0)
        out.append(runs)
    return out


def parse(version: str) -> tuple[int, list[list[Part]], list[list[Part]]]:
    """(epoch, main components, local components) of a conda version string."""
    text = version.strip().lower()
    epoch = 0
    if "!" in text:
        head, text = text.split("!", 1)
        epoch = int(head) if head.isdigit() else 0
    main, _, local = text.partition("+")
    if "-" in main and "_" not in main:
        main = main.replace("-", "_")
    return epoch, _parse_part(main), _parse_part(local) if local else []


def _compare_parts(a: list[list[Part]], b: list[list[Part]]) -> int:
    for ca, cb in zip_longest(a, b, fillvalue=[0]):
        for x, y in zip_longest(ca, cb, fillvalue=0):
            if x == y:
                continue
            if isinstance(x, str) and not isinstance(y, str):
                return -1
            if isinstance(y, str) and not isinstance(x, str):
                return 1
            return -1 if x < y else 1  # type: ignore[operator]
    return 0


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as conda orders versions `a` and `b`."""
    ea, ma, la = parse(a)
    eb, mb, lb = parse(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_parts(ma, mb) or _compare_parts(la, lb)
