"""Shared helpers for rich output.  Names from artifacts are always plain Text, never markup."""

from __future__ import annotations

from rich.console import Console, RenderHook
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from ..sanitize import visible, visible_lines


class _Visible:
    """A renderable whose rendered text has every control character made visible."""

    def __init__(self, renderable):
        self.renderable = renderable

    def __rich_console__(self, console: Console, options):
        for segment in console.render(self.renderable, options):
            text = segment.text
            if segment.control or text.isprintable() or text == "\n":
                yield segment
            else:
                yield Segment(visible_lines(text), segment.style, segment.control)


class _Sanitise(RenderHook):
    """The net under the renderers, which already pass artifact strings through ``plain``:
    any control character left in what a console prints is shown as an escape.  rich's
    own styling (colour codes) is added after rendering, so it is unaffected."""

    def process_renderables(self, renderables):
        return [_Visible(r) for r in renderables]


def console(stderr: bool = False) -> Console:
    """A console for reports; when output goes to a file or pipe, wide enough not to cut names."""
    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out = Console(stderr=stderr, highlight=False, soft_wrap=False, width=PIPE_WIDTH)
    out.push_render_hook(_Sanitise())
    return out


PIPE_WIDTH = 200


def plain(value) -> Text:
    """Artifact data as literal, visible text: ``[red]x`` stays ``[red]x``, ESC shows as ``\\x1b``."""
    return Text(visible(value))


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
