"""Graphviz DOT for the layer view: one box per Keras layer, weights inside, shapes on edges.

At ``depth`` 1 each layer is one box listing its op types and its weights
(``kernel: float32[7,7,3,64]``).  At ``depth`` N > 1 each layer is a cluster of
its ops, with the name scopes more than N - 1 levels inside the layer collapsed
into one box each.  Edges carry the dtype and shape TensorFlow recorded for the
tensor (``_output_shapes`` in the function bodies, the signature's TensorInfo).
Strings from the artifact pass :func:`dot.text` (sanitised and quoted).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import graphviz
from graphviz.quoting import quote

from ..analysis.layers import LayerGraph, Op, Variable
from .dot import cluster_id, format_tensor, legend, op_category, style, text

_NOISE = {"Const", "Identity", "Reshape", "Squeeze", "ReadVariableOp"}
MAX_OP_TYPES = 4
MAX_WEIGHT_LINES = 8


@dataclass
class Box:
    key: str
    layer: str
    ops: list[Op]

    @property
    def category(self) -> str:
        roles = {op.role for op in self.ops}
        if roles == {"input"}:
            return "input"
        if roles == {"output"}:
            return "output"
        main = [op.op for op in self.ops if op.op not in _NOISE] or [op.op for op in self.ops]
        return op_category(main[0])


def boxes(graph: LayerGraph, depth: int, blocks: dict[str, str] | None = None
          ) -> tuple[dict[str, Box], dict[str, str]]:
    """The boxes drawn at ``depth`` and, for every op id, the key of its box.

    ``blocks`` (layer -> block) draws the layers of one block as one box, at depth 1.
    """
    prefix = graph.model_scope + "/" if graph.model_scope else ""
    drawn: dict[str, Box] = {}
    box_of: dict[str, str] = {}
    for layer, ids in graph.layers.items():
        for op_id in ids:
            op = graph.ops[op_id]
            key = layer
            if blocks and depth == 1 and op.role == "op":
                key = blocks.get(layer, layer)
            elif depth > 1 and op.role == "op":
                name = op.node.name[len(prefix):] if prefix and op.node.name.startswith(prefix) else op.node.name
                parts = name.split("/")[1:] or [name]
                key = f"{layer}/{'/'.join(parts[:depth - 1])}"
            drawn.setdefault(key, Box(key, key if blocks and depth == 1 else layer, [])).ops.append(op)
            box_of[op_id] = key
    return drawn, box_of


def weight_line(var: Variable, layer: str) -> str:
    name = var.path[len(layer) + 1:] if var.path.startswith(layer + "/") else var.path
    if var.kind != "variable":
        return f"{name} ({var.kind})"
    return f"{name}: {format_tensor(var.dtype, var.shape) or '?'}"


def op_types(ops: list[Op]) -> str:
    counts = Counter(op.op for op in ops if op.role == "op")
    main = [(t, n) for t, n in counts.items() if t not in _NOISE] or list(counts.items())
    shown = [f"{t}×{n}" if n > 1 else t for t, n in main[:MAX_OP_TYPES]]
    if len(main) > MAX_OP_TYPES:
        shown.append(f"+{len(main) - MAX_OP_TYPES} more")
    return ", ".join(shown)


def box_label(box: Box, depth: int, alone: bool = False) -> list[str]:
    """Title, op types and weights; ``alone``: the only box of its layer, titled by the layer."""
    if box.category in ("input", "output"):
        tensor = box.ops[0].outputs[0]
        return [box.layer, box.category if box.category == "output" else "input",
                format_tensor(tensor.dtype, tensor.shape)]
    single = len(box.ops) == 1 and depth > 1 and not alone
    title = box.ops[0].node.name.rpartition("/")[2] if single else box.key.rpartition("/")[2] or box.key
    if alone:
        title = box.layer
    elif depth > 1 and not single:
        title += "/"
    types = op_types(box.ops)
    lines = [title] if types == title else [title, types]
    weights = list({var.path: var for op in box.ops for var in op.weights}.values())
    lines.extend(weight_line(var, box.layer) for var in weights[:MAX_WEIGHT_LINES])
    if len(weights) > MAX_WEIGHT_LINES:
        lines.append(f"+{len(weights) - MAX_WEIGHT_LINES} more weights")
    return lines


def edge_labels(graph: LayerGraph, box_of: dict[str, str], mode: str) -> dict[tuple[str, str], list[str]]:
    """(source box, target box) -> the distinct tensor labels crossing between them."""
    found: dict[tuple[str, str], list[str]] = {}
    for op in graph.ops.values():
        for src, slot in op.inputs:
            pair = (box_of[src], box_of[op.id])
            if pair[0] == pair[1]:
                continue
            tensor = graph.tensor(src, slot)
            label = format_tensor(tensor.dtype, tensor.shape) if mode != "none" else ""
            if mode == "full":
                label = f"{src}:{slot} {label}".strip()
            labels = found.setdefault(pair, [])
            if label not in labels:
                labels.append(label)
    return found


def build_layer_dot(graph: LayerGraph, depth: int = 1, edge_mode: str = "shape", rankdir: str = "TB",
                    drawn_ids: dict[str, str] | None = None, blocks: dict[str, str] | None = None) -> str:
    """DOT text; ``drawn_ids``, when given, receives each DOT node id's box key."""
    drawn, box_of = boxes(graph, depth, blocks)
    ids = {key: f"l{i}" for i, key in enumerate(drawn)}
    if drawn_ids is not None:
        drawn_ids.update((v, k) for k, v in ids.items())
    dot = graphviz.Digraph(name="tfinspect", graph_attr={
        "rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11", "nodesep": "0.25", "ranksep": "0.3",
        "newrank": "true", "label": text(graph.title), "labelloc": "t"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "style": "filled", "height": "0.3",
                   "margin": "0.1,0.04", "penwidth": "0.8"},
        edge_attr={"fontname": "Helvetica", "fontsize": "8", "arrowsize": "0.6", "penwidth": "0.8",
                   "color": "#555555", "fontcolor": "#333333"})
    used: set[str] = set()
    lines = dot.body
    by_layer: dict[str, list[Box]] = {}
    for box in drawn.values():
        by_layer.setdefault(box.layer, []).append(box)
    for layer, members in by_layer.items():
        clustered = depth > 1 and len(members) > 1
        indent = "\t\t" if clustered else "\t"
        if clustered:
            lines.append(f"\tsubgraph {cluster_id(layer)} {{\n")
            lines.append(f'\t\tstyle=rounded color="#999999" fontsize=10 label={quote(text(layer))} '
                         f"tooltip={quote(text(layer))}\n")
        for box in members:
            used.add(box.category)
            lines.append(f"{indent}{ids[box.key]} [label={quote(text(*box_label(box, depth, not clustered)))} "
                         f"tooltip={quote(text(box.key))} {style(box.category)}]\n")
        if clustered:
            lines.append("\t}\n")
    for (src, dst), labels in edge_labels(graph, box_of, edge_mode).items():
        shown = [label for label in labels if label][:2]
        if len(labels) > 2 and shown:
            shown.append(f"+{len(labels) - 2} more")
        attrs = f" [label={quote(text(*shown))}]" if shown else ""
        lines.append(f"\t{ids[src]} -> {ids[dst]}{attrs}\n")
    legend(dot, used)
    return dot.source

