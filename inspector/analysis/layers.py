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
from dataclasses import dataclass, field

from .. import protos
from ..errors import SelectionError
from ..model.graph import TensorRef, parse_tensor_name
from ..model.metagraph import MetaGraph
from ..model.tensors import Shape, dtype_name, shape_from_proto

CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
_PASS_THROUGH = frozenset({"Identity", "NoOp"})
_GENERIC_VARIABLE = re.compile(r"Variable(_\d+)?(:0)?$")


@dataclass(frozen=True)
class Variable:
    """A captured variable (or other captured resource) as the object graph names it."""

    path: str
    dtype: str | None
    shape: Shape
    kind: str = "variable"


@dataclass(frozen=True)
class Tensor:
    dtype: str | None
    shape: Shape


@dataclass
class Op:
    """One drawn op: a node of some function body (or an input or output of the view)."""

    id: str
    op: str
    node: protos.NodeDef | None
    function: str | None
    inputs: list[tuple[str, int]] = field(default_factory=list)  # (op id, output slot)
    weights: list[Variable] = field(default_factory=list)
    outputs: list[Tensor] = field(default_factory=list)
    layer: str = ""
    role: str = "op"  # op | input | output
    pending: list[tuple[int, str]] = field(default_factory=list, repr=False)


@dataclass
class LayerGraph:
    title: str
    ops: dict[str, Op]
    layers: dict[str, list[str]]  # layer name -> op ids, in body order
    model_scope: str = ""

    def tensor(self, op_id: str, slot: int) -> Tensor:
        outs = self.ops[op_id].outputs
        return outs[slot] if slot < len(outs) else Tensor(None, None)


