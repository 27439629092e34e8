"""What a diagram shows: the `graph` command's options, declared once, and the choice they make.

:class:`DiagramOptions` is the one declaration of the diagram options: the command
line builds its flags from the fields' metadata and ``inspector.graph`` takes the
same names, and :meth:`DiagramOptions.validate` is the one validation both go
through.  :func:`plan` turns an artifact and the options into a :class:`Plan`:
which view (Keras layers or ops), which nodes, which scopes become one box, what
is folded into the ops that read it, and notes for the user.  Nothing here lays
anything out or knows about DOT; ``report.diagram`` renders a plan.

The default drawing is the one a documentation writer wants:

- a TF2/Keras signature: its layers (:mod:`.layers`), one box each, grouped into
  blocks (``block2a``) when there are more layers than the layout budget;
- a TF1 SavedModel with serving signatures: what the signatures compute, from
  their inputs to their outputs, without the saver, restore and init machinery;
- a TF1 frozen graph or ``.meta``: the path from the placeholders to the graph's
  outputs, leaving out gradients, optimizers, savers, initialisers and summaries;

with weights (variables and constants read by one op) folded into the op that
reads them, each ``tf.while_loop`` frame and each repeated cell (``cell_0``,
``cell_1``, ...; ``lstm_cell``, ``lstm_cell_1``, ...) one box, and name scopes
collapsed until the drawing fits the layout budget (:data:`BOX_BUDGET` boxes):
what Graphviz lays out in a few seconds and what a page can show.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InspectorError, SelectionError
from ..model.artifact import Artifact
from ..model.graph import GraphIndex
from ..model.metagraph import MetaGraph
from . import graphsel, layers
from .budget import AUTO_HIDE_CONTROL, LAYER_BUDGET
from .diagram_options import OPS_ONLY, DiagramOptions, cost_note, documenting, flag

# -- the plan ------------------------------------------------------------------------------

@dataclass
class Plan:
    """A chosen diagram: the layer view (``graph``) or the op view (``view`` and ``names``)."""

    meta: MetaGraph
    title: str
    options: DiagramOptions
    notes: list[str] = field(default_factory=list)
    graph: layers.LayerGraph | None = None  # the layer view
    blocks: dict[str, str] = field(default_factory=dict)  # layer -> block, when layers are grouped
    view: graphsel.View | None = None  # the op view
    names: set[str] = field(default_factory=set)
    boxed: set[str] = field(default_factory=set)  # scopes always drawn as one box (frames, cells)
    fold: bool = False  # fold weights into the ops that read them
    depth: int | None = None
    control: str = "dashed"
    signature: str | None = None

    @property
    def kind(self) -> str:
        return "ops" if self.graph is None else "layers"

    def selection(self, depth: int | None, within: str | None = None) -> graphsel.Selection:
        """The op view's boxes at ``depth`` (None: nothing collapsed), or inside the scope ``within``."""
        names = self.names if within is None else graphsel.in_scope(self.names, within)
        chosen = graphsel.Selection(sorted(names))
        boxed = {s for s in self.boxed if within is None or s.startswith(within + "/")}
        if depth is not None and depth <= graphsel.max_scope_depth(names) or boxed:
            graphsel.collapse(self.view.index, chosen, depth if depth is not None else 10**6, boxed)
        if self.fold:
            graphsel.fold_weights(self.view.index, chosen)
        elif self.options.fold_consts:
            graphsel.fold_constants(self.view.index, chosen)
        return chosen


def plan(artifact: Artifact, tag_set: str | None, options: DiagramOptions, page: bool = False) -> Plan:
    """What to draw of one MetaGraph of ``artifact``; raises SelectionError for a wrong choice.

    ``page``: for the interactive page, which lays out one level at a time and so needs no
    layout budget: scopes are not collapsed to fit.
    """
    options.validate()
    meta = artifact.meta_graph(tag_set)  # one error text for an artifact without a graph
    title = Path(artifact.path).name + (f" ({meta.tag_label})" if meta.tags else "")
    result = Plan(meta, title, options, signature=options.signature)
    if _layer_view(options, meta, result):
        graph = (layers.function_layers(meta, options.function) if options.function
                 else layers.signature_layers(meta, result.signature))
        graph.title = f"{title}: {graph.title}"
        if options.scope:
            layers.keep_scope(graph, options.scope)
        result.graph = graph
        _fit_layers(result)
    else:
        _op_plan(result, page)
    return result


