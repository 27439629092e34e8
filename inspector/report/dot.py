"""Graphviz DOT for a selected graph: styled nodes, typed edges, scope clusters.

Every string that comes from an artifact (node names, op types, attribute
values) goes through :func:`graphviz.escape` and is marked ``nohtml`` so it can
neither end a quoted DOT string nor turn into an HTML label.  Node ids are
generated (``n0``, ``g0``) from the sorted node names, and cluster ids are derived
from scope names, so the same input always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import graphviz
from graphviz.quoting import quote

from ..analysis.graphsel import ARG_OP, CONST_OPS, RET_OP, WEIGHT_OPS, Selection, View
from ..sanitize import visible
from ..tensors.shapes import dtype_name, num_elements, shape_from_proto, short_dtype
from ..tensors.values import summarise_tensor

CATEGORY_COLOURS = {
    "input": "#b7e1cd", "output": "#f4c7c3", "variable": "#fce8b2", "constant": "#e8eaed",
    "call": "#d9d2e9", "math": "#c9daf8", "nn": "#b4a7d6", "array/shape": "#d0e0e3",
    "control flow": "#f9cb9c", "io/saver": "#ead1dc", "other": "#ffffff", "scope": "#eeeeee",
}
SHAPES = {"input": "invhouse", "output": "house", "variable": "cylinder", "constant": "box",
          "call": "component", "scope": "box3d"}
_VARIABLE = {"VariableV2", "Variable", "VarHandleOp", "ReadVariableOp", "AssignVariableOp", "Assign",
             "AssignAdd", "AssignSub", "VarIsInitializedOp", "ResourceGather", "IsVariableInitialized"}
_CALL = {"PartitionedCall", "StatefulPartitionedCall", "If", "StatelessIf", "While", "StatelessWhile",
         "Case", "StatelessCase"}
_NN = {"Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "BiasAdd", "Conv2D",
       "Conv1D", "Conv3D", "DepthwiseConv2dNative", "MaxPool", "AvgPool", "FusedBatchNorm",
       "FusedBatchNormV3", "SoftmaxCrossEntropyWithLogits", "LeakyRelu", "Softplus", "Dropout",
       "SparseSoftmaxCrossEntropyWithLogits", "L2Loss", "LRN", "TopKV2", "InTopKV2"}
_MATH_WORDS = ("Add", "Sub", "Mul", "Div", "MatMul", "Sum", "Mean", "Max", "Min", "Prod", "Pow", "Sqrt",
               "Rsqrt", "Square", "Exp", "Log", "Neg", "Abs", "Greater", "Less", "Equal", "Arg",
               "Floor", "Ceil", "Round", "Sign", "Reciprocal", "Cast", "Apply", "Logical", "Minimum",
               "Maximum", "Cumsum", "Einsum", "Tensordot", "Sin", "Cos")
_ARRAY = {"Identity", "IdentityN", "Reshape", "Shape", "ShapeN", "Size", "Rank", "ExpandDims", "Squeeze",
          "ConcatV2", "Concat", "Pack", "Unpack", "Slice", "StridedSlice", "Gather", "GatherV2", "Fill",
          "Tile", "Transpose", "Pad", "Split", "SplitV", "OneHot", "Range", "ZerosLike", "OnesLike",
          "Select", "SelectV2", "Where", "BroadcastTo", "BroadcastGradientArgs", "StopGradient",
          "PlaceholderWithDefault", "StringJoin", "ParseExample", "ParseExampleV2", "GatherNd",
          "StaticRegexFullMatch", "LookupTableFindV2", "HashTableV2", "Snapshot"}
_CONTROL = {"NoOp", "Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "Assert",
            "ControlTrigger", "Identity_control"}
_IO = {"SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename", "ShardedFilespec", "SaveSlices",
       "Save", "Restore", "RestoreSlice", "ReaderReadV2", "ReadFile", "WriteFile", "InitializeTableV2",
       "InitializeTableFromTextFileV2", "ScalarSummary", "HistogramSummary", "MergeSummary"}
# Graphviz's parser runs out of stack near 2,500 nested subgraphs; real graphs nest a
# few dozen scopes at most, so deeper scopes are drawn inside their 64th-level cluster.
MAX_CLUSTER_DEPTH = 64
MAX_LINE = 2000  # characters of one label line; escaped, still under Graphviz's 16 KiB limit
_DTYPE_ATTRS = ("dtype", "T", "out_type", "DstT", "output_type", "Tidx")
_LIST_ATTRS = ("Tout", "dtypes", "output_types", "T")


@dataclass(frozen=True)
class DotOptions:
    edge_labels: str = "shape"  # none | shape | full
    control: str = "dashed"  # hide | dashed
    rankdir: str = "TB"


def category(view: View, name: str) -> str:
    node = view.index.nodes[name]
    op = node.op
    if name in view.outputs or op == RET_OP:
        return "output"
    if name in view.inputs or op == ARG_OP or op in ("Placeholder", "PlaceholderV2"):
        return "input"
    return op_category(op, name in view.callees)


def op_category(op: str, calls: bool = False) -> str:
    """The legend category of an op type (colour and shape of its box)."""
    if op in CONST_OPS:
        return "constant"
    if op in _VARIABLE:
        return "variable"
    if op in _CALL or calls:
        return "call"
    if op in _NN:
        return "nn"
    if op in _ARRAY:
        return "array/shape"
    if op in _CONTROL or op.endswith("Assert"):
        return "control flow"
    if op in _IO:
        return "io/saver"
    if any(word in op for word in _MATH_WORDS):
        return "math"
    return "other"


def text(*lines: str) -> str:
    """A plain DOT label/tooltip from artifact strings, one DOT line per argument.

    Control characters are shown visibly (a NUL would end DOT's string and make
    Graphviz reject the file; a newline inside a name is data, not a line break),
    then the text is escaped for a quoted DOT string.
    """
    parts = [graphviz.escape(_clip_text(visible(line))) for line in lines]
    return graphviz.nohtml("\\n".join(parts))


def _clip_text(line: str) -> str:
    """Graphviz refuses quoted strings over 16,384 bytes; keep a line well under that."""
    if len(line) <= MAX_LINE:
        return line
    return f"{line[:MAX_LINE]}… (+{len(line) - MAX_LINE} characters)"


def cluster_id(scope: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9_]", "_", scope)[:40]
    digest = hashlib.sha1(scope.encode("utf-8")).hexdigest()[:8]
    return f"cluster_{readable}_{digest}"


def tensor_label(view: View, opdefs: dict, name: str, slot: int) -> str:
    """``float32[?, 9]`` for one output, as far as the artifact says; '' when unknown."""
    if (name, slot) in view.known:
        dtype, shape = view.known[(name, slot)]
        return format_tensor(dtype, shape)
    node = view.index.nodes[name]
    attrs = node.attr
    shape = None
    if "_output_shapes" in attrs and slot < len(attrs["_output_shapes"].list.shape):
        shape = shape_from_proto(attrs["_output_shapes"].list.shape[slot])
    elif node.op in CONST_OPS and "value" in attrs:
        shape = shape_from_proto(attrs["value"].tensor.tensor_shape)
    elif "shape" in attrs and attrs["shape"].WhichOneof("value") == "shape" and slot == 0:
        shape = shape_from_proto(attrs["shape"].shape)
    return format_tensor(_dtype(node, opdefs, slot), shape)


def _dtype(node, opdefs: dict, slot: int) -> str | None:
    opdef = opdefs.get(node.op)
    if opdef is not None:
        flat: list[int] = []
        for arg in opdef.output_arg:
            count = node.attr[arg.number_attr].i if arg.number_attr and arg.number_attr in node.attr else 1
            if arg.type_list_attr and arg.type_list_attr in node.attr:
                flat.extend(node.attr[arg.type_list_attr].list.type)
            elif arg.type:
                flat.extend([arg.type] * count)
            elif arg.type_attr and arg.type_attr in node.attr:
                flat.extend([node.attr[arg.type_attr].type] * count)
            else:
                flat.extend([0] * count)
        if slot < len(flat) and flat[slot]:
            return dtype_name(flat[slot])
    for key in _LIST_ATTRS:
        if key in node.attr and node.attr[key].WhichOneof("value") == "list":
            types = node.attr[key].list.type
            if slot < len(types):
                return dtype_name(types[slot])
    for key in _DTYPE_ATTRS:
        if key in node.attr and node.attr[key].WhichOneof("value") == "type":
            return dtype_name(node.attr[key].type)
    return None


def format_tensor(dtype: str | None, shape) -> str:
    name = short_dtype(dtype) if dtype else ""
    if shape is None:
        return f"{name}[*]" if name else ""
    dims = ",".join("?" if d < 0 else str(d) for d in shape)
    return f"{name or '?'}[{dims}]"


def build_dot(view: View, selection: Selection, opdefs: dict, options: DotOptions,
              drawn_ids: dict[str, str] | None = None) -> str:
    """DOT text; ``drawn_ids``, when given, receives each DOT node id's node name or scope."""
    index = view.index
    folded_into = {c: p for p, cs in selection.folded.items() for c in cs}
    plain = [n for n in selection.nodes if n not in selection.member_of and n not in folded_into]
    ids = {name: f"n{i}" for i, name in enumerate(plain)}
    group_ids = {scope: f"g{i}" for i, scope in enumerate(selection.groups)}
    if drawn_ids is not None:
        drawn_ids.update((v, k) for k, v in (*ids.items(), *group_ids.items()))

    def item(name: str) -> str | None:
        if name in ids:
            return ids[name]
        if name in selection.member_of:
            return group_ids[selection.member_of[name]]
        return None

    dot = graphviz.Digraph(name="tfinspect", graph_attr={
        "rankdir": options.rankdir, "fontname": "Helvetica", "fontsize": "11", "nodesep": "0.25",
        "ranksep": "0.35", "compound": "true", "newrank": "true", "label": text(view.title),
        "labelloc": "t"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "style": "filled", "height": "0.3",
                   "margin": "0.08,0.03", "penwidth": "0.8"},
        edge_attr={"fontname": "Helvetica", "fontsize": "8", "arrowsize": "0.6", "penwidth": "0.8",
                   "color": "#555555", "fontcolor": "#333333"})

    # Scope tree: what each cluster holds.
    members: dict[str, list[tuple[str, str]]] = {}
    scopes = {s for name in plain for s in _prefixes(index.scope_of(name))}
    scopes.update(s for g in selection.groups for s in _prefixes(g.rpartition("/")[0]))
    for name in plain:
        # A node named like a scope (a variable `m` and its `m/read`) is drawn inside it.
        home = name if name in scopes else index.scope_of(name)
        members.setdefault(_clip(home), []).append(("node", name))
    for scope in selection.groups:
        members.setdefault(_clip(scope.rpartition("/")[0]), []).append(("group", scope))
    children: dict[str, set[str]] = {}
    for scope in list(members):
        while scope:
            parent = scope.rpartition("/")[0]
            children.setdefault(parent, set()).add(scope)
            scope = parent
    used: set[str] = set()
    lines = dot.body

    def node_line(kind: str, key: str, indent: str) -> str:
        if kind == "node":
            cat = category(view, key)
            used.add(cat)
            label = _node_label(view, key, selection)
            return f"{indent}{ids[key]} [label={quote(label)} tooltip={quote(text(key))} {style(cat)}]\n"
        group = selection.groups[key]
        used.add("scope")
        ops = ", ".join(f"{op}×{n}" for op, n in group.top_ops)
        count = f"{group.count} node{'s' if group.count != 1 else ''}"
        label = text(key.rpartition("/")[2] + "/", count, ops)
        return f"{indent}{group_ids[key]} [label={quote(label)} tooltip={quote(text(key))} {style('scope')}]\n"

    # Clusters nest as deep as the name scopes do (thousands of levels in a hostile
    # graph), so the scope tree is walked with an explicit stack, never by recursion.
    # Lines are written directly (graphviz's Digraph.node costs ~40 us a call, too slow
    # for 50k nodes), but every value still goes through graphviz's own quoting.
    # Each scope opens its cluster, draws its child clusters, then its own nodes, then closes.
    stack: list[tuple[str, str, str]] = [("open", "", "\t")]
    while stack:
        step, scope, indent = stack.pop()
        if step == "members":
            lines.extend(node_line(kind, key, indent) for kind, key in members.get(scope, ()))
            if scope:
                lines.append(f"{indent[:-1]}}}\n")
            continue
        if scope:
            lines.append(f"{indent}subgraph {cluster_id(scope)} {{\n")
            lines.append(f"{indent}\t{_CLUSTER_STYLE} label={quote(text(scope.rpartition('/')[2]))} "
                         f"tooltip={quote(text(scope))}\n")
            indent += "\t"
        stack.append(("members", scope, indent))
        stack.extend(("open", child, indent) for child in sorted(children.get(scope, ()), reverse=True))

    _edges(dot, view, selection, opdefs, options, item, folded_into)
    legend(dot, used)
    return dot.source


