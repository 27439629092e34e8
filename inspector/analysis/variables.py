"""Variables a graph defines, with totals; for a frozen graph, the Consts holding its weights.

The totals and the Const sizes come from the model layer, as for every other command.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from ..model.constants import Constant
from ..model.metagraph import MetaGraph
from ..model.totals import VariableTotals, copies_of, variable_totals
from ..model.variables import Variable, distinct, node_variables, object_graph_variables
from .restore import saver_restores

LARGEST_CONSTS = 20


@dataclass(frozen=True)
class ConstantsView:
    count: int
    elements: int
    nbytes: int
    largest: list[Constant]  # biggest first; every Const when asked for all
    frozen: bool = True  # a bare GraphDef (frozen graph); False: a SavedModel or .meta without variables


@dataclass(frozen=True)
class VariablesView:
    variables: list[Variable]  # every variable stored, second copies included (marked copy_of)
    count: int  # the distinct variables (second copies left out)
    parameters: int
    nbytes: int
    constants: ConstantsView | None  # only when the graph has no variables
    copies: VariableTotals  # the second copies a Keras export stores


def variables_view(meta: MetaGraph, checkpoint=None, *, trainable_only: bool = False,
                   all_consts: bool = False) -> VariablesView:
    every = resolved_variables(meta, checkpoint)
    variables = [v for v in every if v.trainable] if trainable_only else every
    totals = variable_totals(distinct(variables))
    constants = None
    if not every:
        consts = meta.constants
        constants = ConstantsView(consts.count, consts.elements, consts.nbytes,
                                  consts.largest(None if all_consts else LARGEST_CONSTS), frozen=meta.proto is None)
    return VariablesView(variables, totals.count, totals.parameters, totals.nbytes, constants,
                         variable_totals(copies_of(variables)))


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

