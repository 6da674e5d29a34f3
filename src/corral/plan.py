"""The plan: how the solved packages differ from the installed ones (no rattler import: rollback uses it)."""

from __future__ import annotations

from collections.abc import Iterable

from corral.models import Change, PackageInfo, Plan
from corral.versions import compare

TYPE_CHECKING = False
if TYPE_CHECKING:
    from corral.models import ChangeKind


def diff(old: Iterable[PackageInfo], new: Iterable[PackageInfo]) -> Plan:
    """Compare two package sets by name: added, removed, upgraded, downgraded, changed build/channel."""
    before = {p.name: p for p in old}
    after = {p.name: p for p in new}
    changes = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        kind: ChangeKind
        if a is None:
            kind = "add"
        elif b is None:
            kind = "remove"
        elif a == b:
            continue
        elif order := compare(b.version, a.version):
            kind = "upgrade" if order > 0 else "downgrade"
        elif a.build_number != b.build_number:
            kind = "upgrade" if b.build_number > a.build_number else "downgrade"
        else:
            kind = "change"
        changes.append(Change(kind=kind, name=name, old=a, new=b))
    return Plan(tuple(changes))
