"""The layer-level view of a TF2/Keras SavedModel: call wrappers flattened, variables named.

A TF2 signature is a chain of call wrappers: the graph's ``StatefulPartitionedCall``
calls ``__inference_signature_wrapper_...``, which calls ``__inference___call___...``,
whose body holds the model's ops.  Here that chain is flattened into one list of
ops (:class:`Op`), walking the calls with a work list (never recursion):

- a ``PartitionedCall``/``StatefulPartitionedCall`` whose callee is in the library
  disappears; its outputs are the callee's results;
- a captured resource (the trailing inputs the object graph's concrete function
  binds, ``bound_inputs``) becomes the variable it is, named by its path
  (``conv1_conv/kernel``) with its shape; a ``ReadVariableOp`` of it is folded
  into the op that consumes the value, as a weight of that op;
- ``Identity`` and ``NoOp`` nodes outside any name scope (what wrappers add) pass
  their input through and are not drawn; control dependencies are left out.

Ops are then grouped by name scope: the Keras model's own scope (``resnet50_1``) is
dropped, and the scope below it is the layer.  Keras 3 opens each layer's scope a
second time when it traces the export, so TensorFlow writes ``conv1_conv_1`` for
layer ``conv1_conv``; the suffix is learnt from the layers whose variable paths
name them, and removed from every layer scope that carries it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..errors import SelectionError
from ..model.graph import parse_tensor_name
from ..model.metagraph import MetaGraph
from ..tensors.shapes import dtype_name, shape_from_proto
from .flatten import Flattener, Op, Tensor, Variable, callee_of

__all__ = ["LayerGraph", "Op", "Tensor", "Variable", "excerpt", "function_layers", "is_tf2_call",
           "keep_scope", "signature_layers"]


@dataclass
class LayerGraph:
    title: str
    ops: dict[str, Op]
    layers: dict[str, list[str]]  # layer name -> op ids, in body order
    model_scope: str = ""

    def tensor(self, op_id: str, slot: int) -> Tensor:
        outs = self.ops[op_id].outputs
        return outs[slot] if slot < len(outs) else Tensor(None, None)


# -- the view ------------------------------------------------------------------------------

def is_tf2_call(meta: MetaGraph, signature_key: str) -> bool:
    """Whether a signature's outputs come straight from calls of library functions."""
    sig = meta.signatures.get(signature_key)
    if sig is None or not sig.outputs:
        return False
    for tensor in sig.outputs:
        node = meta.graph.nodes.get(parse_tensor_name(tensor.name)[0]) if tensor.name else None
        if node is None or callee_of(node, meta.functions) is None:
            return False
    return True


def signature_layers(meta: MetaGraph, key: str) -> LayerGraph:
    if key not in meta.signatures:
        raise SelectionError(None, f"no signature {key!r}", f"signatures: {', '.join(meta.signatures) or 'none'}")
    if not is_tf2_call(meta, key):
        raise SelectionError(None, f"signature {key!r} does not call a TF2 function; there are no layers "
                             "to draw", "draw its ops with --view ops")
    sig = meta.signatures[key]
    flat = Flattener(meta)
    by_input = {parse_tensor_name(t.name)[0]: t for t in sig.inputs if t.name}
    roots: dict[str, int] = {}
    for tensor in sig.outputs:
        node_name, slot = parse_tensor_name(tensor.name)
        node = meta.graph.nodes[node_name]
        callee = callee_of(node, meta.functions)
        if node_name not in roots:
            args = []
            for text in (t for t in node.input if not t.startswith("^")):
                source = parse_tensor_name(text)[0]
                info = by_input.get(source)
                if info is not None:
                    args.append(("op", flat.add_io(info.alias, "input", Tensor(info.dtype, info.shape)), 0))
                else:
                    args.append(None)
            roots[node_name] = flat.add_function(callee, args)
        outs = meta.functions[callee].signature.output_arg
        if slot >= len(outs):
            raise SelectionError(None, f"signature {key!r} names output {slot} of {node_name!r}, which "
                                 f"has {len(outs)}", "draw its ops with --view ops")
        out_arg = outs[slot].name
        flat.add_io(tensor.alias, "output", Tensor(tensor.dtype, tensor.shape),
                    ("alias", roots[node_name], f":ret:{out_arg}"))
    return _finish(flat, f"signature {key}")


def function_layers(meta: MetaGraph, name: str) -> LayerGraph:
    if name not in meta.functions:
        names = ", ".join(meta.functions.names()) or "none"
        raise SelectionError(None, f"no function {name!r} in the library", f"functions: {names}")
    flat = Flattener(meta)
    root = flat.add_function(name, None)
    outs = meta.functions[name].signature.output_arg
    specs = output_specs(meta, name)
    for i, out in enumerate(outs):
        spec = specs[i] if len(specs) == len(outs) else Tensor(dtype_name(out.type) if out.type else None, None)
        flat.add_io(out.name, "output", spec, ("alias", root, f":ret:{out.name}"))
    return _finish(flat, name)