def _layer_view(options: DiagramOptions, meta: MetaGraph, result: Plan) -> bool:
    ops_only = [f"--{flag(name)}" for name in OPS_ONLY if getattr(options, name)]
    if options.view == "ops" or options.all:
        return False
    if options.view == "layers":
        if ops_only:
            raise SelectionError(None, f"--view layers cannot be combined with {', '.join(ops_only)}",
                                 "use --view ops")
        if not (options.signature or options.function):
            result.signature = default_signature(meta)
            if result.signature is None:
                raise SelectionError(None, "--view layers needs --signature or --function",
                                     "see `tfinspect signatures` and `tfinspect functions`")
        return True
    if ops_only:
        return False
    if options.function:
        return options.function in meta.functions
    if options.signature:
        return layers.is_tf2_call(meta, options.signature)
    default = default_signature(meta)
    if default is not None and meta.object_graph is not None:
        result.signature = default
        result.notes.append(f"drawing the layers of signature {default!r}; --view ops draws every op "
                            "of the graph")
        return True
    return False


def default_signature(meta: MetaGraph) -> str | None:
    for key in ("serving_default", *sorted(meta.signatures)):
        if key in meta.signatures and layers.is_tf2_call(meta, key):
            return key
    return None


# -- the layer view ------------------------------------------------------------------------

def layer_boxes(graph: layers.LayerGraph, depth: int) -> int:
    """Boxes of the layer view at ``depth`` (1: one per layer; more: the layers opened)."""
    if depth <= 1:
        return len(graph.layers)
    keys = set()
    prefix = graph.model_scope + "/" if graph.model_scope else ""
    for layer, ids in graph.layers.items():
        for op_id in ids:
            op = graph.ops[op_id]
            if op.role != "op":
                keys.add(layer)
                continue
            name = op.node.name.removeprefix(prefix) if prefix else op.node.name
            keys.add(f"{layer}/{'/'.join((name.split('/')[1:] or [name])[:depth - 1])}")
    return len(keys)


def _fit_layers(result: Plan) -> None:
    graph, options = result.graph, result.options
    depth = options.depth or 1
    while depth > 1 and layer_boxes(graph, depth) > options.budget:
        depth -= 1
        result.notes.append(f"more than {options.budget} boxes; opened the layers to --depth {depth} only")
    result.depth = depth
    if depth == 1 and options.depth is None and len(graph.layers) > (options.max_nodes or LAYER_BUDGET):
        blocks = layer_blocks(list(graph.layers))
        if len(set(blocks.values())) < len(graph.layers):
            result.blocks = blocks
            result.notes.append(f"{len(graph.layers)} layers: drawn as {len(set(blocks.values()))} blocks "
                                f"named by their layers' common prefix; --depth 1 draws every layer "
                                f"({cost_note(len(graph.layers))})")


def layer_blocks(names: list[str]) -> dict[str, str]:
    """Layer -> block: layers named ``block2a_expand_conv``, ``block2a_bn`` ... share block ``block2a``.

    A block is the part of the name before the first ``_`` when at least two layers share it;
    other layers stay their own block.
    """
    stems = Counter(name.split("_", 1)[0] for name in names if "_" in name)
    return {name: stem if "_" in name and stems[(stem := name.split("_", 1)[0])] > 1 else name
            for name in names}


# -- the op view ---------------------------------------------------------------------------

# Top-level scopes that hold the machinery around a model, not the model.
_MACHINERY_SCOPE = re.compile(
    r"(save|init|init_all_tables|init_all_vars|report_uninitialized_variables|report_uninitialized_resources|"
    r"summaries|Merge|train_op|global_step|group_deps|checkpoint_initializer|beta[12]_power|"
    r"ExponentialMovingAverage|ema)(_\d+)?(/|$)")
# Scopes at any level that hold training machinery: gradients and optimizer updates.
_TRAINING_SCOPE = re.compile(r"(^|/)(gradients|assert_[A-Za-z_]+|Assert[A-Za-z]*|[A-Za-z]*Optimizer|Adam|Adagrad|Adadelta|Ftrl|Momentum|RMSProp|"
                             r"GradientDescent)(_\d+)?/")
_MACHINERY_OPS = frozenset({
    "NoOp", "SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore", "RestoreSlice", "MergeV2Checkpoints",
    "ShardedFilename", "ShardedFilespec", "Assign", "AssignAdd", "AssignSub", "AssignVariableOp",
    "AssignAddVariableOp", "AssignSubVariableOp", "IsVariableInitialized", "VarIsInitializedOp",
    "ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummary", "MergeSummary", "TensorSummary",
    "TensorSummaryV2", "WriteScalarSummary", "WriteSummary", "InitializeTable", "InitializeTableV2",
    "InitializeTableFromTextFile", "InitializeTableFromTextFileV2", "LookupTableImportV2",
    "LookupTableExportV2", "Assert", "Print", "PrintV2"})
