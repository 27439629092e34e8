"""Likely inputs and outputs of a graph that declares none (frozen graphs, .meta files).

Inputs are the Placeholder and PlaceholderWithDefault nodes (the latter
optional).  Outputs are the nodes whose values nothing reads, once the
machinery around a model is set aside: constants, the saver, summaries,
variable initialisers, training updates, assertions and prints.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from .. import protos
from ..model.graph import TensorRef, parse_tensor_name
from ..model.metagraph import MetaGraph, Signature, SignatureTensor
from ..model.totals import variable_totals
from ..model.variables import distinct, parse_variable_defs
from ..tensors.shapes import Shape, dtype_name, shape_from_proto
from ..tensors.values import summarise_tensor
from .variables import resolved_variables

INPUT_OPS = frozenset({"Placeholder", "PlaceholderV2", "PlaceholderWithDefault"})

# Op types that are never a model's output.
MACHINERY_OPS = frozenset({
    "Const", "NoOp", "Assert", "Print", "PrintV2", "VarIsInitializedOp", "IsVariableInitialized",
    "SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore", "RestoreSlice", "MergeV2Checkpoints",
    "ShardedFilename", "ShardedFilespec", "MergeSummary", "VariableV2", "Variable", "VarHandleOp",
    "DestroyResourceOp", "HashTableV2", "HashTable", "MutableHashTableV2", "InitializeTableV2",
    "InitializeTableFromTextFileV2", "TensorSummary", "TensorSummaryV2", "WriteSummary",
})
MACHINERY_OP_PATTERNS = ("Assign*", "*Summary*", "Apply*", "ResourceApply*", "SparseApply*",
                         "ResourceSparseApply*", "*Placeholder*")
# Name scopes of training and initialisation machinery.
MACHINERY_SCOPES = ("gradients", "training", "train", "optimizer", "Optimizer", "report_uninitialized_variables",
                    "GradientDescent", "Adam", "Momentum", "RMSProp", "Adagrad", "Adadelta", "Ftrl", "SGD")
MACHINERY_NAMES = frozenset({"init", "init_1", "init_all_tables", "init_all_vars_op", "legacy_init_op",
                             "group_deps", "main_op", "saver_filename"})
INIT_COLLECTIONS = ("table_initializer", "saved_model_main_op", "legacy_init_op", "init_op", "local_init_op")
MACHINERY_COLLECTIONS = ("train_op", "summaries", "ready_op", "ready_for_local_init_op", *INIT_COLLECTIONS)


@dataclass(frozen=True)
class IOTensor:
    name: str  # node name
    tensor: str  # tensor name, node:0
    op: str
    dtype: str | None
    shape: Shape
    default: str | None = None  # PlaceholderWithDefault: the default value, summarised

    @property
    def optional(self) -> bool:
        return self.op == "PlaceholderWithDefault"


@dataclass(frozen=True)
class IOView:
    inputs: list[IOTensor]
    outputs: list[IOTensor]
    parameters: int
    parameters_from: str  # "variables" or "constants"
    signatures: list[str]  # signature keys the MetaGraph declares (then io is a guess beside them)


def io_view(meta: MetaGraph, checkpoint=None) -> IOView:
    excluded = machinery(meta)
    graph = meta.graph
    inputs = [_input(node, graph) for node in graph.nodes.values()
              if node.op in INPUT_OPS and node.name not in excluded and not _captured_resource(node)]
    excluded |= initialisation(meta)
    outputs = []
    for node in graph.nodes.values():
        if node.name in excluded or _is_machinery_op(node.op) or _reads_variable(node, graph) \
                or _cond_pivot(node, graph):
            continue
        readers = [e for e in graph.consumers.get(node.name, []) if e.slot >= 0 and e.consumer not in excluded]
        if not readers:
            outputs.append(_output(node))
    variables = distinct(resolved_variables(meta, checkpoint))
    if variables:
        parameters, source = variable_totals(variables).parameters, "variables"
    else:
        parameters, source = meta.constants.float_elements, "constants"
    return IOView(inputs, outputs, parameters, source, sorted(meta.signatures))


def machinery(meta: MetaGraph) -> set[str]:
    """Names of nodes that belong to the saver, training, summaries or initialisation."""
    graph = meta.graph
    names: set[str] = set()
    for name in graph.nodes:
        scopes = name.split("/")[:-1]
        if any(part in MACHINERY_SCOPES for part in scopes) or name in MACHINERY_NAMES \
                or "/Initializer/" in f"/{name}/":
            names.add(name)
    saver = meta.saver_def
    seeds: list[str] = []
    if saver is not None:
        for tensor in (saver.filename_tensor_name, saver.save_tensor_name, saver.restore_op_name):
            if tensor:
                node = parse_tensor_name(tensor)[0]
                seeds.append(node)
                scope = graph.scope_of(node)
                if scope:
                    names.update(n for n in graph.nodes if n.startswith(scope + "/"))
    names.update(_collection_nodes(meta, MACHINERY_COLLECTIONS))
    for key in ("variables", "local_variables", "model_variables"):
        if key in meta.collections:
            for vdef in parse_variable_defs(meta.collections[key]):
                if vdef.initializer_name:
                    names.add(parse_tensor_name(vdef.initializer_name)[0])
    # Everything computed from the saver's filename is save/restore machinery.
    names.update(graph.descendants(seeds))
    return names


def initialisation(meta: MetaGraph) -> set[str]:
    """Nodes computed only to initialise variables and tables (their initial values)."""
    graph = meta.graph
    init = {name for name, node in graph.nodes.items()
            if fnmatch.fnmatchcase(node.op, "Assign*") or node.op.startswith("InitializeTable")
            or name in MACHINERY_NAMES or "/Initializer/" in f"/{name}/"
            or name in _collection_nodes(meta, INIT_COLLECTIONS)}
    changed = True
    while changed:
        changed = False
        for name, node in graph.nodes.items():
            if name in init or node.op in INPUT_OPS:
                continue
            readers = [e.consumer for e in graph.consumers.get(name, []) if e.slot >= 0]
            if readers and all(r in init for r in readers):
                init.add(name)
                changed = True
    return init


def _collection_nodes(meta: MetaGraph, keys) -> set[str]:
    names: set[str] = set()
    for key in keys:
        collection = meta.collections.get(key)
        if collection is not None and collection.WhichOneof("kind") == "node_list":
            names.update(parse_tensor_name(v)[0] for v in collection.node_list.value)
    return names


def _reads_variable(node: protos.NodeDef, graph) -> bool:
    """A variable's snapshot (``v/read``) or a ReadVariableOp: a value, not a result."""
    if node.op not in ("Identity", "ReadVariableOp") or not node.input:
        return False
    source = graph.node(TensorRef.parse(node.input[0]).node)
    return source is not None and source.op in ("VariableV2", "Variable", "VarHandleOp")


