"""The operations of a graph, as `Graph.get_operations()` lists them, made readable.

Rows come in the order TensorFlow's importer creates them (``get_operations()`` after
``import_graph_def``: GraphDef order, except that a node comes after every node it
reads), then, with
``include_functions``, the nodes of each library function (functions sorted by
name, nodes in their own order).  TF2 models keep their computation in library
functions, so a filter by op type always searches the functions too; other
listings count the function nodes that would match, so the user can be told.
Op types match without regard to case (``conv2d`` finds ``Conv2D``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import SelectionError
from ..model.attrs import summarise_attr
from ..model.import_order import import_order
from ..model.metagraph import MetaGraph
from ..model.outputs import OutputResolver, TensorOutput


@dataclass(frozen=True)
class OperationFilter:
    """Which operations to keep; every condition given must hold."""

    op_types: frozenset[str] = frozenset()  # op types as asked for; empty: any
    scope: str | None = None  # a name prefix, e.g. "model_variables/"
    pattern: re.Pattern | None = None  # re.search on the name

    @classmethod
    def build(cls, op_types: str | None = None, scope: str | None = None,
              match: str | None = None) -> OperationFilter:
        types = frozenset(t.strip() for t in (op_types or "").split(",") if t.strip())
        pattern = None
        if match is not None:
            try:
                pattern = re.compile(match)
            except re.error as exc:
                raise SelectionError(None, f"--match {match!r} is not a valid regular expression: {exc}",
                                     "it is a Python regular expression, searched for in each name") from None
        return cls(types, scope or None, pattern)

    @property
    def folded_types(self) -> frozenset[str]:
        return frozenset(t.casefold() for t in self.op_types)

    def accepts(self, name: str, op_type: str) -> bool:
        if self.op_types and op_type.casefold() not in self.folded_types:
            return False
        if self.scope is not None and not name.startswith(self.scope):
            return False
        return self.pattern is None or self.pattern.search(name) is not None


@dataclass
class Operation:
    name: str
    op: str
    device: str
    inputs: list[str]  # exactly as the NodeDef lists them
    data_inputs: list[str]
    control_inputs: list[str]  # node names, without the leading ^
    outputs: list[TensorOutput] | None  # None when not even their number is known
    outputs_from: str | None  # see inspector.model.outputs: op_def, known_ops, function, output_shapes
    function: str | None = None  # the library function holding the node; None at the top level
    attrs: dict[str, str] | None = None  # attribute summaries, only when asked for


@dataclass
class OperationList:
    operations: list[Operation]
    total: int  # operations looked at before filtering
    functions_searched: int  # library functions whose nodes were included
    missing_types: list[str] = field(default_factory=list)  # --type names no operation has
    function_matches: int = 0  # nodes in library functions that match but were not listed


def list_operations(meta: MetaGraph, keep: OperationFilter | None = None, *,
                    include_functions: bool = False, with_attrs: bool = False) -> OperationList:
    """The operations ``keep`` accepts; library functions too when asked or when filtering by op type."""
    keep = keep or OperationFilter()
    library = meta.functions
    resolver = meta.outputs
    include_functions = include_functions or bool(keep.op_types)
    functions = [(name, library[name].node_def) for name in library.names()]
    rows: list[Operation] = []
    total = 0
    seen_types: set[str] = set()
    graph_nodes = meta.graph_def.node
    in_import_order = [graph_nodes[i] for i in import_order(graph_nodes)]
    for function, nodes in [(None, in_import_order), *(functions if include_functions else [])]:
        for node in nodes:
            total += 1
            seen_types.add(node.op.casefold())
            if keep.accepts(node.name, node.op):
                rows.append(_operation(node, function, resolver, with_attrs))
    unlisted = 0 if include_functions else sum(
        keep.accepts(node.name, node.op) for _, nodes in functions for node in nodes)
    missing = sorted(t for t in keep.op_types if t.casefold() not in seen_types)
    return OperationList(rows, total, len(functions) if include_functions else 0, missing, unlisted)


def _operation(node, function: str | None, resolver: OutputResolver, with_attrs: bool) -> Operation:
    inputs = list(node.input)
    data = [i for i in inputs if i[:1] != "^"]
    resolved = resolver.outputs(node)
    return Operation(
        name=node.name,
        op=node.op,
        device=node.device,
        inputs=inputs,
        data_inputs=data,
        control_inputs=[i[1:] for i in inputs if i[:1] == "^"] if len(data) < len(inputs) else [],
        outputs=list(resolved.outputs) if resolved.outputs is not None else None,
        outputs_from=resolved.source,
        function=function,
        attrs={key: summarise_attr(node.attr[key]) for key in sorted(node.attr)} if with_attrs else None,
    )
