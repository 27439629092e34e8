"""Variables a graph defines, with totals; for a frozen graph, the Consts holding its weights."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..model.metagraph import MetaGraph
from ..model.tensors import Shape, dtype_name, item_size, num_elements, shape_from_proto
from ..model.values import decode
from ..model.variables import Variable, node_variables, object_graph_variables

LARGEST_CONSTS = 20


@dataclass(frozen=True)
class Constant:
    name: str
    dtype: str
    shape: Shape
    elements: int
    nbytes: int


@dataclass(frozen=True)
class Constants:
    count: int
    elements: int
    nbytes: int
    largest: list[Constant]  # biggest first; every Const when asked for all


@dataclass(frozen=True)
class VariablesView:
    variables: list[Variable]
    count: int
    parameters: int
    nbytes: int
    constants: Constants | None  # only when the graph has no variables


def variables_view(meta: MetaGraph, *, trainable_only: bool = False, all_consts: bool = False) -> VariablesView:
    variables = resolved_variables(meta)
    if trainable_only:
        variables = [v for v in variables if v.trainable]
    parameters = sum(v.elements or 0 for v in variables)
    nbytes = sum(v.nbytes or 0 for v in variables)
    constants = None
    if not resolved_variables(meta):
        constants = constants_of(meta, None if all_consts else LARGEST_CONSTS)
    return VariablesView(variables, len(variables), parameters, nbytes, constants)


def resolved_variables(meta: MetaGraph) -> list[Variable]:
    """TF2 object-graph variables joined to their VarHandleOp node; else the TF1 variable nodes."""
    saved = object_graph_variables(meta)
    if not saved:
        return node_variables(meta)
    handles = {n.name: n for n in meta.graph_def.node if n.op == "VarHandleOp"}
    used: set[str] = set()
    result = []
    for var in saved:
        node = None
        for candidate in (var.saved_name, var.path):
            if candidate and candidate in handles and candidate not in used:
                node = candidate
                break
        if node is None:
            result.append(var)
            continue
        used.add(node)
        result.append(replace(var, op="VarHandleOp", node=node))
    return result


def constants_of(meta: MetaGraph, limit: int | None) -> Constants:
    """Every Const node of the graph: count, elements, bytes of the values, biggest first."""
    found = []
    for node in meta.graph_def.node:
        if node.op != "Const" or "value" not in node.attr:
            continue
        tensor = node.attr["value"].tensor
        shape = shape_from_proto(tensor.tensor_shape)
        dtype = dtype_name(tensor.dtype)
        elements = num_elements(shape) or 0
        size = item_size(dtype)
        if size is not None:
            nbytes = elements * size
        else:
            values = decode(tensor)
            nbytes = sum(len(v) for v in values.reshape(-1)) if values is not None and dtype == "DT_STRING" \
                else 0
        found.append(Constant(node.name, dtype, shape, elements, nbytes))
    ordered = sorted(found, key=lambda c: (-c.nbytes, c.name))
    return Constants(
        count=len(found),
        elements=sum(c.elements for c in found),
        nbytes=sum(c.nbytes for c in found),
        largest=ordered if limit is None else ordered[:limit],
    )
