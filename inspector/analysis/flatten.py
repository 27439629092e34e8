"""Flattening a TF2 function's chain of call wrappers into one list of ops.

Used by :mod:`.layers`; see there for what the layer view is.  Calls of
``PartitionedCall``/``StatefulPartitionedCall`` (or of a function by its name) are
inlined with a work list, never by recursion; a function already being inlined
further up (recursion) and calls past ``MAX_INLINED`` bodies stay drawn as calls.
Captured resources become :class:`Variable` values named by the object graph, and a
``ReadVariableOp`` of one is folded into the op that consumes the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import protos
from ..model.graph import TensorRef
from ..model.metagraph import MetaGraph
from ..tensors.shapes import Shape, dtype_name, shape_from_proto

CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
_PASS_THROUGH = frozenset({"Identity", "NoOp"})
MAX_INLINED = 10_000  # function bodies inlined into one view at most
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


class Flattener:
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
        work = [(root, name, args, (name,))]
        while work:
            instance, fname, arg_refs, stack = work.pop()
            fdef = self.library[fname]
            arg_refs = self._bind_captures(fname, fdef, arg_refs, instance)
            for i, arg in enumerate(fdef.signature.input_arg):
                self.refs[(instance, arg.name)] = arg_refs[i] if i < len(arg_refs) else ("none",)
            for key, value in fdef.ret.items():
                self.refs[(instance, f":ret:{key}")] = ("alias", instance, value)
            for node in fdef.node_def:
                callee = callee_of(node, self.library)
                if callee in stack or self.instances >= MAX_INLINED:
                    callee = None  # recursion, or a call tree too big to inline: drawn as a call
                if callee is not None:
                    child = self._new_instance()
                    data = [t for t in node.input if not t.startswith("^")]
                    work.append((child, callee, [("alias", instance, t) for t in data], stack + (callee,)))
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
        if not 0 <= node_id < len(self.objects.nodes):
            return Variable(f"object {node_id}", None, None, "missing object")
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
                if child.node_id not in seen and child.node_id < len(self.objects.nodes):
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
        for op_id in [i for i, o in self.ops.items() if o.op == "ReadVariableOp" and o.weights and not o.inputs]:
            del self.ops[op_id]


def callee_of(node: protos.NodeDef, library) -> str | None:
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
