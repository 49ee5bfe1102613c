"""Plain-text tables for reports and the command line."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_table"]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Align columns: a column whose every cell starts like a number (``+71.47``, ``140 mM``)
    to the right, any other to the left."""
    columns = list(zip(headers, *rows, strict=True))
    widths = [max(len(str(cell)) for cell in column) for column in columns]

    def numeric(cell) -> bool:
        cell = str(cell)
        return cell[:1] in "+-0123456789." and cell[:2] != "--"

    right = [all(numeric(c) for c in column[1:] if str(c)) for column in columns]

    def line(cells):
        out = []
        for cell, width, r in zip(cells, widths, right, strict=True):
            out.append(str(cell).rjust(width) if r else str(cell).ljust(width))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
