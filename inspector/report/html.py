"""An interactive, self-contained HTML page of a graph drawing (``graph -o model.html``).

Graphviz lays out every level of the drawing: the top level as the command would
draw it, and one level per collapsed box (a Keras layer, or a collapsed name scope)
showing what is inside.  All SVGs go through one ``dot`` run and are embedded in the
page with a JSON table of details for each box; ``html_view.js`` (plain JavaScript,
no library, no network) adds pan and zoom, search, a details panel and expanding or
collapsing a box.  Strings from the artifact are sanitised here and inserted with
``textContent`` in the page, never as markup.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from ..analysis.graphsel import View
from ..analysis.layers import LayerGraph, Op
from ..model.attrs import summarise_attr
from ..model.metagraph import MetaGraph
from ..sanitize import visible
from . import render
from .dot import format_tensor, tensor_label
from .layers_dot import boxes, weight_line

MAX_LEVELS = 400  # laid-out levels in one page; deeper boxes still show their details
_SKIP_ATTRS = {"_output_shapes", "_class", "_read_only_resource_inputs", "config_proto",
               "_collective_manager_ids", "executor_type", "config"}


@dataclass
class Source:
    make: Callable[..., str]  # make(depth, within=None, drawn_ids=None) -> DOT
    depth: int | None
    graph: LayerGraph | None  # the layer view, or None for the op view
    meta: MetaGraph
    view: View | None = None  # the op view's graph


def page(source: Source, dot_binary: str, timeout: float, out: str, notes: list[str]) -> bytes:
    levels, dots, dropped = _levels(source)
    if dropped:
        notes.append(f"the page lays out {len(levels)} levels; {dropped} more boxes show their details "
                     "but do not open (draw less with --scope or --signature to open them)")
    data, _ = render.render(dot_binary, "".join(dots), "svg", timeout, out, notes)
    svgs = _split_svgs(data.decode("utf-8"))
    if len(svgs) != len(levels):
        raise RuntimeError(f"dot returned {len(svgs)} drawings for {len(levels)} graphs")
    for level, svg in zip(levels, svgs):
        level["svg"] = svg
    details = _details(source, levels)
    payload = {"title": visible(levels[0]["title"]), "levels": levels, "details": details}
    script = resources.files(__package__).joinpath("html_view.js").read_text("utf-8")
    return _PAGE.format(title=html.escape(payload["title"]), data=_json_for_script(payload),
                        script=script, style=_STYLE).encode("utf-8")


def _levels(source: Source) -> tuple[list[dict], list[str], int]:
    levels: list[dict] = []
    dots: list[str] = []
    queue: list[tuple[str | None, int | None, int | None]] = [(None, source.depth, None)]
    while queue and len(levels) < MAX_LEVELS:
        within, depth, parent = queue.pop(0)
        ids: dict[str, str] = {}
        dots.append(source.make(depth, within, ids))
        number = len(levels)
        levels.append({"title": visible(within or "top"), "key": within, "parent": parent, "depth": depth,
                       "nodes": {k: visible(v) for k, v in ids.items()}, "raw": ids, "expand": {}})
        for dot_id, key in ids.items():
            inner = _inner_depth(source, key, dot_id, depth)
            if inner is not None:
                levels[number]["expand"][dot_id] = len(levels) + len(queue)
                queue.append((key, inner, number))
    dropped = 0
    for level in levels:  # boxes whose level did not fit are not expandable
        kept = {k: v for k, v in level["expand"].items() if v < len(levels)}
        dropped += len(level["expand"]) - len(kept)
        level["expand"] = kept
    return levels, dots, dropped


def _inner_depth(source: Source, key: str, dot_id: str, depth: int | None) -> int | None:
    if source.graph is not None:
        if (depth or 1) == 1 and len(source.graph.layers.get(key, ())) > 1 and dot_id.startswith("l"):
            return 2
        return None
    return key.count("/") + 2 if dot_id.startswith("g") else None


def _split_svgs(text: str) -> list[str]:
    parts = text.split("<?xml")
    return [part[part.index("<svg"):] for part in parts if "<svg" in part]


def _json_for_script(value) -> str:
    """JSON that cannot end the <script> element it sits in."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# -- details for the panel -----------------------------------------------------------------

