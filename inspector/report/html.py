"""An interactive, self-contained HTML page of a graph (``graph -o model.html``).

The page carries the graph as compact data, not as drawings: a tree of boxes (every
op, and every name scope, Keras layer or block that holds ops) with parent indices,
and the edges between ops as index pairs.  ``html_view.js`` lays out one level when it
is opened, in the page, with the vendored dagre library (``vendor/dagre.min.js``,
@dagrejs/dagre 3.1.3, MIT), so writing the page costs no Graphviz run and its size
grows linearly with the graph.  A level never holds more than :data:`MAX_CHILDREN`
boxes: the children of a wider one are grouped by the start of their names.

Strings from the artifact are sanitised here and inserted with ``textContent`` in the
page, never as markup; the page's Content-Security-Policy forbids any request.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from importlib import resources

from ..analysis import graphsel
from ..analysis.diagram import Plan
from ..sanitize import visible
from .dot import CATEGORY_COLOURS, category, folded_line, format_tensor, op_category, tensor_label
from .layers_dot import weight_line

MAX_CHILDREN = 300  # boxes in one level; more are grouped by name
_NOISE = {"Const", "Identity", "Reshape", "Squeeze", "ReadVariableOp", "NoOp"}
_CATEGORIES = list(CATEGORY_COLOURS)


class Tree:
    """Boxes in creation order; a group's index is smaller than its children's."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.parent: list[int] = []
        self.label: list[str] = []
        self.cat: list[int] = []
        self.op: list[str] = []
        self.outs: list[str] = []
        self.weights: list[str] = []
        self.edges: list[int] = []  # src, dst, tensor index, ...
        self.tensors: dict[str, int] = {}
        self._scopes: dict[tuple[str, ...], int] = {}

    def group(self, path: tuple[str, ...]) -> int:
        """The index of the box of a scope path, made with its parents when new (no recursion)."""
        if not path:
            return -1
        missing = []
        while path and path not in self._scopes:
            missing.append(path)
            path = path[:-1]
        for scope in reversed(missing):
            self._scopes[scope] = self._add("/".join(scope), self._scopes.get(scope[:-1], -1), "", "scope")
        return self._scopes[missing[0] if missing else path]

    def leaf(self, name: str, parent: int, lines: list[str], cat: str, op: str, outs: list[str],
             weights: list[str]) -> int:
        index = self._add(name, parent, "\n".join(visible(line)[:80] for line in lines), cat)
        self.op[index] = visible(op)
        self.outs[index] = "\n".join(visible(o) for o in outs)
        self.weights[index] = "\n".join(visible(w) for w in weights)
        return index

    def edge(self, src: int, dst: int, tensor: str) -> None:
        self.edges.extend((src, dst, self.tensors.setdefault(visible(tensor), len(self.tensors))))

    def _add(self, name: str, parent: int, label: str, cat: str) -> int:
        self.names.append(visible(name))
        self.parent.append(parent)
        self.label.append(label)
        self.cat.append(_CATEGORIES.index(cat))
        self.op.append("")
        self.outs.append("")
        self.weights.append("")
        return len(self.names) - 1

    def finish(self, layer_colours: bool) -> None:
        """Group labels (name, op count, main op types) and colours; wide levels split by name."""
        self._split_wide()
        counts: dict[int, Counter] = {}
        leaves = [i for i in range(len(self.names)) if self.op[i]]
        for i in leaves:
            p = self.parent[i]
            while p >= 0:
                counts.setdefault(p, Counter())[self.op[i]] += 1
                p = self.parent[p]
        for p, ops in counts.items():
            main = [(t, n) for t, n in ops.most_common() if t not in _NOISE] or ops.most_common()
            shown = ", ".join(f"{t}×{n}" if n > 1 else t for t, n in main[:3])
            total = sum(ops.values())
            self.label[p] = "\n".join((self.names[p].rpartition("/")[2] + "/",
                                       f"{total} op{'s' if total != 1 else ''}", shown))
            if layer_colours:
                self.cat[p] = _CATEGORIES.index(op_category(main[0][0]))

    def _split_wide(self) -> None:
        children: dict[int, list[int]] = {}
        for i, p in enumerate(self.parent):
            children.setdefault(p, []).append(i)
        queue = [p for p, kids in children.items() if len(kids) > MAX_CHILDREN]
        while queue:
            p = queue.pop()
            kids = children[p]
            stems: dict[str, list[int]] = {}
            for k in kids:
                short = self.names[k].rpartition("/")[2]
                stems.setdefault(re.split(r"[_\-.:\d]", short, maxsplit=1)[0] or short[:1], []).append(k)
            if len(stems) <= 1 or len(stems) >= len(kids):  # no name to group by: fixed-size runs
                short = [self.names[k].rpartition("/")[2] for k in kids]
                stems = {f"{short[i]} … {short[min(i + MAX_CHILDREN, len(kids)) - 1]}": kids[i:i + MAX_CHILDREN]
                         for i in range(0, len(kids), MAX_CHILDREN)}
            children[p] = []
            prefix = self.names[p] + "/" if p >= 0 else ""
            for stem, members in stems.items():
                if len(members) == 1:
                    children[p].append(members[0])
                    continue
                g = self._add(f"{prefix}{stem}" if " … " in stem else f"{prefix}{stem}…", p, "", "scope")
                children[p].append(g)
                for k in members:
                    self.parent[k] = g
                children[g] = members
                if len(members) > MAX_CHILDREN:
                    queue.append(g)
            if len(children[p]) > MAX_CHILDREN:
                queue.append(p)


