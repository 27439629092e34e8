"""What `tfinspect graph` draws: options in, DOT out.  The command and ``inspector.graph`` both call it.

:func:`draw` picks the view (Keras layers or ops) and the nodes, collapses scopes to fit,
and returns a :class:`Drawing` whose ``make(depth)`` writes the DOT; :meth:`Drawing.encode`
lays it out as SVG, PNG, PDF or the interactive HTML page.  Nothing here prints: notes for
the user are collected in ``Drawing.notes``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis import graphsel, layers
from ..analysis.budget import AUTO_HIDE_CONTROL
from ..errors import InspectorError, SelectionError
from ..model.artifact import Artifact
from ..model.metagraph import MetaGraph
from . import render
from .dot import DotOptions, build_dot
from .layers_dot import build_layer_dot, count_boxes

FORMATS = {".dot": None, ".gv": None, ".svg": "svg", ".png": "png", ".pdf": "pdf", ".html": "html"}
OPS_ONLY = ("expand_calls", "inputs", "outputs", "around", "fold_consts")
# Above this many boxes, control edges are hidden unless --control dashed asks for them:
# they do not constrain the layout but dot still routes each one (ResNet50: 120 s vs 24 s).


def output_format(out: str) -> str | None:
    """The format the output file's extension asks for (None: DOT); ``-`` is DOT on stdout."""
    suffix = "" if out == "-" else Path(out).suffix.lower()
    if out != "-" and suffix not in FORMATS:
        raise InspectorError(out, f"unknown output format {suffix or '(no extension)'!r}",
                             "use .dot, .svg, .png, .pdf or .html, or -o - for DOT on stdout")
    return FORMATS.get(suffix)


def dot_program(fmt: str | None, out: str) -> str | None:
    """The Graphviz ``dot`` binary when ``fmt`` needs a layout; a clear error when it is missing."""
    dot_binary = shutil.which("dot") if fmt else None
    if fmt and dot_binary is None:
        raise InspectorError(out, "the Graphviz 'dot' program was not found", render.INSTALL_HINT)
    return dot_binary


@dataclass
class DiagramOptions:
    """What to draw and how: the `graph` command's options, with its defaults."""

    view: str = "auto"  # auto | layers | ops
    signature: str | None = None
    inputs: str | None = None  # comma-separated tensor or node names
    outputs: str | None = None
    scope: str | None = None
    around: str | None = None
    hops: int = 2
    function: str | None = None
    expand_calls: bool = False
    depth: int | None = None
    fold_consts: bool = False
    edge_labels: str = "shape"  # none | shape | full
    control: str = "auto"  # auto | hide | dashed
    rankdir: str = "TB"  # TB | LR
    max_nodes: int = 1500
    path: str | None = None  # names the artifact in errors


@dataclass
class Drawing:
    """A chosen diagram: ``make(depth, within=None, drawn_ids=None)`` returns its DOT."""

    make: Callable[..., str]
    depth: int | None
    meta: MetaGraph
    graph: layers.LayerGraph | None  # the layer view, or None for the op view
    view: graphsel.View | None  # the op view's graph
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return (self.graph or self.view).title

    def dot(self) -> str:
        return self.make(self.depth)

    def encode(self, fmt: str | None, dot_binary: str | None, timeout: float, out: str) -> bytes:
        """The diagram as ``fmt`` (None: DOT; svg, png, pdf; html: the interactive page)."""
        if fmt is None:
            return self.dot().encode("utf-8")
        if fmt == "html":
            from . import html  # only this format needs it

            return html.page(html.Source(self.make, self.depth, self.graph, self.meta, self.view),
                             dot_binary, timeout, out, self.notes)
        return _draw(dot_binary, self.dot(), fmt, timeout, out, self.make, self.depth, self.notes)


def draw(artifact: Artifact, tag_set: str | None, args: DiagramOptions) -> Drawing:
    """The diagram of one MetaGraph of ``artifact`` that ``args`` asks for."""
    meta = artifact.meta_graph(tag_set)  # one error text for an artifact without a graph
    if args.signature and args.function:
        raise SelectionError(None, "--signature and --function cannot be combined")
    title = Path(artifact.path).name + (f" ({meta.tag_label})" if meta.tags else "")
    notes: list[str] = []
    graph = view = None
    if _layer_view(args, meta, notes):
        graph = (layers.function_layers(meta, args.function) if args.function
                 else layers.signature_layers(meta, args.signature))
        graph.title = f"{title}: {graph.title}"
        if args.scope:
            layers.keep_scope(graph, args.scope)
        make, depth = _layer_source(args, graph, notes)
    else:
        make, depth, view = _op_source(args, meta, title, notes)
    return Drawing(make, depth, meta, graph, view, notes)


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