_CLUSTER_STYLE = 'style=rounded color="#999999" fontsize=10'
_STYLES: dict[str, str] = {}


def style(cat: str) -> str:
    if cat not in _STYLES:
        extra = {"peripheries": "2"} if cat == "output" else {}
        attrs = {"fillcolor": CATEGORY_COLOURS[cat], "shape": SHAPES.get(cat, "box"), **extra}
        _STYLES[cat] = " ".join(f"{k}={quote(v)}" for k, v in attrs.items())
    return _STYLES[cat]


def _prefixes(scope: str) -> list[str]:
    parts = scope.split("/", MAX_CLUSTER_DEPTH)[:MAX_CLUSTER_DEPTH] if scope else []
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _clip(scope: str) -> str:
    """The cluster a scope is drawn in: scopes nest at most MAX_CLUSTER_DEPTH clusters deep."""
    if scope.count("/") < MAX_CLUSTER_DEPTH:
        return scope
    return "/".join(scope.split("/", MAX_CLUSTER_DEPTH)[:MAX_CLUSTER_DEPTH])


def _node_label(view: View, name: str, selection: Selection) -> str:
    node = view.index.nodes[name]
    short = name.rpartition("/")[2]
    op = node.op
    if op == RET_OP:
        return text(short.removesuffix(":ret"), "output")
    if op == ARG_OP:
        return text(short, "argument")
    lines = [short, op]
    if name in view.callees:
        lines[1] = f"{op} → {', '.join(view.callees[name])}"
    for folded in selection.folded.get(name, []):
        lines.extend(folded_line(view, folded))
    return text(*lines)