def op_tree(plan: Plan) -> Tree:
    view, names = plan.view, plan.names
    chosen = graphsel.Selection(sorted(names))
    if plan.fold:
        graphsel.fold_weights(view.index, chosen)
    folded = {f for fs in chosen.folded.values() for f in fs}
    opdefs = plan.meta.stripped_op_list
    described: dict[tuple[str, int], str] = {}

    def tensor(node: str, slot: int) -> str:
        if (node, slot) not in described:
            described[(node, slot)] = tensor_label(view, opdefs, node, slot) or "?"
        return described[(node, slot)]

    drawn = [n for n in chosen.nodes if n not in folded]
    used: dict[str, set[int]] = {}
    for name in drawn:
        for ref in view.index.inputs(name):
            if not ref.control and ref.node in names and ref.node not in folded:
                used.setdefault(ref.node, set()).add(ref.index)
    tree = Tree()
    ids: dict[str, int] = {}
    for name in drawn:
        node = view.index.nodes[name]
        weights = [line for f in chosen.folded.get(name, []) for line in folded_line(view, f)]
        outs = [f":{slot} {tensor(name, slot)}" for slot in sorted(used.get(name, {0}))]
        ids[name] = tree.leaf(name, tree.group(tuple(name.split("/")[:-1])),
                              [name.rpartition("/")[2], node.op, *weights], category(view, name), node.op,
                              outs, weights)
    for name, dst in ids.items():
        for ref in view.index.inputs(name):
            if not ref.control and ref.node in ids:
                tree.edge(ids[ref.node], dst, f"{ref} {tensor(ref.node, ref.index)}")
    tree.finish(layer_colours=False)
    return tree