class _Flattener:
    def __init__(self, meta: MetaGraph):
        self.meta = meta
        self.library = meta.functions
        self.opdefs = meta.stripped_op_list
        self.resolver = meta.outputs
        self.objects = meta.object_graph
        self.ops: dict[str, Op] = {}
        # (instance, local tensor text) -> what it stands for: an ("alias", instance, text),
        # ("op", id, slot), ("var", Variable) or ("read", instance, text) for ReadVariableOp.
        self.refs: dict[tuple[int, str], tuple] = {}
        self.instances = 0
        self._by_node: dict[tuple[int, str], str] = {}

    # -- building ------------------------------------------------------------------------
    def add_function(self, name: str, args: list[tuple] | None) -> int:
        """Walk a function body and every body it calls, with a work list."""
        root = self._new_instance()
        work = [(root, name, args)]
        while work:
            instance, fname, arg_refs = work.pop()
            fdef = self.library[fname]
            arg_refs = self._bind_captures(fname, fdef, arg_refs, instance)
            for i, arg in enumerate(fdef.signature.input_arg):
                self.refs[(instance, arg.name)] = arg_refs[i] if i < len(arg_refs) else ("none",)
            for key, value in fdef.ret.items():
                self.refs[(instance, f":ret:{key}")] = ("alias", instance, value)
            for node in fdef.node_def:
                callee = _callee(node, self.library)
                if callee is not None:
                    child = self._new_instance()
                    data = [t for t in node.input if not t.startswith("^")]
                    work.append((child, callee, [("alias", instance, t) for t in data]))
                    outs = self.library[callee].signature.output_arg
                    for k, out in enumerate(outs):
                        self.refs[(instance, f"{node.name}:{k}")] = ("alias", child, f":ret:{out.name}")
                elif node.op == "ReadVariableOp" and node.input:
                    self.refs[(instance, f"{node.name}:0")] = ("read", instance, node.input[0])
                    self._add_op(node, fname, instance)
                elif node.op in _PASS_THROUGH and "/" not in node.name:
                    data = [t for t in node.input if not t.startswith("^")]
                    if node.op == "Identity" and data:
                        self.refs[(instance, f"{node.name}:0")] = ("alias", instance, data[0])
                else:
                    self._add_op(node, fname, instance)
        return root

    def _new_instance(self) -> int:
        self.instances += 1
        return self.instances

    def _bind_captures(self, fname: str, fdef, arg_refs, instance: int) -> list[tuple]:
        arg_refs = list(arg_refs) if arg_refs is not None else []
        count = len(fdef.signature.input_arg)
        captured = self._captured(fname)
        first = count - len(captured)
        for i, arg in enumerate(fdef.signature.input_arg):
            if i >= len(arg_refs):
                arg_refs.append(None)
            if i >= first and captured:
                arg_refs[i] = ("var", captured[i - first])
            elif arg_refs[i] is None:
                input_op = self._input_op(arg.name, arg.type, fdef, i)
                arg_refs[i] = ("op", input_op, 0)
        return arg_refs

    def _captured(self, fname: str) -> list[Variable]:
        if self.objects is None or fname not in self.objects.concrete_functions:
            return []
        bound = self.objects.concrete_functions[fname].bound_inputs
        return [self.variable(node_id) for node_id in bound]

    def variable(self, node_id: int) -> Variable:
        obj = self.objects.nodes[node_id]
        kind = obj.WhichOneof("kind")
        if kind == "variable":
            var = obj.variable
            path = var.name if var.name and not _GENERIC_VARIABLE.match(var.name) else ""
            return Variable(path or self._object_path(node_id), dtype_name(var.dtype),
                            shape_from_proto(var.shape))
        return Variable(self._object_path(node_id), None, None, kind or "object")

    def _object_path(self, target: int) -> str:
        """The shortest path of child names from the root object to ``target``."""
        seen = {0: ""}
        queue = [0]
        for current in queue:
            if current == target:
                return seen[current] or "(root)"
            for child in self.objects.nodes[current].children:
                if child.node_id not in seen:
                    seen[child.node_id] = f"{seen[current]}/{child.local_name}".lstrip("/")
                    queue.append(child.node_id)
        return f"object {target}"

    def _input_op(self, name: str, dtype: int, fdef, index: int) -> str:
        shape = None
        attrs = fdef.arg_attr[index].attr if index in fdef.arg_attr else {}
        if "_output_shapes" in attrs and attrs["_output_shapes"].list.shape:
            shape = shape_from_proto(attrs["_output_shapes"].list.shape[0])
        return self.add_io(name, "input", Tensor(dtype_name(dtype) if dtype else None, shape))

    def add_io(self, name: str, role: str, tensor: Tensor, source: tuple | None = None) -> str:
        op_id = self._unique(name)
        self.ops[op_id] = Op(op_id, "Placeholder" if role == "input" else "output", None, None,
                             outputs=[tensor], role=role, layer=op_id)
        if source is not None:
            self.ops[op_id].inputs.append(source)
        return op_id

    def _unique(self, name: str) -> str:
        op_id, n = name, 1
        while op_id in self.ops:
            n += 1
            op_id = f"{name} ({n})"
        return op_id

    def _add_op(self, node: protos.NodeDef, fname: str, instance: int) -> None:
        op_id = self._unique(node.name)
        outs = self.resolver.outputs(node).outputs or ()
        pending = [(instance, t) for t in node.input if not t.startswith("^")]
        self.ops[op_id] = Op(op_id, node.op, node, fname, outputs=[Tensor(o.dtype, o.shape) for o in outs],
                             pending=pending)
        for k in range(max(len(outs), 1)):
            self.refs.setdefault((instance, f"{node.name}:{k}"), ("op", op_id, k))
        self._by_node[(instance, node.name)] = op_id

    # -- resolving -----------------------------------------------------------------------
    def resolve(self, instance: int, text: str) -> tuple:
        """Follow aliases to an op output or a variable; iterative, cycle-safe."""
        seen = set()
        while True:
            key = (instance, self._local(instance, text))
            if key in seen:
                return ("none",)
            seen.add(key)
            target = self.refs.get(key)
            if target is None:
                return ("none",)
            if target[0] in ("alias", "read"):
                if target[0] == "read":
                    var = self.resolve(target[1], target[2])
                    if var[0] == "var":
                        return var
                    return ("op", self._by_node[(instance, key[1].rpartition(":")[0])], 0)
                instance, text = target[1], target[2]
                continue
            return target

    def _local(self, instance: int, text: str) -> str:
        """A function-body reference as ``node:flat_slot`` (or an argument name)."""
        if text.startswith(":ret:"):
            return text
        ref = TensorRef.parse(text)
        if ref.output is None:
            return text if (instance, text) in self.refs and ":" not in text else f"{ref.node}:{ref.index}"
        node_op = self._by_node.get((instance, ref.node))
        op_type = self.ops[node_op].op if node_op else None
        return f"{ref.node}:{_flat_slot(self.opdefs.get(op_type), self.ops[node_op].node, ref) if op_type else ref.index}"

    def link(self) -> None:
        for op in list(self.ops.values()):
            for instance, text in op.pending:
                target = self.resolve(instance, text)
                if target[0] == "op":
                    op.inputs.append((target[1], target[2]))
                elif target[0] == "var" and target[1] not in op.weights:
                    op.weights.append(target[1])
        # ReadVariableOps that only fed weights are folded away.
        for op_id in [i for i, o in self.ops.items() if o.op == "ReadVariableOp" and not o.inputs]:
            del self.ops[op_id]


