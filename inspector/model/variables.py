"""Variables a graph defines, and the constants a frozen graph folded them into."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass

from google.protobuf import message as pb_message

from .. import protos
from ..checkpoint.audit import SLOT_MARKER
from ..errors import InspectorError
from ..tensors.shapes import Shape, dtype_name, item_size, num_elements, shape_from_proto
from .metagraph import MetaGraph
from .object_graph import captured, checkpoint_keys, is_keras, object_paths, slots

VARIABLE_OPS = frozenset({"VariableV2", "Variable", "VarHandleOp"})


@dataclass(frozen=True)
class Variable:
    name: str  # the node name, or the object-graph path for TF2 variables
    op: str  # VariableV2 / Variable / VarHandleOp, or SavedVariable (object graph)
    dtype: str
    shape: Shape
    trainable: bool | None = None
    node: str | None = None
    path: str | None = None  # object-graph path, e.g. "layer/kernel"
    initializer: str | None = None
    snapshot: str | None = None
    checkpoint_key: str | None = None
    saved_name: str | None = None  # the name TensorFlow gave the variable (SavedVariable.name)
    copy_of: str | None = None  # a second stored copy of this variable (Keras model.export)
    slot_of: str | None = None  # the variable an optimizer slot belongs to
    # In the local_variables collection (TF1 metric counters, an Estimator's eval state): not saved by
    # the Saver, initialised by local_init_op.  False in the global variables collection; None in
    # neither (a TF2 graph, or a variable only in another collection such as metric_variables).
    local: bool | None = None

    @property
    def elements(self) -> int | None:
        return num_elements(self.shape)

    @property
    def nbytes(self) -> int | None:
        size = item_size(self.dtype)
        return None if size is None or self.elements is None else size * self.elements


def graph_variables(meta: MetaGraph, checkpoint=None) -> list[Variable]:
    """The object graph's variables for a TF2 SavedModel (what ``tf.saved_model.load`` rebuilds,
    possibly none), else the variable nodes of the graph."""
    if meta.object_graph is not None:
        return object_graph_variables(meta, checkpoint)
    return node_variables(meta)


def distinct(variables: list[Variable]) -> list[Variable]:
    """The variables without the second copies a Keras export stores."""
    return [v for v in variables if v.copy_of is None]


def node_variables(meta: MetaGraph) -> list[Variable]:
    defs = _variable_defs(meta)
    trainable = _trainable_names(meta)
    local = _collection_variable_names(meta, "local_variables")
    global_ = _collection_variable_names(meta, "variables")
    result = []
    for node in meta.graph_def.node:
        if node.op not in VARIABLE_OPS:
            continue
        vdef = defs.get(node.name)
        is_trainable = None
        if vdef is not None:
            is_trainable = vdef.trainable
        elif trainable is not None:
            is_trainable = node.name in trainable
        result.append(Variable(
            name=node.name,
            op=node.op,
            dtype=dtype_name(node.attr["dtype"].type),
            shape=shape_from_proto(node.attr["shape"].shape) if "shape" in node.attr else None,
            trainable=is_trainable,
            node=node.name,
            initializer=(vdef.initializer_name or None) if vdef else None,
            snapshot=(vdef.snapshot_name or None) if vdef else None,
            checkpoint_key=node.name if node.op != "VarHandleOp" else _shared_name(node),
            local=True if node.name in local else (False if node.name in global_ else None),
        ))
    return result


def _collection_variable_names(meta: MetaGraph, key: str) -> set[str]:
    if key not in meta.collections:
        return set()
    return {vdef.variable_name.split(":")[0] for vdef in parse_variable_defs(meta.collections[key])}


def _shared_name(node: protos.NodeDef) -> str:
    shared = node.attr["shared_name"].s.decode("utf-8", "replace") if "shared_name" in node.attr else ""
    return shared or node.name


def parse_variable_defs(collection: protos.CollectionDef) -> list[protos.VariableDef]:
    """The VariableDefs a variables collection holds; damaged entries are left out."""
    if collection.WhichOneof("kind") != "bytes_list":
        return []
    result = []
    for raw in collection.bytes_list.value:
        vdef = protos.VariableDef()
        with contextlib.suppress(pb_message.DecodeError):
            vdef.ParseFromString(raw)
            result.append(vdef)
    return result


def _variable_defs(meta: MetaGraph) -> dict[str, protos.VariableDef]:
    result: dict[str, protos.VariableDef] = {}
    for key in ("variables", "local_variables", "model_variables"):
        if key in meta.collections:
            for vdef in parse_variable_defs(meta.collections[key]):
                result.setdefault(vdef.variable_name.split(":")[0], vdef)
    return result


def _trainable_names(meta: MetaGraph) -> set[str] | None:
    collection = meta.collections.get("trainable_variables")
    if collection is None:
        return None
    return {vdef.variable_name.split(":")[0] for vdef in parse_variable_defs(collection)}


def object_graph_variables(meta: MetaGraph, checkpoint=None) -> list[Variable]:
    """The SavedVariables of a TF2 object graph, with the checkpoint key each is restored from.

    ``checkpoint`` (a BundleReader, optional) supplies the checkpoint's own object
    graph, matched to the SavedObjectGraph as TensorFlow's loader matches them,
    and the checksums that show a Keras export storing a variable twice.
    """
    # Computed once per (graph, checkpoint): ``ckpt`` names variables and audits them with it.
    cache = meta.__dict__.setdefault("_object_graph_variables", {})
    hit = cache.get(id(checkpoint))
    if hit is None or hit[0] is not checkpoint:
        hit = cache[id(checkpoint)] = (checkpoint, _object_graph_variables(meta, checkpoint))
    return list(hit[1])


def _object_graph_variables(meta: MetaGraph, checkpoint) -> list[Variable]:
    graph = meta.object_graph
    if graph is None:
        return []
    trackable, entries = _checkpoint_facts(checkpoint)
    paths = object_paths(graph)
    keys = checkpoint_keys(graph, trackable)
    ids = [i for i, node in enumerate(graph.nodes) if node.WhichOneof("kind") == "variable"]
    copies = _copies(graph, ids, keys, entries)
    names = _names(graph, ids, paths, copies)
    slot_of = slots(graph)
    result = []
    for node_id in ids:
        var = graph.nodes[node_id].variable
        slot = slot_of.get(node_id)
        result.append(Variable(
            name=names[node_id],
            op="SavedVariable",
            dtype=dtype_name(var.dtype),
            shape=shape_from_proto(var.shape),
            trainable=var.trainable,
            path=paths.get(node_id),
            checkpoint_key=keys.get(node_id),
            saved_name=var.name or None,
            copy_of=names[copies[node_id]] if node_id in copies else None,
            slot_of=names.get(slot.original) if slot is not None else None,
        ))
    return result


def _checkpoint_facts(checkpoint) -> tuple[protos.TrackableObjectGraph | None, dict]:
    """The checkpoint's object graph (None when it has none or cannot be read) and its index entries."""
    if checkpoint is None:
        return None, {}
    entries = {e.key: e for e in checkpoint.entries()}
    try:
        return checkpoint.object_graph(), entries
    except InspectorError:  # a missing or damaged data shard: fall back to TensorFlow's key spelling
        return None, entries