def layer_tree(plan: Plan) -> Tree:
    graph = plan.graph
    prefix = graph.model_scope + "/" if graph.model_scope else ""
    tree = Tree()
    ids: dict[str, int] = {}
    for layer, op_ids in graph.layers.items():
        for op_id in op_ids:
            op = graph.ops[op_id]
            if op.role != "op":
                tensor = op.outputs[0]
                ids[op_id] = tree.leaf(op_id, -1, [op_id, op.role, format_tensor(tensor.dtype, tensor.shape)],
                                       op.role, "Placeholder" if op.role == "input" else "output",
                                       [f":0 {format_tensor(tensor.dtype, tensor.shape) or '?'}"], [])
                continue
            name = op.node.name.removeprefix(prefix) if prefix else op.node.name
            inner = tuple(name.split("/")[1:-1])
            path = ((plan.blocks[layer],) if plan.blocks.get(layer, layer) != layer else ()) + (layer, *inner)
            weights = [weight_line(v, layer) for v in op.weights]
            ids[op_id] = tree.leaf("/".join((*path, name.rpartition("/")[2])), tree.group(path),
                                   [name.rpartition("/")[2], op.op, *weights], op_category(op.op), op.op,
                                   [f":{i} {format_tensor(t.dtype, t.shape) or '?'}" for i, t in enumerate(op.outputs)],
                                   weights)
    for op in graph.ops.values():
        for src, slot in op.inputs:
            if src in ids:
                tensor = graph.tensor(src, slot)
                tree.edge(ids[src], ids[op.id], f"{src}:{slot} {format_tensor(tensor.dtype, tensor.shape) or '?'}")
    tree.finish(layer_colours=True)
    return tree


def page(plan: Plan, notes: list[str]) -> bytes:
    tree = layer_tree(plan) if plan.graph is not None else op_tree(plan)
    title = visible((plan.graph or plan.view).title)
    payload = {"title": title, "notes": [visible(n) for n in notes], "names": tree.names, "parent": tree.parent,
               "label": tree.label, "cat": tree.cat, "op": tree.op, "outs": tree.outs, "weights": tree.weights,
               "edges": tree.edges, "tensors": list(tree.tensors), "categories": _CATEGORIES,
               "colours": [CATEGORY_COLOURS[c] for c in _CATEGORIES]}
    files = resources.files(__package__)
    script = files.joinpath("vendor").joinpath("dagre.min.js").read_text("utf-8") + "\n" + files.joinpath(
        "html_view.js").read_text("utf-8")
    if "</script" in script.lower():  # the scripts are the package's own: never true
        raise RuntimeError("a vendored script would end its <script> element")
    return _PAGE.format(title=html.escape(title), data=_json_for_script(payload),
                        script=script, style=_STYLE).encode("utf-8")


def _json_for_script(value) -> str:
    """JSON that cannot end the <script> element it sits in."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


_STYLE = """
body{margin:0;font:13px Helvetica,Arial,sans-serif;display:flex;height:100vh;color:#222}
#main{flex:1;display:flex;flex-direction:column;min-width:0}
#bar{padding:6px;border-bottom:1px solid #ccc;display:flex;gap:6px;align-items:center;flex-wrap:wrap}
#crumbs button{margin-right:4px}#search{width:260px}#hint{color:#666;font-size:12px}
#canvas{flex:1;overflow:hidden;position:relative;background:#fafafa;cursor:grab}
#canvas svg{position:absolute;left:0;top:0;width:100%;height:100%}
#side{width:340px;border-left:1px solid #ccc;overflow:auto;padding:8px}
#results div{cursor:pointer;padding:2px}#results div:hover{background:#eef}
g.node rect{stroke:#333;stroke-width:0.8}g.node.group rect{stroke-width:2}
g.node.hit rect{stroke:#d00;stroke-width:3}g.group{cursor:zoom-in}
g.node text{font:10px Helvetica,Arial,sans-serif}.edge path{fill:none;stroke:#777;stroke-width:0.8}
.edge text{font:8px Helvetica,Arial,sans-serif;fill:#444}
h3{margin:4px 0}.mono{font-family:monospace;font-size:12px;word-break:break-all;white-space:pre-wrap}
#notes{color:#875;font-size:12px}
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
<div id="side"><div id="notes"></div><div id="results"></div>
<div id="details"><p>Click a box for its details.</p></div></div>
<script type="application/json" id="data">{data}</script>
<script>{script}</script></body></html>
"""
