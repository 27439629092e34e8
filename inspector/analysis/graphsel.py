"""Choosing what a graph diagram draws: node sets, scope collapsing, folding.

Everything here is pure: it takes a :class:`GraphIndex` (the top-level graph, or a
function body made drawable by :func:`function_view`) and returns names and
dataclasses; nothing prints and nothing knows about DOT.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from .. import protos
from ..errors import SelectionError
from ..model.functions import FunctionLibrary, called_functions
from ..model.graph import GraphIndex, TensorRef, parse_tensor_name
from ..model.metagraph import MetaGraph
from ..tensors.shapes import num_elements, shape_from_proto

ARG_OP = "_Arg"
RET_OP = "_Retval"
CONST_OPS = frozenset({"Const", "HostConst"})
MAX_EXPAND_DEPTH = 3


@dataclass
class View:
    """A drawable graph: an index plus which nodes are its inputs and outputs."""

    index: GraphIndex
    inputs: set[str] = field(default_factory=set)
    outputs: set[str] = field(default_factory=set)
    # (node, output index) -> (dtype, shape) known from a signature's TensorInfo.
    known: dict[tuple[str, int], tuple[str, list[int] | None]] = field(default_factory=dict)
    callees: dict[str, list[str]] = field(default_factory=dict)  # call node -> function names
    title: str = ""


@dataclass(frozen=True)
class Group:
    """A collapsed scope drawn as one box."""

    scope: str
    count: int
    top_ops: tuple[tuple[str, int], ...]


@dataclass
class Selection:
    """The nodes to draw and how scopes deeper than ``depth`` are collapsed."""

    nodes: list[str]  # sorted
    depth: int | None = None
    groups: dict[str, Group] = field(default_factory=dict)  # scope -> group
    member_of: dict[str, str] = field(default_factory=dict)  # node -> group scope
    folded: dict[str, list[str]] = field(default_factory=dict)  # consumer -> folded consts
    auto_depth: bool = False

    @property
    def drawn_count(self) -> int:
        folded = sum(len(v) for v in self.folded.values())
        return len(self.nodes) - len(self.member_of) - folded + len(self.groups)


# -- views ------------------------------------------------------------------------------

def graph_view(meta: MetaGraph) -> View:
    index = meta.graph
    known = {}
    outputs = set()
    inputs = {n for n, node in index.nodes.items() if node.op in ("Placeholder", "PlaceholderV2")}
    for sig in meta.signatures.values():
        for role, tensors in (("in", sig.inputs), ("out", sig.outputs)):
            for tensor in tensors:
                if tensor.name is None:
                    continue
                node, slot = parse_tensor_name(tensor.name)
                if node not in index:
                    continue
                if not sig.internal:
                    (inputs if role == "in" else outputs).add(node)
                if tensor.dtype != "DT_INVALID":
                    known[(node, slot)] = (tensor.dtype, tensor.shape if tensor.shape_recorded else None)
    return View(index, inputs, outputs, known, _callees(index, meta.functions), title="graph")


def function_view(library: FunctionLibrary, name: str) -> View:
    """A function body with its arguments as ``_Arg`` nodes and its results as ``_Retval``."""
    if name not in library:
        names = ", ".join(library.names()) or "none"
        raise SelectionError(None, f"no function {name!r} in the library", f"functions: {names}")
    return _function_nodes(library, name, prefix="", inputs=None)


def _function_nodes(library: FunctionLibrary, name: str, prefix: str, inputs) -> View:
    fdef = library[name]
    nodes = []
    arg_names = {}
    for i, arg in enumerate(fdef.signature.input_arg):
        node = protos.NodeDef(name=prefix + arg.name, op=ARG_OP)
        if arg.type:
            node.attr["T"].type = arg.type
        if inputs is not None and i < len(inputs):
            node.input.append(inputs[i])
        arg_names[arg.name] = node.name
        nodes.append(node)
    for inner in fdef.node_def:
        node = protos.NodeDef()
        node.CopyFrom(inner)
        node.name = prefix + inner.name
        del node.input[:]
        node.input.extend(_rename_ref(text, prefix) for text in inner.input)
        nodes.append(node)
    rets = []
    for key in sorted(fdef.ret):
        node = protos.NodeDef(name=f"{prefix}{key}:ret", op=RET_OP)
        node.input.append(_rename_ref(fdef.ret[key], prefix))
        rets.append(node.name)
        nodes.append(node)
    index = GraphIndex(nodes, function=name)
    view = View(index, set(arg_names.values()), set(rets), {}, _callees(index, library), title=name)
    return view


def _rename_ref(text: str, prefix: str) -> str:
    if not prefix:
        return text
    return f"^{prefix}{text[1:]}" if text.startswith("^") else prefix + text


def _callees(index: GraphIndex, library: FunctionLibrary) -> dict[str, list[str]]:
    known = set(library.functions)
    result: dict[str, list[str]] = {}
    if not known:  # a graph without a function library calls nothing
        return result
    for name, node in index.nodes.items():
        found = sorted({callee for _attr, callee in called_functions(node, known)})
        if found:
            result[name] = found
    return result


def expand_calls(view: View, library: FunctionLibrary, depth: int = MAX_EXPAND_DEPTH) -> View:
    """Inline called function bodies as ``<call node>/<function>/...`` scopes.

    A call's data inputs feed the inlined arguments; the call node then reads the
    inlined results, so data flows through the body.  A function already being
    expanded further up (recursion) is left as a plain call.
    """
    nodes: list[protos.NodeDef] = []
    callees: dict[str, list[str]] = {}

    def walk(current: View, stack: tuple[str, ...]) -> None:
        for name, node in current.index.nodes.items():
            targets = [f for f in current.callees.get(name, []) if f not in stack]
            if not targets or len(stack) >= depth:
                if current.callees.get(name):
                    callees[name] = current.callees[name]
                nodes.append(node)
                continue
            data = [t for t in node.input if not t.startswith("^")]
            control = [t for t in node.input if t.startswith("^")]
            rets = []
            for callee in targets:
                args = data[1:] if node.op in ("If", "StatelessIf") and len(data) > 1 else data
                inner = _function_nodes(library, callee, f"{name}/{callee}/", args)
                walk(inner, stack + (callee,))
                rets.extend(sorted(inner.outputs))
            call = protos.NodeDef()
            call.CopyFrom(node)
            del call.input[:]
            call.input.extend(rets + control)
            callees[name] = current.callees[name]
            nodes.append(call)

    walk(view, (view.title,))
    index = GraphIndex(nodes, function=view.index.function)
    return View(index, view.inputs, view.outputs, view.known, callees, view.title)


# -- selections -------------------------------------------------------------------------

def resolve(view: View, names: list[str], what: str) -> list[tuple[str, int]]:
    """Tensor or node names as (node, output); SelectionError naming the unknown ones."""
    result = []
    for text in names:
        node, slot = parse_tensor_name(text) if ":" in text else (text, 0)
        if node not in view.index:
            raise SelectionError(None, f"no node {node!r} for {what}",
                                 "give node names or tensor names like node:0 (see `tfinspect show`)")
        result.append((node, slot))
    return result


def backward(index: GraphIndex, outputs: list[str], stop: set[str], *, data_only: bool = False,
             avoid: frozenset[str] | set[str] = frozenset()) -> set[str]:
    """Nodes the outputs need: data and control inputs, not crossing the ``stop`` nodes.

    ``data_only`` follows data inputs only; nodes in ``avoid`` are never entered.
    """
    seen: set[str] = set()
    queue = deque(n for n in outputs if n in index)
    while queue:
        name = queue.popleft()
        if name in seen:
            continue
        seen.add(name)
        if name in stop:
            continue
        for ref in index.inputs(name):
            if ref.node in index and ref.node not in seen and ref.node not in avoid and not (
                    data_only and ref.control):
                queue.append(ref.node)
    return seen


def signature_nodes(meta: MetaGraph, view: View, key: str) -> tuple[set[str], set[str], set[str]]:
    """(selected, inputs, outputs) for one SignatureDef."""
    if key not in meta.signatures:
        keys = ", ".join(meta.signatures) or "none"
        raise SelectionError(None, f"no signature {key!r}", f"signatures: {keys}")
    sig = meta.signatures[key]
    ins = {parse_tensor_name(n)[0] for t in sig.inputs for n in (t.components or (t.name,)) if n}
    outs = {parse_tensor_name(n)[0] for t in sig.outputs for n in (t.components or (t.name,)) if n}
    return backward(view.index, sorted(outs), ins), ins, outs


def in_scope(names, prefix: str) -> set[str]:
    prefix = prefix.rstrip("/")
    return {n for n in names if n == prefix or n.startswith(prefix + "/")}


def around(index: GraphIndex, start: str, hops: int) -> set[str]:
    """Nodes within ``hops`` edges of ``start``, following edges either way."""
    if start not in index:
        raise SelectionError(None, f"no node {start!r} to draw around", "see `tfinspect show` for node names")
    seen = {start}
    frontier = {start}
    for _ in range(max(hops, 0)):
        nxt = set()
        for name in frontier:
            nxt.update(r.node for r in index.inputs(name) if r.node in index)
            nxt.update(e.consumer for e in index.consumers.get(name, ()))
        frontier = nxt - seen
        seen |= frontier
    return seen


# -- shaping the drawing ----------------------------------------------------------------

def max_scope_depth(names) -> int:
    return max((n.count("/") for n in names), default=0)


def collapse(index: GraphIndex, selection: Selection, depth: int, boxed=frozenset()) -> None:
    """Group nodes whose scope is deeper than ``depth`` levels under their level-``depth`` scope.

    A node inside one of the ``boxed`` scopes is grouped under that scope when it is shallower.
    """
    selection.depth = depth
    members: dict[str, list[str]] = {}
    member_of: dict[str, str] = {}
    for name in selection.nodes:
        parts = name.split("/")[:-1]
        scope = "/".join(parts[:depth]) if len(parts) >= depth else None
        if boxed:
            for k in range(1, min(len(parts), depth) + 1):
                prefix = "/".join(parts[:k])
                if prefix in boxed:
                    scope = prefix
                    break
        if scope is not None:
            members.setdefault(scope, []).append(name)
            member_of[name] = scope
    groups = {}
    for scope in sorted(members):
        if len(members[scope]) == 1:  # a box for one node hides it and saves nothing
            del member_of[members[scope][0]]
            continue
        ops = Counter(index.nodes[n].op for n in members[scope])
        top = tuple(sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
        groups[scope] = Group(scope, len(members[scope]), top)
    selection.groups = groups
    selection.member_of = member_of


def fold_constants(index: GraphIndex, selection: Selection, limit: int = 16) -> None:
    """Small Const nodes with exactly one consumer, keyed by that consumer."""
    chosen = set(selection.nodes)
    folded: dict[str, list[str]] = {}
    for name in selection.nodes:
        node = index.nodes[name]
        if node.op not in CONST_OPS or name in selection.member_of:
            continue
        readers = index.consumers.get(name, [])
        if len(readers) != 1 or readers[0].consumer not in chosen:
            continue
        count = num_elements(shape_from_proto(node.attr["value"].tensor.tensor_shape))
        if count is None or count > limit:
            continue
        folded.setdefault(readers[0].consumer, []).append(name)
    selection.folded = folded


def fold_weights(index: GraphIndex, selection: Selection) -> None:
    """Weights into the one op that reads them: a constant, or a variable with its read op.

    A ``Const`` read by one drawn op, and a variable (``VariableV2``, ``VarHandleOp``) whose
    value reaches one drawn op, directly or through its ``read`` (``Identity``,
    ``ReadVariableOp``), are listed in that op's box instead of drawn.
    """
    chosen = set(selection.nodes)
    folded: dict[str, list[str]] = {}

    def readers(name: str) -> list[str]:
        return sorted({e.consumer for e in index.consumers.get(name, ()) if e.consumer in chosen
                       and not e.ref.control})

    for name in selection.nodes:
        node = index.nodes[name]
        if name in selection.member_of or (node.op not in CONST_OPS and node.op not in WEIGHT_OPS):
            continue
        chain = [name]
        found = readers(name)
        while len(found) == 1 and index.nodes[found[0]].op in READ_OPS and found[0] not in selection.member_of:
            chain.append(found[0])
            found = readers(found[0])
        if len(found) == 1 and found[0] not in selection.member_of:
            folded.setdefault(found[0], []).extend(chain)
    selection.folded = folded


WEIGHT_OPS = frozenset({"VariableV2", "Variable", "VarHandleOp"})
READ_OPS = frozenset({"Identity", "ReadVariableOp"})


def data_refs(index: GraphIndex, name: str) -> list[TensorRef]:
    return [r for r in index.inputs(name) if not r.control]