def _copies(graph: protos.SavedObjectGraph, ids: list[int], keys: dict[int, str], entries: dict) -> dict[int, int]:
    """Variable node -> the variable it duplicates.

    Keras's ``model.export`` saves each weight twice: once captured by the
    serving functions, once in a list no function reads, both with the same
    name and, in the checkpoint, the same bytes.  A variable no function
    captures is a copy of a captured one with the same name, dtype, shape and
    stored checksum.
    """
    used = captured(graph)

    def identity(node_id: int):
        var = graph.nodes[node_id].variable
        entry = entries.get(keys.get(node_id, ""))
        stored = (entry.crc32c, entry.size) if entry is not None else None
        return var.name, var.dtype, tuple(d.size for d in var.shape.dim), var.shape.unknown_rank, stored

    originals: dict[tuple, int] = {}
    for node_id in ids:
        if node_id in used and graph.nodes[node_id].variable.name:
            originals.setdefault(identity(node_id), node_id)
    return {node_id: originals[identity(node_id)] for node_id in ids
            if node_id not in used and identity(node_id) in originals}


def _names(graph: protos.SavedObjectGraph, ids: list[int], paths: dict[int, str],
           copies: dict[int, int]) -> dict[int, str]:
    """What to call each variable: a Keras layer path (``dense/kernel``) where Keras wrote the
    export and the name is unambiguous, else the object path; slot variables after their variable."""
    keras = is_keras(graph)
    slot_of = slots(graph)
    saved = Counter(graph.nodes[i].variable.name for i in ids if i not in copies and i not in slot_of)
    names: dict[int, str] = {}
    for node_id in ids:
        saved_name = graph.nodes[node_id].variable.name
        if keras and node_id not in copies and node_id not in slot_of and saved_name and saved[saved_name] == 1:
            names[node_id] = saved_name
        elif node_id in paths:
            names[node_id] = paths[node_id]
    for node_id, slot in slot_of.items():
        if node_id in ids and slot.original in names:
            optimizer = paths.get(slot.optimizer, f"<object {slot.optimizer}>")
            names[node_id] = f"{names[slot.original]}{SLOT_MARKER}{optimizer}/{slot.name}"
    for node_id in ids:
        names.setdefault(node_id, f"<object {node_id}>")
    return names

