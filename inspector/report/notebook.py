"""The same renderables the command line prints, as HTML for Jupyter's ``_repr_html_``.

:func:`to_html` walks a rich renderable made of Groups, Tables and Texts (what the
report modules build) and writes a real ``<table>`` for each Table and a ``<pre>``
for each line of text, keeping the styles as inline CSS.  Every piece of text is
passed through :func:`~inspector.sanitize.visible` and ``html.escape``, so a
name like ``<script>`` or ``[red]`` from an artifact shows as those characters.
"""

from __future__ import annotations

import html
import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from rich.text import Text

from ..sanitize import visible

_PRE = "margin:0;white-space:pre;font-family:monospace;line-height:1.3"
_CELL = "text-align:{align};vertical-align:top;padding:0.1em 1.2em 0.1em 0;font-family:monospace;white-space:pre"
_WIDTH = 200


def to_html(renderable: RenderableType) -> str:
    """``renderable`` as an HTML fragment, styles inline, every string escaped."""
    console = Console(file=io.StringIO(), width=_WIDTH, color_system="truecolor", force_terminal=False,
                      force_jupyter=False, highlight=False, soft_wrap=False)
    return f'<div class="tfinspect">{_html(renderable, console)}</div>'


def _html(item, console: Console) -> str:
    if isinstance(item, Group):
        return "".join(_html(child, console) for child in item.renderables)
    if isinstance(item, Table):
        return _table(item, console)
    if isinstance(item, str):
        item = console.render_str(item)
    if isinstance(item, Text):
        return f'<pre style="{_PRE}">{_text(item, console) or "&nbsp;"}</pre>'
    # Anything else: its plain text as the terminal would show it.
    with console.capture() as capture:
        console.print(item)
    return f'<pre style="{_PRE}">{_escape(capture.get())}</pre>'


def _text(text: Text, console: Console) -> str:
    parts = []
    for segment in text.render(console, end=""):
        body = _escape(segment.text)
        css = segment.style.get_html_style(DEFAULT_TERMINAL_THEME) if segment.style else ""
        parts.append(f'<span style="{css}">{body}</span>' if css else body)
    return "".join(parts)


def _escape(value: str) -> str:
    """Visible, HTML-escaped text; line breaks stay line breaks."""
    return "\n".join(html.escape(visible(line)) for line in value.split("\n"))


def _cell(cell, console: Console) -> str:
    if isinstance(cell, str):
        cell = console.render_str(cell)
    if isinstance(cell, Text):
        return _text(cell, console)
    return _html(cell, console)


def _table(table: Table, console: Console) -> str:
    out = ['<table style="border-collapse:collapse;margin:0.4em 0">']
    if table.title:
        title = table.title if isinstance(table.title, Text) else console.render_str(str(table.title))
        out.append(f'<caption style="text-align:left;font-weight:bold;font-family:monospace">{_text(title, console)}</caption>')
    aligns = [column.justify if column.justify in ("right", "center") else "left" for column in table.columns]
    if table.show_header:
        out.append("<thead><tr>")
        for column, align in zip(table.columns, aligns):
            header = column.header.copy() if isinstance(column.header, Text) else Text(str(column.header))
            header.stylize(table.header_style or "")
            out.append(f'<th style="{_CELL.format(align=align)}">{_text(header, console)}</th>')
        out.append("</tr></thead>")
    out.append("<tbody>")
    columns = [list(column.cells) for column in table.columns]
    for row in range(table.row_count):
        out.append("<tr>")
        for cells, align in zip(columns, aligns):
            value = cells[row] if row < len(cells) else ""
            out.append(f'<td style="{_CELL.format(align=align)}">{_cell(value, console)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


# -- the renderables of the objects the Python API returns ---------------------------------
def artifact_renderable(artifact) -> Group:
    """An artifact as `tfinspect show` prints it."""
    from ..analysis.overview import overview
    from .show import overview_renderable

    return overview_renderable(overview(artifact))


def meta_graph_renderable(meta) -> Group:
    """A MetaGraph: its tags, writer and size as `tfinspect show` prints them, then each signature."""
    from ..analysis.overview import heading
    from .show import meta_graph_heading
    from .signatures import signature_renderable

    parts: list = meta_graph_heading(heading(meta))
    for sig in meta.signatures.values():
        parts.append(signature_renderable(sig, meta.tags))
    if not meta.signatures:
        parts.append(Text("  signatures: none", style="dim"))
    return Group(*parts)


def signature_renderable(sig) -> Group:
    from .signatures import signature_renderable as render

    return render(sig, ())


def finding_renderable(finding) -> Group:
    from .check import finding_lines

    return Group(*finding_lines(finding))


def _register() -> None:
    """Fill the rendering protocol (``inspector.display``) with the renderers above."""
    from .. import display
    from ..checks.core import Finding
    from ..model.artifact import Artifact
    from ..model.metagraph import MetaGraph, Signature

    display.register_html(to_html)
    display.register(Artifact, artifact_renderable)
    display.register(MetaGraph, meta_graph_renderable)
    display.register(Signature, signature_renderable)
    display.register(Finding, finding_renderable)


_register()