_FRAME_OPS = frozenset({"Enter", "RefEnter"})
_CELL = re.compile(r"(.*?)(_\d+)?$")


def is_machinery(name: str, op: str) -> bool:
    return op in _MACHINERY_OPS or op.startswith(("Apply", "ResourceApply", "ResourceSparseApply",
                                                   "SparseApply")) or bool(
        _MACHINERY_SCOPE.match(name) or _TRAINING_SCOPE.search(name))


def _op_plan(result: Plan, page: bool) -> None:
    options, meta = result.options, result.meta
    view, names = _select(options, meta, result.signature)
    result.view = view
    if documenting(options):
        model = model_nodes(meta, view)
        if model is not None:
            names, how = model
            left = len(view.index) - len(names)
            result.notes.append(f"drew {how} ({len(names)} of {len(view.index)} nodes); the saver, restore, "
                                f"init and training machinery ({left} nodes) is left out: --all draws "
                                "everything")
        result.fold = True
        result.boxed = frames_and_cells(view.index, names)
    result.names = names
    view.title = f"{result.title}: {options.function or result.signature or 'graph'}"
    if not page:
        _fit_ops(result)


def _fit_ops(result: Plan) -> None:
    options, names, view = result.options, result.names, result.view
    budget = options.budget
    depth = options.depth
    chosen = result.selection(depth)
    auto = False
    if chosen.drawn_count > budget:
        auto = True
        start = depth if depth is not None else graphsel.max_scope_depth(names)
        for depth in range(min(start, graphsel.max_scope_depth(names)), 0, -1):
            chosen = result.selection(depth)
            if chosen.drawn_count <= budget:
                break
    if chosen.drawn_count > budget:
        if options.max_nodes is not None:
            raise InspectorError(options.path, f"the selection has {len(names)} nodes, too many to draw even "
                                 f"at --depth 1 (limit --max-nodes {budget})",
                                 "narrow it with --signature, --scope or --around, or lower --depth")
        kept = nearest_outputs(view, names, chosen, budget)
        result.notes.append(f"{chosen.drawn_count} boxes even with every scope collapsed; drew the {budget} "
                            f"nearest the outputs (--max-nodes {chosen.drawn_count} draws all, "
                            f"{cost_note(chosen.drawn_count)})")
        result.names = names = kept
        chosen = result.selection(depth)
    if auto:
        result.notes.append(f"{len(names)} nodes exceed the layout budget of {budget} boxes; collapsed "
                            f"scopes below --depth {depth} ({chosen.drawn_count} boxes); --max-nodes N "
                            "draws more")
    result.depth = depth if depth is not None else graphsel.max_scope_depth(names) + 1
    control = options.control
    if control == "auto":
        control = "hide" if chosen.drawn_count > AUTO_HIDE_CONTROL or result.fold else "dashed"
        if control == "hide" and not result.fold and any(
                r.control for n in chosen.nodes for r in view.index.inputs(n)):
            result.notes.append(f"{chosen.drawn_count} boxes: control dependencies are hidden to keep the "
                                "layout fast; --control dashed draws them")
    result.control = control


def nearest_outputs(view: graphsel.View, names: set[str], chosen: graphsel.Selection, budget: int) -> set[str]:
    """The nodes of the ``budget`` boxes closest to the outputs (breadth first, backwards)."""
    box = {n: chosen.member_of.get(n, n) for n in names}
    starts = [n for n in sorted(names) if n in view.outputs] or sorted(
        n for n in names if not any(e.consumer in names for e in view.index.consumers.get(n, ())))
    boxes: set[str] = set()
    seen = set(starts)
    queue = deque(starts)
    while queue:
        name = queue.popleft()
        if box[name] not in boxes:
            if len(boxes) >= budget:
                break
            boxes.add(box[name])
        for ref in view.index.inputs(name):
            if ref.node in names and ref.node not in seen:
                seen.add(ref.node)
                queue.append(ref.node)
    return {n for n in names if box[n] in boxes}


