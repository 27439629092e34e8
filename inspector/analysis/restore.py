"""Which checkpoint keys a graph will restore, with the dtype and shape it expects.

TF1 savers restore through ``RestoreV2`` nodes: the ``tensor_names`` input is a
Const listing the checkpoint keys, output *k* feeds an ``Assign`` (or
``AssignVariableOp``) whose first input is the variable, which has the dtype
and shape.  TF2 SavedModels restore the object graph: every SavedVariable is
read from ``<path>/.ATTRIBUTES/VARIABLE_VALUE``.  A graph without either
falls back to its variable nodes, named as ``tf.compat.v1.train.Saver`` names
them by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.graph import GraphIndex, TensorRef
from ..model.metagraph import MetaGraph
from ..model.variables import graph_variables, object_graph_variables
from ..tensors.shapes import Shape, dtype_name
from ..tensors.values import decode

RESTORE_OPS = frozenset({"RestoreV2", "Restore", "RestoreSlice"})
ASSIGN_OPS = frozenset({"Assign", "AssignVariableOp"})


@dataclass(frozen=True)
class ExpectedTensor:
    key: str
    dtype: str | None
    shape: Shape
    variable: str | None  # the graph node or object path that receives it
    source: str  # "saver", "object graph" or "variable nodes"

    def as_expected(self) -> tuple[str, str | None, tuple[int | None, ...] | None]:
        return (self.key, self.dtype, None if self.shape is None else tuple(self.shape))


def expected_tensors(meta: MetaGraph, checkpoint=None) -> list[ExpectedTensor]:
    """What the graph restores; for a TF2 SavedModel keyed through ``checkpoint``'s object graph."""
    if meta.object_graph is not None:
        return [ExpectedTensor(v.checkpoint_key, v.dtype, v.shape, v.path or v.name, "object graph")
                for v in object_graph_variables(meta, checkpoint) if v.checkpoint_key]
    from_saver = saver_restores(meta)
    if from_saver:
        return from_saver
    return [ExpectedTensor(v.checkpoint_key or v.name, v.dtype, v.shape, v.node, "variable nodes")
            for v in graph_variables(meta)]


def saver_restores(meta: MetaGraph) -> list[ExpectedTensor]:
    graph = meta.graph
    restores = [node for node in graph.nodes.values() if node.op in RESTORE_OPS]
    saver = meta.saver_def
    if saver is not None and saver.restore_op_name:
        wanted = graph.ancestors(saver.restore_op_name.split(":")[0])
        chosen = [node for node in restores if node.name in wanted]
        restores = chosen or restores
    variables = {v.node: v for v in graph_variables(meta) if v.node}
    result: list[ExpectedTensor] = []
    seen: set[str] = set()
    for node in restores:
        keys = _const_strings(graph, node.input[1] if len(node.input) > 1 else None)
        slice_specs = _const_strings(graph, node.input[2] if len(node.input) > 2 else None)
        dtypes = [dtype_name(t) for t in node.attr["dtypes"].list.type] if "dtypes" in node.attr else []
        targets = _assigned_variables(graph, node.name)
        for index, key in enumerate(keys):
            if key in seen:
                continue
            seen.add(key)
            target = targets.get(index)
            var = variables.get(target) if target else None
            result.append(ExpectedTensor(
                key=key,
                dtype=dtypes[index] if index < len(dtypes) else (var.dtype if var else None),
                shape=_full_shape(slice_specs[index]) if index < len(slice_specs) and slice_specs[index]
                else var.shape if var else None,
                variable=target,
                source="saver",
            ))
    return result


def _full_shape(shape_and_slice: str) -> Shape:
    """The whole tensor's shape from a partition's ``"10 4 0,5:0,4"`` (dims, then the slice)."""
    dims = shape_and_slice.split()[:-1]
    return [int(d) for d in dims] if all(d.lstrip("-").isdigit() for d in dims) else None


def _const_strings(graph: GraphIndex, reference: str | None) -> list[str]:
    if reference is None:
        return []
    node = graph.node(TensorRef.parse(reference).node)
    # The names usually come straight from a Const; sharded savers may pass them through Identity.
    while node is not None and node.op == "Identity" and node.input:
        node = graph.node(TensorRef.parse(node.input[0]).node)
    if node is None or node.op != "Const":
        return []
    values = decode(node.attr["value"].tensor)
    if values is None:
        return []
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values.reshape(-1)]


def _assigned_variables(graph: GraphIndex, restore_node: str) -> dict[int, str]:
    """RestoreV2 output index -> the variable node its value is assigned to."""
    result: dict[int, str] = {}
    for edge in graph.consumers.get(restore_node, []):
        if edge.ref.control:
            continue
        consumer = graph.node(edge.consumer)
        current = consumer
        # Values may pass through Identity before the assignment.
        while current is not None and current.op == "Identity":
            nexts = [e for e in graph.consumers.get(current.name, []) if not e.ref.control]
            current = graph.node(nexts[0].consumer) if nexts else None
        if current is not None and current.op in ASSIGN_OPS and current.input:
            result[edge.ref.index] = _variable_behind(graph, current.input[0])
    return result


def _variable_behind(graph: GraphIndex, reference: str) -> str:
    node = graph.node(TensorRef.parse(reference).node)
    while node is not None and node.op == "Identity" and node.input:
        node = graph.node(TensorRef.parse(node.input[0]).node)
    return node.name if node is not None else TensorRef.parse(reference).node