def _captured_resource(node: protos.NodeDef) -> bool:
    """A DT_RESOURCE placeholder (TF2's ``unused_resource``): a captured handle, never fed data."""
    return "dtype" in node.attr and node.attr["dtype"].type == protos.DataType.Value("DT_RESOURCE")


def _cond_pivot(node: protos.NodeDef, graph) -> bool:
    """A TF1 ``tf.cond`` pivot (``cond/switch_t``, ``cond/switch_f``): an Identity of a Switch that
    the branch's nodes read through control edges only, never an output."""
    if node.op != "Identity" or not node.input:
        return False
    source = graph.node(TensorRef.parse(node.input[0]).node)
    if source is None or source.op not in ("Switch", "RefSwitch"):
        return False
    readers = graph.consumers.get(node.name, [])
    return bool(readers) and all(edge.slot < 0 for edge in readers)


def _is_machinery_op(op: str) -> bool:
    return op in MACHINERY_OPS or any(fnmatch.fnmatchcase(op, p) for p in MACHINERY_OP_PATTERNS) \
        or op == "ReadVariableOp"


def _input(node: protos.NodeDef, graph) -> IOTensor:
    dtype = dtype_name(node.attr["dtype"].type) if "dtype" in node.attr else None
    shape = shape_from_proto(node.attr["shape"].shape) if "shape" in node.attr else None
    default = None
    if node.op == "PlaceholderWithDefault" and node.input:
        source = graph.node(TensorRef.parse(node.input[0]).node)
        if source is not None and source.op == "Const" and "value" in source.attr:
            default = summarise_tensor(source.attr["value"].tensor)
        else:
            default = f"computed by {node.input[0]}"
    return IOTensor(node.name, f"{node.name}:0", node.op, dtype, shape, default)


def _output(node: protos.NodeDef) -> IOTensor:
    dtype = None
    for key in ("T", "dtype", "out_type", "DstT", "Tout", "output_type"):
        if key in node.attr and node.attr[key].WhichOneof("value") == "type":
            dtype = dtype_name(node.attr[key].type)
            break
    if dtype is None and "Tout" in node.attr and node.attr["Tout"].list.type:
        dtype = dtype_name(node.attr["Tout"].list.type[0])
    shape: Shape = None
    if "_output_shapes" in node.attr and node.attr["_output_shapes"].list.shape:
        shape = shape_from_proto(node.attr["_output_shapes"].list.shape[0])
    return IOTensor(node.name, f"{node.name}:0", node.op, dtype, shape)


GIVEN_KEY = "(--inputs/--outputs)"
GUESSED_KEY = "(guessed inputs/outputs)"
PREDICT_METHOD = "tensorflow/serving/predict"


def io_signature(meta: MetaGraph, inputs: list[str] | None = None,
                 outputs: list[str] | None = None) -> Signature | None:
    """A Predict signature for a graph without SignatureDefs (frozen graph, ``.meta``):
    the tensors given, else the inputs and outputs ``io_view`` guesses; None when there are none.
    Its aliases are the tensor names."""
    if inputs or outputs:
        key, inputs, outputs = GIVEN_KEY, list(inputs or []), list(outputs or [])
    else:
        view = io_view(meta)
        key = GUESSED_KEY
        inputs = [t.tensor for t in view.inputs if not t.optional]
        outputs = [t.tensor for t in view.outputs]
    if not inputs and not outputs:
        return None
    return Signature(key, PREDICT_METHOD, _signature_tensors(meta, inputs), _signature_tensors(meta, outputs))


def _signature_tensors(meta: MetaGraph, names: list[str]) -> tuple[SignatureTensor, ...]:
    resolver = meta.outputs
    result = []
    for text in names:
        name = text if ":" in text else f"{text}:0"
        node_name, index = parse_tensor_name(name)
        node = meta.graph.node(node_name)
        dtype, shape = "DT_INVALID", None
        if node is not None:
            outputs = resolver.outputs(node).outputs
            if outputs is not None and index < len(outputs):
                dtype = outputs[index].dtype or "DT_INVALID"
                shape = outputs[index].shape
        result.append(SignatureTensor(name, name, dtype, shape, "name"))
    return tuple(result)
