"""Variables a graph defines, with totals; for a frozen graph, the Consts holding its weights.

The totals and the Const sizes come from the model layer, as for every other command.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..model.constants import Constant
from ..model.metagraph import MetaGraph
from ..model.totals import variable_totals
from ..model.variables import Variable, node_variables, object_graph_variables

LARGEST_CONSTS = 20


@dataclass(frozen=True)
class ConstantsView:
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
    constants: ConstantsView | None  # only when the graph has no variables


def variables_view(meta: MetaGraph, *, trainable_only: bool = False, all_consts: bool = False) -> VariablesView:
    every = resolved_variables(meta)
    variables = [v for v in every if v.trainable] if trainable_only else every
    totals = variable_totals(variables)
    constants = None
    if not every:
        consts = meta.constants
        constants = ConstantsView(consts.count, consts.elements, consts.nbytes,
                                  consts.largest(None if all_consts else LARGEST_CONSTS))
    return VariablesView(variables, totals.count, totals.parameters, totals.nbytes, constants)


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
