"""The tf.Example features a graph parses from a serialized-string input.

A classify or regress signature (and many predict signatures) takes serialized
``tf.Example`` protos and parses them with ``ParseExample``, ``ParseExampleV2``
or ``ParseSingleExample``.  The feature names, types and dense shapes are in the
parser's attributes and in the Const nodes that feed its key inputs; this module
reads them into plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.functions import called_functions
from ..model.graph import GraphIndex, parse_tensor_name
from ..model.graphwalk import PASS_THROUGH_OPS
from ..model.metagraph import MetaGraph, Signature, SignatureTensor
from ..tensors.shapes import Shape, base_dtype, dtype_name, shape_from_proto
from ..tensors.values import decode

EXAMPLE_PARSERS = frozenset({"ParseExample", "ParseExampleV2", "ParseSingleExample"})


@dataclass(frozen=True)
class ExampleFeature:
    key: str  # the feature name, or "(from NODE)" / "?" when it is not a constant
    kind: str  # dense | sparse | ragged
    dtype: str | None  # DT_FLOAT, DT_INT64 or DT_STRING; None when the attribute is missing
    shape: Shape = None  # the dense shape of one example's value (dense features only)
    known: bool = True  # False when the key is computed in the graph, not a Const
    has_default: bool = False  # a dense feature the parser fills in when an example lacks it


@dataclass(frozen=True)
class ExampleParser:
    node: str
    op: str
    features: tuple[ExampleFeature, ...]

    def of_kind(self, kind: str) -> list[ExampleFeature]:
        return [f for f in self.features if f.kind == kind]


def example_parsers(meta: MetaGraph, tensor: SignatureTensor) -> list[ExampleParser]:
    """The parsers that read this (string) signature tensor as serialized tf.Example protos.

    The walk looks through Identity ops and into the functions a call op runs
    (a TF2 export parses inside its signature's function).
    """
    if not tensor.name:
        return []
    found: list[ExampleParser] = []
    node, index = parse_tensor_name(tensor.name)
    _walk(meta, meta.graph, node, index, 0, found)
    return found


def example_inputs(meta: MetaGraph, signature: Signature) -> dict[str, list[ExampleParser]]:
    """Input alias -> the parsers that read it as serialized tf.Example protos.

    Only string inputs fed by name can carry serialized protos; an input no parser reads is
    left out.  ``request``, ``request --validate`` and ``check`` all ask this.
    """
    found = {}
    for tensor in signature.inputs:
        if base_dtype(tensor.dtype) == "DT_STRING" and tensor.encoding == "name":
            parsers = example_parsers(meta, tensor)
            if parsers:
                found[tensor.alias] = parsers
    return found


def features_of(parsers: list[ExampleParser]) -> list[ExampleFeature]:
    """Every feature the parsers of one input read, in their order."""
    return [feature for parser in parsers for feature in parser.features]


_CALL_ATTRS = (None, "f")  # a direct call, or (Stateful)PartitionedCall's function


def _walk(meta: MetaGraph, graph: GraphIndex, producer: str, index: int, depth: int,
          found: list[ExampleParser]) -> None:
    pending, seen = [(producer, index)], set()
    library = set(meta.functions.names())
    while pending:
        item = pending.pop()
        if item in seen:
            continue
        seen.add(item)
        for edge in graph.consumers.get(item[0], ()):
            node = graph.node(edge.consumer)
            if edge.slot < 0 or edge.ref.index != item[1] or node is None:
                continue
            if node.op in PASS_THROUGH_OPS:
                pending.append((node.name, edge.slot if node.op == "IdentityN" else 0))
            elif node.op in EXAMPLE_PARSERS and edge.slot == 0:
                found.append(_parser(graph, node))
            elif depth < 8:
                for attr, name in called_functions(node, library):
                    args = meta.functions[name].signature.input_arg
                    if attr in _CALL_ATTRS and edge.slot < len(args):
                        _walk(meta, meta.functions.index(name), args[edge.slot].name, 0, depth + 1, found)


def _parser(graph: GraphIndex, node) -> ExampleParser:
    dense_keys, sparse_keys, ragged_keys = _keys(graph, node)
    dense_types = _types(node, "Tdense")
    shapes = [shape_from_proto(s) for s in node.attr["dense_shapes"].list.shape] if "dense_shapes" in node.attr else []
    sparse_types = _types(node, "sparse_types")
    ragged_types = _types(node, "ragged_value_types")
    defaults = _default_slots(graph, node, len(dense_keys))
    features = [_feature(key, "dense", dense_types, i, shapes, defaults) for i, key in enumerate(dense_keys)]
    features += [_feature(key, "sparse", sparse_types, i) for i, key in enumerate(sparse_keys)]
    features += [_feature(key, "ragged", ragged_types, i) for i, key in enumerate(ragged_keys)]
    qualified = f"{graph.function}/{node.name}" if graph.function else node.name
    return ExampleParser(qualified, node.op, tuple(features))


def _feature(key: tuple[str, bool], kind: str, types: list[str], i: int, shapes: list | None = None,
             defaults: list[bool] | None = None) -> ExampleFeature:
    name, known = key
    shape = shapes[i] if shapes is not None and i < len(shapes) else None
    has_default = bool(defaults and i < len(defaults) and defaults[i])
    return ExampleFeature(name, kind, types[i] if i < len(types) else None, shape, known, has_default)


def _default_slots(graph: GraphIndex, node, count: int) -> list[bool]:
    """For each dense feature, whether its default (a parser input) is a non-empty constant."""
    inputs = [ref for ref in graph.inputs(node.name) if not ref.control]
    if node.op == "ParseSingleExample":
        first = 1
    elif node.op == "ParseExampleV2":
        first = 5
    else:
        first = 2 + (node.attr["Nsparse"].i if "Nsparse" in node.attr else 0) + count
    result = []
    for i in range(count):
        slot = first + i
        source = graph.node(inputs[slot].node) if slot < len(inputs) else None
        if source is None or source.op != "Const" or "value" not in source.attr:
            result.append(source is not None)  # computed in the graph: assume it holds a value
            continue
        values = decode(source.attr["value"].tensor, limit=1)
        result.append(values is not None and values.size > 0)
    return result


def _types(node, attr: str) -> list[str]:
    return [dtype_name(t) for t in node.attr[attr].list.type] if attr in node.attr else []


Key = tuple[str, bool]


def _keys(graph: GraphIndex, node) -> tuple[list[Key], list[Key], list[Key]]:
    """Dense, sparse and ragged feature keys, each with whether it is a known constant."""
    if node.op == "ParseSingleExample":
        return ([(k.decode(errors="replace"), True) for k in node.attr["dense_keys"].list.s],
                [(k.decode(errors="replace"), True) for k in node.attr["sparse_keys"].list.s], [])
    inputs = [ref for ref in graph.inputs(node.name) if not ref.control]
    if node.op == "ParseExampleV2":
        # serialized, names, sparse_keys, dense_keys, ragged_keys, dense_defaults...
        return _const_strings(graph, inputs, 3), _const_strings(graph, inputs, 2), _const_strings(graph, inputs, 4)
    # ParseExample: serialized, names, Nsparse sparse keys, Ndense dense keys, dense defaults
    n_sparse = node.attr["Nsparse"].i if "Nsparse" in node.attr else 0
    n_dense = node.attr["Ndense"].i if "Ndense" in node.attr else 0
    sparse = [k for i in range(2, 2 + n_sparse) for k in _const_strings(graph, inputs, i)]
    dense = [k for i in range(2 + n_sparse, 2 + n_sparse + n_dense) for k in _const_strings(graph, inputs, i)]
    return dense, sparse, []


def _const_strings(graph: GraphIndex, inputs: list, slot: int) -> list[Key]:
    if slot >= len(inputs):
        return []
    source = graph.node(inputs[slot].node)
    if source is None or source.op != "Const" or "value" not in source.attr:
        return [(f"(from {inputs[slot].node})", False)]
    values = decode(source.attr["value"].tensor, limit=4096)
    if values is None:
        return [("?", False)]
    return [(v.decode(errors="replace") if isinstance(v, bytes) else str(v), True) for v in values.reshape(-1)]