def _select(options: DiagramOptions, meta: MetaGraph, signature: str | None):
    if options.function:
        view = graphsel.function_view(meta.functions, options.function)
    else:
        view = graphsel.graph_view(meta)
    if options.expand_calls:
        view = graphsel.expand_calls(view, meta.functions)
    names = set(view.index.nodes)
    if signature:
        names, ins, outs = graphsel.signature_nodes(meta, view, signature)
        view.inputs, view.outputs = ins, outs
    if options.outputs:
        outs = {n for n, _ in graphsel.resolve(view, _split(options.outputs), "--outputs")}
        ins = {n for n, _ in graphsel.resolve(view, _split(options.inputs or ""), "--inputs")}
        names &= graphsel.backward(view.index, sorted(outs), ins)
        view.inputs, view.outputs = ins | (view.inputs & names), outs
    elif options.inputs:
        raise SelectionError(None, "--inputs needs --outputs (the tensors to draw back from)")
    if options.scope:
        names = graphsel.in_scope(names, options.scope)
        if not names:
            raise SelectionError(None, f"no node in scope {options.scope!r}",
                                 "top-level scopes: " + ", ".join(view.index.top_level_scopes()[:20]))
    if options.around:
        names &= graphsel.around(view.index, options.around, options.hops)
    return view, names


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def model_nodes(meta: MetaGraph, view: graphsel.View) -> tuple[set[str], str] | None:
    """The model without its machinery, and how it was found; None when there is nothing to leave out.

    With signatures other than internal ones: what their outputs need, from their inputs,
    along data edges.  Otherwise: the path from the placeholders to the graph's outputs (the
    nodes no model node reads), along data edges, never entering the machinery.
    """
    index = view.index
    keys = [k for k, s in meta.signatures.items() if not s.internal and s.outputs]
    machinery: set[str] = set()
    if keys:
        outs: set[str] = set()
        ins: set[str] = set()
        for key in keys:
            _, sig_ins, sig_outs = graphsel.signature_nodes(meta, view, key)
            outs |= sig_outs
            ins |= sig_ins
        how = f"what signature{'s' if len(keys) > 1 else ''} {', '.join(sorted(keys))} compute{'' if len(keys) > 1 else 's'}"
    else:
        machinery = {n for n, node in index.nodes.items() if is_machinery(n, node.op)}
        assigned = set()  # values an Assign, an optimizer update or a table initialiser takes: not outputs
        read = set()
        for name in index.nodes:
            refs = [ref.node for ref in index.inputs(name) if not ref.control]
            if name not in machinery:
                read.update(refs)
            elif index.nodes[name].op.startswith(("Assign", "Apply", "ResourceApply", "InitializeTable")):
                assigned.update(refs)
        ins = {n for n, node in index.nodes.items() if node.op in _INPUT_OPS}
        outs = {n for n in index.nodes if n not in machinery and n not in read and n not in assigned
                and index.nodes[n].op not in graphsel.CONST_OPS and index.nodes[n].op not in _VARIABLES}
        if ins:  # outputs are what the inputs reach
            outs &= _data_forward(index, ins, machinery)
        how = "the path from the inputs to the outputs"
        if not outs:
            return None
        machinery -= ins
    names = graphsel.backward(index, sorted(outs), ins, data_only=True, avoid=machinery)
    if len(names) == len(index):
        return None
    view.inputs = (view.inputs | ins) & names
    view.outputs = (view.outputs | outs) & names
    return names, how


_VARIABLES = frozenset({"VariableV2", "Variable", "VarHandleOp"})
_INPUT_OPS = frozenset({"Placeholder", "PlaceholderV2", "IteratorGetNext", "IteratorGetNextSync"})


def _data_forward(index: GraphIndex, inputs: set[str], machinery: set[str]) -> set[str]:
    seen = set(inputs)
    queue = deque(sorted(inputs))
    while queue:
        name = queue.popleft()
        for edge in index.consumers.get(name, ()):
            if not edge.ref.control and edge.consumer not in seen and edge.consumer not in machinery:
                seen.add(edge.consumer)
                queue.append(edge.consumer)
    return seen


def frames_and_cells(index: GraphIndex, names: set[str]) -> set[str]:
    """Scopes to draw as one box: ``tf.while_loop`` frames and repeated cells.

    A frame is the scope of its ``Enter`` nodes (``rnn/while``).  Repeated cells are sibling
    scopes named alike (``cell_0``, ``cell_1``; ``lstm_cell``, ``lstm_cell_1``), at least two,
    each with more than one node.
    """
    boxed = set()
    for name in names:
        if index.nodes[name].op in _FRAME_OPS and "/" in name:
            boxed.add(name.rpartition("/")[0])
    counts: Counter = Counter()
    for name in names:
        parts = name.split("/")[:-1]
        for k in range(1, len(parts) + 1):
            counts["/".join(parts[:k])] += 1
    family: dict[tuple[str, str], list[str]] = {}
    for scope, count in counts.items():
        if count < 2:
            continue
        parent, _, leaf = scope.rpartition("/")
        stem = re.sub(r"_?\d+$", "", leaf)
        if stem:
            family.setdefault((parent, stem), []).append(scope)
    for members in family.values():
        if len(members) >= 2:
            boxed.update(members)
    # A box inside another box is drawn inside it: keep the outermost.
    return {s for s in boxed if not any("/".join(s.split("/")[:k]) in boxed for k in range(1, s.count("/") + 1))}
