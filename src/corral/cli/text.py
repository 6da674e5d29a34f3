"""Text shapes every renderer uses: aligned tables and sizes for people."""

from __future__ import annotations


def table(rows: list[list[str]], header: list[str]) -> str:
    """Left-aligned columns."""
    if not rows:
        return ""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def size(count: int) -> str:
    """Bytes for people: 0 B, 512 B, 4.0 KiB, 1.2 MiB, 3.40 GiB."""
    from corral.reporting import human_bytes

    return human_bytes(count)
