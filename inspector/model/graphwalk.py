"""Graph walks shared by the rules and analyses: who reads a tensor, through Identity."""

from __future__ import annotations

from collections.abc import Iterator

from .graph import parse_tensor_name
from .metagraph import MetaGraph, Signature, SignatureTensor

PASS_THROUGH_OPS = frozenset({"Identity", "IdentityN", "StopGradient", "Snapshot"})
PLACEHOLDER_OPS = frozenset({"Placeholder", "PlaceholderV2"})


def tensor_names(tensor: SignatureTensor) -> tuple[str, ...]:
    """Every graph tensor a TensorInfo names: its tensor, or its sparse/composite components."""
    if tensor.components:
        return tensor.components
    return (tensor.name,) if tensor.name else ()


def input_nodes(signature: Signature) -> set[str]:
    return {parse_tensor_name(n)[0] for t in signature.inputs for n in tensor_names(t)}


def consumers_through_identity(meta: MetaGraph, tensor_name: str) -> Iterator[tuple[str, int]]:
    """(node, input slot) of every data consumer of a tensor, looking through Identity-like ops."""
    graph = meta.graph
    start, index = parse_tensor_name(tensor_name)
    pending = [(start, index)]
    seen: set[tuple[str, int]] = set()
    while pending:
        producer, output = pending.pop()
        if (producer, output) in seen:
            continue
        seen.add((producer, output))
        for edge in graph.consumers.get(producer, ()):
            if edge.slot < 0 or edge.ref.index != output:
                continue
            node = graph.node(edge.consumer)
            if node is None:
                continue
            if node.op in PASS_THROUGH_OPS:
                # IdentityN passes input i to output i; the others have one output.
                pending.append((node.name, edge.slot if node.op == "IdentityN" else 0))
            else:
                yield node.name, edge.slot


def consumer_ops(meta: MetaGraph, tensor: SignatureTensor) -> list[tuple[str, str, int]]:
    """(node, op, slot) of the ops that read a signature tensor (through Identity)."""
    result = []
    for name in tensor_names(tensor)[:1]:
        for node_name, slot in consumers_through_identity(meta, name):
            node = meta.graph.node(node_name)
            result.append((node_name, node.op, slot))
    return result
