"""Fixed-width tables for long listings (thousands of rows), fast where rich.Table is not.

rich's Table measures and lays out every cell through its renderable protocol,
about a millisecond per row: 20 seconds for a checkpoint of 20,000 tensors.
Here the columns are laid out once from the data: each is as wide as its
widest line, the widest columns shrink until the table fits the console, and a
line longer than its column folds onto the next.  Up to ``STREAM_FROM`` rows
the lines are rich ``Text`` (styles kept); from there on they are plain text
written straight to the console's file, so output runs at the speed of the
data.  Cells are never markup, and their text is sanitised, so names from an
artifact print literally and visibly.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import RE_TAGS
from rich.table import Table
from rich.text import Text

from ..sanitize import visible_lines

GAP = 2
MIN_WIDTH = 6
STREAM_FROM = 200  # rows; below this, rich lays tables out (titles, styles, justification)
_CHUNK = 2000  # lines per write when streaming


def print_group(out: Console, group) -> None:
    """Print a rich ``Group`` part by part, its tables through :func:`print_table`."""
    for part in group.renderables:
        if isinstance(part, Table):
            print_table(out, part)
        else:
            out.print(part)


def print_table(out: Console, table: Table) -> None:
    """Print a table built with ``style.table``: with rich when small, streamed when large."""
    if table.row_count < STREAM_FROM:
        out.print(table)
        return
    headers = [str(column.header) for column in table.columns]
    columns = [[_cell_text(cell) for cell in column.cells] for column in table.columns]
    rows = list(zip(*columns))
    right = [column.justify == "right" for column in table.columns]
    title = None if table.title is None else str(table.title)
    stream_rows(out, headers, rows, right=right, title=title)


def print_lines(out: Console, lines: Sequence[Text]) -> None:
    """Print lines of text: each through rich when there are few, streamed as plain text when many."""
    if len(lines) < STREAM_FROM:
        for line in lines:
            out.print(line)
        return
    pending: list[str] = []
    for line in lines:
        pending.append(visible_lines(line.plain))
        if len(pending) >= _CHUNK:
            _write(out, pending)
    _write(out, pending)


def print_grid(out: Console, headers: Sequence[str], rows: Sequence[Sequence[Text]],
               header_style: str = "bold cyan") -> None:
    if not rows:
        return
    if len(rows) >= STREAM_FROM:
        stream_rows(out, headers, [[cell.plain for cell in row] for row in rows])
        return
    natural = [max([len(h)] + [_widest_line(row[i].plain) for row in rows]) for i, h in enumerate(headers)]
    widths = fit_widths(natural, out.width - GAP * (len(headers) - 1))
    lines: list[Text] = [_line([Text(h, style=header_style) for h in headers], widths)]
    for row in rows:
        lines.extend(_row_lines(row, widths))
    block = Text("\n").join(lines)
    out.print(block, soft_wrap=True, overflow="ignore", crop=False)


def stream_rows(out: Console, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
                right: Sequence[bool] | None = None, title: str | None = None, sanitized: bool = False) -> None:
    """Write an aligned plain-text table straight to ``out``'s file, in chunks of lines.

    ``sanitized``: the cells are already visible text (``sanitize.visible`` per name, newlines
    only where the renderer broke lines), so they are not scanned again.
    """
    if not sanitized:
        rows = [[visible_lines(cell) for cell in row] for row in rows]
    natural = [max([len(h)] + [_widest_line(row[i]) for row in rows]) for i, h in enumerate(headers)]
    widths = fit_widths(natural, out.width - GAP * (len(headers) - 1))
    right = list(right) if right is not None else [False] * len(headers)
    pending: list[str] = [visible_lines(title)] if title else []
    pending.append(_template(widths, [False] * len(headers))(*headers).rstrip())
    line = _template(widths, right)
    for row in rows:
        pending.extend(_plain_row_lines(row, widths, line))
        if len(pending) >= _CHUNK:
            _write(out, pending)
    _write(out, pending)


def _write(out: Console, lines: list[str]) -> None:
    if lines:
        out.file.write("\n".join(lines) + "\n")
        lines.clear()


def _cell_text(cell) -> str:
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):  # a str cell of a rich table is markup written by us
        return Text.from_markup(cell).plain if "[" in cell and RE_TAGS.search(cell) else cell
    return str(cell)


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


def _widest_line(text: str) -> int:
    if "\n" not in text:
        return len(text)
    return max(len(line) for line in text.split("\n"))


# -- plain-text rows ----------------------------------------------------------------
def _template(widths: list[int], right: Sequence[bool]):
    """``str.format`` of a line with the columns padded to ``widths`` (the last one left ragged)."""
    last = len(widths) - 1
    fields = [f"{{:>{w}}}" if right[i] else ("{}" if i == last else f"{{:<{w}}}") for i, w in enumerate(widths)]
    return (" " * GAP).join(fields).format


def _plain_row_lines(cells: Sequence[str], widths: list[int], line) -> list[str]:
    if all(len(cell) <= width and "\n" not in cell for cell, width in zip(cells, widths)):
        return [line(*cells).rstrip()]
    folded = [_fold_plain(cell, width) for cell, width in zip(cells, widths)]
    height = max(map(len, folded))
    padded = [parts if len(parts) == height else parts + [""] * (height - len(parts)) for parts in folded]
    return [line(*parts).rstrip() for parts in zip(*padded)]


def _fold_plain(cell: str, width: int) -> list[str]:
    if len(cell) <= width and "\n" not in cell:
        return [cell]
    parts: list[str] = []
    for line in cell.split("\n"):
        if len(line) <= width:
            parts.append(line)
            continue
        starts = [0, *_breaks(line, width)]
        parts.extend(line[a:b] for a, b in zip(starts, [*starts[1:], len(line)]))
    return parts or [""]


# -- rich Text rows (small tables) --------------------------------------------------
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
