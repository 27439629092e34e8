"""Variables a graph defines, and the constants a frozen graph folded them into."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from google.protobuf import message as pb_message

from .. import protos
from .metagraph import MetaGraph
from .tensors import Shape, dtype_name, item_size, num_elements, shape_from_proto

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

    @property
    def elements(self) -> int | None:
        return num_elements(self.shape)

    @property
    def nbytes(self) -> int | None:
        size = item_size(self.dtype)
        return None if size is None or self.elements is None else size * self.elements


def graph_variables(meta: MetaGraph) -> list[Variable]:
    """TF2 object-graph variables when the artifact has them, else the variable nodes."""
    from_objects = object_graph_variables(meta)
    return from_objects if from_objects else node_variables(meta)


def node_variables(meta: MetaGraph) -> list[Variable]:
    defs = _variable_defs(meta)
    trainable = _trainable_names(meta)
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
        ))
    return result


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


def object_paths(graph: protos.SavedObjectGraph) -> dict[int, str]:
    """Shortest child path from the root object to every object (``layer/kernel``)."""
    paths = {0: ""}
    queue = [0]
    while queue:
        current = queue.pop(0)
        for child in graph.nodes[current].children:
            if child.node_id not in paths and child.node_id < len(graph.nodes):
                prefix = paths[current]
                paths[child.node_id] = f"{prefix}/{child.local_name}" if prefix else child.local_name
                queue.append(child.node_id)
    return paths


def object_graph_variables(meta: MetaGraph) -> list[Variable]:
    graph = meta.object_graph
    if graph is None:
        return []
    paths = object_paths(graph)
    result = []
    for node_id, obj in enumerate(graph.nodes):
        if obj.WhichOneof("kind") != "variable":
            continue
        var = obj.variable
        path = paths.get(node_id, f"<object {node_id}>")
        result.append(Variable(
            name=path,
            op="SavedVariable",
            dtype=dtype_name(var.dtype),
            shape=shape_from_proto(var.shape),
            trainable=var.trainable,
            path=path,
            checkpoint_key=f"{path}/.ATTRIBUTES/VARIABLE_VALUE",
            saved_name=var.name or None,
        ))
    return result
