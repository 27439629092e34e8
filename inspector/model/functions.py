"""The function library: FunctionDefs, who calls whom, without recursion limits.

A node calls a function in two ways: its op type is the name of a library
function, or one of its attributes holds a function (``f``, ``then_branch``,
``else_branch``, ``cond``, ``body``, ``branches``, the dataset ops'
``map_func``/``predicate``/...).  Every function-valued attribute is followed,
whatever its name, so new ops need no code here.  Call graphs may contain cycles
(recursive functions); every walk keeps a visited set.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from functools import cached_property

from .. import protos
from .graph import GraphIndex

TOP_LEVEL = None
"""The caller name used for the top-level graph."""


@dataclass(frozen=True)
class Call:
    """``caller`` (a function name, or None for the graph) calls ``callee``."""

    caller: str | None
    node: str
    op: str
    attr: str | None  # the attribute naming the callee; None when the op is the callee
    callee: str


def called_functions(node: protos.NodeDef, library: set[str]) -> list[tuple[str | None, str]]:
    """(attribute, function name) pairs a node calls; attribute None for a direct call."""
    calls: list[tuple[str | None, str]] = []
    if node.op in library:
        calls.append((None, node.op))
    for key in sorted(node.attr):
        value = node.attr[key]
        kind = value.WhichOneof("value")
        if kind == "func":
            calls.append((key, value.func.name))
        elif kind == "list":
            calls.extend((key, f.name) for f in value.list.func)
    return calls


class FunctionLibrary:
    def __init__(self, library: protos.FunctionDefLibrary | None, graph_nodes=()):
        self.functions: dict[str, protos.FunctionDef] = {}
        self.gradients: dict[str, str] = {}
        if library is not None:
            for fdef in library.function:
                self.functions[fdef.signature.name] = fdef
            for grad in library.gradient:
                self.gradients[grad.function_name] = grad.gradient_func
        self._graph_nodes = graph_nodes
        self._indexes: dict[str, GraphIndex] = {}

    def __len__(self) -> int:
        return len(self.functions)

    def __contains__(self, name: str) -> bool:
        return name in self.functions

    def __getitem__(self, name: str) -> protos.FunctionDef:
        return self.functions[name]

    def names(self) -> list[str]:
        return sorted(self.functions)

    def index(self, name: str) -> GraphIndex:
        """The body of a library function, indexed once."""
        if name not in self._indexes:
            self._indexes[name] = GraphIndex(self.functions[name].node_def, function=name)
        return self._indexes[name]

    @cached_property
    def calls(self) -> list[Call]:
        """Every call in the graph and in every function, in a stable order."""
        known = set(self.functions)
        result = [
            Call(TOP_LEVEL, node.name, node.op, attr, callee)
            for node in self._graph_nodes
            for attr, callee in called_functions(node, known)
        ]
        for name in sorted(self.functions):
            for node in self.functions[name].node_def:
                for attr, callee in called_functions(node, known):
                    result.append(Call(name, node.name, node.op, attr, callee))
        return result

    @cached_property
    def callees(self) -> dict[str | None, list[str]]:
        graph: dict[str | None, list[str]] = {}
        for call in self.calls:
            targets = graph.setdefault(call.caller, [])
            if call.callee not in targets:
                targets.append(call.callee)
        return graph

    @cached_property
    def callers(self) -> dict[str, list[Call]]:
        result: dict[str, list[Call]] = {}
        for call in self.calls:
            result.setdefault(call.callee, []).append(call)
        return result

    def missing(self) -> list[Call]:
        """Calls naming a function that is not in the library."""
        return [c for c in self.calls if c.attr is not None and c.callee not in self.functions]

    def reachable(self, roots) -> list[str]:
        """Functions reachable from ``roots`` (names, or None for the graph), cycle-safe."""
        seen: set[str] = set()
        order: list[str] = []
        queue = deque(roots)
        visited_roots: set = set()
        while queue:
            current = queue.popleft()
            if current in visited_roots:
                continue
            visited_roots.add(current)
            for callee in self.callees.get(current, ()):
                if callee not in seen:
                    seen.add(callee)
                    order.append(callee)
                    queue.append(callee)
        return order

    def recursive(self) -> list[str]:
        """Functions that can reach themselves."""
        return [name for name in self.names() if name in self.reachable([name])]

    @cached_property
    def op_histogram(self) -> Counter:
        counts: Counter = Counter()
        for fdef in self.functions.values():
            counts.update(node.op for node in fdef.node_def)
        return counts

    @cached_property
    def node_count(self) -> int:
        return sum(len(f.node_def) for f in self.functions.values())