def _layer_view(args, meta, notes: list[str]) -> bool:
    ops_only = [f"--{name.replace('_', '-')}" for name in OPS_ONLY if getattr(args, name)]
    if args.view == "ops":
        return False
    if args.view == "layers":
        if ops_only:
            raise SelectionError(None, f"--view layers cannot be combined with {', '.join(ops_only)}",
                                 "use --view ops")
        if not (args.signature or args.function):
            args.signature = _default_signature(meta)
            if args.signature is None:
                raise SelectionError(None, "--view layers needs --signature or --function",
                                     "see `tfinspect signatures` and `tfinspect functions`")
        return True
    if ops_only:
        return False
    if args.function:
        return args.function in meta.functions
    if args.signature:
        return layers.is_tf2_call(meta, args.signature)
    default = _default_signature(meta)
    if default is not None and meta.object_graph is not None:
        args.signature = default
        notes.append(f"drawing the layers of signature {default!r}; --view ops draws every op of the graph")
        return True
    return False


def _default_signature(meta) -> str | None:
    for key in ("serving_default", *sorted(meta.signatures)):
        if key in meta.signatures and layers.is_tf2_call(meta, key):
            return key
    return None


def _layer_source(args, graph, notes: list[str]):
    def make(depth: int | None, within: str | None = None, drawn_ids: dict | None = None) -> str:
        part = graph if within is None else layers.excerpt(graph, {within})
        return build_layer_dot(part, depth or 1, args.edge_labels, args.rankdir, drawn_ids)

    depth = args.depth or 1
    while depth > 1 and count_boxes(graph, depth) > args.max_nodes:
        depth -= 1
        notes.append(f"more than --max-nodes {args.max_nodes} boxes; opened the layers to --depth {depth} only")
    return make, depth


def _op_source(args, meta, title: str, notes: list[str]):
    view, names = _select(args, meta)
    view.title = f"{title}: {args.function or args.signature or 'graph'}"
    selection = graphsel.Selection(sorted(names))
    if args.depth is not None:
        graphsel.collapse(view.index, selection, args.depth)
    if not graphsel.fit(view.index, selection, args.max_nodes):
        raise InspectorError(args.path, f"the selection has {len(names)} nodes, too many to draw even "
                             f"at --depth 1 (limit --max-nodes {args.max_nodes})",
                             "narrow it with --signature, --scope or --around, or lower --depth")
    if selection.auto_depth:
        notes.append(f"{len(names)} nodes exceed --max-nodes {args.max_nodes}; collapsed scopes below "
                     f"--depth {selection.depth} ({selection.drawn_count} boxes)")
    control = args.control
    if control == "auto":
        control = "hide" if selection.drawn_count > AUTO_HIDE_CONTROL else "dashed"
        if control == "hide" and any(r.control for n in selection.nodes for r in view.index.inputs(n)):
            notes.append(f"{selection.drawn_count} boxes: control dependencies are hidden to keep the "
                         "layout fast; --control dashed draws them")
    options = DotOptions(edge_labels=args.edge_labels, control=control, rankdir=args.rankdir)

    def make(depth: int | None, within: str | None = None, drawn_ids: dict | None = None) -> str:
        chosen = graphsel.Selection(sorted(names if within is None else graphsel.in_scope(names, within)))
        if depth is not None and depth <= graphsel.max_scope_depth(names):
            graphsel.collapse(view.index, chosen, depth)
        if args.fold_consts:
            graphsel.fold_constants(view.index, chosen)
        return build_dot(view, chosen, meta.stripped_op_list, options, drawn_ids)

    # With nothing collapsed, the depth is one more than the deepest scope.
    depth = selection.depth if selection.depth is not None else graphsel.max_scope_depth(names) + 1
    return make, depth, view


def _select(args: DiagramOptions, meta):
    if args.function:
        view = graphsel.function_view(meta.functions, args.function)
    else:
        view = graphsel.graph_view(meta)
    if args.expand_calls:
        view = graphsel.expand_calls(view, meta.functions)
    names = set(view.index.nodes)
    if args.signature:
        names, ins, outs = graphsel.signature_nodes(meta, view, args.signature)
        view.inputs, view.outputs = ins, outs
    if args.outputs:
        outs = {n for n, _ in graphsel.resolve(view, _split(args.outputs), "--outputs")}
        ins = {n for n, _ in graphsel.resolve(view, _split(args.inputs or ""), "--inputs")}
        names &= graphsel.backward(view.index, sorted(outs), ins)
        view.inputs, view.outputs = ins | (view.inputs & names), outs
    elif args.inputs:
        raise SelectionError(None, "--inputs needs --outputs (the tensors to draw back from)")
    if args.scope:
        names = graphsel.in_scope(names, args.scope)
        if not names:
            raise SelectionError(None, f"no node in scope {args.scope!r}",
                                 "top-level scopes: " + ", ".join(view.index.top_level_scopes()[:20]))
    if args.around:
        names &= graphsel.around(view.index, args.around, args.hops)
    return view, names


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]

