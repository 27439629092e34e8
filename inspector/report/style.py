"""Shared helpers for rich output.  Names from artifacts are always plain Text, never markup."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text


def console(stderr: bool = False) -> Console:
    """A console for reports; when output goes to a file or pipe, wide enough not to cut names."""
    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out = Console(stderr=stderr, highlight=False, soft_wrap=False, width=PIPE_WIDTH)
    return out


PIPE_WIDTH = 200


def plain(value) -> Text:
    """Artifact data as literal text: ``[red]x`` stays ``[red]x``."""
    return Text("" if value is None else str(value))


def human_bytes(count: int | None) -> str:
    if count is None:
        return "?"
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"


def human_count(count: int | None) -> str:
    return "?" if count is None else f"{count:,}"


def table(title: str | None = None, *columns: str, **kwargs) -> Table:
    result = Table(title=title, title_justify="left", title_style="bold", header_style="bold cyan",
                   show_edge=False, pad_edge=False, box=None, **kwargs)
    for column in columns:
        result.add_column(column, overflow="fold")
    return result
