"""What `tfinspect graph` draws: options in, DOT out.  The command and ``inspector.graph`` both call it.

:func:`draw` asks :mod:`inspector.analysis.diagram` what to show (the view, the nodes, the
scopes drawn as one box) and returns a :class:`Drawing` whose ``make(depth)`` writes the DOT; :meth:`Drawing.encode`
lays it out as SVG, PNG, PDF or the interactive HTML page.  Nothing here prints: notes for
the user are collected in ``Drawing.notes``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis import diagram as diagram_plan
from ..analysis import layers
from ..analysis.diagram_options import DiagramOptions
from ..errors import InspectorError
from ..model.artifact import Artifact
from . import render
from .dot import DotOptions, build_dot
from .layers_dot import build_layer_dot

FORMATS = {".dot": None, ".gv": None, ".svg": "svg", ".png": "png", ".pdf": "pdf", ".html": "html"}


def output_format(out: str) -> str | None:
    """The format the output file's extension asks for (None: DOT); ``-`` is DOT on stdout."""
    suffix = "" if out == "-" else Path(out).suffix.lower()
    if out != "-" and suffix not in FORMATS:
        raise InspectorError(out, f"unknown output format {suffix or '(no extension)'!r}",
                             "use .dot, .svg, .png, .pdf or .html, or -o - for DOT on stdout")
    return FORMATS.get(suffix)


def dot_program(fmt: str | None, out: str) -> str | None:
    """The Graphviz ``dot`` binary when ``fmt`` needs a layout; a clear error when it is missing."""
    needs = fmt is not None and fmt != "html"  # the page lays itself out in the browser
    dot_binary = shutil.which("dot") if needs else None
    if needs and dot_binary is None:
        raise InspectorError(out, "the Graphviz 'dot' program was not found", render.INSTALL_HINT)
    return dot_binary


@dataclass
class Drawing:
    """A planned diagram rendered: ``make(depth, within=None, drawn_ids=None)`` returns its DOT."""

    plan: diagram_plan.Plan
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return (self.plan.graph or self.plan.view).title

    @property
    def depth(self) -> int | None:
        return self.plan.depth

    def make(self, depth: int | None, within: str | None = None, drawn_ids: dict | None = None) -> str:
        plan = self.plan
        if plan.graph is not None:
            part = plan.graph if within is None else layers.excerpt(plan.graph, {within})
            return build_layer_dot(part, depth or 1, plan.options.edge_labels, plan.options.rankdir, drawn_ids,
                                   plan.blocks if within is None else None)
        options = DotOptions(edge_labels=plan.options.edge_labels, control=plan.control,
                             rankdir=plan.options.rankdir)
        return build_dot(plan.view, plan.selection(depth, within), plan.meta.stripped_op_list, options, drawn_ids)

    def dot(self) -> str:
        return self.make(self.depth)

    def encode(self, fmt: str | None, dot_binary: str | None, timeout: float, out: str) -> bytes:
        """The diagram as ``fmt`` (None: DOT; svg, png, pdf; html: the interactive page)."""
        if fmt is None:
            return self.dot().encode("utf-8")
        if fmt == "html":
            from . import html  # only this format needs it

            return html.page(self.plan, self.notes)
        return _draw(dot_binary, self.dot(), fmt, timeout, out, self.make, self.depth, self.notes)


def draw(artifact: Artifact, tag_set: str | None, options: DiagramOptions,
         fmt: str | None = None) -> Drawing:
    """The diagram of one MetaGraph of ``artifact`` that ``options`` asks for, to be written as ``fmt``."""
    chosen = diagram_plan.plan(artifact, tag_set, options, page=fmt == "html")
    return Drawing(chosen, chosen.notes)


def _draw(dot_binary, source, fmt, timeout, out, make, depth, notes) -> bytes:
    """Lay out; when dot shrank a too-large bitmap, collapse one level further and say so."""
    data, scaled = render.render(dot_binary, source, fmt, timeout, out, notes)
    first = scaled
    while scaled is not None and depth is not None and depth > 1:
        depth -= 1
        data, scaled = render.render(dot_binary, make(depth), fmt, timeout, out, notes)
        if scaled is None:
            notes.append(f"the {fmt.upper()} was too large for Graphviz (it would have scaled it by "
                         f"{first:g}); collapsed scopes below --depth {depth} instead")
    if scaled is not None:
        notes.append(f"Graphviz scaled the {fmt.upper()} down by {scaled:g} to fit its size limit; "
                     "write .svg or .pdf for full size, or draw less (--depth, --scope)")
    return data
