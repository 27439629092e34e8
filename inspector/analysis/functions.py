"""The function library: signatures, callees, callers and which SignatureDefs reach each function."""

from __future__ import annotations

from dataclasses import dataclass

from .. import protos
from ..errors import SelectionError
from ..model.functions import Call
from ..model.graph import TensorRef, parse_tensor_name
from ..model.metagraph import MetaGraph
from ..tensors.shapes import dtype_name


@dataclass(frozen=True)
class Argument:
    name: str
    type: str  # DT_FLOAT, or the attribute it comes from when the type is not fixed


@dataclass(frozen=True)
class FunctionNode:
    name: str
    op: str
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    inputs: tuple[Argument, ...]
    outputs: tuple[Argument, ...]
    nodes: int
    calls: tuple[str, ...]
    missing: tuple[str, ...]  # callees that are not in the library
    called_by: tuple[Call, ...]
    signatures: tuple[str, ...]
    recursive: bool
    node_list: tuple[FunctionNode, ...] = ()


def library_view(meta: MetaGraph, name: str | None = None, *, path=None) -> list[FunctionInfo]:
    library = meta.functions
    if name is not None and name not in library:
        raise SelectionError(path, f"no function named {name!r} in the function library",
                             f"{len(library)} functions here" + (
                                 ": " + ", ".join(library.names()[:30]) if len(library) else ""))
    reached_by = signature_reach(meta)
    recursive = set(library.recursive())
    missing: dict[str, list[str]] = {}
    for call in library.missing():
        if call.caller is not None and call.callee not in missing.setdefault(call.caller, []):
            missing[call.caller].append(call.callee)
    names = [name] if name is not None else library.names()
    result = []
    for fname in names:
        fdef = library[fname]
        callees = [c for c in library.callees.get(fname, []) if c in library]
        node_list = ()
        if name is not None:
            node_list = tuple(FunctionNode(n.name, n.op, tuple(n.input)) for n in fdef.node_def)
        result.append(FunctionInfo(
            name=fname,
            inputs=tuple(_argument(a, fdef) for a in fdef.signature.input_arg),
            outputs=tuple(_argument(a, fdef) for a in fdef.signature.output_arg),
            nodes=len(fdef.node_def),
            calls=tuple(callees),
            missing=tuple(missing.get(fname, [])),
            called_by=tuple(library.callers.get(fname, [])),
            signatures=tuple(sorted(reached_by.get(fname, ()))),
            recursive=fname in recursive,
            node_list=node_list,
        ))
    return result


def _argument(arg: protos.OpDef.ArgDef, fdef: protos.FunctionDef) -> Argument:
    return Argument(arg.name, arg_type(arg, fdef.attr))


def arg_type(arg, attrs) -> str:
    """The dtype of an ArgDef, resolving ``type_attr``/``number_attr``/``type_list_attr`` when set."""
    if arg.type:
        text = dtype_name(arg.type)
    elif arg.type_attr:
        text = dtype_name(attrs[arg.type_attr].type) if arg.type_attr in attrs else arg.type_attr
    elif arg.type_list_attr:
        if arg.type_list_attr in attrs:
            text = "[" + ", ".join(dtype_name(t) for t in attrs[arg.type_list_attr].list.type) + "]"
        else:
            text = f"list({arg.type_list_attr})"
    else:
        text = "?"
    if arg.number_attr:
        count = str(attrs[arg.number_attr].i) if arg.number_attr in attrs else arg.number_attr
        text = f"{count} x {text}"
    return text


def signature_reach(meta: MetaGraph) -> dict[str, set[str]]:
    """For each function, the signature keys whose outputs (transitively) call it."""
    library = meta.functions
    if not len(library):
        return {}
    graph = meta.graph
    result: dict[str, set[str]] = {}
    known = set(library.names())
    for key, sig in meta.signatures.items():
        starts = [parse_tensor_name(t.name)[0] for t in sig.outputs if t.name]
        starts += [parse_tensor_name(c)[0] for t in sig.outputs for c in t.components]
        roots: list[str] = []
        seen: set[str] = set()
        stack = list(starts)
        while stack:
            current = stack.pop()
            if current in seen or current not in graph:
                continue
            seen.add(current)
            node = graph.node(current)
            for call in _node_calls(node, known):
                if call not in roots:
                    roots.append(call)
            stack.extend(TensorRef.parse(text).node for text in node.input)
        for fname in roots + library.reachable(roots):
            result.setdefault(fname, set()).add(key)
    return result


def _node_calls(node: protos.NodeDef, known: set[str]) -> list[str]:
    from ..model.functions import called_functions

    return [callee for _, callee in called_functions(node, known) if callee in known]