def _callee(node: protos.NodeDef, library) -> str | None:
    if node.op in library:
        return node.op
    if node.op in CALL_OPS and "f" in node.attr and node.attr["f"].func.name in library:
        return node.attr["f"].func.name
    return None


def _flat_slot(opdef, node, ref: TensorRef) -> int:
    if opdef is None or node is None:
        return ref.index
    slot = 0
    for arg in opdef.output_arg:
        if arg.name == ref.output:
            return slot + ref.index
        if arg.number_attr:
            slot += node.attr[arg.number_attr].i
        elif arg.type_list_attr:
            slot += len(node.attr[arg.type_list_attr].list.type)
        else:
            slot += 1
    return ref.index


# -- the view ------------------------------------------------------------------------------

def is_tf2_call(meta: MetaGraph, signature_key: str) -> bool:
    """Whether a signature's outputs come straight from calls of library functions."""
    sig = meta.signatures.get(signature_key)
    if sig is None or not sig.outputs:
        return False
    for tensor in sig.outputs:
        node = meta.graph.nodes.get(parse_tensor_name(tensor.name)[0]) if tensor.name else None
        if node is None or _callee(node, meta.functions) is None:
            return False
    return True


def signature_layers(meta: MetaGraph, key: str) -> LayerGraph:
    if key not in meta.signatures:
        raise SelectionError(None, f"no signature {key!r}", f"signatures: {', '.join(meta.signatures) or 'none'}")
    if not is_tf2_call(meta, key):
        raise SelectionError(None, f"signature {key!r} does not call a TF2 function; there are no layers "
                             "to draw", "draw its ops with --view ops")
    sig = meta.signatures[key]
    flat = _Flattener(meta)
    by_input = {parse_tensor_name(t.name)[0]: t for t in sig.inputs if t.name}
    roots: dict[str, int] = {}
    for tensor in sig.outputs:
        node_name, slot = parse_tensor_name(tensor.name)
        node = meta.graph.nodes[node_name]
        callee = _callee(node, meta.functions)
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
        out_arg = meta.functions[callee].signature.output_arg[slot].name
        flat.add_io(tensor.alias, "output", Tensor(tensor.dtype, tensor.shape),
                    ("alias", roots[node_name], f":ret:{out_arg}"))
    return _finish(flat, f"signature {key}")


def function_layers(meta: MetaGraph, name: str) -> LayerGraph:
    if name not in meta.functions:
        names = ", ".join(meta.functions.names()) or "none"
        raise SelectionError(None, f"no function {name!r} in the library", f"functions: {names}")
    flat = _Flattener(meta)
    root = flat.add_function(name, None)
    for out in meta.functions[name].signature.output_arg:
        flat.add_io(out.name, "output", Tensor(dtype_name(out.type) if out.type else None, None),
                    ("alias", root, f":ret:{out.name}"))
    return _finish(flat, name)


def _finish(flat: _Flattener, title: str) -> LayerGraph:
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
        if count >= 0.9 * len(body) and len({op.node.name.split("/")[1] for op in scoped if
                                             op.node.name.count("/") >= 2}) > 1:
            graph.model_scope = top
    prefix = graph.model_scope + "/" if graph.model_scope else ""
    for op in body:
        rest = op.node.name[len(prefix):] if prefix and op.node.name.startswith(prefix) else op.node.name
        op.layer = rest.split("/")[0]
    suffix = _scope_suffix(body)
    for op in graph.ops.values():
        if suffix and op.role == "op" and op.layer.endswith(suffix) and len(op.layer) > len(suffix):
            op.layer = op.layer[: -len(suffix)]
        graph.layers.setdefault(op.layer, []).append(op.id)


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
