"""A plain fixed-width table for long listings (thousands of rows), fast where rich.Table is not.

rich's Table measures and lays out every cell through its renderable protocol,
about a millisecond per row: seconds for a graph of 10,000 operations.  This
grid lays rows out itself: each column is as wide as its widest line, the
widest columns shrink until the table fits the console, and a line longer than
its column folds onto the next.  Cells are rich ``Text`` (never markup), so
names from an artifact print literally, and styles survive.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

GAP = 2
MIN_WIDTH = 6


def print_grid(out: Console, headers: Sequence[str], rows: Sequence[Sequence[Text]],
               header_style: str = "bold cyan") -> None:
    if not rows:
        return
    natural = [max([len(h)] + [_widest_line(row[i]) for row in rows]) for i, h in enumerate(headers)]
    widths = fit_widths(natural, out.width - GAP * (len(headers) - 1))
    lines: list[Text] = [_line([Text(h, style=header_style) for h in headers], widths)]
    for row in rows:
        lines.extend(_row_lines(row, widths))
    block = Text("\n").join(lines)
    out.print(block, soft_wrap=True, overflow="ignore", crop=False)


def fit_widths(natural: list[int], available: int) -> list[int]:
    """Shrink the widest columns (never below MIN_WIDTH or their own width) until they fit."""
    if sum(natural) <= available:
        return list(natural)
    low, high = MIN_WIDTH, max(natural)
    while low < high:  # the largest cap at which everything fits
        cap = (low + high + 1) // 2
        if sum(min(w, cap) for w in natural) <= available:
            low = cap
        else:
            high = cap - 1
    return [min(w, max(low, MIN_WIDTH)) for w in natural]


def _widest_line(cell: Text) -> int:
    plain = cell.plain
    if "\n" not in plain:
        return len(plain)
    return max(len(line) for line in plain.split("\n"))


def _row_lines(cells: Sequence[Text], widths: list[int]) -> list[Text]:
    folded = [_fold(cell, width) for cell, width in zip(cells, widths)]
    height = max(len(parts) for parts in folded)
    return [_line([parts[i] if i < len(parts) else Text() for parts in folded], widths) for i in range(height)]


def _fold(cell: Text, width: int) -> list[Text]:
    parts: list[Text] = []
    for line in cell.split("\n", allow_blank=True) if cell.plain else [Text()]:
        if len(line.plain) <= width:
            parts.append(line)
            continue
        parts.extend(line.divide(_breaks(line.plain, width)))
    return parts


def _breaks(text: str, width: int) -> list[int]:
    """Offsets to fold ``text`` at: after a ``/``, space or comma in a line's second half, else hard."""
    offsets = []
    start = 0
    while len(text) - start > width:
        end = start + width
        soft = max(text.rfind(c, start + width // 2, end) for c in "/ ,")
        start = soft + 1 if soft >= 0 else end
        offsets.append(start)
    return offsets


def _line(cells: Sequence[Text], widths: list[int]) -> Text:
    line = Text()
    last = len(cells) - 1
    for i, (cell, width) in enumerate(zip(cells, widths)):
        line.append_text(cell)
        if i < last:
            line.append(" " * (width - len(cell.plain) + GAP))
    return line
