"""An index over a GraphDef, built once: nodes by name, consumers, scopes.

Tensor references follow TensorFlow's spelling.  In a GraphDef a node input is
``node`` (output 0), ``node:1`` or ``^node`` (a control dependency).  Inside a
FunctionDef it is ``arg`` (a function argument), ``node:out_arg:index`` or
``^node``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from .. import protos


@dataclass(frozen=True)
class TensorRef:
    """One reference from a node's ``input`` list."""

    node: str
    output: str | None = None  # the output argument name, only inside functions
    index: int = 0
    control: bool = False

    @classmethod
    def parse(cls, text: str) -> TensorRef:
        if text.startswith("^"):
            return cls(node=text[1:], control=True)
        parts = text.split(":")
        if len(parts) == 1:
            return cls(node=text)
        if len(parts) == 2 and parts[1].isdigit():
            return cls(node=parts[0], index=int(parts[1]))
        if len(parts) == 3 and parts[2].isdigit():
            return cls(node=parts[0], output=parts[1], index=int(parts[2]))
        # A name with colons that is no reference form TensorFlow writes:
        # keep it whole so it can still be reported.
        return cls(node=text)

    def __str__(self) -> str:
        if self.control:
            return f"^{self.node}"
        if self.output is not None:
            return f"{self.node}:{self.output}:{self.index}"
        return f"{self.node}:{self.index}"


def parse_tensor_name(name: str) -> tuple[str, int]:
    """``("x", 0)`` for ``x:0`` or ``x``, as signatures and feeds name tensors."""
    ref = TensorRef.parse(name)
    return ref.node, ref.index


@dataclass(frozen=True)
class Edge:
    """``consumer`` reads ``producer`` (data input number ``slot``, or a control edge)."""

    producer: str
    consumer: str
    ref: TensorRef
    slot: int


class GraphIndex:
    """Name lookups over a list of NodeDefs (a GraphDef's or a FunctionDef's)."""

    def __init__(self, nodes, *, function: str | None = None):
        self.function = function
        self.nodes: dict[str, protos.NodeDef] = {node.name: node for node in nodes}

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, name: str) -> bool:
        return name in self.nodes

    def node(self, name: str) -> protos.NodeDef | None:
        return self.nodes.get(name)

    def inputs(self, name: str) -> list[TensorRef]:
        """The parsed inputs of a node (parsed once: drawing a big graph asks for them often)."""
        cache = self.__dict__.setdefault("_inputs", {})
        found = cache.get(name)
        if found is None:
            node = self.nodes.get(name)
            found = cache[name] = [] if node is None else [TensorRef.parse(i) for i in node.input]
        return found

    def ancestors(self, start: str) -> set[str]:
        """Every node ``start`` depends on through data and control inputs, and itself."""
        seen = {start}
        stack = [start]
        while stack:
            for ref in self.inputs(stack.pop()):
                if ref.node not in seen and ref.node in self.nodes:
                    seen.add(ref.node)
                    stack.append(ref.node)
        return seen

    def descendants(self, seeds) -> set[str]:
        """Every node that depends on one of ``seeds`` (through data and control inputs), and the seeds."""
        seen: set[str] = set()
        stack = [s for s in seeds if s in self.nodes]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(e.consumer for e in self.consumers.get(current, []))
        return seen

    @cached_property
    def edges(self) -> list[Edge]:
        edges = []
        for node in self.nodes.values():
            slot = 0
            for ref in self.inputs(node.name):
                edges.append(Edge(ref.node, node.name, ref, -1 if ref.control else slot))
                if not ref.control:
                    slot += 1
        return edges

    @cached_property
    def consumers(self) -> dict[str, list[Edge]]:
        """For each node name, the edges that read it (data and control)."""
        result: dict[str, list[Edge]] = {}
        for edge in self.edges:
            result.setdefault(edge.producer, []).append(edge)
        return result

    @cached_property
    def dangling(self) -> list[Edge]:
        """Edges from names that are neither nodes nor (in a function) arguments."""
        return [e for e in self.edges if e.producer not in self.nodes]

    @cached_property
    def op_histogram(self) -> Counter:
        return Counter(node.op for node in self.nodes.values())

    def scope_of(self, name: str) -> str:
        """The name scope: everything before the last ``/`` ('' at the top)."""
        return name.rpartition("/")[0]

    @cached_property
    def scope_counts(self) -> Counter:
        """How many nodes live under each scope prefix, at every depth."""
        counts: Counter = Counter()
        for name in self.nodes:
            parts = name.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                counts["/".join(parts[:depth])] += 1
        return counts

    def top_level_scopes(self) -> list[str]:
        return sorted(s for s in self.scope_counts if "/" not in s)