def _details(source: Source, levels: list[dict]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    by_depth: dict[int, dict] = {}
    for level in levels:
        raw = level.pop("raw")
        if source.graph is not None:
            depth = level["depth"] or 1
            if depth not in by_depth:
                by_depth[depth] = boxes(source.graph, depth)[0]
            for key in raw.values():
                box = by_depth[depth].get(key) or by_depth[1].get(key)
                if box is not None:
                    found.setdefault(visible(key), _layer_details(source.graph, key, box.layer, box.ops))
        else:
            for key in raw.values():
                found.setdefault(visible(key), _op_view_details(source, key))
    return found


def _layer_details(graph: LayerGraph, key: str, layer: str, ops: list[Op]) -> dict:
    inside = {op.id for op in ops}
    weights = []
    for op in ops:
        weights.extend(weight_line(v, layer) for v in op.weights if weight_line(v, layer) not in weights)
    entries = [_op_entry(graph, op) for op in ops]
    inputs = sorted({f"{src}:{slot} {_tensor(graph, src, slot)}" for op in ops for src, slot in op.inputs
                     if src not in inside})
    outputs = sorted({f"{op.id}:{slot} {_tensor(graph, op.id, slot)}" for other in graph.ops.values()
                      if other.id not in inside for op_id, slot in other.inputs if op_id in inside
                      for op in [graph.ops[op_id]]})
    return {"name": visible(key), "kind": "layer" if key == layer else "box",
            "op": visible(", ".join(sorted({op.op for op in ops}))), "weights": [visible(w) for w in weights],
            "inputs": [visible(i) for i in inputs], "outputs": [visible(o) for o in outputs], "ops": entries}


def _op_entry(graph: LayerGraph, op: Op) -> dict:
    attrs = []
    if op.node is not None:
        attrs = [[visible(k), visible(summarise_attr(op.node.attr[k]))] for k in sorted(op.node.attr)
                 if k not in _SKIP_ATTRS and not k.startswith("_")]
    return {"name": visible(op.id), "op": visible(op.op), "attrs": attrs,
            "inputs": [visible(f"{src}:{slot} {_tensor(graph, src, slot)}") for src, slot in op.inputs],
            "outputs": [visible(format_tensor(t.dtype, t.shape) or "?") for t in op.outputs],
            "weights": [visible(weight_line(v, op.layer)) for v in op.weights]}


def _tensor(graph: LayerGraph, op_id: str, slot: int) -> str:
    tensor = graph.tensor(op_id, slot)
    return format_tensor(tensor.dtype, tensor.shape) or "?"


def _op_view_details(source: Source, key: str) -> dict:
    view, opdefs = source.view, source.meta.stripped_op_list
    node = view.index.nodes.get(key) if view is not None else None
    if node is None:  # a collapsed scope
        members = [n for n in view.index.nodes if n.startswith(key + "/")] if view is not None else []
        ops = sorted({view.index.nodes[n].op for n in members})
        return {"name": visible(key), "kind": "scope", "op": visible(", ".join(ops[:20])),
                "count": len(members), "inputs": [], "outputs": [], "attrs": [], "weights": []}
    inputs = []
    for ref in view.index.inputs(key):
        if ref.control:
            inputs.append(visible(f"^{ref.node} (control)"))
        elif ref.node in view.index:
            inputs.append(visible(f"{ref} {tensor_label(view, opdefs, ref.node, ref.index) or '?'}"))
        else:
            inputs.append(visible(f"{ref} (missing)"))
    outs = source.meta.outputs.outputs(node).outputs or ()
    attrs = [[visible(k), visible(summarise_attr(node.attr[k]))] for k in sorted(node.attr)
             if k not in _SKIP_ATTRS]
    return {"name": visible(key), "kind": "op", "op": visible(node.op), "attrs": attrs, "inputs": inputs,
            "outputs": [visible(f":{i} {format_tensor(o.dtype, o.shape) or '?'}") for i, o in enumerate(outs)],
            "weights": []}


_STYLE = """
body{margin:0;font:13px Helvetica,Arial,sans-serif;display:flex;height:100vh;color:#222}
#main{flex:1;display:flex;flex-direction:column;min-width:0}
#bar{padding:6px;border-bottom:1px solid #ccc;display:flex;gap:6px;align-items:center}
#crumbs button{margin-right:4px}#search{width:260px}
#canvas{flex:1;overflow:hidden;position:relative;background:#fafafa;cursor:grab}
#canvas svg{position:absolute;left:0;top:0;transform-origin:0 0}
#side{width:340px;border-left:1px solid #ccc;overflow:auto;padding:8px}
#results div{cursor:pointer;padding:2px}#results div:hover{background:#eef}
.hit polygon,.hit ellipse,.hit path{stroke:#d00!important;stroke-width:3px!important}
.expandable{cursor:zoom-in}h3{margin:4px 0}td{vertical-align:top;padding:1px 4px}
.mono{font-family:monospace;font-size:12px;word-break:break-all}
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src 'unsafe-inline'; img-src data:">
<title>{title}</title><style>{style}</style></head>
<body><div id="main"><div id="bar"><span id="crumbs"></span>
<input id="search" type="search" placeholder="search node name or op type">
<button id="fit">fit</button><span id="hint">drag to pan, wheel to zoom, click for details,
double-click a box to open it</span></div><div id="canvas"></div></div>
<div id="side"><div id="results"></div><div id="details"><p>Click a box for its details.</p></div></div>
<script type="application/json" id="data">{data}</script>
<script>{script}</script></body></html>
"""