def folded_line(view: View, name: str) -> list[str]:
    """How a folded weight reads in its reader's box: a small constant's value, else dtype[shape]."""
    node = view.index.nodes[name]
    short = name.rpartition("/")[2]
    if node.op in CONST_OPS:
        tensor = node.attr["value"].tensor
        count = num_elements(shape_from_proto(tensor.tensor_shape))
        if count is not None and count <= 16:
            value = summarise_tensor(tensor)
            return [f"{short} = {value.partition(' = ')[2] or value}"[:60]]
    elif node.op not in WEIGHT_OPS:
        return []  # the read op of a folded variable
    return [f"{short}: {tensor_label(view, {}, name, 0) or '?'}"]


def _edges(dot, view, selection, opdefs, options, item, folded_into) -> None:
    index = view.index
    chosen = set(selection.nodes)
    multi = {e.producer for e in index.edges if e.ref.index > 0 or e.ref.output is not None}
    merged: dict[tuple[str, str, bool], set[tuple[str, int]]] = {}
    plain_edges = []
    for consumer in selection.nodes:
        if consumer in folded_into:
            continue
        for ref in index.inputs(consumer):
            if ref.node not in chosen or ref.node in folded_into:
                continue
            if ref.control and options.control == "hide":
                continue
            src, dst = item(ref.node), item(consumer)
            if src is None or dst is None or src == dst:
                continue
            if ref.node in selection.member_of or consumer in selection.member_of:
                merged.setdefault((src, dst, ref.control), set()).add((ref.node, ref.index))
            else:
                plain_edges.append((src, dst, ref))
    lines = dot.body
    for src, dst, ref in plain_edges:
        if ref.control:
            lines.append(f"\t{src} -> {dst} [{_CONTROL_STYLE} arrowhead=odot]\n")
            continue
        label = _edge_label(view, opdefs, options, ref, ref.node in multi)
        lines.append(f"\t{src} -> {dst} [label={quote(label)}]\n" if label else f"\t{src} -> {dst}\n")
    for (src, dst, control), tensors in sorted(merged.items()):
        count = len(tensors)
        label = {} if options.edge_labels == "none" else {
            "label": f"{count} {'control' if control else 'tensor'}{'s' if count > 1 else ''}"}
        style = {"style": "dashed", "color": "#aaaaaa", "constraint": "false"} if control else {}
        dot.edge(src, dst, penwidth=str(min(0.8 + 0.3 * (count - 1), 4)), **label, **style)


_CONTROL_STYLE = 'style=dashed color="#aaaaaa" constraint=false'


def _edge_label(view, opdefs, options, ref, multi: bool) -> str:
    if options.edge_labels == "none":
        return ""
    parts = []
    if options.edge_labels == "full":
        parts.append(str(ref) if ref.output is None else f"{ref.node}:{ref.output}:{ref.index}")
    elif multi:
        parts.append(f":{ref.output}:{ref.index}" if ref.output else f":{ref.index}")
    if ref.output is None:
        described = tensor_label(view, opdefs, ref.node, ref.index)
        if described:
            parts.append(described)
    return text(" ".join(parts)) if parts else ""


def legend(dot, used: set[str]) -> None:
    with dot.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#bbbbbb", fontsize="9")
        for i, cat in enumerate(c for c in CATEGORY_COLOURS if c in used):
            legend.node(f"legend{i}", label=cat, fillcolor=CATEGORY_COLOURS[cat],
                        shape=SHAPES.get(cat, "box"), fontsize="8")