def output_specs(meta: MetaGraph, name: str) -> list[Tensor]:
    """The concrete function's output TensorSpecs from the object graph, flattened in nest order."""
    objects = meta.object_graph
    if objects is None or name not in objects.concrete_functions:
        return []
    found: list[Tensor] = []
    stack = [objects.concrete_functions[name].output_signature]
    while stack:  # depth-first, left to right; dict keys sorted, as tf.nest flattens
        value = stack.pop()
        kind = value.WhichOneof("kind")
        if kind == "tensor_spec_value":
            spec = value.tensor_spec_value
            found.append(Tensor(dtype_name(spec.dtype), shape_from_proto(spec.shape)))
        elif kind == "dict_value":
            stack.extend(value.dict_value.fields[k] for k in sorted(value.dict_value.fields, reverse=True))
        elif kind in ("list_value", "tuple_value"):
            stack.extend(reversed(getattr(value, kind).values))
    return found


def _finish(flat: Flattener, title: str) -> LayerGraph:
    for op in flat.ops.values():  # outputs hold one alias each, resolved like op inputs
        if op.role == "output" and op.inputs and op.inputs[0][0] == "alias":
            _, instance, text = op.inputs.pop()
            target = flat.resolve(instance, text)
            if target[0] == "op":
                op.inputs.append((target[1], target[2]))
                if op.outputs[0].shape is None:
                    op.outputs[0] = flat.ops[target[1]].outputs[target[2]]
    flat.link()
    graph = LayerGraph(title, flat.ops, {})
    _group(graph)
    return graph


def _group(graph: LayerGraph) -> None:
    body = [op for op in graph.ops.values() if op.role == "op"]
    tops = Counter(op.node.name.split("/")[0] for op in body if "/" in op.node.name)
    if tops:
        top, count = tops.most_common(1)[0]
        scoped = [op for op in body if op.node.name.startswith(top + "/")]
        if count >= 0.9 * sum(tops.values()) and len({op.node.name.split("/")[1] for op in scoped if
                                             op.node.name.count("/") >= 2}) > 1:
            graph.model_scope = top
        else:  # the model's scope among others (a parsing or preprocessing step before it)
            graph.model_scope = _scope_of_layers(body)
    prefix = graph.model_scope + "/" if graph.model_scope else ""
    for op in body:
        rest = op.node.name[len(prefix):] if prefix and op.node.name.startswith(prefix) else op.node.name
        op.layer = rest.split("/")[0]
    suffix = _scope_suffix(body)
    for op in graph.ops.values():
        if suffix and op.role == "op" and op.layer.endswith(suffix) and len(op.layer) > len(suffix):
            op.layer = op.layer[: -len(suffix)]
        graph.layers.setdefault(op.layer, []).append(op.id)


def _scope_of_layers(body: list[Op]) -> str:
    """The top scope whose second-level scopes are the owners of the weights (``functional_1``), or ''.

    Keras 2 names the ops of layer ``dense`` of model ``functional_1`` ``functional_1/dense/MatMul``
    and its weights ``dense/kernel``: a scope holding two or more such layers is the model's.
    """
    owners: dict[str, set[str]] = {}
    for op in body:
        parts = op.node.name.split("/")
        for var in op.weights:
            owner = var.path.split("/")[0]
            if len(parts) >= 3 and parts[1].startswith(owner):
                owners.setdefault(parts[0], set()).add(parts[1])
    best = max(owners.items(), key=lambda kv: len(kv[1]), default=("", set()))
    return best[0] if len(best[1]) >= 2 else ""


def _scope_suffix(body: list[Op]) -> str:
    """The suffix TensorFlow added to every weighted layer's scope (``_1``), or ''."""
    seen: Counter = Counter()
    for op in body:
        for var in op.weights:
            owner = var.path.rpartition("/")[0]
            if owner and op.layer.startswith(owner):
                seen[op.layer[len(owner):]] += 1
    if len(seen) == 1:
        (suffix,) = seen
        return suffix if re.fullmatch(r"_\d+", suffix) else ""
    return ""


def keep_scope(graph: LayerGraph, prefix: str) -> None:
    """Keep the layers whose name is ``prefix`` or starts with it (``conv2_block1``), and their inputs."""
    chosen = {name for name in graph.layers if name.startswith(prefix.rstrip("/"))}
    if not chosen:
        shown = ", ".join(list(graph.layers)[:20])
        raise SelectionError(None, f"no layer named like {prefix!r}", f"layers: {shown}")
    part = excerpt(graph, chosen)
    graph.ops, graph.layers = part.ops, part.layers


def excerpt(graph: LayerGraph, names: set[str]) -> LayerGraph:
    """A new LayerGraph of these layers; the ops feeding them from outside become its inputs."""
    keep = {op_id for name in names for op_id in graph.layers[name]}
    feeding = {src for op_id in keep for src, _ in graph.ops[op_id].inputs} - keep
    ops = {}
    for op_id, op in graph.ops.items():
        if op_id in feeding:
            ops[op_id] = Op(op_id, op.op, op.node, op.function, outputs=op.outputs, layer=op.layer,
                            role="input")
        elif op_id in keep:
            ops[op_id] = op
    part = LayerGraph(graph.title, ops, {}, graph.model_scope)
    for op in ops.values():
        part.layers.setdefault(op.layer, []).append(op.id)
    return part
