"""Variables a graph defines, with totals; for a frozen graph, the Consts holding its weights."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from ..model.metagraph import MetaGraph
from ..model.tensors import Shape, dtype_name, item_size, num_elements, shape_from_proto
from ..model.values import decode
from ..model.variables import Variable, distinct, node_variables, object_graph_variables
from .restore import saver_restores

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
class Totals:
    count: int
    parameters: int
    nbytes: int

    @classmethod
    def of(cls, variables: list[Variable]) -> Totals:
        return cls(len(variables), sum(v.elements or 0 for v in variables), sum(v.nbytes or 0 for v in variables))


@dataclass(frozen=True)
class VariablesView:
    variables: list[Variable]  # every variable stored, second copies included (marked copy_of)
    count: int  # the distinct variables (second copies left out)
    parameters: int
    nbytes: int
    constants: Constants | None  # only when the graph has no variables
    copies: Totals  # the second copies a Keras export stores

    @property
    def stored(self) -> Totals:
        return Totals.of(self.variables)


def variables_view(meta: MetaGraph, checkpoint=None, *, trainable_only: bool = False,
                   all_consts: bool = False) -> VariablesView:
    every = resolved_variables(meta, checkpoint)
    variables = [v for v in every if v.trainable] if trainable_only else every
    totals = Totals.of(distinct(variables))
    constants = None
    if not every:
        constants = constants_of(meta, None if all_consts else LARGEST_CONSTS)
    copies = Totals.of([v for v in variables if v.copy_of is not None])
    return VariablesView(variables, totals.count, totals.parameters, totals.nbytes, constants, copies)


def resolved_variables(meta: MetaGraph, checkpoint=None) -> list[Variable]:
    """TF2 object-graph variables joined to their VarHandleOp node; else the TF1 variable nodes,
    each with the checkpoint key its saver restores it from."""
    if meta.object_graph is None:
        return _with_saver_keys(meta, node_variables(meta))
    saved = object_graph_variables(meta, checkpoint)
    handles = {n.name for n in meta.graph_def.node if n.op == "VarHandleOp"}
    names = Counter(v.saved_name for v in saved)
    used: set[str] = set()
    result = []
    for var in saved:
        # Only an unambiguous name says which handle is this variable's.
        node = var.saved_name if var.saved_name and names[var.saved_name] == 1 else None
        if node is None or node not in handles or node in used:
            result.append(var)
            continue
        used.add(node)
        result.append(replace(var, op="VarHandleOp", node=node))
    return result


def _with_saver_keys(meta: MetaGraph, variables: list[Variable]) -> list[Variable]:
    """The key the graph's saver restores each variable from; None for one it does not restore
    (local variables such as metric counters are not saved)."""
    restores = saver_restores(meta)
    if not restores:
        return variables
    keys = {e.variable: e.key for e in restores if e.variable}
    return [replace(v, checkpoint_key=keys.get(v.node)) for v in variables]


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
