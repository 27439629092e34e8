"""What runs when: the nodes and functions a signature or the loader's init op executes.

A finding about one node (a PyFunc, an op without a kernel, a file read) becomes a
load failure when the init op runs it and a failure of exactly the signatures that
run it otherwise.  A signature runs the top-level ancestors of its outputs and
every library function those nodes call (If/While branches and nested calls
included); a function runs as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.graph import parse_tensor_name
from ..model.graphwalk import tensor_names
from ..model.metagraph import MetaGraph, Signature

INIT_OP_SIGNATURE_KEY = "__saved_model_init_op"
MAIN_OP_KEY = "saved_model_main_op"
LEGACY_INIT_OP_KEY = "legacy_init_op"


@dataclass(frozen=True)
class Reach:
    nodes: frozenset[str]
    functions: frozenset[str]

    def runs(self, function: str | None, node: str) -> bool:
        return node in self.nodes if function is None else function in self.functions


def _reach(meta: MetaGraph, roots: list[str]) -> Reach:
    graph = meta.graph
    nodes: set[str] = set()
    for root in roots:
        if root in graph:
            nodes |= graph.ancestors(root)
    library = meta.functions
    called = {c.callee for c in library.calls if c.caller is None and c.node in nodes}
    functions = called | set(library.reachable(list(called)))
    return Reach(frozenset(nodes), frozenset(functions))


def _cache(meta: MetaGraph) -> dict:
    return meta.__dict__.setdefault("_check_reach", {})


def signature_reach(meta: MetaGraph, signature: Signature) -> Reach:
    cache = _cache(meta)
    key = ("signature", signature.key)
    if key not in cache:
        roots = [parse_tensor_name(n)[0] for t in signature.outputs for n in tensor_names(t)]
        cache[key] = _reach(meta, roots)
    return cache[key]


def init_op_node(meta: MetaGraph) -> str | None:
    """The node the SavedModel loader runs after restoring: init signature, main_op, legacy_init_op."""
    from ..model.graph import TensorRef

    init = meta.signatures.get(INIT_OP_SIGNATURE_KEY)
    if init is not None:
        for tensor in init.outputs:
            if tensor.alias == INIT_OP_SIGNATURE_KEY and tensor.name:
                return parse_tensor_name(tensor.name)[0]
        return None
    for key in (MAIN_OP_KEY, LEGACY_INIT_OP_KEY):
        collection = meta.collections.get(key)
        if collection is not None and len(collection.node_list.value) == 1:
            return TensorRef.parse(collection.node_list.value[0]).node
    return None


def init_reach(meta: MetaGraph, extra: tuple[str, ...] = ()) -> Reach:
    """What the loader's init op runs (and the extra roots given, e.g. table initializers)."""
    cache = _cache(meta)
    key = ("init", extra)
    if key not in cache:
        init = init_op_node(meta)
        cache[key] = _reach(meta, ([init] if init else []) + list(extra))
    return cache[key]


def runners(meta: MetaGraph, function: str | None, node: str) -> tuple[bool, list[str]]:
    """(whether the init op runs the node, keys of the signatures that run it)."""
    keys = [s.key for s in meta.signatures.values()
            if not s.internal and signature_reach(meta, s).runs(function, node)]
    return init_reach(meta).runs(function, node), keys


def node_issues(meta: MetaGraph, function: str | None, node: str, message: str, hint: str, *,
                location: str, tag_set: str | None, severity=None):
    """Issues for a problem at one node, placed where TensorFlow fails: the load, or each signature that runs it.

    A node that neither the init op nor any signature runs cannot fail anything: a warning.
    ``severity`` overrides the rule's for the places that run it.
    """
    from .core import LOAD, Issue, Severity

    at_init, keys = runners(meta, function, node)
    if at_init:
        yield Issue(f"{message}; the loader's init op runs it", hint, tag_set=tag_set, location=location, stage=LOAD,
                    severity=severity)
    for key in keys:
        yield Issue(message, hint, tag_set=tag_set, signature=key, location=location, severity=severity)
    if not at_init and not keys:
        yield Issue(f"{message}; nothing the loader or a signature runs reaches it", hint, tag_set=tag_set,
                    location=location, severity=Severity.WARNING)
