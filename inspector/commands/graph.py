"""`tfinspect graph PATH -o OUT`: a Graphviz diagram (or an interactive HTML page) of a graph."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..analysis import graphsel, layers
from ..errors import InspectorError, SelectionError
from ..report import render
from ..report.dot import DotOptions, build_dot
from ..report.layers_dot import build_layer_dot, count_boxes
from . import common

FORMATS = {".dot": None, ".gv": None, ".svg": "svg", ".png": "png", ".pdf": "pdf", ".html": "html"}
OPS_ONLY = ("expand_calls", "inputs", "outputs", "around", "fold_consts")
# Above this many boxes, control edges are hidden unless --control dashed asks for them:
# they do not constrain the layout but dot still routes each one (ResNet50: 120 s vs 24 s).
AUTO_HIDE_CONTROL = 400


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.GRAPH.add_to(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output file; the extension picks the format: .dot, .svg, .png, .pdf, "
                        ".html (interactive, self-contained); - writes DOT to stdout")
    pick = parser.add_argument_group("what to draw")
    pick.add_argument("--view", choices=("auto", "layers", "ops"), default="auto",
                      help="layers: one box per Keras layer of a TF2 signature or function, call "
                      "wrappers flattened; ops: every op; auto (default): layers for a TF2 signature "
                      "or function, else ops")
    pick.add_argument("--signature", metavar="KEY",
                      help="only what this SignatureDef's outputs need, from its inputs")
    pick.add_argument("--inputs", metavar="A,B", help="comma-separated tensor or node names to stop at")
    pick.add_argument("--outputs", metavar="C,D", help="comma-separated tensor or node names to draw back from")
    pick.add_argument("--scope", metavar="PREFIX", help="only nodes (or layers) under this name scope")
    pick.add_argument("--around", metavar="NODE", help="only the neighbourhood of this node")
    pick.add_argument("--hops", type=int, default=2, metavar="K", help="neighbourhood size for --around (2)")
    pick.add_argument("--function", metavar="NAME", help="draw this library function's body")
    pick.add_argument("--expand-calls", action="store_true",
                      help="draw called functions' bodies inline as clusters (ops view)")
    look = parser.add_argument_group("how to draw it")
    look.add_argument("--depth", type=int, metavar="N",
                      help="collapse name scopes deeper than N levels into one box each; in the "
                      "layers view 1 (default) is one box per layer, 2 and more open the layers")
    look.add_argument("--fold-consts", action="store_true",
                      help="fold small single-use constants into their consumer's label")
    look.add_argument("--edge-labels", choices=("none", "shape", "full"), default="shape",
                      help="edge labels: none, dtype[shape] (default) or tensor name plus dtype[shape]")
    look.add_argument("--control", choices=("auto", "hide", "dashed"), default="auto",
                      help="control dependencies: dashed grey edges, or hidden; auto (default) hides "
                      f"them above {AUTO_HIDE_CONTROL} boxes, with a note")
    look.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="layout direction (TB)")
    look.add_argument("--max-nodes", type=int, default=1500, metavar="N",
                      help="collapse scopes automatically above this many boxes (1500)")
    look.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                      help="time limit for the Graphviz dot renderer (120)")


def run(args: argparse.Namespace) -> int:
    out = args.output
    suffix = "" if out == "-" else Path(out).suffix.lower()
    if out != "-" and suffix not in FORMATS:
        raise InspectorError(out, f"unknown output format {suffix or '(no extension)'!r}",
                             "use .dot, .svg, .png, .pdf or .html, or -o - for DOT on stdout")
    if args.depth is not None and args.depth < 1:
        raise InspectorError(None, "--depth must be at least 1")
    fmt = FORMATS.get(suffix)
    dot_binary = shutil.which("dot") if fmt else None
    if fmt and dot_binary is None:
        raise InspectorError(out, "the Graphviz 'dot' program was not found", render.INSTALL_HINT)

    artifact, meta = common.GRAPH.load_graph(args)
    if args.signature and args.function:
        raise SelectionError(None, "--signature and --function cannot be combined")
    title = Path(artifact.path).name + (f" ({meta.tag_label})" if meta.tags else "")
    notes: list[str] = []
    graph = None
    if _layer_view(args, meta, notes):
        graph = (layers.function_layers(meta, args.function) if args.function
                 else layers.signature_layers(meta, args.signature))
        graph.title = f"{title}: {graph.title}"
        if args.scope:
            layers.keep_scope(graph, args.scope)
        make, depth = _layer_source(args, graph, notes)
        view = None
    else:
        make, depth, view = _op_source(args, meta, title, notes)
    source = make(depth)
    if fmt == "html":
        from ..report import html  # only this format needs it

        data = html.page(html.Source(make, depth, graph, meta, view), dot_binary, args.timeout, out, notes)
    elif fmt is None:
        data = source.encode("utf-8")
    else:
        data = _draw(dot_binary, source, fmt, args.timeout, out, make, depth, notes)
    for note in notes:
        sys.stderr.write(f"tfinspect: note: {note}\n")
    if out == "-":  # DOT on stdout
        sys.stdout.write(source)
    else:
        render.write_atomic(Path(out), data)
    return 0


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


def _select(args: argparse.Namespace, meta):
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


# Graphviz's spline router fails on some real graphs ("triangulation failed", "lost
# ... edge"); these routers still draw every edge: polyline bends, line is straight.
SPLINE_FALLBACKS = ("polyline", "line")
_ROUTING_ERRORS = ("triangulation failed", "lost ", "routesplines", "Pshortestpath")
