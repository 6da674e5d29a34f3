"""The human text of the store commands: du, clean, doctor."""

from __future__ import annotations

from typing import Any

from corral.cli.text import size, table


def du(result: Any) -> str:
    out = [
        f"Store {result.root}: {size(result.total)} on disk, each file counted once"
        f" ({size(result.naive)} if hardlinks were counted in every place they appear)",
        "",
    ]
    rows = [
        [
            e.env,
            f"{e.current or '-'} ({e.generations} kept)",
            size(e.unique),
            size(e.shared),
            size(e.apparent),
            size(e.old_generations),
        ]
        for e in result.envs
    ]
    out.append(table(rows, ["environment", "generation", "unique", "shared", "apparent", "old generations"]).rstrip())
    if not result.packages:
        out.append("")
        rows = [[c.name, size(c.on_disk), size(c.only_here)] for c in result.caches]
        out.append(table(rows, ["cache", "on disk", "linked by no environment"]).rstrip())
        out.append(f"other (records, history, locks): {size(result.other)}")
        out.append("")
        out.append("unique: only this environment's generations hold it; shared: also a cache or another environment.")
        out.append("`corral clean --dry-run` shows what can go.")
    else:
        out.append("")
        rows = [[p.name, p.version, p.kind, size(p.on_disk), size(p.unique)] for p in result.packages[:20]]
        out.append(table(rows, ["package", "version", "kind", "on disk", "unique"]).rstrip())
        if len(result.packages) > 20:
            out.append(f"... and {len(result.packages) - 20} more (--json lists all)")
    out += [f"warning: cannot read {e}" for e in result.errors[:5]]
    return "\n".join(out) + "\n"


def clean_plan(result: Any) -> str:
    """What clean removes, grouped by kind, with the bytes each frees."""
    if not result.items:
        return "Nothing to clean: every cached package is in use and no leftovers were found.\n"
    rows = [[i.kind, i.what, size(i.bytes)] for i in result.items]
    return table(rows, ["kind", "what", "frees"]) + f"Total: {size(result.freed)}\n"


def clean(result: Any) -> str:
    if result.dry_run:
        return clean_plan(result) + "Dry run: nothing was removed.\n"
    if not result.items:
        return clean_plan(result)
    return f"Removed {len(result.items)} item(s), freed {size(result.freed)}.\n"


def _diagnosis(d: Any) -> str:
    if d.healthy:
        return f"{d.env}: healthy (generation {d.generation}, every check passed)\n"
    where = f"in generation {d.generation}" if d.generation is not None else "and no current generation"
    out = [f"{d.env}: {len(d.problems)} problem(s) {where} ({d.path})"]
    for check in sorted({p.check for p in d.problems}, key=lambda c: [p.check for p in d.problems].index(c)):
        found = [p for p in d.problems if p.check == check]
        out.append(f"  {check} ({len(found)}):")
        for problem in found[:10]:
            where = " ".join(x for x in (problem.package, problem.path) if x)
            out.append(f"    {where}: {problem.detail}")
            if problem.affects:
                out.append(f"      affects: {', '.join(problem.affects)}")
        if len(found) > 10:
            out.append(f"    ... and {len(found) - 10} more (--json lists all)")
    return "\n".join(out) + "\n"


def doctor(result: Any) -> str:
    text = "".join(_diagnosis(d) for d in result.diagnoses)
    if result.actions:
        text += "".join(f"fix: {a}\n" for a in result.actions)
    if result.after and result.fixed:
        text += "after the repair:\n" + "".join(_diagnosis(d) for d in result.after)
    elif not result.healthy:
        for d in result.diagnoses:
            if not d.healthy:
                flag = f"-p {d.env}" if "/" in d.env else f"-n {d.env}"
                how = (
                    "writes the history again"
                    if all(p.check == "damaged-history" for p in d.problems)
                    else "a new generation; this one stays for rollback"
                )
                text += f"repair {d.env}: corral doctor {flag} --fix ({how})\n"
    return text
