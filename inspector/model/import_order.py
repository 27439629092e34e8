"""The order in which TensorFlow's graph importer creates a GraphDef's nodes.

``tf.import_graph_def`` and ``import_meta_graph`` (the C++ GraphConstructor) do not
keep GraphDef order: a node is created once every node it reads (data and control
inputs) exists, and among the nodes ready at a time the one earliest in the
GraphDef comes first.  A while loop's ``Merge``, which reads its ``NextIteration``
back edge, waits for its control inputs and one data input only.  This is the order
``Graph.get_operations()`` returns after an import; a GraphDef written by
``as_graph_def`` with TF1 ``tf.cond`` already differs from it.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

MERGE_OPS = frozenset({"Merge", "RefMerge"})
NEXT_ITERATION_OPS = frozenset({"NextIteration", "RefNextIteration"})


def _node(input_name: str) -> str:
    return input_name.lstrip("^").split(":")[0]


def import_order(nodes: Sequence) -> list[int]:
    """Indices of ``nodes`` (NodeDefs) in import order; nodes TensorFlow would refuse (an input
    that names no node, a cycle that is not a while loop) follow in GraphDef order."""
    index = {node.name: i for i, node in enumerate(nodes)}
    loops = {node.name for node in nodes if node.op in NEXT_ITERATION_OPS}
    pending = [0] * len(nodes)
    readers: list[list[int]] = [[] for _ in nodes]
    for i, node in enumerate(nodes):
        inputs = list(node.input)
        pending[i] = len(inputs)
        if node.op in MERGE_OPS and any(not name.startswith("^") and _node(name) in loops for name in inputs):
            pending[i] = sum(1 for name in inputs if name.startswith("^")) + 1
        for name in inputs:
            source = index.get(_node(name))
            if source is not None:
                readers[source].append(i)
    ready = [i for i in range(len(nodes)) if pending[i] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    done = [False] * len(nodes)
    while ready:
        i = heapq.heappop(ready)
        if done[i]:
            continue
        done[i] = True
        order.append(i)
        for reader in readers[i]:
            pending[reader] -= 1
            if pending[reader] == 0 and not done[reader]:
                heapq.heappush(ready, reader)
    order += [i for i in range(len(nodes)) if not done[i]]
    return order
